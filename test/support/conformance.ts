/**
 * The shared conformance suite: every index recipe and every storage adapter runs the same cases, so a
 * new index or adapter is correct when it passes them. Exactness is checked against float64 brute force.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quiver } from '../../src/index.js';
import { Prng } from '../../src/core/lib/prng.js';
import { type Metric, bruteForce, clusteredVectors, distance64, recallAtK, tolerance } from './data.js';

export interface Fixture {
  name: string;
  /** Opens the database under test; `reopen` opens the same data again (persistent fixtures only). */
  open(): Promise<Quiver>;
  persistent: boolean;
  cleanup?(): Promise<void>;
}

export interface ConformanceOptions {
  index: string;
  /** Exact indexes must return the true neighbours; approximate ones must reach this recall@10. */
  exact: boolean;
  minRecall?: number;
  size?: number;
}

const METRICS: Metric[] = ['cosine', 'dot', 'l2'];

export function conformanceSuite(makeFixture: () => Fixture, options: ConformanceOptions): void {
  const size = options.size ?? 1500;
  for (const metric of METRICS) {
    it(`${options.index} ${metric}: finds the float64 brute-force neighbours`, async () => {
      const fixture = makeFixture();
      try {
        const dimension = 37; // odd on purpose: padding must not change distances
        const vectors = clusteredVectors(size, dimension, 11, 12);
        const reference = new Map(vectors.map((v, i) => [`k${i}`, v]));
        let db = await fixture.open();
        const col = await db.createCollection('c', { dimension, metric, index: options.index });
        for (let i = 0; i < size; i += 500) await col.upsert(vectors.slice(i, i + 500).map((vector, j) => ({ key: `k${i + j}`, vector })));
        await checkQueries(db, reference, metric, options, 17);
        if (fixture.persistent) {
          await db.close();
          db = await fixture.open();
          await checkQueries(db, reference, metric, options, 18);
        }
        await db.close();
      } finally {
        await fixture.cleanup?.();
      }
    });
  }

  it(`${options.index}: upsert replaces, delete removes, get aligns with nulls, across reopen`, async () => {
    const fixture = makeFixture();
    try {
      let db = await fixture.open();
      const col = await db.createCollection('c', { dimension: 4, metric: 'l2', index: options.index });
      await col.upsert([
        { key: 'a', vector: [0, 0, 0, 0], metadata: { n: 1 }, document: 'first' },
        { key: 'b', vector: [1, 0, 0, 0] },
        { key: 'c', vector: [5, 5, 5, 5] },
      ]);
      await col.upsert([{ key: 'a', vector: [9, 9, 9, 9], metadata: { n: 2 } }]);
      const deleted = await col.delete(['b', 'missing']);
      assert.equal(deleted.count, 1);
      const check = async (db: Quiver) => {
        const c = db.collection('c');
        assert.equal(await c.count(), 2);
        const [a, b, missing] = await c.get(['a', 'b', 'nope']);
        assert.deepEqual(Array.from(a!.vector), [9, 9, 9, 9]);
        assert.deepEqual(a!.metadata, { n: 2 });
        assert.equal(a!.document, undefined, 'upsert replaces the whole record');
        assert.equal(b, null);
        assert.equal(missing, null);
        const hits = await c.query({ vector: [1, 0, 0, 0], k: 10, include: ['metadata'] });
        assert.deepEqual(hits.map((h) => h.key), ['c', 'a']);
        assert.equal(hits[0].distance, 16 + 25 * 3);
        assert.equal(hits[0].score, -hits[0].distance);
      };
      await check(db);
      if (fixture.persistent) {
        await db.close();
        db = await fixture.open();
        await check(db);
      }
      await db.close();
    } finally {
      await fixture.cleanup?.();
    }
  });
}

async function checkQueries(db: Quiver, reference: Map<string, Float32Array>, metric: Metric, options: ConformanceOptions, seed: number): Promise<void> {
  const col = db.collection('c');
  const rng = new Prng(seed);
  const keys = [...reference.keys()];
  let recallSum = 0;
  const queries = 20;
  for (let q = 0; q < queries; q++) {
    // half the queries are stored vectors plus noise, half are fresh points
    const base = reference.get(keys[rng.int(keys.length)])!;
    const query = Float32Array.from(base, (x) => x + (q % 2 ? 0.05 : 1) * (rng.next() - 0.5));
    const truth = bruteForce(reference, query, metric, 10);
    const hits = await col.query({ vector: query, k: 10 });
    assert.equal(hits.length, 10);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score, 'hits are best first');
    const trueDistance = (key: string) => distance64(metric, query, reference.get(key)!);
    if (options.exact) {
      const tol = tolerance(metric, query, 1);
      hits.forEach((hit, i) => {
        // ids may differ only among candidates whose float64 distances tie within float32 rounding
        assert.ok(Math.abs(hit.distance - truth[i].distance) <= tol, `rank ${i}: distance ${hit.distance} vs exact ${truth[i].distance}`);
        assert.ok(Math.abs(trueDistance(hit.key) - truth[i].distance) <= tol, `rank ${i}: ${hit.key} is not a true neighbour`);
      });
    }
    recallSum += recallAtK(hits.map((h) => h.key), truth, trueDistance, 10, tolerance(metric, query, 1));
  }
  const recall = recallSum / queries;
  assert.ok(recall >= (options.exact ? 1 : options.minRecall ?? 0.95), `recall@10 ${recall}`);
}

export { describe };
