/** core/lib: the top-k heap, graph-search heaps and the visited set against plain-array models. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { CandidateHeap, ResultHeap, sortPairs } from '../src/core/lib/heap.js';
import { TopK } from '../src/core/lib/topk.js';
import { VisitedSet } from '../src/core/lib/visited.js';

const pairs = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.nat(1000)), { maxLength: 200 });

it('TopK keeps the k smallest, sorted by distance then id', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 0, max: 30 }), (items, k) => {
      const top = new TopK(k);
      const unique = new Map(items.map(([d, id]) => [id, d]));
      for (const [id, d] of unique) top.push(d, id);
      const expected = [...unique].map(([id, d]) => ({ d, id })).sort((a, b) => a.d - b.d || a.id - b.id);
      const { distances, ids } = top.drain();
      // the kept set may differ from `expected` only among pairs tied with the k-th distance
      assert.equal(ids.length, Math.min(k, unique.size));
      for (let i = 0; i < ids.length; i++) assert.equal(distances[i], expected[i].d);
      for (let i = 1; i < ids.length; i++) assert.ok(distances[i - 1] < distances[i] || (distances[i - 1] === distances[i] && ids[i - 1] < ids[i]));
    }),
  );
});

it('CandidateHeap pops in ascending order; ResultHeap keeps the closest; sortPairs is a total order', () => {
  fc.assert(
    fc.property(pairs, fc.integer({ min: 1, max: 30 }), (items, capacity) => {
      const min = new CandidateHeap(4);
      const bounded = new ResultHeap(capacity);
      bounded.reset(capacity);
      for (const [d, slot] of items) {
        min.push(d, slot);
        if (d < bounded.worst) bounded.push(d, slot);
      }
      const popped: number[] = [];
      while (min.size > 0) {
        popped.push(min.distances[0]);
        min.pop();
      }
      const sorted = items.map(([d]) => d).sort((a, b) => a - b);
      assert.deepEqual(popped, sorted);
      const slots = new Uint32Array(capacity);
      const distances = new Float32Array(capacity);
      const n = bounded.drainAscending(slots, distances);
      assert.deepEqual(Array.from(distances.subarray(0, n)), sorted.slice(0, capacity));
      const s = Uint32Array.from(items, ([, slot]) => slot);
      const d = Float32Array.from(items, ([dist]) => dist);
      sortPairs(s, d, items.length);
      for (let i = 1; i < items.length; i++) assert.ok(d[i - 1] < d[i] || (d[i - 1] === d[i] && s[i - 1] <= s[i]));
    }),
  );
});

it('VisitedSet forgets on reset, also across epoch wrap-around', () => {
  const visited = new VisitedSet(8);
  for (let round = 0; round < 70_000; round++) {
    visited.reset(8);
    assert.equal(visited.has(3), false);
    assert.equal(visited.add(3), true);
    assert.equal(visited.add(3), false);
  }
  visited.reset(100);
  assert.equal(visited.has(99), false);
});
