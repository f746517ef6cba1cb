/**
 * A dataset cut down for a run: the first `base` rows of the base, and `queries` queries of each query
 * set spread evenly over it (lib/measure.ts spreadIds), re-indexed 0..m-1. With the whole base the ground
 * truth rows are picked from the dataset's; with a prefix of the base the exact ground truth of the
 * prefix is computed once and cached (bench/data/NAME-subset-HASH/). Deterministic: the build and search
 * processes cut the same subset.
 */
import { spreadIds } from '../lib/measure.js';
import { cacheDir } from './cache.js';
import { datasetSpec } from './index.js';
import { loadOrComputeGroundTruth } from './ground-truth.js';
import type { Dataset, GroundTruth, QuerySet } from './types.js';

export interface SubsetOptions {
  /** base rows (a prefix); undefined or >= count = all */
  base?: number;
  /** queries per query set; undefined or >= count = all */
  queries?: number;
  /** query sets to keep (by name); undefined = all */
  querySets?: string[];
  /** warm-up queries per set: the ones after `warmup` evenly spread ids (distinct from the timed ones when the set allows) */
  warmup?: number;
}

export function subsetDataset(ds: Dataset, opts: SubsetOptions): Dataset {
  const dim = ds.dimension;
  const count = Math.min(ds.count, opts.base ?? ds.count);
  const base = count === ds.count ? ds.base : ds.base.slice(0, count * dim); // a copy: usearch ignores byteOffset
  const sets = ds.querySets.filter((qs) => !opts.querySets || opts.querySets.includes(qs.name));
  if (opts.querySets) {
    const missing = opts.querySets.filter((n) => !ds.querySets.some((qs) => qs.name === n));
    if (missing.length) throw new Error(`${ds.name} has no query set ${missing.join(', ')} (it has ${ds.querySets.map((q) => q.name).join(', ')})`);
  }
  const querySets: QuerySet[] = sets.map((qs) => {
    const ids = spreadIds(qs.count, opts.queries ?? qs.count);
    const vectors = new Float32Array(ids.length * dim);
    ids.forEach((q, j) => vectors.set(qs.vectors.subarray(q * dim, (q + 1) * dim), j * dim));
    let gt: GroundTruth;
    if (count === ds.count) {
      gt = pickRows(qs.gt, ids);
    } else {
      const dir = cacheDir(`${ds.name}-subset`, { dataset: ds.name, description: ds.description, base: count });
      gt = loadOrComputeGroundTruth(dir, `${qs.name}-${ids.length}of${qs.count}`, base, vectors, dim, ds.metric);
    }
    const warmIds = spreadIds(qs.count, opts.warmup ?? 0).map((q) => (q + 1) % qs.count);
    const warmup = new Float32Array(warmIds.length * dim);
    warmIds.forEach((q, j) => warmup.set(qs.vectors.subarray(q * dim, (q + 1) * dim), j * dim));
    return { name: qs.name, vectors, count: ids.length, gt, warmup };
  });
  const cut = count < ds.count ? `first ${count} of ` : '';
  const used = querySets.map((qs) => `${qs.count} ${qs.name}`).join(' + ');
  return { ...ds, description: `${cut}${ds.description}; queries used: ${used}`, base, count, querySets };
}

function pickRows(gt: GroundTruth, ids: number[]): GroundTruth {
  const k = gt.k;
  const out: GroundTruth = { k, ids: new Int32Array(ids.length * k), distances: new Float64Array(ids.length * k) };
  ids.forEach((q, j) => {
    out.ids.set(gt.ids.subarray(q * k, (q + 1) * k), j * k);
    out.distances.set(gt.distances.subarray(q * k, (q + 1) * k), j * k);
  });
  return out;
}

/** A dataset by name, cut: what the parent and its child processes load. */
export interface DatasetRef extends SubsetOptions {
  name: string;
}

export async function loadRef(ref: DatasetRef): Promise<Dataset> {
  return subsetDataset(await datasetSpec(ref.name).load(), ref);
}
