/**
 * The filtered suite's data: synth-768 with two integer attributes per record, and the exact filtered
 * ground truth of the timed queries at each selectivity (cached under bench/data/).
 *
 * - `u` (uncorrelated): uniform in [0, 1000), from a seeded PRNG, independent of the vector;
 * - `c` (correlated): the record's permille rank along a fixed random direction of the space, so the
 *   records passing `c < s * 1000` fill one side of a hyperplane: a selective filter keeps a region that
 *   most queries lie outside of (the hard case for graph traversal).
 * A selectivity s is the filter { attr: { $lt: s * 1000 } }: exactly s of the records pass.
 */
import path from 'node:path';
import { cacheDir, readArray, writeArray } from '../datasets/cache.js';
import { datasetSpec } from '../datasets/index.js';
import type { Dataset } from '../datasets/types.js';
import { cosineDistance64 } from '../lib/distance.js';
import { Rng } from '../lib/rng.js';

export const FILTERED_DATASET = 'synth-768';
export const ATTRIBUTES = ['u', 'c'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];
export const ATTRIBUTE_NAMES: Record<Attribute, string> = { u: 'uncorrelated', c: 'correlated' };
export const SELECTIVITIES = [0.001, 0.01, 0.1, 0.25, 0.5, 1];
const SEED = 5150;
const GT_K = 10;

export interface FilteredData {
  ds: Dataset;
  attrs: Record<Attribute, Int32Array>;
  /** The timed queries (the first `queries` in-distribution queries of the dataset). */
  queries: Float32Array;
  queryCount: number;
  /** ground truth per attribute and selectivity: ids and float64 distances, [query][rank], -1 padded */
  gt: Map<string, { ids: Int32Array; distances: Float64Array }>;
}

export const gtKey = (attr: Attribute, selectivity: number) => `${attr}@${selectivity}`;

export function threshold(selectivity: number): number {
  return Math.round(selectivity * 1000);
}

export async function loadFilteredData(queryCount: number, withGroundTruth = true): Promise<FilteredData> {
  const ds = await datasetSpec(FILTERED_DATASET).load();
  const dir = cacheDir(`${FILTERED_DATASET}-filtered`, { seed: SEED, version: 1, queries: queryCount, selectivities: SELECTIVITIES });
  const attrs = { u: attribute(dir, 'u', () => uncorrelated(ds.count)), c: attribute(dir, 'c', () => correlated(ds)) };
  const qs = ds.querySets[0];
  const n = Math.min(queryCount, qs.count);
  const queries = qs.vectors.subarray(0, n * ds.dimension);
  const gt = new Map<string, { ids: Int32Array; distances: Float64Array }>();
  if (withGroundTruth) {
    for (const attr of ATTRIBUTES) {
      for (const s of SELECTIVITIES) {
        const file = path.join(dir, `gt-${attr}-${s}`);
        let ids = readArray(`${file}.ids.i32`, Int32Array);
        let distances = readArray(`${file}.dist.f64`, Float64Array);
        if (!ids || !distances) {
          const t0 = performance.now();
          ({ ids, distances } = filteredTruth(ds, attrs[attr], threshold(s), queries, n));
          writeArray(`${file}.ids.i32`, ids);
          writeArray(`${file}.dist.f64`, distances);
          console.log(`  filtered ground truth ${ATTRIBUTE_NAMES[attr]} ${s * 100}%: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
        }
        gt.set(gtKey(attr, s), { ids, distances });
      }
    }
  }
  return { ds, attrs, queries, queryCount: n, gt };
}

function attribute(dir: string, name: string, make: () => Int32Array): Int32Array {
  const file = path.join(dir, `attr-${name}.i32`);
  const cached = readArray(file, Int32Array);
  if (cached) return cached;
  const values = make();
  writeArray(file, values);
  return values;
}

function uncorrelated(count: number): Int32Array {
  const rng = new Rng(SEED);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.int(1000);
  return out;
}

function correlated(ds: Dataset): Int32Array {
  const rng = new Rng(SEED + 1);
  const direction = new Float64Array(ds.dimension);
  rng.fillNormal(direction);
  const projection = new Float64Array(ds.count);
  for (let i = 0; i < ds.count; i++) {
    let dot = 0;
    for (let d = 0; d < ds.dimension; d++) dot += ds.base[i * ds.dimension + d] * direction[d];
    projection[i] = dot;
  }
  const order = Array.from({ length: ds.count }, (_, i) => i).sort((a, b) => projection[a] - projection[b] || a - b);
  const out = new Int32Array(ds.count);
  order.forEach((i, rank) => (out[i] = Math.floor((rank * 1000) / ds.count)));
  return out;
}

/** Exact top-GT_K among the records whose attribute is below `below`, in float64. */
function filteredTruth(ds: Dataset, attr: Int32Array, below: number, queries: Float32Array, n: number) {
  const dim = ds.dimension;
  const passing: number[] = [];
  for (let i = 0; i < ds.count; i++) if (attr[i] < below) passing.push(i);
  const ids = new Int32Array(n * GT_K).fill(-1);
  const distances = new Float64Array(n * GT_K).fill(Infinity);
  for (let q = 0; q < n; q++) {
    const best: { id: number; d: number }[] = [];
    for (const id of passing) {
      const d = cosineDistance64(queries, q * dim, ds.base, id * dim, dim);
      if (best.length < GT_K || d < best[best.length - 1].d) {
        best.push({ id, d });
        best.sort((a, b) => a.d - b.d || a.id - b.id);
        if (best.length > GT_K) best.pop();
      }
    }
    best.forEach((b, r) => {
      ids[q * GT_K + r] = b.id;
      distances[q * GT_K + r] = b.d;
    });
  }
  return { ids, distances };
}

/** Recall@10 as ann-benchmarks counts it, against the filtered truth (fewer than 10 passing: of those). */
export function filteredRecall(data: FilteredData, attr: Attribute, selectivity: number, returned: Int32Array, k: number): number {
  const { ds, queries, queryCount } = data;
  const truth = data.gt.get(gtKey(attr, selectivity))!;
  const values = data.attrs[attr];
  const below = threshold(selectivity);
  const dim = ds.dimension;
  let total = 0;
  let possible = 0;
  for (let q = 0; q < queryCount; q++) {
    let available = 0;
    while (available < k && truth.ids[q * GT_K + available] >= 0) available++;
    if (available === 0) continue;
    const kth = truth.distances[q * GT_K + available - 1];
    const limit = kth + 1e-7 * Math.max(Math.abs(kth), 1e-3);
    const seen = new Set<number>();
    for (let r = 0; r < k; r++) {
      const id = returned[q * k + r];
      if (id < 0 || seen.has(id) || values[id] >= below) continue; // a record failing the filter never counts
      seen.add(id);
      if (cosineDistance64(queries, q * dim, ds.base, id * dim, dim) <= limit) total++;
    }
    possible += available;
  }
  return possible === 0 ? 1 : total / possible;
}
