/**
 * Insertion order by local intrinsic dimensionality (src/core/index/lid.ts and insertionOrder 'lid'):
 * the MLE against planted data (points on a d-dimensional linear subspace of a 64-dimensional space
 * estimate about d), the graph-based estimator against the exact one, the ordering, the option's
 * validation and persistence, and optimize() producing an LID-ordered build end to end that passes the
 * graph checkers and reaches recall@10 >= 0.95 at the default parameters against exact brute force.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hnswFactory } from '../src/core/index/hnsw/hnsw.js';
import { LID_NEIGHBOURS, LidEstimator, lidMle, orderByLid } from '../src/core/index/lid.js';
import { Prng } from '../src/core/lib/prng.js';
import { VectorArena } from '../src/core/vectors/arena.js';
import { Quiver } from '../src/index.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { bruteForce, clusteredVectors, distance64, gaussian, recallAtK } from './support/data.js';

const AMBIENT = 64;

/** n points with standard Gaussian coordinates on a random d-dimensional subspace of R^64 (orthonormal basis). */
function planted(d: number, n: number, seed: number): Float64Array {
  const rng = new Prng(seed);
  const basis = Array.from({ length: d }, () => Float64Array.from({ length: AMBIENT }, () => gaussian(rng)));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let t = 0; t < AMBIENT; t++) dot += basis[i][t] * basis[j][t];
      for (let t = 0; t < AMBIENT; t++) basis[i][t] -= dot * basis[j][t];
    }
    let norm = 0;
    for (let t = 0; t < AMBIENT; t++) norm += basis[i][t] ** 2;
    for (let t = 0; t < AMBIENT; t++) basis[i][t] /= Math.sqrt(norm);
  }
  const points = new Float64Array(n * AMBIENT);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i++) {
      const z = gaussian(rng);
      for (let t = 0; t < AMBIENT; t++) points[p * AMBIENT + t] += z * basis[i][t];
    }
  }
  return points;
}

/** The exact MLE of row q: its k nearest other rows by float64 brute force. */
function exactLid(points: Float64Array, n: number, q: number, k = LID_NEIGHBOURS): number {
  const distances = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let t = 0; t < AMBIENT; t++) s += (points[q * AMBIENT + t] - points[p * AMBIENT + t]) ** 2;
    distances[p] = p === q ? Infinity : Math.sqrt(s);
  }
  return lidMle(distances.sort().subarray(0, k));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('the LID estimator', () => {
  it('computes the MLE and handles duplicates and ties', () => {
    // -(1/3 (ln 1/4 + ln 2/4 + ln 4/4))^-1 = 1 / ln 2
    assert.ok(Math.abs(lidMle([1, 2, 4]) - 1 / Math.LN2) < 1e-12);
    assert.equal(lidMle([4, 1, 2]), lidMle([1, 2, 4]), 'any order');
    assert.equal(lidMle([0, 0, 1, 2, 4]), lidMle([1, 2, 4]), 'zero distances (duplicates) are left out');
    assert.equal(lidMle([0, 0, 0]), 0, 'all duplicates: a point mass');
    assert.equal(lidMle([0, 3]), 0, 'one positive distance says nothing about growth');
    assert.equal(lidMle([2, 2, 2]), Infinity, 'equal distances: the MLE diverges');
    assert.equal(lidMle([1, 2, 4, 100], 3), lidMle([1, 2, 4]), 'only the first count distances');
    assert.throws(() => lidMle([1, -1]), /non-negative/);
  });

  it('estimates about d for points on a d-dimensional subspace of R^64 (exact neighbours)', (t) => {
    const n = 6000;
    const medians: number[] = [];
    for (const d of [2, 5, 10]) {
      const points = planted(d, n, 100 + d);
      const estimates = Array.from({ length: 150 }, (_, s) => exactLid(points, n, s * 40));
      const m = median(estimates);
      t.diagnostic(`d = ${d}: median LID ${m.toFixed(2)}`);
      assert.ok(Math.abs(m - d) <= 0.15 * d, `d = ${d}: median estimate ${m}`);
      medians.push(m);
    }
    assert.ok(medians[0] < medians[1] && medians[1] < medians[2]);
  });

  it('LidEstimator: neighbours from a graph give the exact estimates (planted d = 8)', (t) => {
    const n = 5000;
    const points = planted(8, n, 7);
    const arena = new VectorArena(createWasmBackend(), AMBIENT, n, 1 << 30);
    arena.appendPacked(Float32Array.from(points), n);
    const graph = hnswFactory.create(arena, 'l2', { degree: 16, buildWindowSize: 128, alpha: 1, ef: 64, seed: 3 });
    graph.insertUpTo(n);
    const marks = new Uint8Array(n);
    marks[5] = 1; // a deleted row: neither estimated nor anyone's neighbour
    const estimator = new LidEstimator([{ arena, vectors: arena, marks, count: n, graph }], 'l2');
    assert.equal(estimator.rows, n - 1);
    assert.equal(estimator.step(100), n - 101, 'a step estimates `budget` rows');
    const lid = estimator.run();
    assert.equal(estimator.done, n - 1);
    assert.ok(!estimator.slotOf.includes(5));
    let close = 0;
    const relative: number[] = [];
    const withoutDeleted = points.map((x, i) => (Math.floor(i / AMBIENT) === 5 ? 1e9 : x)); // far from every row
    for (let s = 0; s < 200; s++) {
      const row = s * 20;
      const exact = exactLid(withoutDeleted, n, estimator.slotOf[row]);
      const diff = Math.abs(lid[row] - exact) / exact;
      relative.push(diff);
      if (diff < 0.01) close++;
    }
    const m = median([...lid]);
    t.diagnostic(`graph-based LID: median ${m.toFixed(2)}; ${close}/200 within 1% of the exact estimate, median relative difference ${median(relative).toFixed(4)}`);
    assert.ok(Math.abs(m - 8) <= 0.15 * 8, `median ${m}`);
    assert.ok(close >= 180, `${close} of 200 estimates within 1% of the exact ones`);
  });

  it('orders by LID, highest first, ties by position', () => {
    assert.deepEqual([...orderByLid([3, Infinity, 1, 3, 0])], [1, 0, 3, 2, 4]);
    assert.deepEqual([...orderByLid([3, Infinity, 1, 3, 0], 'ascending')], [4, 2, 0, 3, 1]);
    assert.deepEqual([...orderByLid([])], []);
  });
});

describe("insertionOrder: 'lid'", () => {
  it('is validated, defaults to arrival, and is kept with the collection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-lid-'));
    try {
      let db = await Quiver.open({ path: dir, durability: 'none' });
      const bad: [unknown, RegExp][] = [
        [{ type: 'hnsw', insertionOrder: 'random' }, /index.insertionOrder is 'arrival' or 'lid'; got "random"/],
        [{ type: 'vamana', insertionOrder: 1 }, /index.insertionOrder/],
        [{ type: 'flat', insertionOrder: 'lid' }, /index.insertionOrder applies to graph indexes/],
      ];
      for (const [index, message] of bad) {
        await assert.rejects(db.createCollection('x', { dimension: 4, index: index as never }), (e: Error & { code?: string; details?: { field?: string } }) => {
          return e.code === 'INVALID_ARGUMENT' && message.test(e.message) && e.details?.field === 'index.insertionOrder';
        });
      }
      await db.createCollection('plain', { dimension: 4, index: 'HNSW16' });
      await db.createCollection('ordered', { dimension: 4, index: { type: 'hnsw', connectivity: 8, insertionOrder: 'lid' } });
      await db.createCollection('vamana', { dimension: 4, index: { type: 'vamana', insertionOrder: 'lid' } });
      assert.equal(db.engine('plain').definition.index.insertionOrder, 'arrival');
      const recipes = Object.fromEntries((await db.listCollections()).map((c) => [c.name, c.index]));
      assert.deepEqual(recipes, { ordered: 'HNSW8', plain: 'HNSW16', vamana: 'Vamana64' }, 'an object-form build parameter: the recipe does not change');
      await db.close();
      for (let round = 0; round < 2; round++) {
        db = await Quiver.open({ path: dir, durability: 'none' });
        assert.equal(db.engine('ordered').definition.index.insertionOrder, 'lid');
        assert.equal(db.engine('vamana').definition.index.insertionOrder, 'lid');
        assert.equal(db.engine('plain').definition.index.insertionOrder, 'arrival');
        await db.checkpoint(); // the second round reads them from the manifest, the first from the log
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rewrite leaves out rows deleted or replaced during the estimate; every key still finds its record', async () => {
    const db = await Quiver.open({ segmentBytesMax: 16 * 1024 });
    try {
      const vectors = clusteredVectors(600, 8, 3, 6, 0.4);
      const col = await db.createCollection('g', { dimension: 8, metric: 'l2', index: { type: 'hnsw', connectivity: 8, insertionOrder: 'lid' } });
      await col.upsert(vectors.map((vector, i) => ({ key: `k${i}`, vector })));
      await db.idle();
      const engine = db.engine('g');
      engine.freeze();
      const estimator = engine.lidEstimator(engine.lidRewriteCandidates());
      estimator.step(100);
      await col.delete(['k1', 'k200', 'k599']);
      await col.upsert([{ key: 'k5', vector: vectors[6] }]); // replaced: the new record lives in the growing segment
      estimator.run();
      const { segment } = engine.rewriteInLidOrder(estimator)!;
      assert.equal(segment.count, 600 - 4);
      assert.equal(await col.count(), 597);
      const got = await col.get(vectors.map((_, i) => `k${i}`));
      got.forEach((record, i) => {
        if (['k1', 'k200', 'k599'].includes(`k${i}`)) assert.equal(record, null);
        else assert.deepEqual([...record!.vector!], [...(i === 5 ? vectors[6] : vectors[i])], `k${i}`);
      });
      await db.idle();
      assert.deepEqual(segment.graph!.check(segment.marks), []);
      assert.equal((await col.query({ vector: vectors[300], k: 1 }))[0].key, 'k300');
    } finally {
      await db.close();
    }
  });

  for (const type of ['hnsw', 'vamana'] as const) {
    it(`${type}: optimize() rewrites the rows in descending LID order and rebuilds; checked, recall@10 >= 0.95, persisted`, { timeout: 600_000 }, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'quiver-lid-'));
      const count = Number(process.env.QUIVER_GRAPH_COUNT ?? 20_000);
      const dim = 48;
      try {
        const vectors = clusteredVectors(count, dim, 31, 40, 0.35);
        const live = new Map(vectors.map((v, i) => [`k${i}`, v]));
        // small segments, so the rewrite merges several
        let db = await Quiver.open({ path: dir, durability: 'none', segmentBytesMax: 1 << 20 });
        const col = await db.createCollection('g', { dimension: dim, metric: 'l2', index: { type, insertionOrder: 'lid' } });
        for (let i = 0; i < count; i += 1000) await col.upsert(vectors.slice(i, i + 1000).map((vector, j) => ({ key: `k${i + j}`, vector })));
        const rng = new Prng(5);
        const victims = [...live.keys()].filter(() => rng.next() < 0.1);
        await col.delete(victims);
        for (const key of victims) live.delete(key);
        await db.idle();
        const engine = db.engine('g');
        engine.freeze();
        const sources = engine.lidRewriteCandidates();
        assert.ok(sources.length > 1, `${sources.length} sealed segments`);
        // The same estimate optimize() makes (same graphs, deterministic): the order it must write.
        const estimate = engine.lidEstimator(sources);
        const lid = estimate.run();
        const expected = [...orderByLid(lid)].map((row) => sources[estimate.sourceOf[row]].keys[estimate.slotOf[row]]);

        await col.optimize();
        const [segment] = engine.sealed;
        assert.equal(engine.sealed.length, 1);
        assert.ok(segment.lidOrdered);
        assert.deepEqual(segment.keys, expected, 'rows in descending LID order');
        assert.equal(segment.deleted, 0);
        await db.idle();
        assert.equal(segment.graph!.size, live.size, 'the graph was rebuilt over every row');
        assert.deepEqual(segment.graph!.check(segment.marks), []);
        const recall = await recallOf(db, live, 8);
        t.diagnostic(`${type}, ${live.size} rows: recall@10 ${recall.toFixed(4)} at the default ef after the LID-ordered rebuild`);
        assert.ok(recall >= 0.95, `recall ${recall}`);

        await col.optimize(); // already LID-ordered: nothing to do
        assert.equal(engine.sealed[0], segment);
        await db.close();

        db = await Quiver.open({ path: dir, durability: 'none' });
        const reopened = db.engine('g');
        assert.equal(reopened.unindexed, 0, 'the graph came back with the segment');
        assert.deepEqual(reopened.sealed[0].keys, expected, 'the order is in the segment file');
        assert.deepEqual(reopened.sealed[0].graph!.check(reopened.sealed[0].marks), []);
        assert.equal(await recallOf(db, live, 8), recall, 'the same graph answers the same');
        await db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

async function recallOf(db: Quiver, live: Map<string, Float32Array>, seed: number): Promise<number> {
  const col = db.collection('g');
  const rng = new Prng(seed);
  const keys = [...live.keys()];
  let sum = 0;
  const queries = 100;
  for (let q = 0; q < queries; q++) {
    const base = live.get(keys[rng.int(keys.length)])!;
    const query = Float32Array.from(base, (x) => x + 0.3 * (rng.next() - 0.5));
    const truth = bruteForce(live, query, 'l2', 10);
    const hits = await col.query({ vector: query, k: 10 });
    sum += recallAtK(hits.map((h) => h.key), truth, (key) => distance64('l2', query, live.get(key)!), 10, 1e-4);
  }
  return sum / queries;
}
