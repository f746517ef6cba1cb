/**
 * One segment's vectors: rows in a single linear memory handed out by the kernel backend, a padded
 * stride so kernels run whole SIMD lanes, dense slots 0..count-1. The memory also holds the prepared
 * query (at offset 0) and a scratch area after the rows for the kernel's output distances, so a query
 * scans a segment without copying a single row.
 *
 *   [0, stride)                  prepared query, zero-padded
 *   lanes 1..n-1 (only when asked) each: a prepared query (stride) + LANE_SCRATCH_BYTES of scratch
 *   [rowsOffset, + cap*stride)   rows
 *   [.., +4*count)               output distances (scratch, per query)
 *
 * Lanes: a parallel build runs its read-only phases in worker threads over the same (shared) memory.
 * Each worker owns a lane — its own query and fixed-size scratch, placed before the rows so that growing
 * the rows never moves them — and scores through a lane view of the arena (laneView / attachLane: the
 * same API, bound to that lane), so the threads never write where another one reads. The main thread
 * keeps lane 0 (query at 0) and the scratch after the rows, sized for full-range scans.
 */
import { QuiverError } from '../errors.js';
import { type KernelBackend, type KernelMemory, type KernelMetric, strideFor } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';

/** Scratch of one worker lane: slot lists and output distances of up to 8,192 slots per kernel call. */
export const LANE_SCRATCH_BYTES = 65536;

/** What a thread needs to attach a lane view to an arena's shared memory. */
export interface ArenaLayout {
  dimension: number;
  strideBytes: number;
  rowsOffset: number;
  lanes: number;
}

export interface ArenaOptions {
  /** Lanes (threads) the memory has room for; 1 (the default) is the plain single-threaded layout. */
  lanes?: number;
  /** Ask the backend for a shared memory (worker threads read the rows in place). */
  shared?: boolean;
}

export class VectorArena {
  readonly dimension: number;
  readonly strideBytes: number;
  private readonly memory: KernelMemory;
  private readonly rowsOffset: number;
  private readonly rowsMax: number;
  private capacity: number;
  private rowCount = 0;
  readonly lanes: number;
  /** Where this view's prepared query lives (0 for the main thread). */
  private readonly queryOffset: number;
  /** A lane's own scratch; -1 for the main view, whose scratch is after the rows. */
  private readonly laneScratch: number;

  /** maximumRowBytes caps the rows; the memory may also hold the query and per-row scratch beside them. */
  constructor(backend: KernelBackend, dimension: number, initialCapacity: number, maximumRowBytes: number, options?: ArenaOptions);
  constructor(backend: KernelBackend | null, dimension: number, initialCapacity: number, maximumRowBytes: number, options?: ArenaOptions, attach?: { memory: KernelMemory; layout: ArenaLayout; lane: number }) {
    this.dimension = dimension;
    this.strideBytes = strideFor(dimension);
    if (attach !== undefined) {
      const { layout, lane } = attach;
      assert(layout.strideBytes === this.strideBytes && lane >= 1 && lane < layout.lanes, `attachLane: lane ${lane} of ${layout.lanes}`);
      this.memory = attach.memory;
      this.lanes = layout.lanes;
      this.rowsOffset = layout.rowsOffset;
      this.rowsMax = initialCapacity;
      this.capacity = initialCapacity;
      this.rowCount = initialCapacity;
      this.queryOffset = laneOffset(this.strideBytes, lane);
      this.laneScratch = this.queryOffset + this.strideBytes;
      return;
    }
    assert(backend !== null, 'VectorArena needs a backend');
    this.lanes = Math.max(1, options?.lanes ?? 1);
    this.queryOffset = 0;
    this.laneScratch = -1;
    this.rowsOffset = laneOffset(this.strideBytes, this.lanes);
    this.rowsMax = Math.max(1, initialCapacity, Math.floor(maximumRowBytes / this.strideBytes));
    this.capacity = Math.max(1, Math.min(initialCapacity, this.rowsMax));
    const scratchBytes = this.rowsMax * 8 + 16;
    this.memory = backend.createMemory(this.bytesFor(this.capacity), this.bytesFor(this.rowsMax) + scratchBytes, { shared: options?.shared === true });
  }

  /** Whether the rows live in shared memory (attachable from worker threads). */
  get shareable(): unknown {
    return this.memory.shareable;
  }

  get layout(): ArenaLayout {
    return { dimension: this.dimension, strideBytes: this.strideBytes, rowsOffset: this.rowsOffset, lanes: this.lanes };
  }

  /**
   * A view of an arena for lane `lane` (1..lanes-1) over `memory` (the same memory, or another thread's
   * attachment to it), reading rows [0, rows). It only scores: setQuery/setQueryFromRow, scoreSlots,
   * distancesOf, floats; it never appends.
   */
  static attachLane(memory: KernelMemory, layout: ArenaLayout, lane: number, rows: number): VectorArena {
    const Ctor = VectorArena as unknown as new (
      backend: null,
      dimension: number,
      rows: number,
      max: number,
      options: undefined,
      attach: { memory: KernelMemory; layout: ArenaLayout; lane: number },
    ) => VectorArena;
    return new Ctor(null, layout.dimension, rows, 0, undefined, { memory, layout, lane });
  }

  get count(): number {
    return this.rowCount;
  }

  /** Bytes the rows occupy (padded), the figure segment size caps apply to. */
  get rowBytes(): number {
    return this.rowCount * this.strideBytes;
  }

  get memoryBytes(): number {
    return this.memory.byteLength;
  }

  /** Appends a row; returns its slot. The vector must already be validated (finite, right dimension). */
  append(vector: ArrayLike<number>): number {
    if (this.rowCount === this.capacity) this.grow(this.rowCount + 1);
    const slot = this.rowCount++;
    const at = (this.rowsOffset + slot * this.strideBytes) >> 2;
    const f32 = new Float32Array(this.memory.buffer);
    for (let i = 0; i < this.dimension; i++) f32[at + i] = vector[i];
    return slot;
  }

  /** Appends `rows` rows of `dimension` floats packed without padding (the on-disk layout). */
  appendPacked(packed: Float32Array, rows: number): void {
    if (this.rowCount + rows > this.capacity) this.grow(this.rowCount + rows);
    const f32 = new Float32Array(this.memory.buffer);
    const strideFloats = this.strideBytes >> 2;
    let at = (this.rowsOffset >> 2) + this.rowCount * strideFloats;
    for (let r = 0; r < rows; r++, at += strideFloats) {
      f32.set(packed.subarray(r * this.dimension, (r + 1) * this.dimension), at);
    }
    this.rowCount += rows;
  }

  /** Forgets every row (the memory stays): a scratch arena reused for batches of rows. */
  clear(): void {
    assert(this.laneScratch < 0, 'a lane view never changes its rows');
    this.rowCount = 0;
  }

  /** A copy of one row. */
  row(slot: number): Float32Array {
    const at = this.rowsOffset + slot * this.strideBytes;
    return new Float32Array(this.memory.buffer.slice(at, at + this.dimension * 4));
  }

  /** Rows [first, first+rows) packed without padding, for the segment file. */
  packed(first = 0, rows = this.rowCount): Float32Array {
    const out = new Float32Array(rows * this.dimension);
    const f32 = new Float32Array(this.memory.buffer);
    const strideFloats = this.strideBytes >> 2;
    for (let r = 0; r < rows; r++) {
      const at = (this.rowsOffset >> 2) + (first + r) * strideFloats;
      out.set(f32.subarray(at, at + this.dimension), r * this.dimension);
    }
    return out;
  }

  /** Writes the prepared query (padded with zeros) where the kernels read it. */
  setQuery(query: Float32Array): void {
    const f32 = new Float32Array(this.memory.buffer, this.queryOffset, this.strideBytes >> 2);
    f32.fill(0);
    f32.set(query.subarray(0, this.dimension));
  }

  /** Makes a stored row the prepared query (graph construction measures rows against rows). */
  setQueryFromRow(slot: number): void {
    const bytes = new Uint8Array(this.memory.buffer);
    const at = this.rowsOffset + slot * this.strideBytes;
    bytes.copyWithin(this.queryOffset, at, at + this.strideBytes);
  }

  /** Distances from the prepared query to rows [first, first + count), in slot order (scratch rule below). */
  distancesRange(metric: KernelMetric, first: number, count: number): Float32Array {
    assert(this.laneScratch < 0, 'distancesRange runs on the main view only');
    const outOffset = this.rowsOffset + this.capacity * this.strideBytes;
    this.reserveOrThrow(outOffset + count * 4);
    this.memory.distanceRange(metric, this.dimension, this.queryOffset, this.rowsOffset, this.strideBytes, first, count, outOffset);
    return new Float32Array(this.memory.buffer, outOffset, count);
  }

  /**
   * Distances from the prepared query to every row, in slot order. The returned view lives in scratch
   * memory: read it before the next call on this arena.
   */
  distancesAll(metric: KernelMetric): Float32Array {
    return this.distancesRange(metric, 0, this.rowCount);
  }

  /**
   * The hot-path form of distancesOf for graph searches: scores slots[0..count) and returns the index in
   * `floats` where their distances start, allocating nothing. Valid until the next call on this arena.
   */
  scoreSlots(metric: KernelMetric, slots: Uint32Array, count: number): number {
    const slotsOffset = this.scratchFor(count);
    const outOffset = slotsOffset + Math.ceil(count / 4) * 16;
    this.reserveOrThrow(outOffset + count * 4);
    const views = this.views();
    views.u32.set(count === slots.length ? slots : slots.subarray(0, count), slotsOffset >> 2);
    this.memory.distanceSlots(metric, this.dimension, this.queryOffset, this.rowsOffset, this.strideBytes, slotsOffset, count, outOffset);
    return outOffset >> 2;
  }

  /** A float32 view of the whole memory (re-made only when the memory grows). */
  get floats(): Float32Array {
    return this.views().f32;
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

  /** Distances from the prepared query to the listed slots, in list order (same scratch rule). */
  distancesOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array {
    const slotsOffset = this.scratchFor(slots.length);
    const outOffset = slotsOffset + Math.ceil(slots.length / 4) * 16;
    this.reserveOrThrow(outOffset + slots.length * 4);
    new Uint32Array(this.memory.buffer, slotsOffset, slots.length).set(slots);
    this.memory.distanceSlots(metric, this.dimension, this.queryOffset, this.rowsOffset, this.strideBytes, slotsOffset, slots.length, outOffset);
    return new Float32Array(this.memory.buffer, outOffset, slots.length);
  }

  /** Where a kernel call over `count` slots keeps its slot list (its distances follow). */
  private scratchFor(count: number): number {
    if (this.laneScratch < 0) return this.rowsOffset + this.capacity * this.strideBytes;
    assert(Math.ceil(count / 4) * 16 + count * 4 <= LANE_SCRATCH_BYTES, `a lane scores at most ${LANE_SCRATCH_BYTES >> 3} slots per call: ${count}`);
    return this.laneScratch;
  }

  private bytesFor(capacity: number): number {
    return this.rowsOffset + capacity * this.strideBytes;
  }

  /** Room for at least `rows` rows: doubling, clamped to the segment's cap. */
  private grow(rows: number): void {
    assert(this.laneScratch < 0, 'a lane view never appends');
    if (rows > this.rowsMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `A segment holds at most ${this.rowsMax} vectors of this dimension; raise segmentBytesMax.`, {
        limit: 'segmentBytesMax',
        requested: rows,
        maximum: this.rowsMax,
      });
    }
    const capacity = Math.min(this.rowsMax, Math.max(rows, this.capacity * 2));
    this.reserveOrThrow(this.bytesFor(capacity));
    this.capacity = capacity;
  }

  /** Rows that still fit before the segment reaches its cap. */
  get roomRows(): number {
    return this.rowsMax - this.rowCount;
  }

  private reserveOrThrow(bytes: number): void {
    if (!this.memory.reserve(bytes)) {
      throw new QuiverError('LIMIT_EXCEEDED', `A segment's vector memory cannot grow to ${bytes} bytes; lower segmentBytesMax or the batch size.`, {
        limit: 'segmentMemoryBytes',
        requested: bytes,
      });
    }
  }
}

/** Where lane `lane`'s query starts; laneOffset(stride, lanes) is where the rows start. */
function laneOffset(strideBytes: number, lane: number): number {
  return lane === 0 ? 0 : strideBytes + (lane - 1) * (strideBytes + LANE_SCRATCH_BYTES);
}
