/**
 * A digest run: for each subscriber, the papers added since their last digest that match their
 * interests, sent as one email, with the send recorded in the subscriber's record so that a run that
 * fails or stops midway is resumed by the next run without sending anyone the same digest twice.
 *
 * The order of writes per attempt (docs/papers.md, "Daily digest", says why):
 *   1. record `sending` (window, Message-ID, attempt) durably;
 *   2. one SMTP transaction;
 *   3. record the outcome: `sent` (and the window is done: lastDigestAt = its end), `failed` (the server
 *      certainly did not take it: tried again, later in this run with backoff or by a later run, until
 *      attemptsMax), or `uncertain` (it may have been taken: never sent again; the window is done).
 * A run that finds `sending` left over was stopped between 1 and 3: it cannot know whether the message
 * went out, so it treats it as `uncertain`. The guarantee is at most once per subscriber and window.
 */
import type { Quiver } from '../db/database.js';
import { PAPERS_COLLECTION } from './collection.js';
import { composeDigest, digestMessageId, findDigestPapers, unsubscribeUrl } from './digest.js';
import type { Mailer, SendOutcome } from './mailer.js';
import type { SendState, Subscription, Subscriptions } from './subscriptions.js';
import { signUnsubscribeToken } from './tokens.js';

export const DIGEST_DEFAULTS = {
  papersMax: 10,
  /** Papers this recent wait for the next digest: addPapers stamps addedAt before embedding, so a paper can become visible seconds after its stamp. */
  cutoffLagMs: 60_000,
  /** Extra attempts within one run after a failure that is not permanent. */
  retriesPerRun: 2,
  /** Backoff before the first in-run retry; each further one waits 4 times longer. */
  retryDelayMs: 2_000,
  /** After a failed run, the scheduler tries that subscriber again after this, doubling per attempt. */
  retryLaterMs: 10 * 60_000,
  /** Attempts at one digest, over all runs, before it is given up (and the next window starts). */
  attemptsMax: 8,
} as const;

export type DigestStatus = 'sent' | 'would-send' | 'nothing-new' | 'failed' | 'uncertain' | 'given-up';

export interface DigestResult {
  id: string;
  email: string;
  status: DigestStatus;
  /** The digest's papers, best first (empty for nothing-new). */
  papers: { id: string; title: string }[];
  messageId?: string;
  /** Attempts at this digest so far, over all runs. */
  attempts?: number;
  error?: string;
}

export interface DigestReport {
  startedAt: number;
  /** Papers added up to this time (and after each subscriber's lastDigestAt) were considered. */
  cutoff: number;
  dryRun: boolean;
  /** Subscribers looked at (those not due are not listed in results). */
  subscribers: number;
  notDue: number;
  results: DigestResult[];
  /** Set when the run stopped early (the SMTP server unreachable); the rest wait for the next run. */
  aborted?: string;
}

export interface DigestRunOptions {
  db: Quiver;
  subscriptions: Subscriptions;
  /** null only for a dry run. */
  mailer: Mailer | null;
  secret: string;
  publicUrl: string;
  from: string;
  now?: () => number;
  dryRun?: boolean;
  /**
   * The scheduler's run: only subscribers not looked at since `slot` (the day's scheduled time), or
   * whose failed digest is due another try. Without it every subscriber is looked at.
   */
  due?: { slot: number };
  papersMax?: number;
  cutoffLagMs?: number;
  retriesPerRun?: number;
  retryDelayMs?: number;
  retryLaterMs?: number;
  attemptsMax?: number;
  /** Stops the run before the next subscriber (the server shutting down); the rest wait for the next run. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  log?: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
}

/** Waits `ms`, or less when `signal` aborts meanwhile. */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runDigest(options: DigestRunOptions): Promise<DigestReport> {
  const now = options.now ?? Date.now;
  const settings = { ...DIGEST_DEFAULTS, ...definedOnly(options) };
  const sleep = options.sleep ?? wait;
  const log = options.log ?? (() => undefined);
  const dryRun = options.dryRun === true;
  const { subscriptions } = options;
  const papers = options.db.collection(PAPERS_COLLECTION);
  const startedAt = now();
  const cutoff = startedAt - settings.cutoffLagMs;
  const report: DigestReport = { startedAt, cutoff, dryRun, subscribers: 0, notDue: 0, results: [] };

  const all = await subscriptions.list();
  report.subscribers = all.length;
  for (const stored of all) {
    if (options.signal?.aborted) {
      report.aborted = `The run was stopped (${String(options.signal.reason ?? 'aborted')}); the remaining subscribers wait for the next run.`;
      break;
    }
    let subscriber = stored;
    if (subscriber.send?.status === 'sending') {
      // a run stopped between recording `sending` and recording the outcome: the message may be out
      const send: SendState = { ...subscriber.send, status: 'uncertain', error: 'A previous digest run stopped during this send; it may have been delivered, so it is not sent again.', updatedAt: now() };
      const lastDigestAt = Math.max(subscriber.lastDigestAt, send.windowEnd);
      if (!dryRun && !(await subscriptions.record(subscriber.id, { send, lastDigestAt }))) continue;
      report.results.push(resultOf(subscriber, 'uncertain', send));
      log('warn', 'digest: a send interrupted by a stopped run is left as uncertain (at most once)', { subscriber: subscriber.id, messageId: send.messageId });
      subscriber = { ...subscriber, send, lastDigestAt };
    }
    if (options.due !== undefined && !isDue(subscriber, options.due.slot, startedAt)) {
      report.notDue++;
      continue;
    }
    const windowStart = subscriber.lastDigestAt;
    const found = await subscriptions.getWithVector(subscriber.id);
    if (found === null) continue; // unsubscribed meanwhile
    const chosen = await findDigestPapers(papers, { text: found.subscription.interests, vector: found.vector }, { start: windowStart, end: cutoff }, settings.papersMax);
    if (chosen.length === 0) {
      if (!dryRun) await subscriptions.record(subscriber.id, { checkedAt: startedAt });
      report.results.push({ id: subscriber.id, email: subscriber.email, status: 'nothing-new', papers: [] });
      continue;
    }
    const messageId = digestMessageId(subscriber.id, windowStart, options.from);
    const mail = composeDigest({
      subscription: found.subscription,
      papers: chosen,
      publicUrl: options.publicUrl,
      unsubscribeUrl: unsubscribeUrl(options.publicUrl, signUnsubscribeToken(options.secret, subscriber.id)),
      from: options.from,
      messageId,
    });
    const listed = chosen.map((p) => ({ id: p.id, title: p.title }));
    if (dryRun || options.mailer === null) {
      report.results.push({ id: subscriber.id, email: subscriber.email, status: 'would-send', papers: listed, messageId });
      continue;
    }

    // the same window failed before: its attempts count on (its Message-ID is the same, by construction)
    const previous = subscriber.send?.status === 'failed' && subscriber.send.windowStart === windowStart ? subscriber.send : null;
    let attempt = previous?.attempts ?? 0;
    for (let retry = 0; ; retry++) {
      attempt++;
      const base = { windowStart, windowEnd: cutoff, messageId, attempts: attempt, papers: chosen.map((p) => p.id) };
      if (!(await subscriptions.record(subscriber.id, { send: { ...base, status: 'sending', updatedAt: now() } }))) break;
      let outcome: SendOutcome;
      try {
        outcome = await options.mailer.send(mail);
      } catch (error) {
        // composing the MIME message failed: nothing reached the server
        outcome = { status: 'not-delivered', stage: 'message', permanent: true, error: (error as Error).message };
      }
      if (outcome.status === 'sent') {
        const send: SendState = { ...base, status: 'sent', updatedAt: now() };
        await subscriptions.record(subscriber.id, { send, lastDigestAt: cutoff, checkedAt: startedAt });
        report.results.push(resultOf(subscriber, 'sent', send, listed));
        log('info', 'digest: sent', { subscriber: subscriber.id, messageId, papers: listed.length, attempts: attempt });
        break;
      }
      if (outcome.status === 'uncertain') {
        const send: SendState = { ...base, status: 'uncertain', error: outcome.error, updatedAt: now() };
        await subscriptions.record(subscriber.id, { send, lastDigestAt: cutoff, checkedAt: startedAt });
        report.results.push(resultOf(subscriber, 'uncertain', send, listed));
        log('warn', 'digest: the connection failed after the message was on its way; not sent again (at most once)', { subscriber: subscriber.id, messageId, error: outcome.error });
        break;
      }
      if (attempt >= settings.attemptsMax) {
        const send: SendState = { ...base, status: 'given-up', error: outcome.error, updatedAt: now() };
        await subscriptions.record(subscriber.id, { send, lastDigestAt: cutoff, checkedAt: startedAt });
        report.results.push(resultOf(subscriber, 'given-up', send, listed));
        log('warn', 'digest: given up after the last attempt; the next digest starts a new window', { subscriber: subscriber.id, messageId, attempts: attempt, error: outcome.error });
        break;
      }
      if (retry < settings.retriesPerRun && !outcome.permanent && options.signal?.aborted !== true) {
        log('info', 'digest: not delivered, retrying', { subscriber: subscriber.id, attempt, error: outcome.error });
        await sleep(settings.retryDelayMs * 4 ** retry, options.signal);
        continue;
      }
      const failedAt = now();
      const send: SendState = { ...base, status: 'failed', error: outcome.error, updatedAt: failedAt, retryAt: failedAt + settings.retryLaterMs * 2 ** Math.min(attempt - 1, 6) };
      await subscriptions.record(subscriber.id, { send, checkedAt: startedAt });
      report.results.push(resultOf(subscriber, 'failed', send, listed));
      log('warn', 'digest: not delivered; a later run tries again', { subscriber: subscriber.id, attempts: attempt, retryAt: send.retryAt, error: outcome.error });
      if (outcome.stage === 'connect') report.aborted = `The SMTP server could not be reached or refused the login (${outcome.error}); the remaining subscribers wait for the next run.`;
      break;
    }
    if (report.aborted !== undefined) break;
  }
  return report;
}

/** Whether the scheduler's run at `slot` should look at a subscriber now. */
export function isDue(subscriber: Subscription, slot: number, now: number): boolean {
  if (subscriber.send?.status === 'failed' && (subscriber.send.retryAt ?? 0) <= now) return true;
  return subscriber.checkedAt === undefined || subscriber.checkedAt < slot;
}

function resultOf(subscriber: Subscription, status: DigestStatus, send: SendState, papers?: { id: string; title: string }[]): DigestResult {
  return {
    id: subscriber.id,
    email: subscriber.email,
    status,
    papers: papers ?? send.papers.map((id) => ({ id, title: '' })),
    messageId: send.messageId,
    attempts: send.attempts,
    ...(send.error !== undefined ? { error: send.error } : {}),
  };
}

function definedOnly(options: DigestRunOptions): Partial<typeof DIGEST_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(DIGEST_DEFAULTS) as (keyof typeof DIGEST_DEFAULTS)[]) {
    const value = options[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out as Partial<typeof DIGEST_DEFAULTS>;
}
