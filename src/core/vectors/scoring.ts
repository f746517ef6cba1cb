/**
 * What a graph needs from the rows it indexes: a prepared query in the segment's memory and one kernel
 * call per list of slots. VectorArena (float32 rows) and CodeArena (quantized rows, core/quant) both
 * provide it, so HNSW and Vamana can traverse either representation unchanged.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import type { ArenaLayout } from './arena.js';

export interface ScoringArena {
  readonly dimension: number;
  /** Rows held: slots [0, count). */
  readonly count: number;
  /** Makes `query` (dimension float32s) the prepared query. */
  setQuery(query: Float32Array): void;
  /** Makes a stored row the prepared query (graph construction measures rows against rows). */
  setQueryFromRow(slot: number): void;
  /**
   * Scores slots[0, count) against the prepared query in one kernel call; returns the index in `floats`
   * where their distances start. Valid until the next call on this arena.
   */
  scoreSlots(metric: KernelMetric, slots: Uint32Array, count: number): number;
  /** A float32 view of the whole memory (re-made only when the memory grows). */
  readonly floats: Float32Array;
  /** Distances to rows [first, first + count), in slot order (a view into scratch memory). */
  distancesRange(metric: KernelMetric, first: number, count: number): Float32Array;
  /** Distances to the listed slots, in list order (a view into scratch memory). */
  distancesOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array;
  /** Rows [first, first + rows) as packed float32 (a code arena decodes them). */
  packed(first?: number, rows?: number): Float32Array;
}

/**
 * What a parallel graph build needs besides scoring: the rows' shared memory and a lane per thread
 * (VectorArena has them when made shared). Arenas without them build on one thread.
 */
export interface SharedRows {
  readonly shareable: unknown;
  readonly lanes: number;
  readonly layout: ArenaLayout;
}

/** The arena a graph holds: scoring, and the shared rows of a parallel build where there are any. */
export type GraphArena = ScoringArena & Partial<SharedRows>;
