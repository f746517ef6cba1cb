/**
 * Exact search: one kernel call scores a run of rows against the query inside the segment's memory,
 * then a single pass feeds the live rows to the top-k heap. Memory-bandwidth bound. Graph segments use
 * scanRange for the rows their graph does not cover yet.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import type { TopK } from '../../lib/topk.js';
import type { ScoringArena } from '../../vectors/scoring.js';
import type { SearchParams, SegmentView, VectorIndex } from '../index.js';

/** Pushes the live rows [from, to) of the arena, scored against its prepared query, into `top`. */
export function scanRange(arena: ScoringArena, marks: Uint8Array, metric: KernelMetric, top: TopK, base: number, from: number, to: number): void {
  if (to <= from) return;
  const distances = arena.distancesRange(metric, from, to - from);
  let worst = top.worst;
  for (let i = 0, slot = from; slot < to; i++, slot++) {
    const d = distances[i];
    if (d < worst && marks[slot] === 0) {
      top.push(d, base + slot);
      worst = top.worst;
    }
  }
}

export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;

  search(segment: SegmentView, metric: KernelMetric, query: Float32Array, top: TopK, base: number, _params: SearchParams): void {
    if (segment.count === 0) return;
    segment.arena.setQuery(query);
    scanRange(segment.arena, segment.marks, metric, top, base, 0, segment.count);
  }
}
