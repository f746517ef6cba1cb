/**
 * Seeded data for the reducer tests: embedding-like sets with planted low-dimensional structure, and the
 * float64 brute force plus reduced-search-with-re-rank that the recall assertions measure.
 */
import { Prng } from '../../src/core/lib/prng.js';
import { TopK } from '../../src/core/lib/topk.js';
import type { Reducer } from '../../src/core/reduce/index.js';

export type Metric = 'cosine' | 'dot' | 'l2';

export function gaussian(rng: Prng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A random D × D orthogonal matrix (row-major), by Gram-Schmidt on Gaussian rows. */
export function randomOrthogonal(D: number, rng: Prng): Float64Array {
  const q = new Float64Array(D * D);
  for (let r = 0; r < D; r++) {
    for (;;) {
      for (let i = 0; i < D; i++) q[r * D + i] = gaussian(rng);
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < r; j++) {
          let s = 0;
          for (let i = 0; i < D; i++) s += q[r * D + i] * q[j * D + i];
          for (let i = 0; i < D; i++) q[r * D + i] -= s * q[j * D + i];
        }
      }
      let norm = 0;
      for (let i = 0; i < D; i++) norm += q[r * D + i] ** 2;
      if (norm < 1e-8) continue;
      for (let i = 0; i < D; i++) q[r * D + i] /= Math.sqrt(norm);
      break;
    }
  }
  return q;
}

export interface EmbeddingSetOptions {
  count: number;
  dimension: number;
  /** Latent dimension of the planted structure. */
  latent: number;
  clusters: number;
  /** Isotropic noise standard deviation per coordinate, relative to the signal's per-coordinate scale. */
  noise: number;
  normalize: boolean;
  seed: number;
}

/**
 * Embedding-like rows: a mixture of Gaussian clusters in a `latent`-d space with a decaying spectrum (axis
 * i scaled by 1/√(1 + i/4)), a shared offset (vectors in a cone, as embeddings are), lifted to D by a
 * random orthogonal map, plus isotropic noise; optionally unit-normalised. Queries: more rows of the same
 * mixture (another stream).
 */
export function embeddingSet(o: EmbeddingSetOptions, queries: number): { base: Float32Array; queries: Float32Array } {
  const rng = new Prng(o.seed);
  const { dimension: D, latent: L } = o;
  const lift = randomOrthogonal(D, rng).subarray(0, L * D); // L orthonormal rows
  const scale = Float64Array.from({ length: L }, (_, i) => 1 / Math.sqrt(1 + i / 4));
  const shared = Float64Array.from({ length: L }, () => gaussian(rng) * 0.8);
  const centres = Float64Array.from({ length: o.clusters * L }, (_, k) => shared[k % L] + gaussian(rng));
  const spreads = Float64Array.from({ length: o.clusters }, () => 0.35 + 0.35 * rng.next());
  let signal = 0;
  for (let i = 0; i < L; i++) signal += scale[i] ** 2 * 2;
  const noiseStd = (o.noise * Math.sqrt(signal)) / Math.sqrt(D);
  const draw = (n: number, stream: Prng): Float32Array => {
    const out = new Float32Array(n * D);
    const z = new Float64Array(L);
    for (let v = 0; v < n; v++) {
      const c = stream.int(o.clusters);
      for (let i = 0; i < L; i++) z[i] = (centres[c * L + i] + spreads[c] * gaussian(stream)) * scale[i];
      let norm = 0;
      for (let k = 0; k < D; k++) {
        let s = noiseStd * gaussian(stream);
        for (let i = 0; i < L; i++) s += lift[i * D + k] * z[i];
        out[v * D + k] = s;
        norm += s * s;
      }
      if (o.normalize) for (let k = 0; k < D; k++) out[v * D + k] /= Math.sqrt(norm);
    }
    return out;
  };
  return { base: draw(o.count, new Prng(o.seed * 31 + 1)), queries: draw(queries, new Prng(o.seed * 31 + 2)) };
}

/** Kernel-style distance, lower is better: squared l2, or negated inner product (cosine rows are unit). */
export function distance(metric: Metric | 'l2' | 'dot', a: Float32Array, at: number, b: Float32Array, bt: number, n: number): number {
  let s = 0;
  if (metric === 'l2') {
    for (let i = 0; i < n; i++) {
      const d = a[at + i] - b[bt + i];
      s += d * d;
    }
    return s;
  }
  for (let i = 0; i < n; i++) s += a[at + i] * b[bt + i];
  return -s;
}

/** The `k` smallest-distance ids of `scores`, best first (ties by id); `ids` renames positions. */
export function topIds(scores: Float64Array, k: number, ids?: Uint32Array): Uint32Array {
  const top = new TopK(Math.min(k, scores.length));
  for (let i = 0; i < scores.length; i++) if (scores[i] < top.worst) top.push(scores[i], i);
  return Uint32Array.from(top.drain().ids, (i) => (ids ? ids[i] : i));
}

/** Exact float64 top-k of every query over the base: [query][rank]. */
export function exactTopK(metric: Metric, base: Float32Array, queries: Float32Array, D: number, k: number): Uint32Array[] {
  const n = base.length / D;
  const scores = new Float64Array(n);
  return Array.from({ length: queries.length / D }, (_, q) => {
    for (let i = 0; i < n; i++) scores[i] = distance(metric, queries, q * D, base, i * D, D);
    return topIds(scores, k);
  });
}

/**
 * Reduced search with re-rank, for each candidate count: exact search over the reduced database
 * (reducer.searchMetric), then the top `candidates` re-scored on the full float32 vectors, top k kept.
 * Returns recall@k against `truth` for each candidate count.
 */
export function recallWithRerank(
  reducer: Reducer,
  metric: Metric,
  base: Float32Array,
  queries: Float32Array,
  truth: Uint32Array[],
  k: number,
  candidateCounts: number[],
): number[] {
  const D = reducer.inputDimension;
  const d = reducer.dimension;
  const n = base.length / D;
  const reducedBase = reducer.transformDatabase(base);
  const reducedQueries = reducer.transformQuery(queries);
  const hits = candidateCounts.map(() => 0);
  const scores = new Float64Array(n);
  const maxCandidates = Math.max(...candidateCounts);
  for (let q = 0; q < truth.length; q++) {
    for (let i = 0; i < n; i++) scores[i] = distance(reducer.searchMetric, reducedQueries, q * d, reducedBase, i * d, d);
    const candidates = topIds(scores, maxCandidates);
    const want = new Set(truth[q]);
    candidateCounts.forEach((c, j) => {
      const ids = candidates.subarray(0, c);
      const full = Float64Array.from(ids, (id) => distance(metric, queries, q * D, base, id * D, D));
      for (const id of topIds(full, k, ids)) if (want.has(id)) hits[j]++;
    });
  }
  return hits.map((h) => h / (truth.length * k));
}
