/**
 * Dimensionality reducers (docs/reduction.md): PCA, LeanVec-ID, LeanVec-OOD, FFT and Matryoshka behind
 * one Reducer interface (reducer.ts). Pure computation: the caller hands in sample rows and stores the
 * bytes of encode(); decodeReducer brings a reducer back from them.
 *
 *   const reducer = fitReducer({ method: 'pca', dimension: 192 }, sample, { metric: 'cosine' });
 *   const reduced = reducer.transformDatabase(rows);           // k·D values in, k·d out
 *   const q = reducer.transformQuery(query);                   // search reduced with reducer.searchMetric
 *   const again = decodeReducer(reducer.encode(), 'seg-00000001.qseg');
 */
import { Prng } from '../lib/prng.js';
import { decodeReducerParts } from './codec.js';
import { energyBand, lowBand, realDftBasis } from './fft.js';
import { type FittedMap, keptEnergy, prefixEnergy, reducerFromParts, withRenormalize } from './fitted.js';
import { renormalizationTrial, spreadRows } from './renormalize.js';
import { fitLeanVecOod } from './leanvec-ood.js';
import type { Rows } from './linalg.js';
import { fitLeanVecId, fitPca } from './pca.js';
import { checkReduceConfig, checkSample, type FitOptions, type ReduceConfig, type Reducer } from './reducer.js';

export type { Rows } from './linalg.js';
export { rowsOf } from './linalg.js';
export type { FitOptions, FitReport, ReduceConfig, ReduceMethod, ReduceMetric, Reducer } from './reducer.js';
export { minimumSample, REDUCE_METHODS } from './reducer.js';
export { REDUCER_FORMAT_VERSION } from './codec.js';

/** Below this many sample rows the renormalisation trial would measure noise. */
const RENORMALIZATION_TRIAL_ROWS = 1000;

/**
 * Fits `config` ({ method, dimension d }) to `sample` (rows of the collection's D-dimensional vectors).
 * Throws INVALID_ARGUMENT for a bad config or too small a sample (minimumSample() says how many rows are
 * needed), DIMENSION_MISMATCH / INVALID_VECTOR for bad rows. Deterministic: the same inputs give the same
 * bytes.
 */
export function fitReducer(config: ReduceConfig, sample: Rows, options: FitOptions): Reducer {
  checkReduceConfig(config, sample.dimension, options);
  const { rows, queries } = checkSample(config, sample, options);
  const { metric } = options;
  const parts = fitParts(config, rows, queries, options);
  if (metric !== 'cosine') return reducerFromParts(withRenormalize(parts, false));
  if (options.renormalize !== undefined) return reducerFromParts(withRenormalize(parts, options.renormalize));
  // Cosine, left to the fit (renormalize.ts has the measurements). The maps of PCA, LeanVec-ID, FFT and
  // Matryoshka keep each vector's strongest directions: renormalise. LeanVec-OOD's may keep directions
  // that carry little of a database vector's length, where renormalising misranks badly: try both on the
  // training queries and keep the better (without 1,000 sample rows to try on, renormalise).
  if (config.method !== 'leanvec-ood' || rows.count < RENORMALIZATION_TRIAL_ROWS) return reducerFromParts(withRenormalize(parts, true));
  const trial = renormalizationTrial(reducerFromParts(withRenormalize(parts, false)), rows, queries!);
  return reducerFromParts(withRenormalize(parts, trial.renormalized > trial.raw));
}

/** The fitted map of each method, before the renormalisation choice. */
function fitParts(config: ReduceConfig, rows: Rows, queries: Rows | undefined, options: FitOptions): FittedMap {
  const { metric } = options;
  const D = rows.dimension;
  const d = config.dimension;
  const common = { metric, inputDimension: D, dimension: d };
  switch (config.method) {
    case 'pca':
      return fitPca(rows, d, metric);
    case 'leanvec':
      return fitLeanVecId(rows, d, metric);
    case 'leanvec-ood':
      return fitLeanVecOod(rows, queries!, d, metric, options.iterations);
    case 'fft': {
      const band = options.band ?? 'low';
      const coefficients = band === 'low' ? lowBand(d) : energyBand(rows, d);
      const retained = rows.count > 0 ? keptEnergy(realDftBasis(D, coefficients), d, D, spreadRows(rows, 4096).rows, null) : Number.NaN;
      return { method: 'fft', ...common, fit: { sampleCount: rows.count, queryCount: 0, retained }, band, coefficients };
    }
    case 'matryoshka': {
      const retained = rows.count > 0 ? prefixEnergy(rows, d) : Number.NaN;
      return { method: 'matryoshka', ...common, fit: { sampleCount: rows.count, queryCount: 0, retained } };
    }
  }
}

/** A reducer from encode() bytes; CORRUPTED (naming `what`) for damaged bytes, UNSUPPORTED for a newer format. */
export function decodeReducer(bytes: Uint8Array, what: string): Reducer {
  return reducerFromParts(decodeReducerParts(bytes, what));
}

/**
 * `want` distinct indices from [0, total), uniformly at random from `seed`, ascending: which rows of a
 * collection to fit on. Floyd's algorithm: `want` draws, no array of size `total`.
 */
export function sampleIndices(total: number, want: number, seed: number): Uint32Array {
  const n = Math.min(total, want);
  const prng = new Prng(seed);
  const chosen = new Set<number>();
  for (let j = total - n; j < total; j++) {
    const t = prng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Uint32Array.from(chosen).sort();
}
