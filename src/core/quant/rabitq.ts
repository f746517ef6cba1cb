/**
 * RaBitQ (Gao & Long, "RaBitQ: Quantizing High-Dimensional Vectors with a Theoretical Error Bound for
 * Approximate Nearest Neighbor Search", SIGMOD 2024). Vectors are centred on the dataset centroid c,
 * zero-padded to D = 64⌈d/64⌉ dimensions and rotated by a random orthogonal R (rotation.ts): z = R (x − c).
 * The code is the sign of each rotated coordinate (D bits), i.e. the vertex x̄ ∈ {±1/√D}^D nearest to
 * the unit vector o = z/‖z‖. Stored per row: n = ‖x − c‖² and α = n / ‖z‖₁ (float32 each).
 *
 * The estimator: ⟨ō, o⟩ = ‖z‖₁ / (√D ‖z‖) is known per row, and ⟨ō, q⟩ / ⟨ō, o⟩ is an unbiased estimate
 * of ⟨o, q⟩ over the random rotation. For a query vector v (v = q − c for 'l2', v = q for 'dot') with
 * q̃ = R v and s = Σ_{bits set} q̃_i:
 *   ⟨v, x − c⟩ ≈ α (2 s − Σ q̃)
 *   l2:  ‖q − x‖² ≈ ‖q − c‖² + n − 2 α (2 s − Σ q̃)        dot: −⟨q, x⟩ ≈ −⟨q, c⟩ − α (2 s − Σ q̃)
 * The paper's bound: with probability at least 1 − 2e^{−c₀ ε₀²},
 *   |⟨ō, q⟩/⟨ō, o⟩ − ⟨o, q⟩| ≤ √((1 − ⟨ō, o⟩²) / ⟨ō, o⟩²) · ε₀ / √(D − 1)   (unit q; ε₀ = 1.9 in the paper).
 * The query stays float32 (the paper also quantizes it to 4 bits for popcount arithmetic; not done here).
 *
 * Reconstruction x̂ = c + Rᵀ(‖z‖₁/D · (2b − 1)), the point of the code's direction closest to x:
 * ‖x − x̂‖ ≤ ‖x − c‖ √(1 − ⟨ō, o⟩²), and ⟨ō, o⟩ ≥ 1/√D always (about 0.8 for typical data).
 * Row: D/8 + 8 bytes.
 */
import { assert } from '../lib/assert.js';
import { type CodeKernel, CODE_QUERY_PAYLOAD, codeQueryBytes } from '../kernels/codes.js';
import { type KernelMetric, alignUp } from '../kernels/kernel.js';
import { ParamWriter, writeParamHeader } from './params.js';
import { type Quantizer, type ReconstructionBound, QUANTIZER_KINDS, checkTrainingSample, encodeRows, meanOf, queryView, writeHeader } from './quantizer.js';
import { FhtKacRotation } from './rotation.js';

export const RABITQ_DEFAULT_SEED = 0x2b1f5eed;
export const RABITQ_ROUNDS = 4;

export function rabitqSize(dimension: number): number {
  return 64 * Math.ceil(dimension / 64);
}

export class RabitqQuantizer implements Quantizer {
  readonly name = 'rabitq';
  readonly dimension: number;
  /** D: the rotated, padded dimension. */
  readonly size: number;
  readonly codeBytes: number;
  readonly twoLevel = false;
  readonly residualBytes = 0;
  readonly kernelWidth: number;
  readonly queryBytes: number;
  readonly minTrainingRows = 1;
  readonly rotation: FhtKacRotation;
  private centroid: Float32Array | null = null;
  private readonly work: Float64Array;

  constructor(dimension: number, rotation: FhtKacRotation, centroid?: Float32Array) {
    this.dimension = dimension;
    this.size = rabitqSize(dimension);
    assert(rotation.size === this.size, 'RaBitQ rotation of the wrong size');
    this.rotation = rotation;
    this.codeBytes = this.size / 8 + 8;
    this.kernelWidth = this.size;
    this.queryBytes = alignUp(codeQueryBytes('rabitq', this.size));
    this.work = new Float64Array(this.size);
    if (centroid) this.centroid = centroid;
  }

  static create(dimension: number, seed = RABITQ_DEFAULT_SEED): RabitqQuantizer {
    return new RabitqQuantizer(dimension, FhtKacRotation.random(rabitqSize(dimension), RABITQ_ROUNDS, seed));
  }

  get trained(): boolean {
    return this.centroid !== null;
  }

  kernel(): CodeKernel {
    return 'rabitq';
  }

  rerankKernel(): CodeKernel {
    return 'rabitq';
  }

  train(sample: Float32Array, rows: number): void {
    checkTrainingSample(this, sample, rows);
    this.centroid = Float32Array.from(meanOf(sample, rows, this.dimension));
  }

  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
    return encodeRows(this, vectors, rows);
  }

  /** z = R (x − c) into the work buffer; returns ‖x − c‖². */
  private rotateCentred(vector: ArrayLike<number>, at: number): number {
    const centroid = this.centroid;
    assert(centroid !== null, 'rabitq must be trained');
    const z = this.work;
    z.fill(0);
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) {
      z[j] = vector[at + j] - centroid[j];
      norm += z[j] * z[j];
    }
    this.rotation.rotate(z);
    return norm;
  }

  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number): void {
    const norm = this.rotateCentred(vector, at);
    const z = this.work;
    out.fill(0, offset, offset + this.codeBytes);
    let l1 = 0;
    for (let i = 0; i < this.size; i++) {
      if (z[i] > 0) out[offset + (i >> 3)] |= 1 << (i & 7);
      l1 += Math.abs(z[i]);
    }
    const view = new DataView(out.buffer, out.byteOffset);
    view.setFloat32(offset + this.size / 8, norm, true);
    view.setFloat32(offset + this.size / 8 + 4, l1 > 0 ? norm / l1 : 0, true);
  }

  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset = 0): void {
    const centroid = this.centroid;
    assert(centroid !== null, 'rabitq must be trained before it decodes');
    const view = new DataView(codes.buffer, codes.byteOffset);
    const norm = view.getFloat32(offset + this.size / 8, true);
    const alpha = view.getFloat32(offset + this.size / 8 + 4, true);
    // ‖z‖₁ = n / α; every rotated coordinate of the reconstruction has magnitude ‖z‖₁ / D.
    const magnitude = alpha > 0 ? norm / alpha / this.size : 0;
    const z = this.work;
    for (let i = 0; i < this.size; i++) z[i] = (codes[offset + (i >> 3)] >> (i & 7)) & 1 ? magnitude : -magnitude;
    this.rotation.inverse(z);
    for (let j = 0; j < this.dimension; j++) out[outOffset + j] = centroid[j] + z[j];
  }

  /** ⟨ō, o⟩ for a vector: how well its code's direction matches its own (1/√D ≤ it ≤ 1). */
  codeAlignment(vector: ArrayLike<number>): number {
    const norm = this.rotateCentred(vector, 0);
    if (norm === 0) return 1;
    let l1 = 0;
    for (let i = 0; i < this.size; i++) l1 += Math.abs(this.work[i]);
    return l1 / Math.sqrt(this.size * norm);
  }

  reconstructionBound(vector: ArrayLike<number>): ReconstructionBound {
    const alignment = this.codeAlignment(vector);
    const centroid = this.centroid!;
    let norm = 0;
    for (let j = 0; j < this.dimension; j++) norm += (vector[j] - centroid[j]) ** 2;
    return { l2: Math.sqrt(norm * Math.max(0, 1 - alignment * alignment)) };
  }

  prepareQuery(query: ArrayLike<number>, metric: KernelMetric, buffer: ArrayBuffer, offset: number): void {
    const centroid = this.centroid;
    assert(centroid !== null, 'rabitq must be trained before it scores');
    const view = queryView(buffer, offset, this.queryBytes);
    const z = this.work;
    z.fill(0);
    let k0 = 0;
    for (let j = 0; j < this.dimension; j++) {
      z[j] = metric === 'l2' ? query[j] - centroid[j] : query[j];
      k0 += metric === 'l2' ? z[j] * z[j] : -query[j] * centroid[j];
    }
    this.rotation.rotate(z);
    let sum = 0;
    for (let i = 0; i < this.size; i++) {
      view[CODE_QUERY_PAYLOAD + i] = z[i];
      sum += view[CODE_QUERY_PAYLOAD + i];
    }
    writeHeader(view, k0, metric === 'l2' ? -2 : -1, metric === 'l2' ? 1 : 0, sum);
  }

  serialize(): Uint8Array {
    assert(this.centroid !== null, 'rabitq must be trained before it serializes');
    return writeParamHeader(new ParamWriter(), QUANTIZER_KINDS.rabitq, this.dimension)
      .u32(this.size)
      .u8(this.rotation.rounds)
      .u8(0)
      .u16(0)
      .f32s(this.centroid)
      .raw(this.rotation.signs)
      .finish();
  }
}
