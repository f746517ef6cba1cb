/**
 * One segment's quantized rows: code rows in a single linear memory from the kernel backend, dense slots
 * 0..count-1, scored in place by the code kernels. It offers the scoring surface graphs use on a
 * VectorArena (ScoringArena: setQuery / setQueryFromRow / scoreSlots / floats / distancesRange /
 * distancesOf / packed), so HNSW and Vamana traverse codes unchanged; two-level quantizers add rerank*
 * calls that score with both levels.
 *
 *   [0, Q)                       query prepared for 'l2'  (Q = quantizer.queryBytes)
 *   [Q, 2Q)                      query prepared for 'dot'
 *   [2Q, + capacity * stride)    code rows, stride = quantizer.codeBytes
 *   [.., + capacity * rstride)   residual rows of a two-level LVQ, rstride = quantizer.residualBytes
 *   [.., ..)                     scratch: slot list, then output distances (per call)
 *
 * The residual rows sit apart from the code rows so traversal reads only the small first-level rows;
 * growing the capacity moves them up (one copy per doubling).
 *
 * setQuery keeps the float32 query and prepares the block for a metric on its first use (graphs mix
 * 'l2' pruning with the collection's metric), so a query costs one preparation per metric it is scored
 * with. setQueryFromRow decodes the row and makes it the query: builds measure rows against codes.
 */
import { QuiverError } from '../errors.js';
import { type KernelBackend, type KernelMemory, type KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import type { VectorArena } from '../vectors/arena.js';
import type { ScoringArena } from '../vectors/scoring.js';
import type { Quantizer } from './quantizer.js';

/** Compile-time check that the float32 arena offers the same surface, so a graph can take either. */
type Scores<T extends ScoringArena> = T;
export type VectorArenaScores = Scores<VectorArena>;

export class CodeArena implements ScoringArena {
  readonly dimension: number;
  readonly quantizer: Quantizer;
  /** Bytes per row (quantizer.codeBytes). */
  readonly strideBytes: number;
  /** Bytes per residual row (quantizer.residualBytes; 0 for one-level methods). */
  readonly residualStrideBytes: number;
  private readonly memory: KernelMemory;
  private readonly rowsOffset: number;
  private readonly rowsMax: number;
  private capacity: number;
  private rowCount = 0;
  private readonly query: Float32Array;
  /** Whether the block for 'l2' / 'dot' holds the current query. */
  private preparedL2 = false;
  private preparedDot = false;
  private readonly decodedRow: Float32Array;

  /** maximumRowBytes caps the rows (segmentBytesMax); the memory also holds the query blocks and scratch. */
  constructor(backend: KernelBackend, quantizer: Quantizer, initialCapacity: number, maximumRowBytes: number) {
    assert(quantizer.trained, `a code arena needs a trained quantizer (${quantizer.name})`);
    this.quantizer = quantizer;
    this.dimension = quantizer.dimension;
    this.strideBytes = quantizer.codeBytes;
    this.residualStrideBytes = quantizer.residualBytes;
    this.rowsOffset = 2 * quantizer.queryBytes;
    this.rowsMax = Math.max(1, initialCapacity, Math.floor(maximumRowBytes / (this.strideBytes + this.residualStrideBytes)));
    this.capacity = Math.max(1, Math.min(initialCapacity, this.rowsMax));
    this.query = new Float32Array(this.dimension);
    this.decodedRow = new Float32Array(this.dimension);
    const scratchBytes = this.rowsMax * 8 + 16;
    this.memory = backend.createMemory(this.bytesFor(this.capacity), this.bytesFor(this.rowsMax) + scratchBytes);
  }

  get count(): number {
    return this.rowCount;
  }

  /** Bytes the traversal rows occupy: count × codeBytes (stats' bytesPerVector.codes). */
  get rowBytes(): number {
    return this.rowCount * this.strideBytes;
  }

  /** Bytes the residual rows occupy: count × residualBytes (re-rank data). */
  get residualBytes(): number {
    return this.rowCount * this.residualStrideBytes;
  }

  /** Where the residual rows start (they move when the capacity grows). */
  private get residualsOffset(): number {
    return this.rowsOffset + this.capacity * this.strideBytes;
  }

  get memoryBytes(): number {
    return this.memory.byteLength;
  }

  /** Rows that still fit before the segment reaches its cap. */
  get roomRows(): number {
    return this.rowsMax - this.rowCount;
  }

  /** Encodes and appends a vector (validated: finite, right dimension); returns its slot. */
  append(vector: ArrayLike<number>): number {
    if (this.rowCount === this.capacity) this.grow(this.rowCount + 1);
    const slot = this.rowCount++;
    const bytes = new Uint8Array(this.memory.buffer);
    this.quantizer.encodeInto(vector, 0, bytes, this.rowsOffset + slot * this.strideBytes, bytes, this.residualsOffset + slot * this.residualStrideBytes);
    return slot;
  }

  /**
   * Appends `rows` rows already encoded by this quantizer (the segment file's code sections): codes, and
   * for two-level methods their residual rows.
   */
  appendEncoded(codes: Uint8Array, rows: number, residuals?: Uint8Array): void {
    assert(codes.length >= rows * this.strideBytes, `appendEncoded: ${codes.length} bytes for ${rows} rows of ${this.strideBytes}`);
    assert(this.residualStrideBytes === 0 || (residuals !== undefined && residuals.length >= rows * this.residualStrideBytes), 'appendEncoded: two-level rows need their residual rows');
    if (this.rowCount + rows > this.capacity) this.grow(this.rowCount + rows);
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.set(codes.subarray(0, rows * this.strideBytes), this.rowsOffset + this.rowCount * this.strideBytes);
    if (residuals && this.residualStrideBytes > 0) {
      bytes.set(residuals.subarray(0, rows * this.residualStrideBytes), this.residualsOffset + this.rowCount * this.residualStrideBytes);
    }
    this.rowCount += rows;
  }

  /**
   * Appends a copy of another arena's row (same quantizer and parameters: compaction moves rows between
   * segments without re-encoding them). Returns the new slot.
   */
  appendFrom(source: CodeArena, slot: number): number {
    assert(source.quantizer === this.quantizer, 'appendFrom copies rows encoded with the same quantizer');
    assert(slot >= 0 && slot < source.rowCount, `appendFrom: slot ${slot} of ${source.rowCount}`);
    if (this.rowCount === this.capacity) this.grow(this.rowCount + 1);
    const to = this.rowCount++;
    const from = new Uint8Array(source.memory.buffer);
    const bytes = new Uint8Array(this.memory.buffer);
    const at = source.rowsOffset + slot * this.strideBytes;
    bytes.set(from.subarray(at, at + this.strideBytes), this.rowsOffset + to * this.strideBytes);
    if (this.residualStrideBytes > 0) {
      const r = source.residualsOffset + slot * this.residualStrideBytes;
      bytes.set(from.subarray(r, r + this.residualStrideBytes), this.residualsOffset + to * this.residualStrideBytes);
    }
    return to;
  }

  /** A copy of code rows [first, first + rows) as stored (for the segment file). */
  encoded(first = 0, rows = this.rowCount - first): Uint8Array {
    const at = this.rowsOffset + first * this.strideBytes;
    return new Uint8Array(this.memory.buffer.slice(at, at + rows * this.strideBytes));
  }

  /** A copy of residual rows [first, first + rows) (empty for one-level methods). */
  encodedResiduals(first = 0, rows = this.rowCount - first): Uint8Array {
    const at = this.residualsOffset + first * this.residualStrideBytes;
    return new Uint8Array(this.memory.buffer.slice(at, at + rows * this.residualStrideBytes));
  }

  /** The reconstruction of one row, from every level it has. */
  row(slot: number): Float32Array {
    const out = new Float32Array(this.dimension);
    this.decodeInto(slot, out, 0);
    return out;
  }

  /** Reconstructions of rows [first, first + rows), packed. */
  packed(first = 0, rows = this.rowCount - first): Float32Array {
    const out = new Float32Array(rows * this.dimension);
    for (let r = 0; r < rows; r++) this.decodeInto(first + r, out, r * this.dimension);
    return out;
  }

  private decodeInto(slot: number, out: Float32Array, at: number): void {
    const bytes = new Uint8Array(this.memory.buffer);
    const residuals = this.residualStrideBytes > 0 ? bytes : undefined;
    this.quantizer.decode(bytes, this.rowsOffset + slot * this.strideBytes, out, at, residuals, this.residualsOffset + slot * this.residualStrideBytes);
  }

  setQuery(query: Float32Array): void {
    this.query.set(query.subarray(0, this.dimension));
    this.preparedL2 = false;
    this.preparedDot = false;
  }

  setQueryFromRow(slot: number): void {
    this.decodeInto(slot, this.decodedRow, 0);
    this.setQuery(this.decodedRow);
  }

  /** Where the query block for `metric` is, prepared on first use. */
  private queryOffset(metric: KernelMetric): number {
    if (metric === 'l2') {
      if (!this.preparedL2) this.quantizer.prepareQuery(this.query, 'l2', this.memory.buffer, 0);
      this.preparedL2 = true;
      return 0;
    }
    if (!this.preparedDot) this.quantizer.prepareQuery(this.query, 'dot', this.memory.buffer, this.quantizer.queryBytes);
    this.preparedDot = true;
    return this.quantizer.queryBytes;
  }

  /** Distances (traversal level) from the prepared query to rows [first, first + count), in slot order. */
  distancesRange(metric: KernelMetric, first: number, count: number): Float32Array {
    return this.range(metric, first, count, false);
  }

  distancesAll(metric: KernelMetric): Float32Array {
    return this.distancesRange(metric, 0, this.rowCount);
  }

  /** scoreSlots with every level of the rows (a two-level LVQ's second level too). */
  rerankRange(metric: KernelMetric, first: number, count: number): Float32Array {
    return this.range(metric, first, count, true);
  }

  /** Scores slots[0, count) at the traversal level; returns the index in `floats` of their distances. */
  scoreSlots(metric: KernelMetric, slots: Uint32Array, count: number): number {
    return this.slots(metric, slots, count, false);
  }

  /** scoreSlots with every level of the rows: both levels of a two-level LVQ (re-ranking). */
  rerankSlots(metric: KernelMetric, slots: Uint32Array, count: number): number {
    return this.slots(metric, slots, count, true);
  }

  distancesOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array {
    const at = this.slots(metric, slots, slots.length, false);
    return new Float32Array(this.memory.buffer, at << 2, slots.length);
  }

  rerankOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array {
    const at = this.slots(metric, slots, slots.length, true);
    return new Float32Array(this.memory.buffer, at << 2, slots.length);
  }

  /** A float32 view of the whole memory (re-made only when the memory grows). */
  get floats(): Float32Array {
    return this.views().f32;
  }

  private range(metric: KernelMetric, first: number, count: number, rerank: boolean): Float32Array {
    assert(first >= 0 && first + count <= this.rowCount, `rows [${first}, ${first + count}) beyond ${this.rowCount}`);
    const query = this.queryOffset(metric);
    const outOffset = this.scratchOffset();
    this.reserveOrThrow(outOffset + count * 4);
    const kernel = rerank ? this.quantizer.rerankKernel(metric) : this.quantizer.kernel(metric);
    this.memory.codeRange(kernel, this.quantizer.kernelWidth, query, this.rowsOffset, this.strideBytes, first, count, outOffset, this.residualsOffset);
    return new Float32Array(this.memory.buffer, outOffset, count);
  }

  private slots(metric: KernelMetric, slots: ArrayLike<number>, count: number, rerank: boolean): number {
    const query = this.queryOffset(metric);
    const slotsOffset = this.scratchOffset();
    const outOffset = slotsOffset + Math.ceil(count / 4) * 16;
    this.reserveOrThrow(outOffset + count * 4);
    const u32 = this.views().u32;
    if (slots instanceof Uint32Array) u32.set(count === slots.length ? slots : slots.subarray(0, count), slotsOffset >> 2);
    else for (let i = 0; i < count; i++) u32[(slotsOffset >> 2) + i] = slots[i];
    const kernel = rerank ? this.quantizer.rerankKernel(metric) : this.quantizer.kernel(metric);
    this.memory.codeSlots(kernel, this.quantizer.kernelWidth, query, this.rowsOffset, this.strideBytes, slotsOffset, count, outOffset, this.residualsOffset);
    return outOffset >> 2;
  }

  private cachedBuffer: ArrayBuffer | null = null;
  private cachedViews: { f32: Float32Array; u32: Uint32Array } | null = null;

  private views(): { f32: Float32Array; u32: Uint32Array } {
    const buffer = this.memory.buffer;
    if (buffer !== this.cachedBuffer || this.cachedViews === null) {
      this.cachedBuffer = buffer;
      this.cachedViews = { f32: new Float32Array(buffer), u32: new Uint32Array(buffer) };
    }
    return this.cachedViews;
  }

  private scratchOffset(): number {
    return this.bytesFor(this.capacity);
  }

  private bytesFor(capacity: number): number {
    return this.rowsOffset + capacity * (this.strideBytes + this.residualStrideBytes);
  }

  private grow(rows: number): void {
    if (rows > this.rowsMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `A segment holds at most ${this.rowsMax} vectors of ${this.quantizer.name} codes; raise segmentBytesMax.`, {
        limit: 'segmentBytesMax',
        requested: rows,
        maximum: this.rowsMax,
      });
    }
    const capacity = Math.min(this.rowsMax, Math.max(rows, this.capacity * 2));
    this.reserveOrThrow(this.bytesFor(capacity));
    if (this.residualStrideBytes > 0) {
      // The residual rows follow the code rows: move them past the new capacity (memmove semantics).
      const from = this.residualsOffset;
      const to = this.rowsOffset + capacity * this.strideBytes;
      new Uint8Array(this.memory.buffer).copyWithin(to, from, from + this.rowCount * this.residualStrideBytes);
    }
    this.capacity = capacity;
  }

  private reserveOrThrow(bytes: number): void {
    if (!this.memory.reserve(bytes)) {
      throw new QuiverError('LIMIT_EXCEEDED', `A segment's code memory cannot grow to ${bytes} bytes; lower segmentBytesMax or the batch size.`, {
        limit: 'segmentMemoryBytes',
        requested: bytes,
      });
    }
  }
}
