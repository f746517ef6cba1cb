/**
 * The kernel seam. A segment keeps its vectors in one linear memory (a WebAssembly.Memory when the WASM
 * backend is in use); a kernel scores a whole range or list of rows against a prepared query in one call,
 * taking byte offsets into that memory, so nothing is copied per call.
 *
 * Distances are lower-is-better everywhere inside Quiver:
 *   'l2'  -> squared Euclidean distance  sum((q - x)^2)
 *   'dot' -> negated inner product       -sum(q * x)
 * (cosine is 'dot' over unit-normalised vectors; the collection normalises.)
 *
 * Layout rules every caller keeps: offsets and strides are multiples of 16 bytes; a row holds `dimension`
 * float32 values followed by zero padding up to the stride; the prepared query is zero-padded the same way.
 */
import type { CodeKernel } from './codes.js';

export type KernelMetric = 'l2' | 'dot';

export const KERNEL_ALIGNMENT_BYTES = 16;

export interface KernelMemory {
  /**
   * The current buffer. Growing the memory replaces it: re-read after reserve(). A shared memory's
   * buffer is a SharedArrayBuffer (typed as ArrayBuffer here: the views made over it are the same).
   */
  readonly buffer: ArrayBuffer;
  /**
   * Set on shared memories only: the handle (a shared WebAssembly.Memory) that another thread attaches
   * to with its backend's attachMemory. Growth keeps the old bytes where they are, so views made before
   * a growth stay valid over their old length.
   */
  readonly shareable?: unknown;
  readonly byteLength: number;
  /** Ensures byteLength >= bytes (never shrinks). Returns false when the memory cannot grow that far. */
  reserve(bytes: number): boolean;
  /** out[i] = distance(query, row(first + i)) for i in [0, count): float32 at outOffset. */
  distanceRange(
    metric: KernelMetric,
    dimension: number,
    queryOffset: number,
    rowsOffset: number,
    strideBytes: number,
    first: number,
    count: number,
    outOffset: number,
  ): void;
  /** out[i] = distance(query, row(slots[i])), slots being u32 at slotsOffset. */
  distanceSlots(
    metric: KernelMetric,
    dimension: number,
    queryOffset: number,
    rowsOffset: number,
    strideBytes: number,
    slotsOffset: number,
    count: number,
    outOffset: number,
  ): void;
  /**
   * Quantized rows (core/kernels/codes.ts has every kernel's row and query layout):
   * out[i] = distance(query block, code row(first + i)), float32 at outOffset. residualsOffset is where
   * a two-level LVQ's second-level rows start (0 for the other kernels).
   */
  codeRange(
    kernel: CodeKernel,
    width: number,
    queryOffset: number,
    rowsOffset: number,
    strideBytes: number,
    first: number,
    count: number,
    outOffset: number,
    residualsOffset: number,
  ): void;
  /** out[i] = distance(query block, code row(slots[i])), slots being u32 at slotsOffset: a graph node's neighbours in one call. */
  codeSlots(
    kernel: CodeKernel,
    width: number,
    queryOffset: number,
    rowsOffset: number,
    strideBytes: number,
    slotsOffset: number,
    count: number,
    outOffset: number,
    residualsOffset: number,
  ): void;
  /**
   * MaxSim (Chamfer) of a query's rows against whole documents (core/kernels/maxsim.ts is the spec):
   * out[i] = -(Σ over the queryCount rows q at queryOffset of max over document i's rows x of q·x), a
   * distance, float32 at outOffset. Document i's rows are a run given by u32 pairs (first row, row count)
   * at docsOffset + 8i, rows counted from rowsOffset; query and document rows share the stride.
   */
  maxSim(
    dimension: number,
    queryOffset: number,
    queryCount: number,
    rowsOffset: number,
    strideBytes: number,
    docsOffset: number,
    docCount: number,
    outOffset: number,
  ): void;
}

export interface KernelBackend {
  /** 'wasm-simd128' or 'reference'; reported in stats and benchmarks. */
  readonly name: string;
  /** A fresh linear memory of at least initialBytes that may grow to maximumBytes. */
  createMemory(initialBytes: number, maximumBytes: number, options?: { shared?: boolean }): KernelMemory;
  /** Whether createMemory can make shared memories (worker threads and SharedArrayBuffer available). */
  readonly sharedMemory?: boolean;
}

export function alignUp(bytes: number, alignment = KERNEL_ALIGNMENT_BYTES): number {
  return Math.ceil(bytes / alignment) * alignment;
}

/** Row stride in bytes for a dimension: float32s padded to the kernel alignment. */
export function strideFor(dimension: number): number {
  return alignUp(dimension * 4);
}
