/**
 * Quiver through its embedded API, exactly as docs api.md gives it. The module is imported lazily so the
 * harness still runs the peers while src/ is being written; the types below are the api.md contract.
 */
import type { Dataset, Metric } from '../datasets/types.js';
import type { System, SystemFactory } from './types.js';

export interface QuiverHit {
  key: string;
  score: number;
  distance?: number;
}
export interface QuiverQuery {
  vector: Float32Array | number[];
  k: number;
  search?: { ef: number };
}
export interface QuiverCollection {
  upsert(records: Array<{ key: string; vector: Float32Array | number[] }>): Promise<{ count: number }>;
  query(req: QuiverQuery): Promise<QuiverHit[]>;
  count(): Promise<number>;
  stats(): Promise<
    Record<string, unknown> & { count: number; index: string; kernel?: string; unindexed?: number; bytesPerVector?: Record<string, number> & { total: number } }
  >;
  explain?(req: QuiverQuery): Promise<{ plan: Record<string, unknown> & { strategy: string }; hits: QuiverHit[] }>;
  /** trains a compressed collection now; trainQueries: LeanVec-OOD's sample queries */
  optimize?(options?: { trainQueries?: Float32Array[] }): Promise<void>;
}
export interface QuiverDb {
  createCollection(name: string, config: { dimension: number; metric: Metric; index: string }): Promise<QuiverCollection>;
  collection(name: string): QuiverCollection;
  /** resolves when background work (checkpoints, compaction, graph indexing) is done; may be missing */
  idle?(): Promise<void>;
  /** writes the segments now (compressed collections then keep only their codes and re-rank data in memory) */
  checkpoint?(): Promise<void>;
  close(): Promise<void>;
}
export interface QuiverStatic {
  open(options?: { path?: string; durability?: 'sync' | 'batched' | 'none' }): Promise<QuiverDb>;
}

const ENTRY = '../../src/index.js'; // resolved by tsx to src/index.ts

export async function loadQuiver(): Promise<QuiverStatic> {
  let mod: { Quiver?: QuiverStatic };
  try {
    mod = (await import(ENTRY)) as { Quiver?: QuiverStatic };
  } catch (err) {
    throw new Error(`cannot import Quiver from src/index.ts: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!mod.Quiver) throw new Error('src/index.ts does not export Quiver yet');
  return mod.Quiver;
}

export const UPSERT_BATCH = 1000;

/** Upserts rows [0, count) of the base as keys '0', '1', ... in batches of UPSERT_BATCH. */
export async function upsertAll(col: QuiverCollection, ds: Dataset, count = ds.count): Promise<void> {
  for (const batch of recordBatches(ds, count)) await col.upsert(batch);
}

export function recordBatches(ds: Dataset, count = ds.count) {
  const dim = ds.dimension;
  const batches: Array<Array<{ key: string; vector: Float32Array }>> = [];
  for (let start = 0; start < count; start += UPSERT_BATCH) {
    const end = Math.min(count, start + UPSERT_BATCH);
    const batch = [];
    for (let i = start; i < end; i++) batch.push({ key: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim) });
    batches.push(batch);
  }
  return batches;
}

/** An in-memory collection with the given index recipe ('Flat' for the exact suite). */
class QuiverSystem implements System {
  private db?: QuiverDb;
  private col?: QuiverCollection;
  private searchParams?: { ef: number };

  constructor(
    readonly name: string,
    private readonly Quiver: QuiverStatic,
    private readonly recipe: string,
  ) {}

  async build(ds: Dataset): Promise<void> {
    this.db = await this.Quiver.open();
    this.col = await this.db.createCollection('bench', { dimension: ds.dimension, metric: ds.metric, index: this.recipe });
    await upsertAll(this.col, ds);
  }

  async query(q: Float32Array, k: number): Promise<number[]> {
    const hits = await this.col!.query(this.searchParams ? { vector: q, k, search: this.searchParams } : { vector: q, k });
    return hits.map((h) => Number(h.key));
  }

  setQueryParams(params: Record<string, number>): void {
    this.searchParams = { ef: params.ef };
  }

  async info() {
    const stats = await this.col!.stats();
    return { index: stats.index, kernel: stats.kernel ?? '(not reported)', count: stats.count };
  }

  async close(): Promise<void> {
    await this.db?.close();
  }
}

export const quiverFlat: SystemFactory = {
  name: 'quiver-flat',
  create: async () => new QuiverSystem('quiver-flat', await loadQuiver(), 'Flat'),
};
