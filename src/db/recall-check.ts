/**
 * The exact re-runs behind stats().estimatedRecall (core/collection/recall.ts samples the queries): a
 * batch of sampled queries is scored against every live row's float32 values in one pass over the
 * collection — rows in memory through the SIMD kernels where they are, rows in segment files read back
 * in chunks into a scratch arena — and each query's recall@10 is recorded. One pass serves the whole
 * batch, so reading the file rows is paid once per batch, not per query.
 */
import type { CollectionEngine } from '../core/collection/collection.js';
import { type RecallSample, recallOf } from '../core/collection/recall.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { TopK } from '../core/lib/topk.js';
import { VectorArena } from '../core/vectors/arena.js';
import { ROWS_PER_READ, type SegmentRows } from './rows.js';

/** Sampled queries checked in one pass over the collection. */
export const RECALL_BATCH = 64;

/** Re-runs `samples` exactly over `engine` and records each one's recall; throws SegmentGone when a segment vanished mid-pass. */
export async function checkRecall(engine: CollectionEngine, samples: RecallSample[], rows: SegmentRows, backend: KernelBackend): Promise<void> {
  if (samples.length === 0) return;
  const metric = engine.kernelMetric;
  const dimension = engine.definition.dimension;
  const tops = samples.map((s) => new TopK(s.k));
  // the exact distance of every returned key, found as the pass meets it
  const returned = new Map<string, number[]>();
  samples.forEach((s, i) => {
    for (const key of s.keys) {
      const list = returned.get(key);
      if (list) list.push(i);
      else returned.set(key, [i]);
    }
  });
  const found = samples.map(() => new Map<string, number>());
  let scratch: VectorArena | null = null;
  for (const segment of [...engine.segments]) {
    const count = segment.count;
    for (let first = 0; first < count; first += ROWS_PER_READ) {
      const n = Math.min(ROWS_PER_READ, count - first);
      let arena = segment.vectors;
      let offset = first;
      if (arena === null) {
        scratch ??= new VectorArena(backend, dimension, ROWS_PER_READ, 0);
        scratch.clear();
        scratch.appendPacked(await rows.range(segment, first, n), n);
        arena = scratch;
        offset = 0;
      }
      // live rows of this chunk that some sample returned: looked up once per row, not per sample
      const hits: { r: number; key: string; owners: number[] }[] = [];
      for (let r = 0; r < n; r++) {
        if (segment.marks[first + r] === 1) continue;
        const owners = returned.get(segment.keys[first + r]);
        if (owners) hits.push({ r, key: segment.keys[first + r], owners });
      }
      samples.forEach((sample, i) => {
        arena!.setQuery(sample.vector);
        const distances = arena!.distancesRange(metric, offset, n);
        const top = tops[i];
        for (let r = 0; r < n; r++) {
          const d = distances[r];
          if (d < top.worst && segment.marks[first + r] === 0) top.push(d, 0);
        }
        for (const hit of hits) if (hit.owners.includes(i)) found[i].set(hit.key, distances[hit.r]);
      });
      // rows in memory are scored without a read: yield now and then so queries go on
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  samples.forEach((sample, i) => {
    const { distances } = tops[i].drain();
    if (distances.length === 0) return;
    const k = Math.min(sample.k, distances.length);
    engine.recall.record(recallOf(sample.keys, k, distances[k - 1], (key) => found[i].get(key)));
  });
}
