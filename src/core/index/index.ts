/**
 * The VectorIndex seam: an index answers k-nearest-neighbour searches over one segment's slots.
 * Indexes never see keys or metadata; the collection maps slots to records and merges segments.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import type { TopK } from '../lib/topk.js';
import type { VectorArena } from '../vectors/arena.js';

export interface SegmentView {
  readonly arena: VectorArena;
  /** Index by slot; 1 means the slot is deleted and must not be returned. */
  readonly marks: Uint8Array;
  readonly count: number;
}

export interface SearchParams {
  /** Beam width of graph indexes (HNSW's ef, Vamana's L); ignored by exact search. */
  ef?: number;
}

export interface VectorIndex {
  readonly kind: 'flat' | 'hnsw' | 'vamana';
  /**
   * Pushes (distance, base + slot) for this segment's best candidates into `top`. `query` is already
   * prepared (normalised for cosine). Distances are the kernel's: lower is better.
   */
  search(segment: SegmentView, metric: KernelMetric, query: Float32Array, top: TopK, base: number, params: SearchParams): void;
}
