/**
 * Whether a cosine reducer should return unit-length reduced vectors.
 *
 * Renormalising makes the reduced score the cosine of the kept parts instead of their inner product. It
 * ranks far better when the map keeps each vector's strongest directions and a neighbour close in them
 * is close in the dropped ones too — measured on GloVe-100 at d = 25, recall@10 after re-ranking 100
 * candidates went from 0.38 to 0.49 (PCA); on synth-768 at d = 24 from 0.75 to 0.99 — so PCA, LeanVec-ID,
 * FFT and Matryoshka always renormalise for cosine. LeanVec-OOD's maps may keep directions that carry
 * little of a database vector's length: on the planted out-of-distribution test set renormalising cut
 * recall after 50 candidates from 0.93 to 0.43, while on GloVe and synth-768's out-of-distribution
 * queries it helped as much as for PCA. So LeanVec-OOD tries both at fit: its training queries against a
 * pool of sample rows, counting how many of each query's exact 10 nearest neighbours are among the
 * reduced top 50, and keeps the better rule.
 *
 * Why not try both for every method: a pool of 10,000 sample rows is much sparser than the collection,
 * and the trial then prefers raw inner products where the whole collection prefers renormalised ones
 * (GloVe-100, PCA at d = 13: the trial counted 798 raw against 762 renormalised hits; on the 331k-word
 * collection renormalised vectors reached 0.456 recall@10 after 500 candidates, raw ones 0.329). The
 * planted set's difference is large enough to survive that bias.
 *
 * Cost: queries · pool · (D + 2d) multiply-adds for 200 queries and a 10,000-row pool, plus reducing
 * the pool (a few seconds at D = 768, d = 192).
 */
import { TopK } from '../lib/topk.js';
import type { Rows } from './linalg.js';
import type { Reducer } from './reducer.js';

const PROBES = 200;
const POOL = 10_000;
const K = 10;
const CANDIDATES = 50;

/** At most `max` rows spread evenly over `rows`, with the row index each came from. */
export function spreadRows(rows: Rows, max: number): { rows: Rows; from: Uint32Array } {
  const n = Math.min(rows.count, max);
  const D = rows.dimension;
  const data = new Float32Array(n * D);
  const from = new Uint32Array(n);
  for (let r = 0; r < n; r++) {
    from[r] = Math.floor((r * rows.count) / n);
    data.set(rows.data.subarray(from[r] * D, from[r] * D + D), r * D);
  }
  return { rows: { data, count: n, dimension: D }, from };
}

function dot(a: Float32Array, at: number, b: Float32Array, bt: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[at + i] * b[bt + i];
  return s;
}

function unitRows(rows: Float32Array, d: number): Float32Array {
  const out = rows.slice();
  for (let at = 0; at < out.length; at += d) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += out[at + i] * out[at + i];
    if (norm === 0) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < d; i++) out[at + i] *= scale;
  }
  return out;
}

/**
 * Hits of raw and renormalised reduced search for probe queries against a pool of sample rows; `raw` must
 * be fitted with renormalize false. Without `queries`, pool rows are the probes, each left out of its
 * own answers (kept for measurements: the fit uses it for LeanVec-OOD only, see above).
 */
export function renormalizationTrial(raw: Reducer, sample: Rows, queries: Rows | null): { raw: number; renormalized: number; probes: number } {
  const D = raw.inputDimension;
  const d = raw.dimension;
  const pool = spreadRows(sample, POOL).rows;
  // Probes from the pool are the pool rows at these positions, left out of their own answers.
  const probeSource = queries ?? pool;
  const probeRows = spreadRows(probeSource, PROBES);
  const self = queries === null ? probeRows.from : null;
  const reducedPool = raw.transformDatabase(pool.data);
  const unitPool = unitRows(reducedPool, d);
  const reducedProbes = raw.transformQuery(probeRows.rows.data);
  const hits = { raw: 0, renormalized: 0, probes: probeRows.rows.count };
  const candidates = Math.min(CANDIDATES, pool.count - 1);
  for (let p = 0; p < probeRows.rows.count; p++) {
    const skip = self === null ? -1 : self[p];
    const truth = new TopK(K);
    const byRaw = new TopK(candidates);
    const byUnit = new TopK(candidates);
    for (let x = 0; x < pool.count; x++) {
      if (x === skip) continue;
      truth.push(-dot(probeRows.rows.data, p * D, pool.data, x * D, D), x);
      byRaw.push(-dot(reducedProbes, p * d, reducedPool, x * d, d), x);
      byUnit.push(-dot(reducedProbes, p * d, unitPool, x * d, d), x);
    }
    const want = new Set(truth.drain().ids);
    for (const id of byRaw.drain().ids) if (want.has(id)) hits.raw++;
    for (const id of byUnit.drain().ids) if (want.has(id)) hits.renormalized++;
  }
  return hits;
}
