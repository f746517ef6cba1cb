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
import { keptEnergy, prefixEnergy, reducerFromParts } from './fitted.js';
import { fitLeanVecOod } from './leanvec-ood.js';
import type { Rows } from './linalg.js';
import { fitLeanVecId, fitPca } from './pca.js';
import { checkReduceConfig, checkSample, type FitOptions, type ReduceConfig, type Reducer } from './reducer.js';

export type { Rows } from './linalg.js';
export { rowsOf } from './linalg.js';
export type { FitOptions, FitReport, ReduceConfig, ReduceMethod, ReduceMetric, Reducer } from './reducer.js';
export { minimumSample, REDUCE_METHODS } from './reducer.js';
export { REDUCER_FORMAT_VERSION } from './codec.js';

/**
 * Fits `config` ({ method, dimension d }) to `sample` (rows of the collection's D-dimensional vectors).
 * Throws INVALID_ARGUMENT for a bad config or too small a sample (minimumSample() says how many rows are
 * needed), DIMENSION_MISMATCH / INVALID_VECTOR for bad rows. Deterministic: the same inputs give the same
 * bytes.
 */
export function fitReducer(config: ReduceConfig, sample: Rows, options: FitOptions): Reducer {
  checkReduceConfig(config, sample.dimension, options);
  const { rows, queries } = checkSample(config, sample, options, sample.dimension);
  const { metric } = options;
  const D = rows.dimension;
  const d = config.dimension;
  // LeanVec-OOD keeps the directions the queries need, not where the database's energy lies: the length
  // of a reduced database vector says little about the full one's, so rescaling by it misranks
  // (docs/reduction.md). The other methods keep most of each vector's energy, and rescaling helps.
  const renormalize = options.renormalize ?? (metric === 'cosine' && config.method !== 'leanvec-ood');
  const common = { metric, inputDimension: D, dimension: d, renormalize };
  switch (config.method) {
    case 'pca':
      return reducerFromParts({ ...fitPca(rows, d, metric), renormalize });
    case 'leanvec':
      return reducerFromParts({ ...fitLeanVecId(rows, d, metric), renormalize });
    case 'leanvec-ood':
      return reducerFromParts({ ...fitLeanVecOod(rows, queries!, d, metric, options.iterations), renormalize });
    case 'fft': {
      const band = options.band ?? 'low';
      const coefficients = band === 'low' ? lowBand(d) : energyBand(rows, d);
      const retained = rows.count > 0 ? keptEnergy(realDftBasis(D, coefficients), d, D, spread(rows, 4096), null) : Number.NaN;
      return reducerFromParts({ method: 'fft', ...common, fit: { sampleCount: rows.count, queryCount: 0, retained }, band, coefficients });
    }
    case 'matryoshka': {
      const retained = rows.count > 0 ? prefixEnergy(rows, d) : Number.NaN;
      return reducerFromParts({ method: 'matryoshka', ...common, fit: { sampleCount: rows.count, queryCount: 0, retained } });
    }
  }
}

/** A reducer from encode() bytes; CORRUPTED (naming `what`) for damaged bytes, UNSUPPORTED for a newer format. */
export function decodeReducer(bytes: Uint8Array, what: string): Reducer {
  return reducerFromParts(decodeReducerParts(bytes, what));
}

/** At most `max` rows of `rows`, spread evenly (all of them when there are fewer). */
function spread(rows: Rows, max: number): Rows {
  if (rows.count <= max) return rows;
  const D = rows.dimension;
  const data = new Float32Array(max * D);
  for (let r = 0; r < max; r++) {
    const from = Math.floor((r * rows.count) / max) * D;
    data.set(rows.data.subarray(from, from + D), r * D);
  }
  return { data, count: max, dimension: D };
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
