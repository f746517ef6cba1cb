/**
 * A 2-D principal-component projection: the layout's starting point and the baseline its neighbour
 * preservation is compared with. The axes come from randomized subspace iteration on the centred rows
 * (Halko, Martinsson & Tropp 2011) — a few passes over the data instead of a d x d covariance matrix,
 * so 768-d rows cost no more than a few matrix-vector products each — fitted on at most `fitRows` rows.
 */
import { assert } from '../lib/assert.js';
import { Prng } from '../lib/prng.js';
import type { Rows } from './rows.js';

export interface PcaOptions {
  seed: number;
  /** Rows the axes are fitted on (a seeded sample above it); default pcaFitRows(dimension). Every row is projected. */
  fitRows?: number;
  /** Subspace-iteration passes; 4 resolves the top two directions of real embeddings well. */
  iterations?: number;
}

export interface Pca {
  /** The mean the rows were centred on (dimension floats). */
  mean: Float64Array;
  /** Unit axes, first component first: components x dimension. */
  axes: Float64Array[];
  /** Variance along each axis over the fitted rows. */
  variances: number[];
}

/**
 * The fit reads fitRows x dimension floats (width + 1) times per pass; the default sample keeps that near
 * 1.5 million floats per basis vector, within [1,000, 5,000] rows: plenty to pin down the two largest
 * directions, and a 768-d fit stays under a second.
 */
export function pcaFitRows(dimension: number): number {
  return Math.max(1_000, Math.min(5_000, Math.round(1_500_000 / dimension)));
}
/** Extra directions iterated beside the two kept: they make the top two converge in a few passes. */
const OVERSAMPLING = 4;

/** The top `components` principal axes of `rows`. */
export function fitPca(rows: Rows, components: number, options: PcaOptions): Pca {
  const steps = fitPcaSteps(rows, components, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** fitPca as a generator that yields after each pass over the data (so a caller can pause). */
export function* fitPcaSteps(rows: Rows, components: number, options: PcaOptions): Generator<void, Pca> {
  const { count, dimension } = rows;
  assert(components >= 1 && components <= dimension, `fitPca: ${components} components of ${dimension}`);
  const rng = new Prng(options.seed);
  const fit = sampleIndices(count, options.fitRows ?? pcaFitRows(dimension), rng);
  const mean = new Float64Array(dimension);
  for (const i of fit) {
    const at = rows.offset + i * rows.stride;
    for (let c = 0; c < dimension; c++) mean[c] += rows.data[at + c];
  }
  for (let c = 0; c < dimension; c++) mean[c] /= Math.max(1, fit.length);

  const width = Math.min(dimension, components + OVERSAMPLING);
  let basis: Float64Array[] = Array.from({ length: width }, () => Float64Array.from({ length: dimension }, () => gaussian(rng)));
  orthonormalise(basis);
  const scores = Array.from({ length: width }, () => new Float64Array(fit.length));
  for (let pass = 0; pass < (options.iterations ?? 4); pass++) {
    project(rows, fit, mean, basis, scores);
    yield;
    basis = backProject(rows, fit, mean, scores, dimension);
    orthonormalise(basis);
    yield;
  }
  // Within the converged subspace, the principal axes are the eigenvectors of the scores' covariance.
  project(rows, fit, mean, basis, scores);
  const covariance = Array.from({ length: width }, (_, a) => Array.from({ length: width }, (_, b) => dot(scores[a], scores[b]) / Math.max(1, fit.length)));
  const { values, vectors } = jacobiEigen(covariance);
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  for (const e of order.slice(0, components)) {
    const axis = new Float64Array(dimension);
    for (let b = 0; b < width; b++) {
      const weight = vectors[b][e];
      for (let c = 0; c < dimension; c++) axis[c] += weight * basis[b][c];
    }
    normalise(axis);
    // a deterministic sign: the largest coordinate of each axis is positive
    let largest = 0;
    for (let c = 1; c < dimension; c++) if (Math.abs(axis[c]) > Math.abs(axis[largest])) largest = c;
    if (axis[largest] < 0) for (let c = 0; c < dimension; c++) axis[c] = -axis[c];
    axes.push(axis);
    variances.push(Math.max(0, values[e]));
  }
  return { mean, axes, variances };
}

/**
 * Rows' coordinates on the axes, count x components, interleaved (x0, y0, x1, y1, ...): every row, or
 * rows [from, to) into `out`.
 */
export function projectPca(rows: Rows, pca: Pca, out = new Float32Array(rows.count * pca.axes.length), from = 0, to = rows.count): Float32Array {
  const components = pca.axes.length;
  const centredAxisOffset = pca.axes.map((axis) => dot(axis, pca.mean));
  const { data, dimension, offset, stride } = rows;
  for (let i = from; i < to; i++) {
    const at = offset + i * stride;
    for (let a = 0; a < components; a++) {
      const axis = pca.axes[a];
      let sum = 0;
      for (let c = 0; c < dimension; c++) sum += data[at + c] * axis[c];
      out[i * components + a] = sum - centredAxisOffset[a];
    }
  }
  return out;
}

/** scores[b][r] = (row fit[r] - mean) . basis[b] */
function project(rows: Rows, fit: Uint32Array, mean: Float64Array, basis: Float64Array[], scores: Float64Array[]): void {
  const offsets = basis.map((v) => dot(v, mean));
  const { data, dimension, offset, stride } = rows;
  for (let r = 0; r < fit.length; r++) {
    const at = offset + fit[r] * stride;
    for (let b = 0; b < basis.length; b++) {
      const v = basis[b];
      let sum = 0;
      for (let c = 0; c < dimension; c++) sum += data[at + c] * v[c];
      scores[b][r] = sum - offsets[b];
    }
  }
}

/** out[b] = sum over fitted rows of scores[b][r] * (row - mean) */
function backProject(rows: Rows, fit: Uint32Array, mean: Float64Array, scores: Float64Array[], dimension: number): Float64Array[] {
  const out = scores.map(() => new Float64Array(dimension));
  const { data, offset, stride } = rows;
  for (let r = 0; r < fit.length; r++) {
    const at = offset + fit[r] * stride;
    for (let b = 0; b < scores.length; b++) {
      const s = scores[b][r];
      const v = out[b];
      for (let c = 0; c < dimension; c++) v[c] += s * data[at + c];
    }
  }
  for (let b = 0; b < scores.length; b++) {
    let total = 0;
    for (const s of scores[b]) total += s;
    for (let c = 0; c < dimension; c++) out[b][c] -= total * mean[c];
  }
  return out;
}

/** Modified Gram-Schmidt; a vector that collapses (rank-deficient data) is replaced by zeros. */
function orthonormalise(vectors: Float64Array[]): void {
  for (let i = 0; i < vectors.length; i++) {
    for (let j = 0; j < i; j++) {
      const projection = dot(vectors[i], vectors[j]);
      for (let c = 0; c < vectors[i].length; c++) vectors[i][c] -= projection * vectors[j][c];
    }
    normalise(vectors[i]);
  }
}

function normalise(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v));
  if (norm < 1e-12) v.fill(0);
  else for (let c = 0; c < v.length; c++) v[c] /= norm;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < a.length; c++) sum += a[c] * b[c];
  return sum;
}

/** Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations; vectors[i][e] is eigenvector e. */
export function jacobiEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vectors: v };
}

/** `size` distinct indices of [0, count) in ascending order (all of them when size >= count): Knuth's selection sampling. */
export function sampleIndices(count: number, size: number, rng: Prng): Uint32Array {
  if (size >= count) return Uint32Array.from({ length: count }, (_, i) => i);
  const out = new Uint32Array(size);
  let chosen = 0;
  for (let i = 0; i < count && chosen < size; i++) {
    if (rng.next() * (count - i) < size - chosen) out[chosen++] = i;
  }
  return out;
}

export function gaussian(rng: Prng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
