/**
 * The runtimes benchmark's workload, the same code on every runtime (no node:* here): one HNSW16
 * collection of seeded clustered vectors built from scratch (upserts, then db.idle() until the graph is
 * complete), then single-client queries at ef 64, with recall@10 against float64 brute force on a subset.
 */
import type * as Api from '../../src/api.js';
import { Prng } from '../../src/core/lib/prng.js';

export interface WorkloadOptions {
  rows: number;
  dimension: number;
  queries: number;
  buildThreads: number;
}

export interface WorkloadResult {
  runtime: string;
  kernels: string;
  buildThreads: number;
  rows: number;
  dimension: number;
  /** Upserts plus the background graph build, until db.idle() resolves. */
  buildMs: number;
  qps: number;
  recallAt10: number;
}

function clustered(count: number, dimension: number, seed: number): Float32Array[] {
  const rng = new Prng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const centres = Array.from({ length: 32 }, () => Float64Array.from({ length: dimension }, gaussian));
  return Array.from({ length: count }, () => {
    const centre = centres[rng.int(centres.length)];
    return Float32Array.from(centre, (c) => c + 0.35 * gaussian());
  });
}

function exactTop10(rows: Float32Array[], query: Float32Array): Set<number> {
  const best: { i: number; d: number }[] = [];
  for (let i = 0; i < rows.length; i++) {
    let d = 0;
    for (let j = 0; j < query.length; j++) {
      const t = rows[i][j] - query[j];
      d += t * t;
    }
    if (best.length < 10 || d < best[best.length - 1].d) {
      best.push({ i, d });
      best.sort((a, b) => a.d - b.d);
      if (best.length > 10) best.pop();
    }
  }
  return new Set(best.map((b) => b.i));
}

export async function runWorkload(api: Pick<typeof Api, 'Quiver'>, runtime: string, options: WorkloadOptions, now: () => number): Promise<WorkloadResult> {
  const rows = clustered(options.rows, options.dimension, 11);
  const queries = clustered(options.queries, options.dimension, 12);
  const db = await api.Quiver.open({ buildThreads: options.buildThreads });
  try {
    const col = await db.createCollection('bench', { dimension: options.dimension, metric: 'l2', index: 'HNSW16' });
    const started = now();
    for (let i = 0; i < rows.length; i += 1000) await col.upsert(rows.slice(i, i + 1000).map((vector, j) => ({ key: String(i + j), vector })));
    await db.idle();
    const buildMs = now() - started;
    for (const q of queries.slice(0, 50)) await col.query({ vector: q, k: 10, search: { ef: 64 } }); // warm-up
    const results: string[][] = [];
    const queryStart = now();
    for (const q of queries) results.push((await col.query({ vector: q, k: 10, search: { ef: 64 } })).map((h) => h.key));
    const qps = queries.length / ((now() - queryStart) / 1000);
    const checked = Math.min(100, queries.length);
    let found = 0;
    for (let i = 0; i < checked; i++) {
      const truth = exactTop10(rows, queries[i]);
      found += results[i].filter((key) => truth.has(Number(key))).length;
    }
    const internals = db as unknown as { kernels: { name: string }; buildThreads: number };
    return { runtime, kernels: internals.kernels.name, buildThreads: internals.buildThreads, rows: options.rows, dimension: options.dimension, buildMs, qps, recallAt10: found / (checked * 10) };
  } finally {
    await db.close();
  }
}
