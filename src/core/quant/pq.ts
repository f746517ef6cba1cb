/**
 * Product quantization (Jégou, Douze, Schmid, "Product quantization for nearest neighbor search",
 * TPAMI 2011). The dimensions are split into m contiguous sub-spaces (the first d mod m get ⌈d/m⌉
 * dimensions, the rest ⌊d/m⌋); each has a codebook of K = 2^bits centroids (bits 4 or 8) learned by
 * k-means++ and Lloyd iterations on the training sample. A vector is stored as the index of the nearest
 * centroid in each sub-space: m bytes for 8 bits, ⌈m/2⌉ for 4 (rows padded to a multiple of 4 bytes).
 *
 * Asymmetric distance: per query, a lookup table of m × K partial distances (‖q_s − c_{s,k}‖² for 'l2',
 * −⟨q_s, c_{s,k}⟩ for 'dot'); a row's distance is the sum of its m entries ('pq8' / 'pq4' kernels).
 *
 * Error: PQ has no a-priori bound (the RaBitQ paper's point). What holds, and what the tests check: each
 * sub-vector is replaced by its nearest centroid, so ‖x − x̂‖² = Σ_s min_k ‖x_s − c_{s,k}‖².
 */
import { QuiverError } from '../errors.js';
import { assert } from '../lib/assert.js';
import { Prng } from '../lib/prng.js';
import { type CodeKernel, CODE_QUERY_PAYLOAD, codeQueryBytes, pad4 } from '../kernels/codes.js';
import { type KernelBackend, type KernelMetric, alignUp } from '../kernels/kernel.js';
import { CodebookSearch, KernelRows, argmin, kmeans } from './kmeans.js';
import { ParamWriter, writeParamHeader } from './params.js';
import { type Quantizer, type QuantizerName, type ReconstructionBound, QUANTIZER_KINDS, checkTrainingSample, encodeRows, queryView } from './quantizer.js';

export const PQ_DEFAULT_SEED = 0x9e3779b9;
export const PQ_DEFAULT_ITERATIONS = 12;

export class PqQuantizer implements Quantizer {
  readonly name: QuantizerName;
  readonly dimension: number;
  /** Sub-spaces. */
  readonly m: number;
  readonly bits: 4 | 8;
  /** Centroids per sub-space, 2^bits. */
  readonly k: number;
  readonly codeBytes: number;
  readonly twoLevel = false;
  readonly residualBytes = 0;
  readonly kernelWidth: number;
  readonly queryBytes: number;
  readonly minTrainingRows: number;
  /** Sub-space s covers dimensions [starts[s], starts[s + 1]). */
  readonly starts: Int32Array;
  private readonly seed: number;
  private readonly iterations: number;
  /** Kernels for the nearest-centroid searches of training and encoding; plain TypeScript without. */
  private readonly backend: KernelBackend | undefined;
  /** Every codebook in one kernel memory, for encoding (made on first use when a backend was given). */
  private codebookKernels: KernelRows | null = null;
  /** Codebook of sub-space s at offsets[s] in centroids: k × (starts[s+1] − starts[s]) floats. */
  private readonly offsets: Int32Array;
  private centroids: Float32Array | null = null;
  /** Each sub-space's nearest-centroid search, for encoding. */
  private searches: CodebookSearch[] | null = null;

  constructor(dimension: number, m: number, bits: 4 | 8, options: { seed?: number; iterations?: number; backend?: KernelBackend } = {}, centroids?: Float32Array) {
    this.dimension = dimension;
    this.m = m;
    this.bits = bits;
    this.k = 1 << bits;
    this.name = `pq${m}x${bits}`;
    this.codeBytes = bits === 8 ? pad4(m) : pad4(Math.ceil(m / 2));
    this.kernelWidth = m;
    this.queryBytes = alignUp(codeQueryBytes(bits === 8 ? 'pq8' : 'pq4', m));
    this.minTrainingRows = this.k;
    this.seed = options.seed ?? PQ_DEFAULT_SEED;
    this.iterations = options.iterations ?? PQ_DEFAULT_ITERATIONS;
    this.backend = options.backend;
    this.starts = new Int32Array(m + 1);
    const base = Math.floor(dimension / m);
    const extra = dimension % m;
    for (let s = 0; s < m; s++) this.starts[s + 1] = this.starts[s] + base + (s < extra ? 1 : 0);
    this.offsets = new Int32Array(m + 1);
    for (let s = 0; s < m; s++) this.offsets[s + 1] = this.offsets[s] + this.k * (this.starts[s + 1] - this.starts[s]);
    if (centroids) {
      assert(centroids.length === this.offsets[m], 'PQ codebooks of the wrong size');
      this.setCentroids(centroids);
    }
  }

  private setCentroids(centroids: Float32Array): void {
    this.centroids = centroids;
    this.codebookKernels = null;
    this.searches = Array.from({ length: this.m }, (_, s) => new CodebookSearch(centroids.subarray(this.offsets[s], this.offsets[s + 1]), this.k, this.starts[s + 1] - this.starts[s]));
  }

  /** Floats in all codebooks together: K × d. */
  get codebookFloats(): number {
    return this.offsets[this.m];
  }

  get trained(): boolean {
    return this.centroids !== null;
  }

  kernel(): CodeKernel {
    return this.bits === 8 ? 'pq8' : 'pq4';
  }

  rerankKernel(): CodeKernel {
    return this.kernel();
  }

  train(sample: Float32Array, rows: number): void {
    checkTrainingSample(this, sample, rows);
    if (!Number.isInteger(this.iterations) || this.iterations < 0) {
      throw new QuiverError('INVALID_ARGUMENT', `PQ iterations is a whole number of at least 0; got ${this.iterations}.`, { field: 'iterations' });
    }
    const rng = new Prng(this.seed);
    const centroids = new Float32Array(this.codebookFloats);
    const widest = this.starts[1] - this.starts[0];
    const scan = this.backend
      ? new KernelRows(this.backend, [
          { dim: widest, rows },
          { dim: widest, rows: this.k },
        ])
      : undefined;
    for (let s = 0; s < this.m; s++) {
      const dim = this.starts[s + 1] - this.starts[s];
      const book = kmeans({ data: sample, rows, stride: this.dimension, offset: this.starts[s], dim }, this.k, this.iterations, rng, scan);
      centroids.set(book, this.offsets[s]);
    }
    this.setCentroids(centroids);
  }

  encode(vectors: Float32Array, rows: number): { codes: Uint8Array; residuals: Uint8Array } {
    return encodeRows(this, vectors, rows);
  }

  /** The nearest centroid of sub-space s to vector[at + start_s, …) by direct squared distance (the bound's reference). */
  private nearest(vector: ArrayLike<number>, at: number, s: number): { code: number; distance: number } {
    const centroids = this.centroids;
    assert(centroids !== null, `${this.name} must be trained`);
    const start = this.starts[s];
    const dim = this.starts[s + 1] - start;
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0, base = this.offsets[s]; c < this.k; c++, base += dim) {
      let sum = 0;
      for (let j = 0; j < dim; j++) {
        const diff = vector[at + start + j] - centroids[base + j];
        sum += diff * diff;
      }
      if (sum < bestDistance) {
        bestDistance = sum;
        best = c;
      }
    }
    return { code: best, distance: bestDistance };
  }

  encodeInto(vector: ArrayLike<number>, at: number, out: Uint8Array, offset: number): void {
    const searches = this.searches;
    assert(searches !== null, `${this.name} must be trained before it encodes`);
    const kernels = this.kernels();
    out.fill(0, offset, offset + this.codeBytes);
    for (let s = 0; s < this.m; s++) {
      const code = kernels ? argmin(kernels.distances(s, vector, at + this.starts[s])) : searches[s].nearest(vector, at + this.starts[s]);
      if (this.bits === 8) out[offset + s] = code;
      else out[offset + (s >> 1)] |= s & 1 ? code << 4 : code;
    }
  }

  /** The codebooks in a kernel memory, when a backend was handed in (made on first use). */
  private kernels(): KernelRows | null {
    const centroids = this.centroids;
    if (!this.backend || centroids === null) return null;
    if (this.codebookKernels === null) {
      const kernels = new KernelRows(
        this.backend,
        Array.from({ length: this.m }, (_, s) => ({ dim: this.starts[s + 1] - this.starts[s], rows: this.k })),
      );
      for (let s = 0; s < this.m; s++) kernels.load(s, centroids, this.k, this.starts[s + 1] - this.starts[s], this.offsets[s]);
      this.codebookKernels = kernels;
    }
    return this.codebookKernels;
  }

  private codeOf(codes: Uint8Array, offset: number, s: number): number {
    if (this.bits === 8) return codes[offset + s];
    const byte = codes[offset + (s >> 1)];
    return s & 1 ? byte >> 4 : byte & 15;
  }

  decode(codes: Uint8Array, offset: number, out: Float32Array, outOffset = 0): void {
    const centroids = this.centroids;
    assert(centroids !== null, `${this.name} must be trained before it decodes`);
    for (let s = 0; s < this.m; s++) {
      const dim = this.starts[s + 1] - this.starts[s];
      const base = this.offsets[s] + this.codeOf(codes, offset, s) * dim;
      out.set(centroids.subarray(base, base + dim), outOffset + this.starts[s]);
    }
  }

  reconstructionBound(vector: ArrayLike<number>): ReconstructionBound {
    let sum = 0;
    for (let s = 0; s < this.m; s++) sum += this.nearest(vector, 0, s).distance;
    return { l2: Math.sqrt(sum) };
  }

  prepareQuery(query: ArrayLike<number>, metric: KernelMetric, buffer: ArrayBuffer, offset: number): void {
    const centroids = this.centroids;
    assert(centroids !== null, `${this.name} must be trained before it scores`);
    const view = queryView(buffer, offset, this.queryBytes);
    const kernels = this.kernels();
    if (kernels) {
      // The float kernels compute exactly the table's entries: ‖q_s − c‖² ('l2') or −⟨q_s, c⟩ ('dot').
      for (let s = 0; s < this.m; s++) view.set(kernels.distances(s, query, this.starts[s], this.k, metric), CODE_QUERY_PAYLOAD + s * this.k);
      return;
    }
    let at = CODE_QUERY_PAYLOAD;
    for (let s = 0; s < this.m; s++) {
      const start = this.starts[s];
      const dim = this.starts[s + 1] - start;
      for (let c = 0, base = this.offsets[s]; c < this.k; c++, base += dim) {
        let sum = 0;
        if (metric === 'l2') {
          for (let j = 0; j < dim; j++) {
            const diff = query[start + j] - centroids[base + j];
            sum += diff * diff;
          }
        } else {
          for (let j = 0; j < dim; j++) sum -= query[start + j] * centroids[base + j];
        }
        view[at++] = sum;
      }
    }
  }

  serialize(): Uint8Array {
    assert(this.centroids !== null, `${this.name} must be trained before it serializes`);
    return writeParamHeader(new ParamWriter(), QUANTIZER_KINDS.pq, this.dimension).u16(this.m).u8(this.bits).u8(0).f32s(this.centroids).finish();
  }
}
