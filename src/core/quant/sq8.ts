/**
 * SQ8: per-dimension scalar quantization to 8 bits. Training keeps each dimension's lower bound lo_j and
 * step s_j = (max_j − lo_j) / 255 over the sample; a vector is stored as c_j = round((x_j − lo_j) / s_j)
 * clamped to [0, 255], reconstructed as x̂_j = lo_j + s_j c_j. The row is the codes and one float32,
 * R = Σ (s_j c_j)² (pad4(d) + 4 bytes), so both metrics are one integer dot product ('sq8' kernel):
 *
 *   l2:  ‖q − x̂‖² = ‖a‖² − 2 Σ (a_j s_j) c_j + R,  a = q − lo
 *   dot: −⟨q, x̂⟩ = −⟨q, lo⟩ − Σ (q_j s_j) c_j
 *
 * Error bound: |x_j − x̂_j| ≤ s_j / 2 when x_j lies in the trained range [lo_j, lo_j + 255 s_j], plus the
 * distance to that range when it does not (values outside are clamped). lo is rounded down and s up to
 * float32 so the trained range covers every training value.
 */
import { assert } from '../lib/assert.js';
import { type CodeKernel, CODE_QUERY_PAYLOAD, codeQueryBytes, u8CodeBytes, writeIntegerPayload } from '../kernels/codes.js';
import { type KernelMetric, alignUp } from '../kernels/kernel.js';
import { ParamWriter, writeParamHeader } from './params.js';
import {
  type Quantizer,
  type ReconstructionBound,
  QUANTIZER_KINDS,
  checkTrainingSample,
  encodeRows,
  f32AtOrAbove,
  f32AtOrBelow,
  queryView,
  writeHeader,
} from './quantizer.js';

export class Sq8Quantizer implements Quantizer {
  readonly name = 'sq8';
  readonly dimension: number;
  readonly codeBytes: number;
  readonly twoLevel = false;
  readonly residualBytes = 0;
  readonly kernelWidth: number;
  readonly queryBytes: number;
  readonly minTrainingRows = 1;
  private lower: Float32Array | null = null;
  private step: Float32Array | null = null;

  constructor(dimension: number, lower?: Float32Array, step?: Float32Array) {
    this.dimension = dimension;
    this.codeBytes = u8CodeBytes(dimension) + 4;
    this.kernelWidth = dimension;
    this.queryBytes = alignUp(codeQueryBytes('sq8', dimension));
    if (lower && step) {
      this.lower = lower;
      this.step = step;
    }
  }

  get trained(): boolean {
    return this.lower !== null;
  }

  kernel(): CodeKernel {
    return 'sq8';
  }

  rerankKernel(): CodeKernel {
    return 'sq8';
  }

  train(sample: Float32Array, rows: number): void {
    checkTrainingSample(this, sample, rows);
    const d = this.dimension;
    const min = new Float64Array(d).fill(Infinity);
    const max = new Float64Array(d).fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        const v = sample[r * d + j];
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    }
    const lower = new Float32Array(d);
    const step = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      lower[j] = f32AtOrBelow(min[j]);
      step[j] = f32AtOrAbove((max[j] - lower[j]) / 255);
    }
    this.lower = lower;
    this.step = step;
  }

  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
    return encodeRows(this, vectors, rows);
  }

  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number): void {
    const { lower, step } = this;
    assert(lower !== null && step !== null, 'sq8 must be trained before it encodes');
    out.fill(0, offset, offset + this.codeBytes);
    let rest = 0;
    for (let j = 0; j < this.dimension; j++) {
      const c = step[j] > 0 ? Math.min(255, Math.max(0, Math.round((vector[at + j] - lower[j]) / step[j]))) : 0;
      out[offset + j] = c;
      rest += (step[j] * c) ** 2;
    }
    new DataView(out.buffer, out.byteOffset).setFloat32(offset + u8CodeBytes(this.dimension), rest, true);
  }

  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset = 0): void {
    const { lower, step } = this;
    assert(lower !== null && step !== null, 'sq8 must be trained before it decodes');
    for (let j = 0; j < this.dimension; j++) out[outOffset + j] = lower[j] + step[j] * codes[offset + j];
  }

  reconstructionBound(vector: ArrayLike<number>): ReconstructionBound {
    const { lower, step } = this;
    assert(lower !== null && step !== null, 'sq8 must be trained');
    const bound = new Float64Array(this.dimension);
    for (let j = 0; j < this.dimension; j++) {
      const top = lower[j] + 255 * step[j];
      bound[j] = step[j] / 2 + Math.max(0, lower[j] - vector[j], vector[j] - top);
    }
    return { perCoordinate: bound };
  }

  prepareQuery(query: ArrayLike<number>, metric: KernelMetric, buffer: ArrayBuffer, offset: number): void {
    const { lower, step } = this;
    assert(lower !== null && step !== null, 'sq8 must be trained before it scores');
    const view = queryView(buffer, offset, this.queryBytes);
    let k0 = 0;
    for (let j = 0; j < this.dimension; j++) {
      // l2 expands around lo: a = q − lo; dot takes q itself.
      const a = metric === 'l2' ? query[j] - lower[j] : query[j];
      view[CODE_QUERY_PAYLOAD + j] = a * step[j];
      k0 += metric === 'l2' ? a * a : -query[j] * lower[j];
    }
    writeHeader(view, k0, metric === 'l2' ? -2 : -1, metric === 'l2' ? 1 : 0, 0);
    writeIntegerPayload(view, this.dimension, 255);
  }

  serialize(): Uint8Array {
    assert(this.lower !== null && this.step !== null, 'sq8 must be trained before it serializes');
    return writeParamHeader(new ParamWriter(), QUANTIZER_KINDS.sq8, this.dimension).f32s(this.lower).f32s(this.step).finish();
  }
}
