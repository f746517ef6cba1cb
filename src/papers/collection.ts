/**
 * The `papers` collection of Quiver Papers: keyed by paper id, embedded with the built-in model from
 * the document (title + abstract), so `query({ text })` is hybrid (vector + BM25) by default.
 */
import type { Collection } from '../db/collection.js';
import type { Quiver } from '../db/database.js';
import { paperRecord, type Paper } from './corpus.js';

export const PAPERS_COLLECTION = 'papers';

/** How the app creates the collection (docs/papers.md says why). */
export const PAPERS_CONFIG = {
  embedding: 'builtin',
  metric: 'cosine',
  index: 'HNSW16',
  payloadIndexes: { addedAt: 'number' },
} as const;

/** Papers are embedded and written in batches of this many, so progress shows on large imports. */
const BATCH = 64;

/**
 * The `papers` collection, created on first use and filled from `seed()` (the bundled corpus), so a
 * restart finds the papers and anything added since. `created` says whether this call made it.
 */
export async function openPapers(db: Quiver, seed: () => Promise<Paper[]>, now: () => number = Date.now): Promise<{ collection: Collection; created: boolean }> {
  if ((await db.listCollections()).some((c) => c.name === PAPERS_COLLECTION)) {
    return { collection: db.collection(PAPERS_COLLECTION), created: false };
  }
  const collection = await db.createCollection(PAPERS_COLLECTION, { ...PAPERS_CONFIG, payloadIndexes: { ...PAPERS_CONFIG.payloadIndexes } });
  await addPapers(collection, await seed(), now);
  return { collection, created: true };
}

/**
 * Adds (or replaces, by id) papers, stamping them with the time they were added. Each batch is atomic;
 * `sequence` is the last batch's write token.
 */
export async function addPapers(
  collection: Collection,
  papers: readonly Paper[],
  now: () => number = Date.now,
  onProgress?: (done: number, total: number) => void,
): Promise<{ count: number; sequence?: string }> {
  let sequence: string | undefined;
  for (let start = 0; start < papers.length; start += BATCH) {
    const addedAt = now();
    ({ sequence } = await collection.upsert(papers.slice(start, start + BATCH).map((p) => paperRecord(p, addedAt))));
    onProgress?.(Math.min(start + BATCH, papers.length), papers.length);
  }
  return { count: papers.length, ...(sequence !== undefined ? { sequence } : {}) };
}
