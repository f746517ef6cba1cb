/**
 * Quiver Papers' data: papers as the app stores them, and the two formats they arrive in — JSONL
 * (`{ id?, title, abstract }` per line, the bundled corpus's format) and the listing format of the page
 * the corpus was scraped from (a title line followed by an abstract line, blank lines ignored).
 * Pure functions: reading files is the caller's job.
 */
import { QuiverError } from '../core/errors.js';

export interface Paper {
  /** The record key: the title's slug unless the source gave one. */
  id: string;
  title: string;
  abstract: string;
}

/** What the app keeps in each record's metadata. */
export type PaperMetadata = {
  title: string;
  /** When the paper was added (ms since the epoch): digests send the papers added since the last one. */
  addedAt: number;
};

/** The corpus's slug rule: lower-case, runs of characters outside [a-z0-9] become '-', trimmed of '-'. */
export function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** The text the app embeds and indexes for keyword search: the title, a blank line, the abstract. */
export function paperDocument(paper: Pick<Paper, 'title' | 'abstract'>): string {
  return `${paper.title}\n\n${paper.abstract}`;
}

/** The record a paper becomes in the `papers` collection (embedded from its document). */
export function paperRecord(paper: Paper, addedAt: number): { key: string; document: string; metadata: PaperMetadata } {
  return { key: paper.id, document: paperDocument(paper), metadata: { title: paper.title, addedAt } };
}

/** Checks and normalises one paper given by a user (API, console form, import). */
export function checkPaper(input: { id?: unknown; title?: unknown; abstract?: unknown }, where = 'paper'): Paper {
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  const abstract = typeof input.abstract === 'string' ? input.abstract.trim() : '';
  if (title === '') throw new QuiverError('INVALID_ARGUMENT', `${where}.title must be a non-empty string.`, { field: 'title' });
  if (abstract === '') throw new QuiverError('INVALID_ARGUMENT', `${where}.abstract must be a non-empty string.`, { field: 'abstract' });
  if (input.id !== undefined && (typeof input.id !== 'string' || input.id.trim() === '')) {
    throw new QuiverError('INVALID_ARGUMENT', `${where}.id must be a non-empty string (or be left out to use the title's slug).`, { field: 'id' });
  }
  const id = typeof input.id === 'string' ? input.id.trim() : slug(title);
  if (id === '') throw new QuiverError('INVALID_ARGUMENT', `${where}: the title "${title}" has no letters or digits to make an id from; give an id.`, { field: 'id' });
  return { id, title, abstract };
}

/** Parses JSONL papers; a malformed line is an INVALID_ARGUMENT naming its line number. */
export function parsePapersJsonl(text: string): Paper[] {
  const papers: Paper[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new QuiverError('INVALID_ARGUMENT', `Line ${index + 1} is not valid JSON (${(err as Error).message}).`, { line: index + 1 });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new QuiverError('INVALID_ARGUMENT', `Line ${index + 1} must be an object { id?, title, abstract }.`, { line: index + 1 });
    }
    papers.push(checkPaper(value as Record<string, unknown>, `line ${index + 1}`));
  });
  return papers;
}

/** Parses the listing format: non-blank lines pair up as title, abstract. */
export function parsePapersListing(text: string): Paper[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length % 2 !== 0) {
    throw new QuiverError(
      'INVALID_ARGUMENT',
      `A listing alternates title and abstract lines, but it has ${lines.length} non-blank lines (an odd number): the last title "${lines[lines.length - 1].slice(0, 80)}" has no abstract.`,
      { lines: lines.length },
    );
  }
  const papers: Paper[] = [];
  for (let i = 0; i < lines.length; i += 2) papers.push(checkPaper({ title: lines[i], abstract: lines[i + 1] }, `listing line ${i + 1}`));
  return papers;
}
