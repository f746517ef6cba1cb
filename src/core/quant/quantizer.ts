/**
 * The Quantizer seam: compression belongs to the stored vectors, not to the index, so any graph runs over
 * any representation. A quantizer is trained once on a sample (train), turns vectors into fixed-size code
 * rows (encode), turns a float32 query into a prepared query block that a code kernel scores rows against
 * without decoding them (prepareQuery + KernelMemory.codeRange / codeSlots, or a CodeArena), and
 * round-trips its trained parameters through bytes (serialize / deserializeQuantizer). decode is for
 * tests, error bounds and re-building other representations, never for the hot loop.
 *
 * Row and query layouts are specified in core/kernels/codes.ts; parameter layouts in docs/formats.md.
 * Distances follow the kernels: lower is better, 'l2' estimates the squared distance, 'dot' the negated
 * inner product (cosine is 'dot' over vectors the collection has normalised).
 */
import { QuiverError } from '../errors.js';
import type { CodeKernel } from '../kernels/codes.js';
import type { KernelBackend, KernelMetric } from '../kernels/kernel.js';

/** The API names of api.md's `quantize` option (recipe tokens SQ8, LVQ8, …, BQ, RaBitQ, PQ<m>x<bits>). */
export type QuantizerName = 'sq8' | 'lvq8' | 'lvq4' | 'lvq4x8' | 'lvq8x8' | 'binary' | 'rabitq' | `pq${number}x${number}`;

export interface QuantizerOptions {
  /** Seeds every random choice (PQ's k-means++, RaBitQ's rotation); the default is fixed, so training replays. */
  seed?: number;
  /** PQ: Lloyd iterations after k-means++ (stops early once no assignment changes). Default 12. */
  iterations?: number;
  /**
   * PQ: the kernels its nearest-centroid searches (training, encoding) run on — about 10x the plain
   * TypeScript loops with the WASM backend. Codebooks trained with and without it may differ in the last
   * bits (float32 kernels vs float64 loops); each is deterministic.
   */
  backend?: KernelBackend;
}

/** What decode(encode(x)) is guaranteed to be within, for one vector. */
export interface ReconstructionBound {
  /** |x_j − x̂_j| ≤ perCoordinate[j] for every coordinate j (SQ8, LVQ, binary). */
  perCoordinate?: Float64Array;
  /** ‖x − x̂‖ ≤ l2 (PQ, RaBitQ). */
  l2?: number;
}

export interface Quantizer {
  /** The API name ('lvq4x8', 'pq16x8', …). */
  readonly name: QuantizerName;
  readonly dimension: number;
  readonly trained: boolean;
  /**
   * Bytes of one code row, constants included: what a graph traverses, a code arena's stride (a
   * multiple of 4). Bytes per vector = codeBytes + residualBytes.
   */
  readonly codeBytes: number;
  /**
   * Bytes of one second-level row (two-level LVQ's residual: the re-rank data, kept apart from the
   * traversal rows); 0 for the other methods.
   */
  readonly residualBytes: number;
  /** The kernel a graph traverses with for `metric` (a two-level LVQ's first level). */
  kernel(metric: KernelMetric): CodeKernel;
  /** The kernel that uses everything a row holds (both levels of a two-level LVQ); kernel(metric) for the others. */
  rerankKernel(metric: KernelMetric): CodeKernel;
  /** Whether rerankKernel reads more of the row than kernel (two-level LVQ). */
  readonly twoLevel: boolean;
  /** The kernels' width argument (dimension; RaBitQ's rotated dimension; PQ's sub-space count). */
  readonly kernelWidth: number;
  /** Bytes of a prepared query block (a multiple of 16). */
  readonly queryBytes: number;
  /** The fewest training rows train accepts. */
  readonly minTrainingRows: number;
  /**
   * Learns the parameters from `rows` vectors packed in `sample` (rows × dimension float32). Throws
   * INVALID_ARGUMENT (too few rows, wrong length) or INVALID_VECTOR (a non-finite value). Re-training
   * replaces the parameters: rows encoded before must be encoded again.
   */
  train(sample: Float32Array, rows: number): void;
  /**
   * Encodes vector[at, at + dimension) into out[offset, offset + codeBytes), and its second level into
   * residuals[residualOffset, + residualBytes) (required when residualBytes > 0). Must be trained.
   */
  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number, residuals?: Uint8Array, residualOffset?: number): void;
  /** Encodes `rows` packed vectors: rows × codeBytes of codes and rows × residualBytes of residuals. */
  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array };
  /**
   * Writes the reconstruction of the row at codes[offset] into out[outOffset, + dimension): both levels
   * when the residual row is given, the traversal level alone otherwise.
   */
  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset?: number, residuals?: Uint8Array, residualOffset?: number): void;
  /** Writes the query block for `metric` at buffer[offset, offset + queryBytes) (offset 16-aligned). */
  prepareQuery(query: ArrayLike<number>, metric: KernelMetric, buffer: ArrayBuffer, offset: number): void;
  /** The bound this method guarantees for decode(encode(vector)), given the row (and residual row) it encoded. */
  reconstructionBound(vector: ArrayLike<number>, codes: Uint8Array, offset: number, residuals?: Uint8Array, residualOffset?: number): ReconstructionBound;
  /** The trained parameters in the versioned layout of docs/formats.md (framing and checksum are the caller's). */
  serialize(): Uint8Array;
}

/** Kind bytes of the serialized layout (docs/formats.md). */
export const QUANTIZER_KINDS = { sq8: 1, lvq: 2, binary: 3, pq: 4, rabitq: 5 } as const;

/** Version of the parameter layouts this build writes and reads. */
export const QUANTIZER_LAYOUT_VERSION = 1;

const roundF32 = new Float32Array(1);
const roundBits = new Int32Array(roundF32.buffer);

/** The largest float32 at or below v (v finite). */
export function f32AtOrBelow(v: number): number {
  roundF32[0] = v;
  if (roundF32[0] <= v) return roundF32[0];
  // Rounded up: step one unit in the last place towards -Infinity.
  if (roundF32[0] === 0) return -1.401298464324817e-45;
  roundBits[0] += roundF32[0] > 0 ? -1 : 1;
  return roundF32[0];
}

/** The smallest float32 at or above v (v finite). */
export function f32AtOrAbove(v: number): number {
  return -f32AtOrBelow(-v);
}

/** Dense f64 mean of rows packed in `sample`. */
export function meanOf(sample: Float32Array, rows: number, dimension: number): Float64Array {
  const mean = new Float64Array(dimension);
  for (let r = 0; r < rows; r++) {
    const at = r * dimension;
    for (let j = 0; j < dimension; j++) mean[j] += sample[at + j];
  }
  for (let j = 0; j < dimension; j++) mean[j] /= rows;
  return mean;
}

/** Zeroes a query block and returns its float32 view. */
export function queryView(buffer: ArrayBuffer, offset: number, bytes: number): Float32Array {
  const view = new Float32Array(buffer, offset, bytes >> 2);
  view.fill(0);
  return view;
}

/** Writes the query header (k0, k1, k2, S); σ is writeIntegerPayload's. */
export function writeHeader(view: Float32Array, k0: number, k1: number, k2: number, sum: number): void {
  view[0] = k0;
  view[1] = k1;
  view[2] = k2;
  view[3] = sum;
}

/** Rejects a training sample a quantizer cannot learn from, saying what to pass instead. */
export function checkTrainingSample(quantizer: Pick<Quantizer, 'name' | 'dimension' | 'minTrainingRows'>, sample: Float32Array, rows: number): void {
  const { name, dimension, minTrainingRows } = quantizer;
  if (!(sample instanceof Float32Array)) {
    throw new QuiverError('INVALID_ARGUMENT', `${name} trains on a Float32Array of rows × ${dimension} packed floats.`, { quantizer: name });
  }
  if (!Number.isInteger(rows) || rows < minTrainingRows) {
    throw new QuiverError('INVALID_ARGUMENT', `${name} needs a training sample of at least ${minTrainingRows} vectors; got ${rows}. Train once the collection holds more vectors.`, {
      quantizer: name,
      minimum: minTrainingRows,
      received: rows,
    });
  }
  if (sample.length < rows * dimension) {
    throw new QuiverError('DIMENSION_MISMATCH', `${name}: a sample of ${rows} vectors of dimension ${dimension} holds ${rows * dimension} floats; got ${sample.length}.`, {
      expected: rows * dimension,
      received: sample.length,
    });
  }
  for (let i = 0; i < rows * dimension; i++) {
    if (!Number.isFinite(sample[i])) {
      throw new QuiverError('INVALID_VECTOR', `${name}: training vector ${Math.floor(i / dimension)} holds ${sample[i]} at position ${i % dimension}; vectors must be finite.`, {
        row: Math.floor(i / dimension),
        position: i % dimension,
      });
    }
  }
}

/** Encodes rows packed in `vectors` with encodeInto, one after another. */
export function encodeRows(quantizer: Quantizer, vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
  const codes = new Uint8Array(rows * quantizer.codeBytes);
  const residuals = new Uint8Array(rows * quantizer.residualBytes);
  for (let r = 0; r < rows; r++) quantizer.encodeInto(vectors, r * quantizer.dimension, codes, r * quantizer.codeBytes, residuals, r * quantizer.residualBytes);
  return { codes, residuals };
}
