/**
 * One subscriber's digest: the papers added in their window that best match their interests, and the
 * email that lists them (HTML and plain text, with links to each paper's page in the console and a
 * signed unsubscribe link).
 */
import type { Collection } from '../db/collection.js';
import type { OutgoingMail } from './mailer.js';
import type { Subscription } from './subscriptions.js';

export interface DigestPaper {
  id: string;
  title: string;
  abstract: string;
  addedAt: number;
}

/** The papers added after `window.start` and up to `window.end`, best match of the interests first. */
export async function findDigestPapers(
  papers: Collection,
  interests: { text: string; vector: Float32Array },
  window: { start: number; end: number },
  papersMax: number,
): Promise<DigestPaper[]> {
  if (window.end <= window.start) return [];
  // hybrid: the stored embedding of the interests (no model call) and BM25 over the same words
  const hits = await papers.query({
    vector: interests.vector,
    text: interests.text,
    k: papersMax,
    filter: { addedAt: { $gt: window.start, $lte: window.end } },
    include: ['metadata', 'document'],
  });
  return hits.map((hit) => {
    const metadata = (hit.metadata ?? {}) as { title?: string; addedAt?: number };
    const document = hit.document ?? '';
    // the document is title, a blank line, the abstract (corpus.ts, paperDocument)
    const split = document.indexOf('\n\n');
    return {
      id: hit.key,
      title: metadata.title ?? (split < 0 ? document : document.slice(0, split)),
      abstract: split < 0 ? '' : document.slice(split + 2),
      addedAt: metadata.addedAt ?? 0,
    };
  });
}

/** `<digest.<subscriber>.<windowStart>@<domain>>`: the same for every attempt at one digest. */
export function digestMessageId(subscriberId: string, windowStart: number, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'quiver.invalid';
  return `<digest.${subscriberId}.${windowStart}@${domain}>`;
}

/** The console's page of a paper (its router's route). */
export function paperUrl(publicUrl: string, id: string): string {
  return `${trimSlash(publicUrl)}/#/paper?id=${encodeURIComponent(id)}`;
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${trimSlash(publicUrl)}/v1/papers/unsubscribe?token=${encodeURIComponent(token)}`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

const SNIPPET_CHARS = 300;

/** The abstract's start, cut at a word boundary. */
export function snippet(abstract: string, max = SNIPPET_CHARS): string {
  const text = abstract.replace(/\s+/g, ' ').trim();
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return `${text.slice(0, cut > max / 2 ? cut : max).replace(/[\s,;:.]+$/, '')}…`;
}

export interface ComposeInput {
  subscription: Pick<Subscription, 'email' | 'interests'>;
  papers: readonly DigestPaper[];
  publicUrl: string;
  unsubscribeUrl: string;
  from: string;
  messageId: string;
}

export function composeDigest(input: ComposeInput): OutgoingMail {
  const { subscription, papers, publicUrl } = input;
  const count = papers.length === 1 ? '1 new paper' : `${papers.length} new papers`;
  const interests = subscription.interests.length > 60 ? `${subscription.interests.slice(0, 57)}...` : subscription.interests;
  const subject = `Quiver Papers: ${count} for "${interests}"`;
  const home = `${trimSlash(publicUrl)}/`;

  const text = [
    `${count} on Quiver Papers matching your interests: ${subscription.interests}`,
    '',
    ...papers.flatMap((paper, i) => [`${i + 1}. ${paper.title}`, `   ${paperUrl(publicUrl, paper.id)}`, `   ${snippet(paper.abstract)}`, '']),
    `Search all papers: ${home}`,
    '',
    `You get this email because ${subscription.email} subscribed to the Quiver Papers daily digest.`,
    `Unsubscribe: ${input.unsubscribeUrl}`,
    '',
  ].join('\n');

  const items = papers
    .map(
      (paper) => `<li style="margin:0 0 18px 0">
  <a href="${escapeHtml(paperUrl(publicUrl, paper.id))}" style="font-size:16px;font-weight:600;color:#1d4ed8;text-decoration:none">${escapeHtml(paper.title)}</a>
  <p style="margin:4px 0 0 0;color:#374151;font-size:14px;line-height:1.45">${escapeHtml(snippet(paper.abstract))}</p>
</li>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:640px;margin:0 auto;padding:16px;color:#111827">
<h1 style="font-size:20px;margin:0 0 4px 0">Quiver Papers</h1>
<p style="margin:0 0 16px 0;color:#4b5563">${escapeHtml(count)} matching your interests: <em>${escapeHtml(subscription.interests)}</em></p>
<ol style="padding-left:20px">
${items}
</ol>
<p><a href="${escapeHtml(home)}">Search all papers</a></p>
<hr style="border:none;border-top:1px solid #e5e7eb">
<p style="font-size:12px;color:#6b7280">You get this email because ${escapeHtml(subscription.email)} subscribed to the Quiver Papers daily digest.
<a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>
`;
  return { from: input.from, to: subscription.email, subject, text, html, messageId: input.messageId, unsubscribeUrl: input.unsubscribeUrl };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
