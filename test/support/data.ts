/** Seeded test data and the float64 brute-force reference every index is measured against. */
import { Prng } from '../../src/core/lib/prng.js';

export type Metric = 'cosine' | 'dot' | 'l2';

export function gaussian(rng: Prng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Vectors drawn around `clusters` random centres (low intrinsic dimension, like real embeddings). */
export function clusteredVectors(count: number, dimension: number, seed: number, clusters = 16, spread = 0.3): Float32Array[] {
  const rng = new Prng(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dimension }, () => gaussian(rng)));
  return Array.from({ length: count }, () => {
    const centre = centres[rng.int(clusters)];
    return Float32Array.from(centre, (c) => c + spread * gaussian(rng));
  });
}

export function randomVector(dimension: number, rng: Prng): Float32Array {
  return Float32Array.from({ length: dimension }, () => gaussian(rng));
}

function normalised(v: ArrayLike<number>): number[] {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  const s = 1 / Math.sqrt(norm);
  return Array.from(v, (x) => x * s);
}

/** The API's distance (lower is better) in float64: squared L2, -dot, or 1 - cosine. */
export function distance64(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (metric === 'l2') {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    return s;
  }
  const x = metric === 'cosine' ? normalised(a) : Array.from(a);
  const y = metric === 'cosine' ? normalised(b) : Array.from(b);
  let dot = 0;
  for (let i = 0; i < x.length; i++) dot += x[i] * y[i];
  return metric === 'cosine' ? 1 - dot : -dot;
}

/** Exact k nearest (key, distance) pairs by float64 arithmetic. */
export function bruteForce(records: Map<string, ArrayLike<number>>, query: ArrayLike<number>, metric: Metric, k: number): { key: string; distance: number }[] {
  return [...records.entries()]
    .map(([key, v]) => ({ key, distance: distance64(metric, query, v) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

/** Tolerance for comparing a float32 pipeline's distance with the float64 reference. */
export function tolerance(metric: Metric, query: ArrayLike<number>, scale: number): number {
  let norm = 0;
  for (let i = 0; i < query.length; i++) norm += query[i] * query[i];
  const magnitude = metric === 'cosine' ? 1 : Math.max(norm, scale, 1);
  return 1e-5 * magnitude * Math.sqrt(query.length) + 1e-6;
}

/**
 * recall@k as ann-benchmarks counts it: a returned key counts when its true distance is within the
 * k-th true distance (ties count).
 */
export function recallAtK(returned: string[], truth: { key: string; distance: number }[], trueDistanceOf: (key: string) => number, k: number, eps = 1e-6): number {
  if (truth.length === 0) return 1;
  const threshold = truth[Math.min(k, truth.length) - 1].distance;
  let hits = 0;
  for (const key of returned.slice(0, k)) if (trueDistanceOf(key) <= threshold + eps) hits++;
  return hits / Math.min(k, truth.length);
}

/**
 * Vectors on a noisy low-dimensional subspace, in clusters: x = A z + noise, z drawn around one of
 * `clusters` centres in R^intrinsic, A a random dimension × intrinsic map. Real embeddings have this
 * shape (a few dozen effective dimensions spread over hundreds), which is what quantizers are tuned for.
 */
export function lowRankVectors(count: number, dimension: number, seed: number, intrinsic = 16, clusters = 32, noise = 0.05): Float32Array[] {
  const rng = new Prng(seed);
  const basis = Float32Array.from({ length: dimension * intrinsic }, () => gaussian(rng) / Math.sqrt(intrinsic));
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: intrinsic }, () => gaussian(rng)));
  return Array.from({ length: count }, () => {
    const centre = centres[rng.int(clusters)];
    const z = Float64Array.from(centre, (c) => c + 0.5 * gaussian(rng));
    const x = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) {
      let sum = 0;
      for (let k = 0; k < intrinsic; k++) sum += basis[i * intrinsic + k] * z[k];
      x[i] = sum + noise * gaussian(rng);
    }
    return x;
  });
}

/**
 * `clusters` curved 2-D manifolds (swiss-roll patches) in `dimension`-d, each through its own random
 * 3-D subspace around its own centre, plus a little isotropic noise: data whose local neighbourhoods a
 * linear projection (PCA) folds onto each other, while a neighbour-graph layout can unroll them.
 */
export function curvedClusters(count: number, dimension: number, clusters: number, seed: number): { vectors: Float32Array[]; labels: number[] } {
  const rng = new Prng(seed);
  const bases = Array.from({ length: clusters }, () => Array.from({ length: 3 }, () => unit(randomVector(dimension, rng))));
  const centres = Array.from({ length: clusters }, () => Float32Array.from(randomVector(dimension, rng), (x) => x * 4));
  const labels: number[] = [];
  const vectors = Array.from({ length: count }, () => {
    const c = rng.int(clusters);
    labels.push(c);
    const t = 1.5 * Math.PI * (1 + 2 * rng.next());
    const height = 6 * rng.next();
    const roll = [(t * Math.cos(t)) / 6, height / 6, (t * Math.sin(t)) / 6];
    const v = Float32Array.from(centres[c], (x) => x + 0.02 * gaussian(rng));
    for (let a = 0; a < 3; a++) for (let i = 0; i < dimension; i++) v[i] += roll[a] * bases[c][a][i];
    return v;
  });
  return { vectors, labels };
}

function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  return Float32Array.from(v, (x) => x / Math.sqrt(norm));
}

