/**
 * Exact ground truth, computed once and cached: usearch's exactSearch (f32, all cores) proposes
 * GT_K + 16 candidates per query, which are re-scored in float64 and re-sorted; a few queries are
 * then checked against a float64 brute-force scan of the whole base.
 */
import os from 'node:os';
import path from 'node:path';
import { exactSearch, MetricKind } from 'usearch';
import { whole } from '../lib/arrays.js';
import { distance64, type Metric } from '../lib/distance.js';
import { readArray, writeArray } from './cache.js';
import type { GroundTruth } from './types.js';

export const GT_K = 100;
const EXTRA = 16;
const CHUNK = 16; // queries per exactSearch call: 16 keeps both cores busy (measured best for 2 threads)

export function loadOrComputeGroundTruth(
  dir: string,
  label: string,
  base: Float32Array,
  queries: Float32Array,
  dim: number,
  metric: Metric,
): GroundTruth {
  const idsFile = path.join(dir, `gt-${label}-${GT_K}.ids.i32`);
  const distFile = path.join(dir, `gt-${label}-${GT_K}.dist.f64`);
  const ids = readArray(idsFile, Int32Array);
  const distances = readArray(distFile, Float64Array);
  if (ids && distances) return { k: GT_K, ids, distances };

  const t0 = performance.now();
  const gt = computeGroundTruth(base, queries, dim, metric, GT_K);
  verifyGroundTruth(gt, base, queries, dim, metric, 3);
  writeArray(idsFile, gt.ids);
  writeArray(distFile, gt.distances);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`  ground truth ${label}: ${queries.length / dim} queries x top-${GT_K} in ${s} s (cached in ${dir})`);
  return gt;
}

export function computeGroundTruth(
  base: Float32Array,
  queries: Float32Array,
  dim: number,
  metric: Metric,
  k: number,
): GroundTruth {
  const n = base.length / dim;
  const nq = queries.length / dim;
  const cand = Math.min(n, k + EXTRA);
  const ids = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  const dist = distance64(metric);
  const threads = os.availableParallelism();
  const usearchMetric = metric === 'l2' ? MetricKind.L2sq : MetricKind.Cos;
  for (let q0 = 0; q0 < nq; q0 += CHUNK) {
    const q1 = Math.min(nq, q0 + CHUNK);
    const chunk = queries.slice(q0 * dim, q1 * dim); // a copy: usearch ignores a view's byteOffset
    const res = exactSearch(whole(base), chunk, dim, cand, usearchMetric, threads);
    const keys = res.keys; // row-major [query][rank] for a batch; one row for a single query
    for (let j = 0; j < q1 - q0; j++) {
      const q = q0 + j;
      const scored: Array<[number, number]> = [];
      for (let r = 0; r < cand; r++) {
        const id = Number(keys[j * cand + r]);
        scored.push([id, dist(queries, q * dim, base, id * dim, dim)]);
      }
      scored.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      for (let r = 0; r < k; r++) {
        ids[q * k + r] = scored[r][0];
        distances[q * k + r] = scored[r][1];
      }
    }
  }
  return { k, ids, distances };
}

/** Float64 brute force over the whole base for `samples` queries; throws when the cached top-k differs. */
export function verifyGroundTruth(
  gt: GroundTruth,
  base: Float32Array,
  queries: Float32Array,
  dim: number,
  metric: Metric,
  samples: number,
): void {
  const n = base.length / dim;
  const nq = queries.length / dim;
  const dist = distance64(metric);
  for (let s = 0; s < samples; s++) {
    const q = Math.floor((s * nq) / samples);
    const all = new Float64Array(n);
    for (let i = 0; i < n; i++) all[i] = dist(queries, q * dim, base, i * dim, dim);
    const sorted = Float64Array.from(all).sort();
    for (let r = 0; r < gt.k; r++) {
      const want = sorted[r];
      const got = gt.distances[q * gt.k + r];
      const id = gt.ids[q * gt.k + r];
      if (Math.abs(got - want) > 1e-9 * Math.max(1, Math.abs(want)) || all[id] !== got) {
        throw new Error(`ground truth check failed: query ${q} rank ${r}: cached ${got} (id ${id}), brute force ${want}`);
      }
    }
  }
}
