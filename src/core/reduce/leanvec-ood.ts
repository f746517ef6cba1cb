/**
 * LeanVec-OOD (Tepper et al., "LeanVec: Searching vectors faster by making them fit", 2023): a query map
 * a and a database map b (both d × D) learned from sample queries Q and database vectors X so that reduced
 * inner products match full ones where queries and data differ in distribution (text queries against
 * image embeddings, say):
 *
 *   minimise  f(a, b) = E_q,x (qᵀx − (aq)ᵀ(bx))²  =  tr(K_Q M K_X Mᵀ),   M = I − aᵀb,
 *   K_Q = E[qqᵀ], K_X = E[xxᵀ] (uncentred second moments: inner products, not distances, are the target),
 *   over the convex relaxation ‖a‖₂ ≤ 1, ‖b‖₂ ≤ 1 (spectral norm: the convex hull of maps with orthonormal
 *   rows), as the paper does.
 *
 * Two steps, both from the paper:
 * 1. Eigen-search: a = b = the top-d eigenvectors of (1 − β)·K_X/tr K_X + β·K_Q/tr K_Q, with β ∈ [0, 1]
 *    chosen to minimise f (a grid, then golden-section refinement). β = 0 is LeanVec-ID (the database's
 *    own second moment), so the result is never worse than LeanVec-ID on the training sets.
 * 2. Frank-Wolfe, alternating between a and b from the eigen-search's answer: the linear minimisation
 *    over the spectral-norm ball is −UVᵀ of the gradient's SVD (its polar factor), and since f is
 *    quadratic in each block the step length is the exact minimiser along the segment, so f never rises.
 *
 * Everything works on the D × D moments, never the samples again, and with d × D maps, so one iteration
 * costs about 4·d·D² multiply-adds (0.4 G at D = 768, d = 192).
 *
 * f expands to  c₀ − 2⟨b K_X, a K_Q⟩ + ⟨a K_Q aᵀ, b K_X bᵀ⟩  with c₀ = tr(K_Q K_X) = E(qᵀx)²;
 * ∇_a f = 2(G_b · a K_Q − b K_X K_Q),  ∇_b f = 2(G_a · b K_X − a K_Q K_X),  G_a = a K_Q aᵀ, G_b = b K_X bᵀ.
 */
import { frobeniusDot, multiply, multiplyTransposeB, orthonormalizeRows, polarFactor, type Rows, secondMoment, symmetricEigen, trace, transpose } from './linalg.js';
import type { LeanVecOodParts } from './fitted.js';
import type { ReduceMetric } from './reducer.js';

export const OOD_ITERATIONS_DEFAULT = 40;
/** Frank-Wolfe stops when an iteration lowers f by less than this fraction of f. */
const RELATIVE_TOLERANCE = 1e-4;

interface Problem {
  D: number;
  d: number;
  kq: Float64Array;
  kx: Float64Array;
  /** c₀ = tr(K_Q K_X) = E(qᵀx)². */
  c0: number;
}

/** f(a, b) from ua = a K_Q and ub = b K_X. */
function loss(p: Problem, a: Float64Array, b: Float64Array, ua: Float64Array, ub: Float64Array): number {
  const ga = multiplyTransposeB(ua, a, p.d, p.D, p.d);
  const gb = multiplyTransposeB(ub, b, p.d, p.D, p.d);
  return Math.max(0, p.c0 - 2 * frobeniusDot(ub, ua) + frobeniusDot(ga, gb));
}

interface Candidate {
  beta: number;
  map: Float64Array;
  loss: number;
}

function eigenCandidate(p: Problem, beta: number): Candidate {
  const { D, d, kq, kx } = p;
  const wx = (1 - beta) / (trace(kx, D) || 1);
  const wq = beta / (trace(kq, D) || 1);
  const m = new Float64Array(D * D);
  for (let i = 0; i < m.length; i++) m[i] = wx * kx[i] + wq * kq[i];
  const map = symmetricEigen(m, D).vectors.slice(0, d * D);
  return { beta, map, loss: loss(p, map, map, multiply(map, kq, d, D, D), multiply(map, kx, d, D, D)) };
}

/** β on a grid of five, then golden-section steps inside the best grid point's neighbourhood. */
function eigenSearch(p: Problem): Candidate {
  const tried = [0, 0.25, 0.5, 0.75, 1].map((beta) => eigenCandidate(p, beta));
  let best = tried.reduce((x, y) => (y.loss < x.loss ? y : x));
  let lo = Math.max(0, best.beta - 0.25);
  let hi = Math.min(1, best.beta + 0.25);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = eigenCandidate(p, hi - ratio * (hi - lo));
  let x2 = eigenCandidate(p, lo + ratio * (hi - lo));
  for (let step = 0; step < 4; step++) {
    if (x1.loss <= x2.loss) {
      hi = x2.beta;
      x2 = x1;
      x1 = eigenCandidate(p, hi - ratio * (hi - lo));
    } else {
      lo = x1.beta;
      x1 = x2;
      x2 = eigenCandidate(p, lo + ratio * (hi - lo));
    }
  }
  for (const c of [x1, x2]) if (c.loss < best.loss) best = c;
  return best;
}

/** The Frank-Wolfe vertex for gradient g (d × D): argmin over ‖s‖₂ ≤ 1 of ⟨g, s⟩ = −(polar factor of g). */
function vertex(g: Float64Array, d: number, D: number): Float64Array {
  const s = transpose(polarFactor(transpose(g, d, D), D, d), D, d);
  for (let i = 0; i < s.length; i++) s[i] = -s[i];
  return s;
}

/**
 * One exact-line-search Frank-Wolfe step on `x` (a or b) with the other block fixed: `kx` its moment
 * (K_Q for a), `ux` = x·kx (updated in place with x), `cross` = the other block's map times its moment
 * times kx (ub·K_Q for a), `gOther` = the other block's Gram (G_b for a).
 */
function step(p: Problem, x: Float64Array, ux: Float64Array, k: Float64Array, cross: Float64Array, gOther: Float64Array): void {
  const { D, d } = p;
  const grad = multiply(gOther, ux, d, d, D);
  for (let i = 0; i < grad.length; i++) grad[i] = 2 * (grad[i] - cross[i]);
  const s = vertex(grad, d, D);
  const delta = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) delta[i] = s[i] - x[i];
  const deltaK = multiply(s, k, d, D, D);
  for (let i = 0; i < deltaK.length; i++) deltaK[i] -= ux[i];
  const slope = frobeniusDot(grad, delta);
  const curvature = frobeniusDot(multiplyTransposeB(deltaK, delta, d, D, d), gOther);
  const gamma = curvature > 0 ? Math.min(1, Math.max(0, -slope / (2 * curvature))) : slope < 0 ? 1 : 0;
  if (gamma === 0) return;
  for (let i = 0; i < x.length; i++) {
    x[i] += gamma * delta[i];
    ux[i] += gamma * deltaK[i];
  }
}

export function fitLeanVecOod(sample: Rows, queries: Rows, d: number, metric: ReduceMetric, iterations = OOD_ITERATIONS_DEFAULT): Omit<LeanVecOodParts, 'renormalize'> {
  const D = sample.dimension;
  const kx = secondMoment(sample, null);
  const kq = secondMoment(queries, null);
  const p: Problem = { D, d, kq, kx, c0: frobeniusDot(kq, kx) };
  const start = eigenSearch(p);
  const a = start.map.slice();
  const b = start.map.slice();
  const ua = multiply(a, kq, d, D, D);
  const ub = multiply(b, kx, d, D, D);
  let f = start.loss;
  for (let t = 0; t < iterations && f > 0; t++) {
    step(p, a, ua, kq, multiply(ub, kq, d, D, D), multiplyTransposeB(ub, b, d, D, d));
    step(p, b, ub, kx, multiply(ua, kx, d, D, D), multiplyTransposeB(ua, a, d, D, d));
    const next = loss(p, a, b, ua, ub);
    const improved = f - next;
    f = Math.min(f, next);
    if (improved < RELATIVE_TOLERANCE * f) break;
  }
  // Energy of the sample inside the database map's span: tr(O K_X Oᵀ) / tr(K_X), O orthonormal rows.
  const { basis, rank } = orthonormalizeRows(b, d, D);
  const kept = frobeniusDot(multiply(basis, kx, rank, D, D), basis);
  const total = trace(kx, D);
  return {
    method: 'leanvec-ood',
    metric,
    inputDimension: D,
    dimension: d,
    fit: { sampleCount: sample.count, queryCount: queries.count, retained: total > 0 ? Math.min(1, kept / total) : Number.NaN },
    queryMap: Float32Array.from(a),
    databaseMap: Float32Array.from(b),
    relativeError: p.c0 > 0 ? f / p.c0 : 0,
  };
}
