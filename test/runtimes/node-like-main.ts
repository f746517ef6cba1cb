/**
 * The conformance suite as a program for Bun and Deno (and Node): runs it in memory and on a fresh
 * directory through the runtime's entry point and prints one JSON line of reports for the host test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Api from '../../src/api.js';
import { bruteForce, clusteredVectors, recallAtK } from '../support/data.js';
import { type ConformanceReport, runConformance } from './conformance.js';

export interface ParallelBuild {
  threads: number;
  /** Jobs the build handed to worker threads: more than 0 when it really ran in parallel. */
  jobs: number;
  recall: number;
}

/** An HNSW build large enough for the build pool (4096+ pending rows) with two threads, against brute force. */
async function parallelBuild(api: typeof Api): Promise<ParallelBuild> {
  const db = await api.Quiver.open({ buildThreads: 2 });
  try {
    const vectors = clusteredVectors(5000, 16, 31, 8);
    const col = await db.createCollection('p', { dimension: 16, metric: 'l2', index: 'HNSW16' });
    await col.upsert(vectors.map((vector, i) => ({ key: `k${i}`, vector })));
    await db.idle();
    const reference = new Map(vectors.map((v, i) => [`k${i}`, v]));
    let recall = 0;
    const queries = clusteredVectors(20, 16, 32, 8);
    for (const q of queries) {
      const hits = (await col.query({ vector: q, k: 10 })).map((h) => h.key);
      recall += recallAtK(hits, bruteForce(reference, q, 'l2', 10), (key) => bruteForce(new Map([[key, reference.get(key)!]]), q, 'l2', 1)[0].distance, 10) / queries.length;
    }
    const internals = db as unknown as { buildThreads: number; buildPool: { jobsSent: number } | null };
    return { threads: internals.buildThreads, jobs: internals.buildPool?.jobsSent ?? 0, recall };
  } finally {
    await db.close();
  }
}

export async function main(api: typeof Api, runtime: string): Promise<{ reports: ConformanceReport[]; parallel: ParallelBuild }> {
  const dir = mkdtempSync(join(tmpdir(), `quiver-${runtime}-`));
  try {
    const memory = await runConformance(runtime, { api }, () => performance.now());
    const disk = await runConformance(runtime, { api, open: () => api.Quiver.open({ path: dir, durability: 'sync' }) }, () => performance.now());
    return { reports: [memory, disk], parallel: await parallelBuild(api) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const REPORT_PREFIX = 'QUIVER-CONFORMANCE ';
