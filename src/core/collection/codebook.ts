/**
 * A collection's trained compression: the quantizer its graphs traverse (with its second level for
 * two-level LVQ), the LVQ-8 quantizer of a `Rerank:LVQ8` beside a one-level quantizer, and what training
 * measured. Each training makes a new generation; a segment keeps the codebook that encoded its rows
 * (segment files carry it in their codebook section), so segments of an older generation stay searchable
 * until they are encoded again.
 *
 * Byte layout (the segment file's CODEBOOK section body, docs/formats.md), little-endian:
 *   u16 layout version (1), u16 flags (0)
 *   u32 generation (≥ 1), u32 sample rows the training used
 *   f32 baseline: mean relative reconstruction error ‖x − x̂‖² / ‖x‖² of the training sample at the
 *       traversal level (what drift is measured against; finite, > 0)
 *   u32 length + the traversal quantizer's parameters (docs/formats.md, "Quantizer parameters")
 *   u32 length + the re-rank quantizer's parameters (length 0: none)
 */
import { QuiverError } from '../errors.js';
import type { KernelBackend } from '../kernels/kernel.js';
import { type Quantizer, createQuantizer, deserializeQuantizer } from '../quant/index.js';
import { ParamReader, ParamWriter } from '../quant/params.js';
import { type IndexConfig, isTwoLevel } from './recipe.js';

export const CODEBOOK_LAYOUT_VERSION = 1;

/** Rows of the training sample the baseline error is measured on (spread over the sample). */
const BASELINE_ROWS_MAX = 2048;

export interface Codebook {
  readonly generation: number;
  /** What graphs traverse: a one-level quantizer, or a two-level LVQ (its second level re-ranks). */
  readonly quantizer: Quantizer;
  /** LVQ-8 re-rank rows beside a one-level quantizer (Rerank:LVQ8); null otherwise. */
  readonly rerank: Quantizer | null;
  /** Mean ‖x − x̂‖² / ‖x‖² of the training sample at the traversal level (floored above 0). */
  readonly baseline: number;
  readonly sampleRows: number;
}

/** Whether a config keeps LVQ-8 re-rank rows of their own (beside a one-level quantizer). */
export function hasRerankRows(index: IndexConfig): boolean {
  return index.rerank === 'lvq8' && !isTwoLevel(index.quantize);
}

/** Trains a codebook for `index` (which has a quantizer) on `rows` vectors packed in `sample`. */
export function trainCodebook(index: IndexConfig, dimension: number, sample: Float32Array, rows: number, generation: number, backend?: KernelBackend): Codebook {
  const name = index.quantize;
  if (name === undefined || name === 'none') throw new QuiverError('INVALID_ARGUMENT', 'This index has no quantizer to train.', { index: index.type });
  const quantizer = createQuantizer(name, dimension, { backend });
  quantizer.train(sample, rows);
  let rerank: Quantizer | null = null;
  if (hasRerankRows(index)) {
    rerank = createQuantizer('lvq8', dimension);
    rerank.train(sample, rows);
  }
  return { generation, quantizer, rerank, baseline: baselineError(quantizer, sample, rows), sampleRows: rows };
}

/** The smallest sample a config's quantizers train on. */
export function minimumTrainingRows(index: IndexConfig, dimension: number): number {
  if (index.quantize === undefined || index.quantize === 'none') return 0;
  return createQuantizer(index.quantize, dimension).minTrainingRows;
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
  const traversal = codebook.quantizer.serialize();
  const rerank = codebook.rerank?.serialize() ?? new Uint8Array(0);
  const w = new ParamWriter();
  w.u16(CODEBOOK_LAYOUT_VERSION).u16(0).u32(codebook.generation).u32(codebook.sampleRows).f32s([codebook.baseline]);
  w.u32(traversal.length).raw(traversal).u32(rerank.length).raw(rerank);
  return w.finish();
}

/** Reads a codebook; damage is CORRUPTED naming `what`, a newer layout UNSUPPORTED. */
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
  if (version === 0 || r.u16() !== 0) throw r.corrupted('codebook layout 0 or unknown flags');
  const generation = r.u32();
  const sampleRows = r.u32();
  const [baseline] = r.f32s(1);
  if (generation === 0 || !(baseline > 0)) throw r.corrupted(`generation ${generation}, baseline ${baseline}`);
  const quantizer = deserializeQuantizer(r.raw(r.u32()), what, { backend });
  const rerankLength = r.u32();
  const rerank = rerankLength === 0 ? null : deserializeQuantizer(r.raw(rerankLength), what, { backend });
  r.end();
  if (rerank !== null && (rerank.name !== 'lvq8' || rerank.dimension !== quantizer.dimension)) throw r.corrupted(`a ${rerank.name} re-rank quantizer`);
  return { generation, quantizer, rerank, baseline, sampleRows };
}

/** Whether a codebook serves `index` at `dimension` (its quantizers are the ones the config names). */
export function codebookFits(codebook: Codebook, index: IndexConfig, dimension: number): boolean {
  return codebook.quantizer.name === index.quantize && codebook.quantizer.dimension === dimension && (codebook.rerank !== null) === hasRerankRows(index);
}
