/**
 * Exact search: one kernel call scores every row of the segment against the query inside the
 * segment's memory, then a single pass feeds the live rows to the top-k heap. Memory bandwidth bound.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import type { TopK } from '../../lib/topk.js';
import type { SearchParams, SegmentView, VectorIndex } from '../index.js';

export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;

  search(segment: SegmentView, metric: KernelMetric, query: Float32Array, top: TopK, base: number, _params: SearchParams): void {
    const count = segment.count;
    if (count === 0) return;
    segment.arena.setQuery(query);
    const distances = segment.arena.distancesAll(metric);
    const marks = segment.marks;
    let worst = top.worst;
    for (let slot = 0; slot < count; slot++) {
      const d = distances[slot];
      if (d < worst && marks[slot] === 0) {
        top.push(d, base + slot);
        worst = top.worst;
      }
    }
  }
}
