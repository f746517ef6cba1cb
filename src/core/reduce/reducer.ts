/**
 * The Reducer seam: a fitted linear map from the collection's vectors (dimension D) to reduced vectors
 * (dimension d) that a graph is built and searched on, with the full vectors kept for re-ranking.
 *
 * Contract for callers (the collection):
 * - Inputs are vectors as the collection stores and prepares them: float32, unit length for cosine.
 * - Database vectors go through transformDatabase, queries through transformQuery. Only LeanVec-OOD
 *   (`asymmetric`) maps them differently; for every other method the two are the same map.
 * - Reduced vectors are searched with the kernel metric `searchMetric` ('l2' for l2 collections, 'dot'
 *   for dot and cosine). For cosine the reducer usually renormalises what it returns to unit length
 *   (`renormalize`); then reduced cosine collections stay unit-vector collections and the graphs' cosine
 *   rules apply unchanged. For dot and l2, lengths are part of the score and are kept. A graph
 *   build that scores database rows against each other uses the database representation on both sides.
 * - Reduced scores only choose candidates; final scores come from the re-rank on full vectors.
 * - `retained(rows)` measures, on any rows, the same quantity the fit maximised (docs/reduction.md): the
 *   caller can compare it with `fit.retained` on fresh data to decide that the data drifted.
 */
import { QuiverError } from '../errors.js';
import type { KernelMetric } from '../kernels/kernel.js';
import { LIMITS } from '../lib/limits.js';
import type { Rows } from './linalg.js';

export type ReduceMethod = 'pca' | 'leanvec' | 'leanvec-ood' | 'fft' | 'matryoshka';
/** The collection's metric (the same names as the collection's). */
export type ReduceMetric = 'l2' | 'dot' | 'cosine';

/** What IndexConfig.reduce carries: the method and the reduced dimension d. */
export interface ReduceConfig {
  method: ReduceMethod;
  dimension: number;
}

export interface FitOptions {
  /** The collection's metric: decides the search metric and what the fit preserves. */
  metric: ReduceMetric;
  /** LeanVec-OOD only, and required there: sample queries (never the queries you test with). */
  trainQueries?: Rows;
  /** FFT: which coefficients to keep. 'low' (default): the lowest frequencies, as the FFT paper does; 'energy': the d with the most energy on the sample. */
  band?: 'low' | 'energy';
  /**
   * Cosine only: rescale every reduced vector to unit length, so the reduced score is the cosine of the
   * kept parts instead of their inner product. Unset (the default), cosine reducers renormalise, except
   * LeanVec-OOD, which measures both on its training queries and keeps the better (renormalize.ts has the
   * measurements); l2 and dot never renormalise (lengths are part of the score) and refuse `true`.
   */
  renormalize?: boolean;
  /** LeanVec-OOD: Frank-Wolfe iterations after the eigen-search (default 40; 0 = eigen-search only). */
  iterations?: number;
}

/** What a fit measured; persisted with the parameters. */
export interface FitReport {
  /** Sample rows the fit used (database side). */
  sampleCount: number;
  /** Training queries (LeanVec-OOD), else 0. */
  queryCount: number;
  /** retained(sample) at fit time: fraction in [0, 1]; NaN when the method had no sample to measure on. */
  retained: number;
}

export interface Reducer {
  readonly method: ReduceMethod;
  readonly metric: ReduceMetric;
  /** D: the dimension of the vectors that go in. */
  readonly inputDimension: number;
  /** d: the dimension of the reduced vectors. */
  readonly dimension: number;
  /** The kernel metric to search reduced vectors with. */
  readonly searchMetric: KernelMetric;
  /** True when queries and database vectors are mapped differently (LeanVec-OOD). */
  readonly asymmetric: boolean;
  /** True when reduced vectors come out unit length (cosine only): a graph may treat them as cosine rows. */
  readonly renormalize: boolean;
  readonly fit: FitReport;
  /**
   * Reduces one vector or many (rows concatenated: length k·D), returning k·d values; writes into `out`
   * (length k·d) when given. DIMENSION_MISMATCH when the length is not a multiple of D.
   */
  transformDatabase(vectors: Float32Array, out?: Float32Array): Float32Array;
  transformQuery(vectors: Float32Array, out?: Float32Array): Float32Array;
  /** transformDatabase: what the graph is built on. */
  transform(vectors: Float32Array, out?: Float32Array): Float32Array;
  /** The fraction of the rows' energy the database map keeps, in the method's own sense (docs/reduction.md). */
  retained(rows: Rows): number;
  /** The fitted parameters as bytes (docs/formats.md, "Reducer parameters"); decodeReducer reads them. */
  encode(): Uint8Array;
  /**
   * The maps as d × D float32 matrices (row k = output k's weights; the same array twice unless
   * asymmetric), for callers that apply them with their own kernels (a collection scores a query against
   * the d rows with its SIMD dot-product kernel, then renormalises when `renormalize`). Null for
   * Matryoshka, whose map is a prefix copy. Read-only: the reducer's own parameters.
   */
  maps(): { query: Float32Array; database: Float32Array } | null;
}

export const SEARCH_METRIC: Record<ReduceMetric, KernelMetric> = { l2: 'l2', dot: 'dot', cosine: 'dot' };

export const REDUCE_METHODS: readonly ReduceMethod[] = ['pca', 'leanvec', 'leanvec-ood', 'fft', 'matryoshka'];

function invalid(message: string, details: Record<string, unknown>): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, details);
}

/**
 * The fewest sample rows (and training queries) a fit accepts. Fitting d directions needs at least d + 1
 * rows (a covariance of fewer has rank below d and the rest of the basis would be arbitrary); a good fit
 * wants far more (docs/reduction.md recommends at least 10·d, and 10,000+ queries for LeanVec-OOD).
 */
export function minimumSample(config: ReduceConfig, options: Pick<FitOptions, 'band'> = {}): { rows: number; queries: number } {
  switch (config.method) {
    case 'pca':
    case 'leanvec':
      return { rows: config.dimension + 1, queries: 0 };
    case 'leanvec-ood':
      return { rows: config.dimension + 1, queries: config.dimension + 1 };
    case 'fft':
      return { rows: options.band === 'energy' ? config.dimension + 1 : 0, queries: 0 };
    case 'matryoshka':
      return { rows: 0, queries: 0 };
  }
}

/** Checks a config and options against the input dimension; throws INVALID_ARGUMENT saying what to change. */
export function checkReduceConfig(config: ReduceConfig, inputDimension: number, options: FitOptions): void {
  if (!REDUCE_METHODS.includes(config.method)) {
    throw invalid(`reduce.method must be one of ${REDUCE_METHODS.join(', ')}; got ${JSON.stringify(config.method)}.`, { field: 'reduce.method', received: config.method });
  }
  if (!Number.isInteger(inputDimension) || inputDimension < 1 || inputDimension > LIMITS.dimensionMax) {
    throw invalid(`The vectors to reduce must have 1 to ${LIMITS.dimensionMax} dimensions; got ${inputDimension}.`, { field: 'dimension', received: inputDimension });
  }
  const d = config.dimension;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
    throw invalid(`reduce.dimension is a whole number of at least 1; got ${String(d)}.`, { field: 'reduce.dimension', received: d });
  }
  if (d > inputDimension) {
    throw invalid(`reduce.dimension (${d}) is larger than the vectors' dimension (${inputDimension}); a reducer keeps at most all of them. Pick a smaller reduced dimension (a quarter of ${inputDimension} is a common start).`, {
      field: 'reduce.dimension',
      received: d,
      maximum: inputDimension,
    });
  }
  if (!['l2', 'dot', 'cosine'].includes(options.metric)) {
    throw invalid(`The metric must be 'l2', 'dot' or 'cosine'; got ${JSON.stringify(options.metric)}.`, { field: 'metric', received: options.metric });
  }
  if (config.method === 'leanvec-ood') {
    if (options.metric === 'l2') {
      throw invalid("LeanVec-OOD learns inner products (dot and cosine collections); for an l2 collection use 'pca' or 'leanvec'.", { field: 'reduce.method', metric: options.metric });
    }
    if (options.trainQueries === undefined) {
      throw invalid('LeanVec-OOD needs sample queries to learn from: pass trainQueries (col.optimize({ trainQueries }) or reduce.trainQueries), a few thousand queries like the ones you will run — not the ones you evaluate with.', {
        field: 'trainQueries',
      });
    }
  } else if (options.trainQueries !== undefined) {
    throw invalid(`trainQueries are used by 'leanvec-ood' only; '${config.method}' learns from the database sample. Remove them or use 'leanvec-ood'.`, { field: 'trainQueries', method: config.method });
  }
  if (options.band !== undefined && (config.method !== 'fft' || !['low', 'energy'].includes(options.band))) {
    throw invalid(`band applies to 'fft' only and is 'low' or 'energy'; got ${JSON.stringify(options.band)} for '${config.method}'.`, { field: 'band', received: options.band });
  }
  if (options.renormalize !== undefined) {
    if (typeof options.renormalize !== 'boolean') throw invalid(`renormalize is true or false; got ${JSON.stringify(options.renormalize)}.`, { field: 'renormalize', received: options.renormalize });
    if (options.renormalize && options.metric !== 'cosine') {
      throw invalid(`renormalize is for cosine collections: with '${options.metric}' a reduced vector's length is part of the score. Leave it unset.`, { field: 'renormalize', metric: options.metric });
    }
  }
  if (options.iterations !== undefined && (config.method !== 'leanvec-ood' || !Number.isInteger(options.iterations) || options.iterations < 0 || options.iterations > 10_000)) {
    throw invalid(`iterations applies to 'leanvec-ood' only and is a whole number from 0 to 10000; got ${String(options.iterations)}.`, { field: 'iterations', received: options.iterations });
  }
}

/**
 * Checks the sample (and training queries): shape, size, finite values. Returns the rows to fit on: for
 * cosine, rows that are not unit length are normalised (a copy; stored rows already are, training queries
 * may not be), so the fit sees what the search will.
 */
export function checkSample(config: ReduceConfig, sample: Rows, options: FitOptions): { rows: Rows; queries?: Rows } {
  const need = minimumSample(config, options);
  const rows = checkRows(sample, sample.dimension, options.metric, 'sample');
  if (rows.count < need.rows) {
    throw invalid(`Fitting '${config.method}' to ${config.dimension} dimensions needs at least ${need.rows} sample vectors; got ${rows.count}. Fit later, when the collection holds more (10·d or more fits well).`, {
      field: 'sample',
      required: need.rows,
      received: rows.count,
    });
  }
  if (options.trainQueries === undefined) return { rows };
  const queries = checkRows(options.trainQueries, sample.dimension, options.metric, 'trainQueries');
  if (queries.count < need.queries) {
    throw invalid(`LeanVec-OOD to ${config.dimension} dimensions needs at least ${need.queries} training queries; got ${queries.count}. A few thousand give a good fit.`, {
      field: 'trainQueries',
      required: need.queries,
      received: queries.count,
    });
  }
  return { rows, queries };
}

function checkRows(rows: Rows, dimension: number, metric: ReduceMetric, field: string): Rows {
  if (!(rows.data instanceof Float32Array) || !Number.isInteger(rows.count) || rows.count < 0 || rows.data.length !== rows.count * rows.dimension) {
    throw invalid(`${field} must be rows of float32 vectors (data.length = count · dimension).`, { field });
  }
  if (rows.dimension !== dimension) {
    throw new QuiverError('DIMENSION_MISMATCH', `${field} vectors have ${rows.dimension} dimensions but the collection has ${dimension}.`, { field, expected: dimension, received: rows.dimension });
  }
  const { data, count } = rows;
  let copy: Float32Array | null = null;
  for (let r = 0; r < count; r++) {
    const at = r * dimension;
    let norm = 0;
    for (let i = 0; i < dimension; i++) {
      const v = data[at + i];
      if (!Number.isFinite(v)) {
        throw new QuiverError('INVALID_VECTOR', `${field} row ${r} has ${v} at component ${i}; every component must be a finite number.`, { field, row: r, position: i });
      }
      norm += v * v;
    }
    if (metric !== 'cosine') continue;
    if (norm === 0) throw new QuiverError('INVALID_VECTOR', `${field} row ${r} is all zeros; cosine similarity is undefined for it.`, { field, row: r });
    if (Math.abs(norm - 1) > 1e-5) {
      copy ??= data.slice();
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < dimension; i++) copy[at + i] = data[at + i] * scale;
    }
  }
  return copy === null ? rows : { data: copy, count, dimension };
}

/** How many whole vectors `vectors` holds; DIMENSION_MISMATCH when it is not whole rows of D. */
export function vectorCount(vectors: Float32Array, inputDimension: number): number {
  if (!(vectors instanceof Float32Array) || vectors.length === 0 || vectors.length % inputDimension !== 0) {
    throw new QuiverError('DIMENSION_MISMATCH', `A reducer fitted to ${inputDimension} dimensions takes one or more whole vectors of that length; got ${vectors instanceof Float32Array ? `${vectors.length} values` : typeof vectors}.`, {
      expected: inputDimension,
      received: vectors instanceof Float32Array ? vectors.length : undefined,
    });
  }
  return vectors.length / inputDimension;
}

export function outputFor(out: Float32Array | undefined, length: number): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (!(out instanceof Float32Array) || out.length !== length) {
    throw invalid(`The output array must be a Float32Array of ${length} values.`, { field: 'out', expected: length, received: out instanceof Float32Array ? out.length : undefined });
  }
  return out;
}
