/**
 * Parallel graph builds (issue 3, item 4): worker threads run the read-only phases of Vamana's batches
 * over the segment's shared WASM memory. The parallel build must match the single-threaded one in
 * quality (it computes the same batches, so the graphs are in fact identical); queries and writes run
 * while it works; where there is no shared memory the database builds single-threaded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quiver } from '../src/index.js';
import type { KernelMetric } from '../src/core/kernels/kernel.js';
import { referenceBackend } from '../src/core/kernels/reference.js';
import { Prng } from '../src/core/lib/prng.js';
import { TopK } from '../src/core/lib/topk.js';
import { VamanaGraph, vamanaFactory } from '../src/core/index/vamana/vamana.js';
import { LANE_SCRATCH_BYTES, VectorArena } from '../src/core/vectors/arena.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { BuildPool } from '../src/wasm/build-pool.js';
import { readAgainstLive } from './support/live-reader.js';
import { clusteredVectors, distance64 } from './support/data.js';

const wasm = createWasmBackend();
const COUNT = Number(process.env.QUIVER_GRAPH_COUNT ?? 20_000);
const DIM = 48;
const QUERIES = 100;

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const s = 1 / Math.sqrt(n);
  return v.map((x) => x * s);
}

function recallOf(graph: VamanaGraph, arena: VectorArena, metric: KernelMetric, base: Float32Array[], queries: Float32Array[]): number {
  const top = new TopK(10);
  const marks = new Uint8Array(base.length);
  let hits = 0;
  for (const q of queries) {
    const d = base.map((v) => distance64(metric === 'l2' ? 'l2' : 'dot', q, v));
    const kth = [...d].sort((a, b) => a - b)[9];
    arena.setQuery(q);
    graph.search(marks, top, 0, 64);
    for (const id of top.drain().ids) if (d[id] <= kth + 1e-5 * Math.max(1, Math.abs(kth))) hits++;
  }
  return hits / (10 * queries.length);
}

describe('parallel Vamana build', () => {
  for (const metric of ['l2', 'cosine'] as const) {
    it(`${metric}: the same quality as the single-threaded build (${COUNT} x ${DIM} clustered), check() clean`, { timeout: 600_000 }, async () => {
      let vectors = clusteredVectors(COUNT + QUERIES, DIM, 11, 40, 0.35);
      if (metric === 'cosine') vectors = vectors.map(normalise);
      const kernelMetric: KernelMetric = metric === 'l2' ? 'l2' : 'dot';
      const base = vectors.slice(0, COUNT);
      const queries = vectors.slice(COUNT);
      const packed = new Float32Array(COUNT * DIM);
      base.forEach((v, i) => packed.set(v, i * DIM));
      const config = { degree: 32, buildWindowSize: 64, alpha: 1.2, ef: 64, seed: 3 };

      const single = new VectorArena(wasm, DIM, COUNT, 1 << 30);
      single.appendPacked(packed, COUNT);
      const g1 = vamanaFactory.create(single, kernelMetric, config) as VamanaGraph;
      g1.insertUpTo(COUNT);

      const pool = new BuildPool(2);
      try {
        const shared = new VectorArena(wasm, DIM, COUNT, 1 << 30, { shared: true, lanes: 3 });
        assert.ok(shared.shareable !== undefined, 'the WASM backend makes shared memories here');
        shared.appendPacked(packed, COUNT);
        const g2 = vamanaFactory.create(shared, kernelMetric, config) as VamanaGraph;
        await g2.insertUpToParallel(COUNT, pool);
        assert.equal(g2.size, COUNT);
        assert.deepEqual(g2.check(new Uint8Array(COUNT)), []);
        assert.deepEqual(g1.check(new Uint8Array(COUNT)), []);
        const r1 = recallOf(g1, single, kernelMetric, base, queries);
        const r2 = recallOf(g2, shared, kernelMetric, base, queries);
        assert.ok(Math.abs(r1 - r2) <= 0.01, `recall single ${r1}, parallel ${r2}`);
        assert.ok(r2 >= 0.9, `parallel recall ${r2}`);
        // the parts of a batch are independent, so the split does not change the result at all
        assert.deepEqual(g2.encode(), g1.encode());

        // an incremental parallel insert on top (FreshDiskANN's path), against the same done on one thread
        const more = clusteredVectors(2000, DIM, 12, 40, 0.35).map((v) => (metric === 'cosine' ? normalise(v) : v));
        for (const v of more) {
          single.append(v);
          shared.append(v);
        }
        g1.insertUpTo(COUNT + more.length);
        await g2.insertUpToParallel(COUNT + more.length, pool);
        assert.deepEqual(g2.check(new Uint8Array(COUNT + more.length)), []);
        assert.deepEqual(g2.encode(), g1.encode());
        console.log(`parallel build ${metric}: recall@10 single ${r1.toFixed(3)}, parallel ${r2.toFixed(3)}`);
      } finally {
        await pool.close();
      }
    });
  }

  it('mid-build: searches see the graph as before the build, encode() writes a graph that decodes and checks clean', async () => {
    const dim = 16;
    const n = 6000;
    const vectors = clusteredVectors(n + 3000, dim, 8, 20);
    const arena = new VectorArena(wasm, dim, n, 1 << 28, { shared: true, lanes: 2 });
    for (const v of vectors.slice(0, n)) arena.append(v);
    const config = { degree: 16, buildWindowSize: 32, alpha: 1.2, ef: 32, seed: 9 };
    const graph = vamanaFactory.create(arena, 'l2', config) as VamanaGraph;
    const pool = new BuildPool(1);
    try {
      for (const [from, upTo] of [[0, n], [n, n + 3000]] as const) {
        for (const v of vectors.slice(arena.count, upTo)) arena.append(v);
        const build = graph.insertUpToParallel(upTo, pool);
        assert.equal(graph.building, true);
        assert.equal(graph.size, from);
        const top = new TopK(5);
        arena.setQuery(vectors[1]);
        graph.search(new Uint8Array(upTo), top, 0, 32);
        const { ids } = top.drain();
        for (const id of ids) assert.ok(id < from, `search returned ${id}, which is not indexed yet`);
        const bytes = graph.encode();
        const decoded = vamanaFactory.decode(bytes, 'mid-build', arena, 'l2', config);
        assert.equal(decoded.size, from);
        assert.deepEqual(decoded.check(new Uint8Array(upTo)), []);
        assert.throws(() => graph.insertUpTo(upTo), /parallel build/);
        await build;
        assert.equal(graph.building, false);
        assert.equal(graph.size, upTo);
        assert.deepEqual(graph.check(new Uint8Array(upTo)), []);
      }
    } finally {
      await pool.close();
    }
  });

  it('lanes: each thread scores through its own query and scratch, before the rows', () => {
    const arena = new VectorArena(wasm, 4, 8, 1 << 20, { shared: true, lanes: 3 });
    for (let i = 0; i < 8; i++) arena.append([i, 0, 0, 0]);
    const lane = VectorArena.attachLane(
      (arena as unknown as { memory: Parameters<typeof VectorArena.attachLane>[0] }).memory,
      arena.layout,
      2,
      arena.count,
    );
    arena.setQueryFromRow(1);
    lane.setQueryFromRow(5);
    const slots = Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const at = lane.scoreSlots('l2', slots, 8);
    const fromLane = Array.from(lane.floats.subarray(at, at + 8));
    assert.deepEqual(Array.from(arena.distancesOf('l2', slots)), [1, 0, 1, 4, 9, 16, 25, 36]);
    assert.deepEqual(fromLane, [25, 16, 9, 4, 1, 0, 1, 4]);
    assert.ok(LANE_SCRATCH_BYTES >= 8 * 1024 * 8, 'a lane holds a pruning pass of 8k candidates');
    assert.deepEqual(Array.from(arena.row(7)), [7, 0, 0, 0], 'rows are where they were');
  });
});

describe('parallel builds through the database', () => {
  it('queries and writes run during a parallel build: only live keys, exact distances', { timeout: 600_000 }, async () => {
    const db = await Quiver.open({ buildThreads: 2 });
    const col = await db.createCollection('g', { dimension: DIM, metric: 'l2', index: 'Vamana32' });
    assert.equal((await col.stats()).buildThreads, 2);
    const n = 12_000;
    const vectors = clusteredVectors(n + 3000, DIM, 21, 40, 0.35);
    const live = new Map<string, Float32Array>();
    const rows = vectors.slice(0, n).map((vector, i) => ({ key: `k${i}`, vector }));
    for (let i = 0; i < n; i += 5000) await col.upsert(rows.slice(i, i + 5000));
    for (const r of rows) live.set(r.key, r.vector);
    const rng = new Prng(5);
    let building = 0;
    const engine = (db as unknown as { engines: Map<string, { segments: { graph: { building?: boolean } | null }[] }> }).engines.get('g')!;
    // several async callers at once, interleaved with upserts, overwrites and deletes, until idle
    const writer = (async () => {
      for (let round = 0; round < 30; round++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (engine.segments.some((s) => s.graph?.building === true)) building++;
        const fresh = vectors.slice(n + round * 100, n + (round + 1) * 100).map((vector, i) => ({ key: `n${round}-${i}`, vector }));
        await col.upsert(fresh);
        for (const r of fresh) live.set(r.key, r.vector);
        const over = { key: `k${rng.int(n)}`, vector: vectors[n + rng.int(3000)] };
        await col.upsert([over]);
        live.set(over.key, over.vector);
        const victims = Array.from({ length: 20 }, () => `k${rng.int(n)}`);
        await col.delete(victims);
        for (const key of victims) live.delete(key);
      }
    })();
    const reader = (seed: number) => readAgainstLive(col, vectors, live, 'l2', seed);
    const [, ...counts] = await Promise.all([writer, reader(1), reader(2), reader(3)]);
    assert.ok(counts.every((c) => c > 0));
    assert.ok(building > 0, 'the writes ran while a parallel build was in progress');
    await db.idle();
    assert.equal((await col.stats()).unindexed, 0);
    const stats = await col.stats();
    assert.equal(stats.count, live.size);
    for (const s of engine.segments) {
      const g = s.graph as unknown as { check(marks: Uint8Array): string[] } | null;
      const marks = (s as unknown as { marks: Uint8Array }).marks;
      if (g) assert.deepEqual(g.check(marks), []);
    }
    await db.close();
  });

  it('falls back to single-threaded builds without shared memory (reference kernels)', async () => {
    assert.notEqual(referenceBackend.sharedMemory, true);
    const db = await Quiver.open({ kernels: 'reference', buildThreads: 4 });
    const col = await db.createCollection('g', { dimension: 16, metric: 'cosine', index: 'Vamana16' });
    assert.equal((await col.stats()).buildThreads, 1);
    const vectors = clusteredVectors(5000, 16, 4, 10);
    await col.upsert(vectors.map((vector, i) => ({ key: `k${i}`, vector })));
    await db.idle();
    assert.equal((await col.stats()).unindexed, 0);
    for (const i of [0, 2500, 4999]) assert.equal((await col.query({ vector: vectors[i], k: 1 }))[0].key, `k${i}`);
    await db.close();
  });

  it('buildThreads is validated; 1 builds on the calling thread', async () => {
    await assert.rejects(Quiver.open({ buildThreads: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(Quiver.open({ buildThreads: 1.5 }), { code: 'INVALID_ARGUMENT' });
    const db = await Quiver.open({ buildThreads: 1 });
    const col = await db.createCollection('g', { dimension: 8, index: 'Vamana16' });
    assert.equal((await col.stats()).buildThreads, 1);
    await db.close();
  });
});
