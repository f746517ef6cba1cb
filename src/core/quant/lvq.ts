/**
 * LVQ, Locally-adaptive Vector Quantization (Aguerrebere et al., "Similarity search in the blink of an
 * eye with compressed indices", VLDB 2023). Vectors are centred on the dataset mean μ; each centred vector
 * x' keeps its own lower bound l and step Δ = (u − l) / (2^B − 1), u and l being its largest and smallest
 * coordinates, and B-bit codes c_j = round((x'_j − l) / Δ). Reconstruction: x̂ = μ + l + Δ c.
 *
 * Two-level LVQ-B1x8 also encodes the first level's residual r = x' − (l + Δ c), which lies in
 * [−Δ/2, Δ/2], with 8 more bits: Δ2 = Δ / 255, r_j ≈ −Δ/2 + Δ2 c2_j. The first level alone drives graph
 * traversal ('lvq4' / 'lvq8' kernels read only it); re-ranking uses both ('lvq4x8' / 'lvq8x8').
 *
 * Scores on the codes (q the float32 query; S = Σ q'_j):
 *   dot: ⟨q, x̂⟩ = ⟨q, μ⟩ + l Σq + Δ ⟨q, c⟩
 *   l2:  ‖q − x̂‖² = ‖q'‖² − 2 (l S + Δ ⟨q', c⟩) + ‖x̂'‖²,  q' = q − μ, with ‖x̂'‖² stored per row
 * The traversal kernels take ⟨q', c⟩ as an integer dot product with q' rounded to int16 (codes.ts).
 *
 * Error bound (every coordinate, exact arithmetic): |x_j − x̂_j| ≤ Δ/2 for one level, Δ2/2 = Δ/510 for two.
 * It holds with l and Δ stored as float32 because l is rounded down and Δ up before the codes are chosen,
 * so [l, l + (2^B − 1) Δ] still covers [min x', max x'].
 *
 * Row: codes (u8: pad4(d) bytes; u4: 8·⌈d/16⌉), then f32 l, Δ, n1 = ‖l + Δ c‖². Two-level LVQ keeps
 * its second level in a separate residual row (u8 residual codes, pad4(d) bytes, then f32
 * n2 = ‖two-level x̂'‖²), so the traversal rows of LVQ-4x8 are exactly LVQ-4 rows and the residuals are
 * the re-rank data. Bytes per vector: LVQ-8 pad4(d) + 12, LVQ-4 8⌈d/16⌉ + 12, LVQ-8x8 2·pad4(d) + 16,
 * LVQ-4x8 8⌈d/16⌉ + pad4(d) + 16.
 */
import { assert } from '../lib/assert.js';
import { type CodeKernel, CODE_QUERY_PAYLOAD, codeQueryBytes, lvqLevelOneBytes, residualRowBytes, writeIntegerPayload } from '../kernels/codes.js';
import { type KernelMetric, alignUp } from '../kernels/kernel.js';
import { ParamWriter, writeParamHeader } from './params.js';
import {
  type Quantizer,
  type QuantizerName,
  type ReconstructionBound,
  QUANTIZER_KINDS,
  checkTrainingSample,
  encodeRows,
  f32AtOrAbove,
  f32AtOrBelow,
  meanOf,
  queryView,
  writeHeader,
} from './quantizer.js';

export type LvqBits = 4 | 8;

export class LvqQuantizer implements Quantizer {
  readonly name: QuantizerName;
  readonly dimension: number;
  readonly bits: LvqBits;
  /** 8 for two-level LVQ, 0 for one level. */
  readonly residualBits: 0 | 8;
  readonly codeBytes: number;
  readonly residualBytes: number;
  readonly twoLevel: boolean;
  readonly kernelWidth: number;
  readonly queryBytes: number;
  readonly minTrainingRows = 1;
  private mean: Float32Array | null = null;
  /** Bytes of the level-1 codes: where l, Δ, n1 start. */
  private readonly levelOne: number;
  private readonly centred: Float64Array;
  private readonly levels: number;
  private readonly levelOneKernel: CodeKernel;
  private readonly bothLevelsKernel: CodeKernel;

  constructor(dimension: number, bits: LvqBits, residualBits: 0 | 8, mean?: Float32Array) {
    this.dimension = dimension;
    this.bits = bits;
    this.residualBits = residualBits;
    this.name = residualBits === 0 ? `lvq${bits}` : `lvq${bits}x8`;
    this.levelOne = lvqLevelOneBytes(bits, dimension);
    this.codeBytes = this.levelOne + 12;
    this.residualBytes = residualBits === 0 ? 0 : residualRowBytes(dimension);
    this.twoLevel = residualBits !== 0;
    this.levelOneKernel = bits === 8 ? 'lvq8' : 'lvq4';
    this.bothLevelsKernel = residualBits === 0 ? this.levelOneKernel : bits === 8 ? 'lvq8x8' : 'lvq4x8';
    this.kernelWidth = dimension;
    this.queryBytes = alignUp(codeQueryBytes(this.levelOneKernel, dimension));
    this.centred = new Float64Array(dimension);
    this.levels = (1 << bits) - 1;
    if (mean) this.mean = mean;
  }

  get trained(): boolean {
    return this.mean !== null;
  }

  kernel(): CodeKernel {
    return this.levelOneKernel;
  }

  rerankKernel(): CodeKernel {
    return this.bothLevelsKernel;
  }

  /** The dataset mean the vectors are centred on (a copy). */
  get centre(): Float32Array {
    assert(this.mean !== null, `${this.name} is not trained`);
    return this.mean.slice();
  }

  train(sample: Float32Array, rows: number): void {
    checkTrainingSample(this, sample, rows);
    this.mean = Float32Array.from(meanOf(sample, rows, this.dimension));
  }

  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
    return encodeRows(this, vectors, rows);
  }

  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number, residuals?: Uint8Array, residualOffset = 0): void {
    const mean = this.mean;
    assert(mean !== null, `${this.name} must be trained before it encodes`);
    assert(this.residualBits === 0 || residuals !== undefined, `${this.name} encodes a residual row too`);
    const d = this.dimension;
    const x = this.centred;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < d; j++) {
      x[j] = vector[at + j] - mean[j];
      if (x[j] < lo) lo = x[j];
      if (x[j] > hi) hi = x[j];
    }
    const l = f32AtOrBelow(lo);
    const delta = f32AtOrAbove((hi - l) / this.levels);
    const step2 = Math.fround(delta / 255);
    const half = delta / 2;
    out.fill(0, offset, offset + this.codeBytes);
    if (this.residualBits !== 0) residuals!.fill(0, residualOffset, residualOffset + this.residualBytes);
    const constants = offset + this.levelOne;
    let n1 = 0;
    let n2 = 0;
    for (let j = 0; j < d; j++) {
      const c = delta > 0 ? Math.min(this.levels, Math.max(0, Math.round((x[j] - l) / delta))) : 0;
      // u4: codes.ts's layout (u4Position), inlined: byte 8⌊j/16⌋ + j mod 8, high nibble for j mod 16 ≥ 8.
      if (this.bits === 8) out[offset + j] = c;
      else out[offset + 8 * (j >> 4) + (j & 7)] |= j & 8 ? c << 4 : c;
      const level1 = l + delta * c;
      n1 += level1 * level1;
      if (this.residualBits !== 0) {
        const c2 = step2 > 0 ? Math.min(255, Math.max(0, Math.round((x[j] - level1 + half) / step2))) : 0;
        residuals![residualOffset + j] = c2;
        const both = level1 - half + step2 * c2;
        n2 += both * both;
      }
    }
    const view = new DataView(out.buffer, out.byteOffset);
    view.setFloat32(constants, l, true);
    view.setFloat32(constants + 4, delta, true);
    view.setFloat32(constants + 8, n1, true);
    if (this.residualBits !== 0) new DataView(residuals!.buffer, residuals!.byteOffset).setFloat32(residualOffset + this.residualBytes - 4, n2, true);
  }

  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset = 0, residuals?: Uint8Array, residualOffset = 0): void {
    const mean = this.mean;
    assert(mean !== null, `${this.name} must be trained before it decodes`);
    const view = new DataView(codes.buffer, codes.byteOffset);
    const constants = offset + this.levelOne;
    const l = view.getFloat32(constants, true);
    const delta = view.getFloat32(constants + 4, true);
    const step2 = Math.fround(delta / 255);
    const both = residuals !== undefined && this.residualBits !== 0;
    for (let j = 0; j < this.dimension; j++) {
      let c: number;
      if (this.bits === 8) c = codes[offset + j];
      else {
        const byte = codes[offset + 8 * (j >> 4) + (j & 7)];
        c = j & 8 ? byte >> 4 : byte & 15;
      }
      let value = l + delta * c;
      if (both) value += -delta / 2 + step2 * residuals[residualOffset + j];
      out[outOffset + j] = mean[j] + value;
    }
  }

  /** Δ/2 per coordinate for the traversal level, Δ/510 with the residual row. */
  reconstructionBound(_vector: ArrayLike<number>, codes: Uint8Array, offset: number, residuals?: Uint8Array): ReconstructionBound {
    const delta = new DataView(codes.buffer, codes.byteOffset).getFloat32(offset + this.levelOne + 4, true);
    const bound = residuals === undefined || this.residualBits === 0 ? delta / 2 : Math.fround(delta / 255) / 2;
    return { perCoordinate: new Float64Array(this.dimension).fill(bound) };
  }

  prepareQuery(query: ArrayLike<number>, metric: KernelMetric, buffer: ArrayBuffer, offset: number): void {
    const mean = this.mean;
    assert(mean !== null, `${this.name} must be trained before it scores`);
    const view = queryView(buffer, offset, this.queryBytes);
    let sum = 0;
    let k0 = 0;
    for (let j = 0; j < this.dimension; j++) {
      const v = Math.fround(metric === 'l2' ? query[j] - mean[j] : query[j]);
      view[CODE_QUERY_PAYLOAD + j] = v;
      sum += v;
      k0 += metric === 'l2' ? v * v : -query[j] * mean[j];
    }
    writeHeader(view, k0, metric === 'l2' ? -2 : -1, metric === 'l2' ? 1 : 0, sum);
    writeIntegerPayload(view, this.dimension, this.levels);
  }

  serialize(): Uint8Array {
    assert(this.mean !== null, `${this.name} must be trained before it serializes`);
    return writeParamHeader(new ParamWriter(), QUANTIZER_KINDS.lvq, this.dimension).u8(this.bits).u8(this.residualBits).u16(0).f32s(this.mean).finish();
  }
}
