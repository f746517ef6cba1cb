/**
 * Fitted parameters (what the codec stores) and the Reducer built from them. Every method is a linear map
 * given by a d × D float32 matrix (Matryoshka's is a prefix selection, applied without the matrix), so
 * one implementation serves all: the parameters are rounded to float32 once, at fit, and a reducer fitted
 * in memory transforms exactly as one decoded from its bytes.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import { orthonormalizeRows, type Rows } from './linalg.js';
import { project } from './project.js';
import { type FitReport, type ReduceMetric, type Reducer, SEARCH_METRIC, outputFor, vectorCount } from './reducer.js';
import { encodeReducer } from './codec.js';
import { realDftBasis } from './fft.js';

interface Common {
  metric: ReduceMetric;
  inputDimension: number;
  dimension: number;
  fit: FitReport;
  /** Rescale reduced vectors to unit length (cosine only). */
  renormalize: boolean;
}

/** Principal components of the mean-centred sample. */
export interface PcaParts extends Common {
  method: 'pca';
  /** The sample mean (D): the centre `retained` measures variance about. */
  mean: Float32Array;
  /** d × D, orthonormal rows, by decreasing variance. */
  components: Float32Array;
  /** Variance of the sample along each component (d). */
  variances: Float64Array;
  /** Total variance of the sample (trace of its covariance). */
  totalVariance: number;
}

/** LeanVec-ID: eigenvectors of the uncentred second moment (the inner-product objective). */
export interface LeanVecParts extends Common {
  method: 'leanvec';
  /** d × D, orthonormal rows, by decreasing second moment. */
  components: Float32Array;
  /** Mean square of the sample along each component (d). */
  moments: Float64Array;
  /** Mean squared norm of the sample (trace of its second moment). */
  totalMoment: number;
}

/** LeanVec-OOD: a query map and a database map (d × D each). */
export interface LeanVecOodParts extends Common {
  method: 'leanvec-ood';
  queryMap: Float32Array;
  databaseMap: Float32Array;
  /** Relative inner-product error on the training sets: loss / E[(qᵀx)²]. */
  relativeError: number;
}

/** A band of the orthonormal real DFT basis. */
export interface FftParts extends Common {
  method: 'fft';
  band: 'low' | 'energy';
  /** The d kept basis functions, ascending (index 0 = DC, then cos 1, sin 1, cos 2, ...; see fft.ts). */
  coefficients: Uint32Array;
}

export interface MatryoshkaParts extends Common {
  method: 'matryoshka';
}

export type ReducerParts = PcaParts | LeanVecParts | LeanVecOodParts | FftParts | MatryoshkaParts;

/** A method's fitted map before the renormalisation choice (each member of ReducerParts without it). */
export type FittedMap = ReducerParts extends infer P ? (P extends ReducerParts ? Omit<P, 'renormalize'> : never) : never;

export function withRenormalize(map: FittedMap, renormalize: boolean): ReducerParts {
  return { ...map, renormalize } as ReducerParts;
}

export function reducerFromParts(parts: ReducerParts): Reducer {
  return parts.method === 'matryoshka' ? new PrefixReducer(parts) : new LinearReducer(parts);
}

class LinearReducer implements Reducer {
  readonly method: Exclude<ReducerParts['method'], 'matryoshka'>;
  readonly metric: ReduceMetric;
  readonly inputDimension: number;
  readonly dimension: number;
  readonly searchMetric: KernelMetric;
  readonly asymmetric: boolean;
  readonly renormalize: boolean;
  readonly fit: FitReport;
  private readonly queryMap: Float32Array;
  private readonly databaseMap: Float32Array;
  /** Orthonormal rows spanning the database map (for retained()), made when first needed. */
  private basis: Float32Array | null = null;

  constructor(private readonly parts: Exclude<ReducerParts, MatryoshkaParts>) {
    this.method = parts.method;
    this.metric = parts.metric;
    this.inputDimension = parts.inputDimension;
    this.dimension = parts.dimension;
    this.searchMetric = SEARCH_METRIC[parts.metric];
    this.renormalize = parts.renormalize;
    this.fit = parts.fit;
    switch (parts.method) {
      case 'pca':
      case 'leanvec':
        this.queryMap = this.databaseMap = parts.components;
        break;
      case 'leanvec-ood':
        this.queryMap = parts.queryMap;
        this.databaseMap = parts.databaseMap;
        break;
      case 'fft':
        this.queryMap = this.databaseMap = realDftBasis(parts.inputDimension, parts.coefficients);
        break;
    }
    this.asymmetric = this.queryMap !== this.databaseMap;
    assert(this.queryMap.length === this.dimension * this.inputDimension && this.databaseMap.length === this.queryMap.length, 'reducer maps have the wrong shape');
  }

  transformDatabase(vectors: Float32Array, out?: Float32Array): Float32Array {
    return this.apply(this.databaseMap, vectors, out);
  }

  transformQuery(vectors: Float32Array, out?: Float32Array): Float32Array {
    return this.apply(this.queryMap, vectors, out);
  }

  transform(vectors: Float32Array, out?: Float32Array): Float32Array {
    return this.apply(this.databaseMap, vectors, out);
  }

  retained(rows: Rows): number {
    const centre = this.parts.method === 'pca' ? this.parts.mean : null;
    return keptEnergy(this.orthonormalBasis(), this.dimension, this.inputDimension, rows, centre);
  }

  encode(): Uint8Array {
    return encodeReducer(this.parts);
  }

  maps(): { query: Float32Array; database: Float32Array } {
    return { query: this.queryMap, database: this.databaseMap };
  }

  private apply(map: Float32Array, vectors: Float32Array, out: Float32Array | undefined): Float32Array {
    const count = vectorCount(vectors, this.inputDimension);
    const result = outputFor(out, count * this.dimension);
    project(map, this.dimension, this.inputDimension, vectors, count, result);
    if (this.parts.renormalize) toUnitRows(result, count, this.dimension);
    return result;
  }

  /** PCA, LeanVec-ID and FFT maps have orthonormal rows already; LeanVec-OOD's database map is orthonormalised. */
  private orthonormalBasis(): Float32Array {
    if (this.basis !== null) return this.basis;
    if (this.parts.method === 'leanvec-ood') {
      const { basis, rank } = orthonormalizeRows(Float64Array.from(this.databaseMap), this.dimension, this.inputDimension);
      this.basis = new Float32Array(this.dimension * this.inputDimension); // rows past rank stay zero: they add nothing
      this.basis.set(basis.subarray(0, rank * this.inputDimension));
    } else {
      this.basis = this.databaseMap;
    }
    return this.basis;
  }
}

class PrefixReducer implements Reducer {
  readonly method = 'matryoshka' as const;
  readonly metric: ReduceMetric;
  readonly inputDimension: number;
  readonly dimension: number;
  readonly searchMetric: KernelMetric;
  readonly asymmetric = false;
  readonly renormalize: boolean;
  readonly fit: FitReport;

  constructor(private readonly parts: MatryoshkaParts) {
    this.metric = parts.metric;
    this.renormalize = parts.renormalize;
    this.inputDimension = parts.inputDimension;
    this.dimension = parts.dimension;
    this.searchMetric = SEARCH_METRIC[parts.metric];
    this.fit = parts.fit;
  }

  transformDatabase(vectors: Float32Array, out?: Float32Array): Float32Array {
    const D = this.inputDimension;
    const d = this.dimension;
    const count = vectorCount(vectors, D);
    const result = outputFor(out, count * d);
    for (let v = 0; v < count; v++) {
      const from = v * D;
      const to = v * d;
      result.set(vectors.subarray(from, from + d), to);
    }
    if (this.parts.renormalize) toUnitRows(result, count, d);
    return result;
  }

  transformQuery(vectors: Float32Array, out?: Float32Array): Float32Array {
    return this.transformDatabase(vectors, out);
  }

  transform(vectors: Float32Array, out?: Float32Array): Float32Array {
    return this.transformDatabase(vectors, out);
  }

  retained(rows: Rows): number {
    return prefixEnergy(rows, this.dimension);
  }

  encode(): Uint8Array {
    return encodeReducer(this.parts);
  }

  maps(): null {
    return null;
  }
}

/** Rescales each of the `count` rows of length d to unit length; a row of zeros has no direction and stays zero. */
function toUnitRows(rows: Float32Array, count: number, d: number): void {
  for (let r = 0; r < count; r++) {
    const at = r * d;
    let norm = 0;
    for (let i = 0; i < d; i++) norm += rows[at + i] * rows[at + i];
    if (norm === 0) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < d; i++) rows[at + i] *= scale;
  }
}

/** Σ‖x[0..d)‖² / Σ‖x‖² over the rows: the energy a prefix of d coordinates keeps. */
export function prefixEnergy(rows: Rows, d: number): number {
  let kept = 0;
  let total = 0;
  for (let r = 0; r < rows.count; r++) {
    const at = r * rows.dimension;
    for (let i = 0; i < rows.dimension; i++) {
      const v = rows.data[at + i] * rows.data[at + i];
      total += v;
      if (i < d) kept += v;
    }
  }
  return total > 0 ? kept / total : Number.NaN;
}

/**
 * Σ‖W(x − c)‖² / Σ‖x − c‖² over the rows, W with orthonormal rows (d × D): the fraction of the rows'
 * energy about c (variance when c is the mean, second moment when c is null) inside W's span.
 */
export function keptEnergy(w: Float32Array, d: number, D: number, rows: Rows, centre: Float32Array | null): number {
  assert(rows.dimension === D, 'retained: rows have the wrong dimension');
  const chunk = 256;
  const buffer = new Float32Array(chunk * D);
  const reduced = new Float32Array(chunk * d);
  let kept = 0;
  let total = 0;
  for (let first = 0; first < rows.count; first += chunk) {
    const n = Math.min(chunk, rows.count - first);
    for (let r = 0; r < n; r++) {
      const at = (first + r) * D;
      for (let i = 0; i < D; i++) {
        const v = rows.data[at + i] - (centre === null ? 0 : centre[i]);
        buffer[r * D + i] = v;
        total += v * v;
      }
    }
    project(w, d, D, buffer, n, reduced);
    for (let i = 0; i < n * d; i++) kept += reduced[i] * reduced[i];
  }
  return total > 0 ? Math.min(1, kept / total) : Number.NaN;
}
