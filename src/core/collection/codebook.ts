/**
 * A collection's trained compression: the reducer (when its index has one) that maps the vectors to the
 * reduced ones graphs traverse, the quantizer that encodes the traversal rows (with its second level for
 * two-level LVQ), the LVQ-8 quantizer of `Rerank:LVQ8` rows of the full vectors, and what training
 * measured. Each training makes a new generation; a segment keeps the codebook that encoded its rows
 * (segment files carry it in their codebook section), so segments of an older generation stay searchable
 * until they are encoded again.
 *
 * Byte layout (the segment file's CODEBOOK section body, docs/formats.md), little-endian:
 *   u16 layout version (2; 1 is read too), u16 flags (bit 0: a reducer follows; layout 1: 0)
 *   u32 generation (≥ 1), u32 sample rows the training used
 *   f32 baseline: mean relative reconstruction error ‖x − x̂‖² / ‖x‖² of the training sample at the
 *       traversal level (what drift is measured against; finite, > 0; 0 when there is no quantizer)
 *   layout 2: f32 reducer baseline: the energy share the reducer loses on the training sample
 *       (1 − retained, floored above 0; 0 when there is no reducer or it learns nothing)
 *   u32 length + the traversal quantizer's parameters (docs/formats.md, "Quantizer parameters"; layout 2:
 *       length 0 when the traversal rows are the reduced vectors as float32)
 *   u32 length + the re-rank quantizer's parameters (length 0: none)
 *   layout 2, flag bit 0: u32 length + the reducer's parameters (docs/formats.md, "Reducer parameters")
 */
import { QuiverError } from '../errors.js';
import type { KernelBackend } from '../kernels/kernel.js';
import { type Quantizer, createQuantizer, deserializeQuantizer } from '../quant/index.js';
import { ParamReader, ParamWriter } from '../quant/params.js';
import { type Reducer, decodeReducer, fitReducer, minimumSample, rowsOf } from '../reduce/index.js';
import { type IndexConfig, reranksOnSecondLevel, traversalQuantizer } from './recipe.js';
import type { Metric } from './records.js';

export const CODEBOOK_LAYOUT_VERSION = 2;
const FLAG_REDUCER = 1;

/** Rows of the training sample the baseline error is measured on (spread over the sample). */
const BASELINE_ROWS_MAX = 2048;
/** Floor of the baselines: a sample reproduced exactly would make every later error infinitely larger. */
const BASELINE_FLOOR = 1e-9;
/** The reducer's lost energy share is floored higher: below 0.1% it is rounding, not fit. */
const REDUCER_BASELINE_FLOOR = 1e-3;

export interface Codebook {
  readonly generation: number;
  /** The map to the reduced vectors graphs traverse (null: the index has no reducer). */
  readonly reducer: Reducer | null;
  /**
   * What graphs traverse: a one-level quantizer, or a two-level LVQ (its second level re-ranks); of the
   * reduced vectors under a reducer. Null when the traversal rows are reduced float32 vectors.
   */
  readonly quantizer: Quantizer | null;
  /** LVQ-8 re-rank rows of the full vectors (Rerank:LVQ8 beside a one-level quantizer or a reducer); null otherwise. */
  readonly rerank: Quantizer | null;
  /** Mean ‖x − x̂‖² / ‖x‖² of the (reduced) training sample at the traversal level (floored above 0); 0 without a quantizer. */
  readonly baseline: number;
  /** The energy share the reducer loses on the training sample (floored above 0); 0 when nothing is measured. */
  readonly reducerBaseline: number;
  readonly sampleRows: number;
}

/** Whether a config keeps LVQ-8 re-rank rows of the full vectors (beside a one-level quantizer, or under a reducer). */
export function hasRerankRows(index: IndexConfig): boolean {
  return index.rerank === 'lvq8' && !reranksOnSecondLevel(index);
}

/** Whether an index has anything to train: a quantizer or a reducer. */
export function isCompressed(index: IndexConfig): boolean {
  return index.reduce !== undefined || (index.quantize !== undefined && index.quantize !== 'none');
}

/** Reducers whose map does not depend on the data: their energy share is not watched for drift. */
function learnsNothing(reducer: Reducer): boolean {
  return reducer.method === 'matryoshka' || (reducer.method === 'fft' && reducer.fit.sampleCount === 0);
}

export interface TrainOptions {
  /** The collection's metric (reducers fit for it). */
  metric: Metric;
  backend?: KernelBackend;
  /** LeanVec-OOD: sample queries, packed (the collection's dimension). Without them it fits LeanVec-ID. */
  trainQueries?: Float32Array | null;
  /** A reducer to keep instead of fitting one (re-training a LeanVec-OOD collection with no queries at hand). */
  reducer?: Reducer | null;
}

/**
 * Trains a codebook for `index` (which has a quantizer or a reducer) on `rows` vectors packed in
 * `sample`: the reducer first (on the full vectors), then the quantizer on the reduced sample, and the
 * re-rank LVQ-8 on the full vectors.
 */
export function trainCodebook(index: IndexConfig, dimension: number, sample: Float32Array, rows: number, generation: number, options: TrainOptions): Codebook {
  if (!isCompressed(index)) throw new QuiverError('INVALID_ARGUMENT', 'This index has no quantizer or reducer to train.', { index: index.type });
  const full = sample.subarray(0, rows * dimension);
  let reducer: Reducer | null = null;
  let traversalSample = full;
  let reducerBaseline = 0;
  if (index.reduce) {
    const queries = options.trainQueries ?? null;
    if (options.reducer) reducer = options.reducer;
    else {
      // LeanVec-OOD without sample queries fits LeanVec-ID: the β = 0 end of its own eigen-search
      const ood = index.reduce.method === 'leanvec-ood' && queries !== null;
      const method = index.reduce.method === 'leanvec-ood' && !ood ? 'leanvec' : index.reduce.method;
      reducer = fitReducer({ method, dimension: index.reduce.dimension }, rowsOf(full, dimension), {
        metric: options.metric,
        ...(ood ? { trainQueries: rowsOf(queries, dimension) } : {}),
      });
    }
    traversalSample = reducer.transformDatabase(full);
    if (!learnsNothing(reducer)) reducerBaseline = Math.max(1 - reducer.retained(rowsOf(full, dimension)), REDUCER_BASELINE_FLOOR);
  }
  const name = traversalQuantizer(index);
  let quantizer: Quantizer | null = null;
  let baseline = 0;
  if (name !== undefined) {
    quantizer = createQuantizer(name, reducer?.dimension ?? dimension, { backend: options.backend });
    quantizer.train(traversalSample, rows);
    baseline = baselineError(quantizer, traversalSample, rows);
  }
  let rerank: Quantizer | null = null;
  if (hasRerankRows(index)) {
    rerank = createQuantizer('lvq8', dimension);
    rerank.train(full, rows);
  }
  return { generation, reducer, quantizer, rerank, baseline, reducerBaseline, sampleRows: rows };
}

/** The smallest sample a config's quantizers and reducer train on. */
export function minimumTrainingRows(index: IndexConfig, dimension: number): number {
  let rows = 0;
  const name = traversalQuantizer(index);
  if (name !== undefined) rows = createQuantizer(name, index.reduce?.dimension ?? dimension).minTrainingRows;
  // LeanVec-OOD without queries fits LeanVec-ID: the same number of rows
  if (index.reduce) rows = Math.max(rows, minimumSample({ method: index.reduce.method === 'leanvec-ood' ? 'leanvec' : index.reduce.method, dimension: index.reduce.dimension }).rows);
  return rows;
}

/**
 * Measures the relative reconstruction error ‖x − x̂‖² / ‖x‖² at a quantizer's traversal level, one
 * vector at a time, with its own scratch. Relative, so data that only changes scale (which LVQ's
 * per-vector steps follow by design) does not count as drift; data a quantizer's parameters no longer fit
 * (values past SQ8's ranges, far from PQ's centroids or the mean) does.
 */
export class ReconstructionMeter {
  private readonly codes: Uint8Array;
  private readonly residuals: Uint8Array;
  private readonly decoded: Float32Array;

  constructor(readonly quantizer: Quantizer) {
    this.codes = new Uint8Array(quantizer.codeBytes);
    this.residuals = new Uint8Array(Math.max(4, quantizer.residualBytes));
    this.decoded = new Float32Array(quantizer.dimension);
  }

  error(vector: ArrayLike<number>, at = 0): number {
    const q = this.quantizer;
    q.encodeInto(vector, at, this.codes, 0, this.residuals, 0);
    q.decode(this.codes, 0, this.decoded, 0);
    let error = 0;
    let energy = 0;
    for (let j = 0; j < q.dimension; j++) {
      const x = vector[at + j];
      const d = x - this.decoded[j];
      error += d * d;
      energy += x * x;
    }
    return energy > 0 ? error / energy : 0;
  }
}

function baselineError(quantizer: Quantizer, sample: Float32Array, rows: number): number {
  const meter = new ReconstructionMeter(quantizer);
  const d = quantizer.dimension;
  const measured = Math.min(rows, BASELINE_ROWS_MAX);
  let error = 0;
  for (let i = 0; i < measured; i++) error += meter.error(sample, Math.floor((i * rows) / measured) * d);
  // A sample the codes reproduce exactly (few distinct values) would make every later error infinitely
  // larger; a floor far below any real quantization error keeps the ratio finite.
  return Math.max(error / measured, 1e-9);
}

export function encodeCodebook(codebook: Codebook): Uint8Array {
  const traversal = codebook.quantizer?.serialize() ?? new Uint8Array(0);
  const rerank = codebook.rerank?.serialize() ?? new Uint8Array(0);
  const w = new ParamWriter();
  w.u16(CODEBOOK_LAYOUT_VERSION).u16(codebook.reducer ? FLAG_REDUCER : 0).u32(codebook.generation).u32(codebook.sampleRows).f32s([codebook.baseline, codebook.reducerBaseline]);
  w.u32(traversal.length).raw(traversal).u32(rerank.length).raw(rerank);
  if (codebook.reducer) {
    const reducer = codebook.reducer.encode();
    w.u32(reducer.length).raw(reducer);
  }
  return w.finish();
}

/** Reads a codebook (layouts 1 and 2); damage is CORRUPTED naming `what`, a newer layout UNSUPPORTED. */
export function decodeCodebook(bytes: Uint8Array, what: string, backend?: KernelBackend): Codebook {
  const r = new ParamReader(bytes, what);
  const version = r.u16();
  if (version > CODEBOOK_LAYOUT_VERSION) {
    throw new QuiverError('UNSUPPORTED', `${what} uses codebook layout ${version}; this quiverdb reads up to ${CODEBOOK_LAYOUT_VERSION}. Open the database with a newer quiverdb.`, {
      file: what,
      version,
      newest: CODEBOOK_LAYOUT_VERSION,
    });
  }
  const flags = version === 0 ? -1 : r.u16();
  if (version === 0 || (version === 1 && flags !== 0) || (flags & ~FLAG_REDUCER) !== 0) throw r.corrupted('codebook layout 0 or unknown flags');
  const generation = r.u32();
  const sampleRows = r.u32();
  const [baseline, reducerBaseline] = version === 1 ? [...r.f32s(1), 0] : r.f32s(2);
  if (generation === 0 || !(baseline >= 0) || !(reducerBaseline >= 0)) throw r.corrupted(`generation ${generation}, baselines ${baseline}, ${reducerBaseline}`);
  const traversalLength = r.u32();
  if (traversalLength === 0 && version === 1) throw r.corrupted('a codebook without a quantizer');
  const quantizer = traversalLength === 0 ? null : deserializeQuantizer(r.raw(traversalLength), what, { backend });
  const rerankLength = r.u32();
  const rerank = rerankLength === 0 ? null : deserializeQuantizer(r.raw(rerankLength), what, { backend });
  const reducer = (flags & FLAG_REDUCER) !== 0 ? decodeReducer(r.raw(r.u32()), what) : null;
  r.end();
  if (quantizer !== null && !(baseline > 0)) throw r.corrupted(`a quantizer with baseline ${baseline}`);
  if (quantizer === null && reducer === null) throw r.corrupted('a codebook with neither a quantizer nor a reducer');
  if (reducer !== null && quantizer !== null && quantizer.dimension !== reducer.dimension) throw r.corrupted(`a ${quantizer.dimension}-d quantizer under a ${reducer.dimension}-d reducer`);
  const full = reducer?.inputDimension ?? quantizer!.dimension;
  if (rerank !== null && (rerank.name !== 'lvq8' || rerank.dimension !== full)) throw r.corrupted(`a ${rerank.name} re-rank quantizer`);
  return { generation, reducer, quantizer, rerank, baseline, reducerBaseline, sampleRows };
}

/** Whether a codebook serves `index` at `dimension` (its reducer and quantizers are the ones the config names). */
export function codebookFits(codebook: Codebook, index: IndexConfig, dimension: number): boolean {
  const { reducer, quantizer } = codebook;
  if ((reducer === null) !== (index.reduce === undefined)) return false;
  if (reducer !== null) {
    const method = index.reduce!.method;
    // LeanVec-OOD trained without queries holds LeanVec-ID maps
    if (!(reducer.method === method || (method === 'leanvec-ood' && reducer.method === 'leanvec')) || reducer.dimension !== index.reduce!.dimension || reducer.inputDimension !== dimension) return false;
  }
  const name = traversalQuantizer(index);
  const encoded = index.reduce?.dimension ?? dimension;
  if ((quantizer === null) !== (name === undefined) || (quantizer !== null && (quantizer.name !== name || quantizer.dimension !== encoded))) return false;
  return (codebook.rerank !== null) === hasRerankRows(index);
}
