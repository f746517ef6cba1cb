import { distance64 } from './distance.js';
import type { Dataset, QuerySet } from '../datasets/types.js';
import type { System } from '../systems/types.js';

export interface Timing {
  queries: number;
  cpuSeconds: number;
  wallSeconds: number;
}

/** Runs the queries one at a time; returns CPU and wall time of this process and the ids (row-major). */
export async function timeQueries(sys: System, qs: QuerySet, queryIds: number[], dim: number, k: number) {
  const ids = new Int32Array(queryIds.length * k).fill(-1);
  const vectors = queryIds.map((q) => qs.vectors.subarray(q * dim, (q + 1) * dim));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let j = 0; j < vectors.length; j++) {
    const res = await sys.query(vectors[j], k);
    for (let r = 0; r < Math.min(k, res.length); r++) ids[j * k + r] = res[r];
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const timing: Timing = { queries: vectors.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds };
  return { timing, ids };
}

/**
 * Recall@k as ann-benchmarks counts it: a returned id counts when its true (float64) distance is within
 * the k-th true distance (ties count); duplicates count once. Returns the mean over queries.
 */
export function recallAtK(ds: Dataset, qs: QuerySet, queryIds: number[], ids: Int32Array, k: number): number {
  const dim = ds.dimension;
  const dist = distance64(ds.metric);
  let total = 0;
  for (let j = 0; j < queryIds.length; j++) {
    const q = queryIds[j];
    const kth = qs.gt.distances[q * qs.gt.k + k - 1];
    const threshold = kth + 1e-7 * Math.max(Math.abs(kth), 1e-3);
    const seen = new Set<number>();
    for (let r = 0; r < k; r++) {
      const id = ids[j * k + r];
      if (id < 0 || id >= ds.count || seen.has(id)) continue;
      seen.add(id);
      if (dist(qs.vectors, q * dim, ds.base, id * dim, dim) <= threshold) total++;
    }
  }
  return total / (queryIds.length * k);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `n` query ids spread evenly over a set of `count` (deterministic, no randomness). */
export function spreadIds(count: number, n: number): number[] {
  n = Math.min(n, count);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}
