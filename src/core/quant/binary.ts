/**
 * Binary quantization (recipe token BQ): one bit per dimension, the sign of the mean-centred value
 * (bit j = 1 when x_j > μ_j), compared by Hamming distance. The query is binarized the same way, so the
 * kernel is popcount(query xor row) and the distance is a count of differing signs, the same for 'l2'
 * and 'dot': a coarse proxy that orders candidates for re-ranking, not an estimate of either distance.
 * Row: 8·⌈d/64⌉ bytes.
 *
 * Reconstruction x̂_j = μ_j ± σ_j, σ_j the mean absolute deviation of dimension j over the training
 * sample. Bound: the sign of x_j − μ_j is kept, so |x_j − x̂_j| = ||x_j − μ_j| − σ_j| ≤ max(|x_j − μ_j|, σ_j).
 */
import { assert } from '../lib/assert.js';
import { type CodeKernel, CODE_QUERY_HEADER_BYTES, bitCodeBytes, codeQueryBytes } from '../kernels/codes.js';
import { type KernelMetric, alignUp } from '../kernels/kernel.js';
import { ParamWriter, writeParamHeader } from './params.js';
import { type Quantizer, type ReconstructionBound, QUANTIZER_KINDS, checkTrainingSample, encodeRows, meanOf } from './quantizer.js';

export class BinaryQuantizer implements Quantizer {
  readonly name = 'binary';
  readonly dimension: number;
  readonly codeBytes: number;
  readonly twoLevel = false;
  readonly residualBytes = 0;
  readonly kernelWidth: number;
  readonly queryBytes: number;
  readonly minTrainingRows = 1;
  private mean: Float32Array | null = null;
  private spread: Float32Array | null = null;

  constructor(dimension: number, mean?: Float32Array, spread?: Float32Array) {
    this.dimension = dimension;
    this.codeBytes = bitCodeBytes(dimension);
    this.kernelWidth = dimension;
    this.queryBytes = alignUp(codeQueryBytes('hamming', dimension));
    if (mean && spread) {
      this.mean = mean;
      this.spread = spread;
    }
  }

  get trained(): boolean {
    return this.mean !== null;
  }

  kernel(): CodeKernel {
    return 'hamming';
  }

  rerankKernel(): CodeKernel {
    return 'hamming';
  }

  train(sample: Float32Array, rows: number): void {
    checkTrainingSample(this, sample, rows);
    const d = this.dimension;
    const mean = meanOf(sample, rows, d);
    const spread = new Float64Array(d);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) spread[j] += Math.abs(sample[r * d + j] - mean[j]);
    this.mean = Float32Array.from(mean);
    this.spread = Float32Array.from(spread, (s) => s / rows);
  }

  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
    return encodeRows(this, vectors, rows);
  }

  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number): void {
    const mean = this.mean;
    assert(mean !== null, 'binary must be trained before it encodes');
    out.fill(0, offset, offset + this.codeBytes);
    for (let j = 0; j < this.dimension; j++) if (vector[at + j] > mean[j]) out[offset + (j >> 3)] |= 1 << (j & 7);
  }

  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset = 0): void {
    const { mean, spread } = this;
    assert(mean !== null && spread !== null, 'binary must be trained before it decodes');
    for (let j = 0; j < this.dimension; j++) {
      const set = (codes[offset + (j >> 3)] >> (j & 7)) & 1;
      out[outOffset + j] = mean[j] + (set ? spread[j] : -spread[j]);
    }
  }

  reconstructionBound(vector: ArrayLike<number>): ReconstructionBound {
    const { mean, spread } = this;
    assert(mean !== null && spread !== null, 'binary must be trained');
    return { perCoordinate: Float64Array.from({ length: this.dimension }, (_, j) => Math.max(Math.abs(vector[j] - mean[j]), spread[j])) };
  }

  prepareQuery(query: ArrayLike<number>, _metric: KernelMetric, buffer: ArrayBuffer, offset: number): void {
    const block = new Uint8Array(buffer, offset, this.queryBytes);
    block.fill(0);
    this.encodeInto(query, 0, block, CODE_QUERY_HEADER_BYTES);
  }

  serialize(): Uint8Array {
    assert(this.mean !== null && this.spread !== null, 'binary must be trained before it serializes');
    return writeParamHeader(new ParamWriter(), QUANTIZER_KINDS.binary, this.dimension).f32s(this.mean).f32s(this.spread).finish();
  }
}
