/**
 * HNSW graph (src/core/index/hnsw): recall against float64 brute force on seeded clustered data, counted
 * as ann-benchmarks does (a returned neighbour counts when its true distance is within the 10th true
 * distance); determinism; integrity after builds and after delete + consolidate sequences; remap; the
 * codec round trip and its behaviour on damaged bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isQuiverError, QuiverError } from '../src/core/errors.js';
import type { GraphConfig, GraphIndex } from '../src/core/index/index.js';
import { type HnswGraph, hnswFactory } from '../src/core/index/hnsw/hnsw.js';
import type { KernelBackend, KernelMetric } from '../src/core/kernels/kernel.js';
import { referenceBackend } from '../src/core/kernels/reference.js';
import { Prng } from '../src/core/lib/prng.js';
import { TopK } from '../src/core/lib/topk.js';
import { VectorArena } from '../src/core/vectors/arena.js';
import { createWasmBackend } from '../src/wasm/backend.js';

const wasm = createWasmBackend();
const K = 10;
/** The collection's defaults this file recommends (efConstruction and the default search ef). */
const M = 16;
const EF_CONSTRUCTION = 128;
const EF_DEFAULT = 64;

function config(overrides: Partial<GraphConfig> = {}): GraphConfig {
  return { degree: M, buildWindowSize: EF_CONSTRUCTION, alpha: 1, ef: EF_DEFAULT, seed: 1, ...overrides };
}

function gaussian(rng: Prng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

interface DataOptions {
  clusters: number;
  /** Dimension of each cluster's subspace (the data's intrinsic dimension). */
  intrinsic: number;
  normalize?: boolean;
  /** Standard deviation of a log-normal factor on each vector's norm (non-normalised inner product). */
  normSpread?: number;
}

/** A seeded mixture of Gaussian clusters, each spread over a random low-dimensional subspace. */
function clustered(seed: number, n: number, dim: number, o: DataOptions): Float32Array {
  const rng = new Prng(seed);
  const centers = Float64Array.from({ length: o.clusters * dim }, () => gaussian(rng) * 3);
  const bases = Float64Array.from({ length: o.clusters * o.intrinsic * dim }, () => gaussian(rng) / Math.sqrt(o.intrinsic));
  const out = new Float32Array(n * dim);
  const z = new Float64Array(o.intrinsic);
  const row = new Float64Array(dim);
  for (let p = 0; p < n; p++) {
    const c = rng.int(o.clusters);
    for (let j = 0; j < o.intrinsic; j++) z[j] = gaussian(rng);
    const scale = o.normSpread ? Math.exp(gaussian(rng) * o.normSpread) : 1;
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      let x = centers[c * dim + k] + gaussian(rng) * 0.05;
      for (let j = 0; j < o.intrinsic; j++) x += z[j] * bases[(c * o.intrinsic + j) * dim + k];
      row[k] = x * scale;
      norm += row[k] * row[k];
    }
    const s = o.normalize ? 1 / Math.sqrt(norm) : 1;
    for (let k = 0; k < dim; k++) out[p * dim + k] = row[k] * s;
  }
  return out;
}

function distance64(metric: KernelMetric, a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  if (metric === 'l2') {
    for (let k = 0; k < dim; k++) {
      const d = a[ai * dim + k] - b[bi * dim + k];
      s += d * d;
    }
    return s;
  }
  for (let k = 0; k < dim; k++) s += a[ai * dim + k] * b[bi * dim + k];
  return -s;
}

interface Fixture {
  dim: number;
  metric: KernelMetric;
  count: number;
  base: Float32Array;
  queries: Float32Array;
  queryCount: number;
  arena: VectorArena;
  graph: GraphIndex;
}

function build(backend: KernelBackend, base: Float32Array, count: number, dim: number, metric: KernelMetric, cfg = config()): { arena: VectorArena; graph: GraphIndex } {
  const arena = new VectorArena(backend, dim, count, 1 << 30);
  arena.appendPacked(base.subarray(0, count * dim), count);
  const graph = hnswFactory.create(arena, metric, cfg);
  graph.insertUpTo(count);
  return { arena, graph };
}

function fixture(seed: number, count: number, queryCount: number, dim: number, metric: KernelMetric, o: DataOptions, backend = wasm): Fixture {
  const all = clustered(seed, count + queryCount, dim, o);
  const base = all.subarray(0, count * dim);
  const queries = all.subarray(count * dim);
  return { dim, metric, count, base, queries, queryCount, ...build(backend, base, count, dim, metric) };
}

function search(f: { arena: VectorArena; graph: GraphIndex; queries: Float32Array; dim: number }, q: number, marks: Uint8Array, k: number, ef: number) {
  f.arena.setQuery(f.queries.subarray(q * f.dim, (q + 1) * f.dim));
  const top = new TopK(k);
  f.graph.search(marks, top, 0, ef);
  return top.drain();
}

/** Each query's K-th smallest true distance among live rows (float64 brute force), cached per marks. */
const thresholdCache = new WeakMap<Fixture, Map<Uint8Array, Float64Array>>();
function thresholds(f: Fixture, marks: Uint8Array): Float64Array {
  const byMarks = thresholdCache.get(f) ?? new Map<Uint8Array, Float64Array>();
  thresholdCache.set(f, byMarks);
  const cached = byMarks.get(marks);
  if (cached) return cached;
  const out = new Float64Array(f.queryCount);
  const all = new Float64Array(f.count);
  for (let q = 0; q < f.queryCount; q++) {
    let live = 0;
    for (let i = 0; i < f.count; i++) if (marks[i] === 0) all[live++] = distance64(f.metric, f.queries, q, f.base, i, f.dim);
    out[q] = all.subarray(0, live).sort()[K - 1];
  }
  byMarks.set(marks, out);
  return out;
}

/** Mean recall@K over the queries among live rows, ann-benchmarks style. */
function recall(f: Fixture, marks: Uint8Array, ef: number): number {
  let hits = 0;
  const limits = thresholds(f, marks);
  for (let q = 0; q < f.queryCount; q++) {
    const threshold = limits[q];
    const { ids } = search(f, q, marks, K, ef);
    for (const id of ids) {
      assert.equal(marks[id], 0, `query ${q} returned deleted slot ${id}`);
      if (distance64(f.metric, f.queries, q, f.base, id, f.dim) <= threshold + 1e-6 * Math.max(1, Math.abs(threshold))) hits++;
    }
  }
  return hits / (f.queryCount * K);
}

function recallReport(f: Fixture, marks: Uint8Array, efs: number[]): string {
  return efs.map((ef) => `ef ${ef}: ${recall(f, marks, ef).toFixed(4)}`).join(', ');
}

function deleteFraction(seed: number, count: number, fraction: number): Uint8Array {
  const rng = new Prng(seed);
  const marks = new Uint8Array(count);
  for (let i = 0; i < count; i++) if (rng.next() < fraction) marks[i] = 1;
  return marks;
}

describe('hnsw recall against float64 brute force', () => {
  it('l2, 20,000 x 32 clustered: recall@10 >= 0.95 at the default ef; 20% deleted + consolidate keeps it', (t) => {
    const f = fixture(11, 20_000, 100, 32, 'l2', { clusters: 16, intrinsic: 12 });
    assert.deepEqual(f.graph.check(new Uint8Array(f.count)), []);
    // memoryBytes covers at least layer 0's lists (2M u32 per node) and stays within a few times that.
    assert.ok(f.graph.memoryBytes >= f.count * 2 * M * 4 && f.graph.memoryBytes <= f.count * 2 * M * 4 * 3, `${f.graph.memoryBytes} bytes`);
    const r = recall(f, new Uint8Array(f.count), EF_DEFAULT);
    t.diagnostic(`l2 20k x 32: ${recallReport(f, new Uint8Array(f.count), [10, 16, 32])}, ef ${EF_DEFAULT}: ${r.toFixed(4)}`);
    assert.ok(r >= 0.95, `recall ${r}`);

    const marks = deleteFraction(3, f.count, 0.2);
    f.graph.consolidate(marks);
    assert.deepEqual(f.graph.check(marks), []);
    const after = recall(f, marks, EF_DEFAULT);
    t.diagnostic(`after deleting 20% and consolidating: ef ${EF_DEFAULT}: ${after.toFixed(4)}, ${recallReport(f, marks, [16])}`);
    assert.ok(after >= 0.95, `recall after consolidate ${after}`);
  });

  it('cosine (dot on unit vectors), 5,000 x 768', (t) => {
    const f = fixture(12, 5_000, 50, 768, 'dot', { clusters: 12, intrinsic: 24, normalize: true });
    assert.deepEqual(f.graph.check(new Uint8Array(f.count)), []);
    const r = recall(f, new Uint8Array(f.count), EF_DEFAULT);
    t.diagnostic(`cosine 5k x 768: ${recallReport(f, new Uint8Array(f.count), [10, 16, 32])}, ef ${EF_DEFAULT}: ${r.toFixed(4)}`);
    assert.ok(r >= 0.95, `recall ${r}`);
  });

  it('non-normalised inner product, 5,000 x 32 (harder: reported, and held to what it measures)', (t) => {
    const f = fixture(14, 5_000, 100, 32, 'dot', { clusters: 20, intrinsic: 10, normSpread: 0.5 });
    assert.deepEqual(f.graph.check(new Uint8Array(f.count)), []);
    const r = recall(f, new Uint8Array(f.count), EF_DEFAULT);
    t.diagnostic(`dot, norms spread: ${recallReport(f, new Uint8Array(f.count), [10, 16, 32, 128, 256])}, ef ${EF_DEFAULT}: ${r.toFixed(4)}`);
    // Measured 0.958 at ef 64 and 1.0 at ef 128 (0.70 at ef 10): the inner product's best matches sit at
    // the far edge of each cluster, so the beam needs to be wider than for cosine or l2.
    assert.ok(r >= 0.9, `recall ${r} at ef ${EF_DEFAULT}`);
    const wide = recall(f, new Uint8Array(f.count), 128);
    assert.ok(wide >= 0.97, `recall ${wide} at ef 128`);
  });

  it('builds and searches on the reference kernels too (1,000 x 16)', () => {
    const all = clustered(15, 1_050, 16, { clusters: 4, intrinsic: 6 });
    const a = build(referenceBackend, all, 1_000, 16, 'l2');
    const b = build(wasm, all, 1_000, 16, 'l2');
    assert.deepEqual(a.graph.check(new Uint8Array(1_000)), []);
    const f = { ...a, metric: 'l2' as const, count: 1_000, base: all.subarray(0, 16_000), queries: all.subarray(16_000), queryCount: 50, dim: 16 };
    assert.ok(recall(f, new Uint8Array(1_000), EF_DEFAULT) >= 0.95);
    // The kernels may round differently in the last bit (the reference sums in float64), which can tip a
    // near tie in the heuristic: compare the answers, not the bytes.
    let same = 0;
    for (let q = 0; q < 50; q++) {
      const x = new Set(search(f, q, new Uint8Array(1_000), K, EF_DEFAULT).ids);
      for (const id of search({ ...b, queries: f.queries, dim: 16 }, q, new Uint8Array(1_000), K, EF_DEFAULT).ids) if (x.has(id)) same++;
    }
    assert.ok(same >= 0.98 * 50 * K, `${same} of ${50 * K} answers agree`);
  });
});

describe('hnsw determinism and codec', () => {
  const all = clustered(21, 3_050, 24, { clusters: 5, intrinsic: 8 });
  const dim = 24;
  const count = 3_000;
  const queries = all.subarray(count * dim);

  it('the same seed gives identical bytes, however the inserts are sliced', () => {
    const a = build(wasm, all, count, dim, 'l2');
    const arena = new VectorArena(wasm, dim, 8, 1 << 30);
    const graph = hnswFactory.create(arena, 'l2', config());
    for (let at = 0; at < count; at += 337) {
      const upTo = Math.min(count, at + 337);
      arena.appendPacked(all.subarray(at * dim, upTo * dim), upTo - at);
      graph.insertUpTo(upTo);
      assert.equal(graph.size, upTo);
    }
    // (Between slices the reachability check runs and, on this data, finds nothing to repair.)
    assert.deepEqual(a.graph.encode(), graph.encode());
    const c = build(wasm, all, count, dim, 'l2', config({ seed: 2 }));
    assert.notDeepEqual(a.graph.encode(), c.graph.encode());
  });

  it('encode/decode round trip gives identical bytes and search results; inserts continue after decode', () => {
    const half = 1_500;
    const a = build(wasm, all, half, dim, 'l2');
    const bytes = a.graph.encode();
    const decoded = hnswFactory.decode(bytes, 'seg-1.qseg', a.arena, 'l2', config());
    assert.equal(decoded.size, half);
    assert.deepEqual(decoded.encode(), bytes);
    assert.deepEqual(decoded.check(new Uint8Array(half)), []);
    const marks = new Uint8Array(count);
    for (let q = 0; q < 50; q++) {
      const x = search({ ...a, queries, dim }, q, marks, K, 32);
      const y = search({ arena: a.arena, graph: decoded, queries, dim }, q, marks, K, 32);
      assert.deepEqual(x, y);
    }
    // A decoded graph continues the level stream: finishing the build gives the one-shot graph.
    const whole = build(wasm, all, count, dim, 'l2');
    const arena = new VectorArena(wasm, dim, count, 1 << 30);
    arena.appendPacked(all.subarray(0, count * dim), count);
    const resumed = hnswFactory.decode(bytes, 'seg-1.qseg', arena, 'l2', config());
    resumed.insertUpTo(count);
    assert.deepEqual(resumed.encode(), whole.graph.encode());
  });

  it('an empty graph encodes, decodes and finds nothing; k > size returns every live node', () => {
    const arena = new VectorArena(wasm, dim, 16, 1 << 30);
    const empty = hnswFactory.create(arena, 'l2', config());
    const top = new TopK(5);
    arena.setQuery(queries.subarray(0, dim));
    empty.search(new Uint8Array(0), top, 0, 10);
    assert.equal(top.size, 0);
    const decoded = hnswFactory.decode(empty.encode(), 'empty', arena, 'l2', config());
    assert.equal(decoded.size, 0);
    decoded.search(new Uint8Array(0), top, 0, 10);
    assert.equal(top.size, 0);
    assert.deepEqual(decoded.check(new Uint8Array(0)), []);

    const small = build(wasm, all, 7, dim, 'l2');
    const marks = new Uint8Array(7);
    marks[3] = 1;
    const found = search({ ...small, queries, dim }, 0, marks, 20, 1);
    assert.deepEqual(Array.from(found.ids).sort((x, y) => x - y), [0, 1, 2, 4, 5, 6]);
  });

  it('decode refuses damaged bytes with QuiverError only, and never leaves an unsafe graph', () => {
    const a = build(wasm, all, 300, dim, 'l2');
    const marks = deleteFraction(8, 300, 0.1);
    a.graph.consolidate(marks); // so the bytes hold removed nodes too
    const bytes = a.graph.encode();
    const attempt = (damaged: Uint8Array): void => {
      let graph: GraphIndex;
      try {
        graph = hnswFactory.decode(damaged, 'seg-9.qseg', a.arena, 'l2', config());
      } catch (error) {
        assert.ok(isQuiverError(error), `decode threw ${String(error)}`);
        assert.ok(['CORRUPTED', 'UNSUPPORTED'].includes((error as QuiverError).code));
        if ((error as QuiverError).code === 'CORRUPTED') assert.equal((error as QuiverError).details.file, 'seg-9.qseg');
        return;
      }
      // Whatever decoded must be searchable and checkable (bounds were validated).
      graph.check(marks);
      a.arena.setQuery(queries.subarray(0, dim));
      graph.search(marks, new TopK(10), 0, 16);
    };
    for (let cut = 0; cut < bytes.length; cut += cut < 64 ? 1 : 97) {
      assert.throws(() => hnswFactory.decode(bytes.subarray(0, cut), 'seg-9.qseg', a.arena, 'l2', config()), (e) => isQuiverError(e, 'CORRUPTED'));
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), fc.integer({ min: 0, max: 3 }), (bit, extra) => {
        const damaged = bytes.slice();
        damaged[bit >> 3] ^= 1 << (bit & 7);
        for (let i = 0; i < extra; i++) damaged[(bit * 7919 + i * 104729) % damaged.length] ^= 0xff;
        attempt(damaged);
      }),
      { numRuns: 300, seed: 42 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.boolean(), (random, withHeader) => {
        const damaged = withHeader ? new Uint8Array([...bytes.subarray(0, 24), ...random]) : random;
        attempt(damaged);
      }),
      { numRuns: 300, seed: 43 },
    );
    // A huge count in a tiny input is refused before anything is allocated.
    const huge = bytes.slice(0, 64);
    new DataView(huge.buffer).setUint32(12, 0xfffffff0, true);
    assert.throws(() => hnswFactory.decode(huge, 'x', a.arena, 'l2', config()), (e) => isQuiverError(e, 'CORRUPTED'));
    // A newer format version is UNSUPPORTED; another degree is CORRUPTED.
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint16(4, 2, true);
    assert.throws(() => hnswFactory.decode(newer, 'x', a.arena, 'l2', config()), (e) => isQuiverError(e, 'UNSUPPORTED'));
    assert.throws(() => hnswFactory.decode(bytes, 'x', a.arena, 'l2', config({ degree: 8 })), (e) => isQuiverError(e, 'CORRUPTED'));
    // More nodes than the arena holds rows.
    const arena = new VectorArena(wasm, dim, 10, 1 << 30);
    arena.appendPacked(all.subarray(0, 10 * dim), 10);
    assert.throws(() => hnswFactory.decode(bytes, 'x', arena, 'l2', config()), (e) => isQuiverError(e, 'CORRUPTED'));
  });
});

describe('hnsw deletes, consolidate and remap', () => {
  it('check() stays clean through random delete + consolidate + insert sequences', () => {
    const dim = 8;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 160 }),
        fc.array(fc.record({ deletes: fc.array(fc.nat(), { maxLength: 60 }), grow: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (initial, steps, degree, seed) => {
          const total = initial + steps.reduce((n, s) => n + s.grow, 0);
          const data = clustered(seed, total + 5, dim, { clusters: 3, intrinsic: 3 });
          const arena = new VectorArena(wasm, dim, total, 1 << 30);
          arena.appendPacked(data.subarray(0, total * dim), total);
          const cfg = config({ degree, buildWindowSize: 16, seed });
          const graph = hnswFactory.create(arena, 'l2', cfg);
          graph.insertUpTo(initial);
          const marks = new Uint8Array(total);
          for (const step of steps) {
            for (const d of step.deletes) marks[d % graph.size] = 1;
            graph.consolidate(marks);
            assert.deepEqual(graph.check(marks), []);
            const bytes = graph.encode();
            const decoded = hnswFactory.decode(bytes, 'seg', arena, 'l2', cfg);
            assert.deepEqual(decoded.encode(), bytes);
            assert.deepEqual(decoded.check(marks), []);
            const live = marks.subarray(0, graph.size).reduce((n, m) => n + (m === 0 ? 1 : 0), 0);
            // Every live node is found by a wide enough search, no deleted one is.
            arena.setQuery(data.subarray(total * dim, (total + 1) * dim));
            const top = new TopK(Math.max(1, live));
            graph.search(marks, top, 0, live + 1);
            const { ids } = top.drain();
            assert.equal(ids.length, live);
            for (const id of ids) assert.equal(marks[id], 0);
            graph.insertUpTo(graph.size + step.grow);
            assert.deepEqual(graph.check(marks), []);
          }
          // A consolidated graph renumbered without its deleted nodes is sound and finds the same.
          graph.consolidate(marks);
          const oldToNew = new Int32Array(total).fill(-1);
          let next = 0;
          for (let s = 0; s < total; s++) if (marks[s] === 0) oldToNew[s] = next++;
          const newArena = new VectorArena(wasm, dim, Math.max(1, next), 1 << 30);
          for (let s = 0; s < total; s++) if (marks[s] === 0) newArena.append(arena.row(s));
          const remapped = graph.remap(oldToNew, next, newArena);
          assert.deepEqual(remapped.check(new Uint8Array(next)), []);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('remap after consolidate preserves search results; deleting everything empties the graph', () => {
    const dim = 16;
    const count = 4_000;
    const all = clustered(31, count + 40, dim, { clusters: 6, intrinsic: 6 });
    const queries = all.subarray(count * dim);
    const { arena, graph } = build(wasm, all, count, dim, 'l2');
    const marks = deleteFraction(5, count, 0.3);
    marks[(graph as HnswGraph).entry] = 1;
    // Before consolidate, deleted nodes (the entry point among them) are traversed but never returned.
    assert.deepEqual(graph.check(marks), []);
    for (let q = 0; q < 40; q++) for (const id of search({ arena, graph, queries, dim }, q, marks, K, 32).ids) assert.equal(marks[id], 0);
    graph.consolidate(marks);
    assert.deepEqual(graph.check(marks), []);
    assert.equal(marks[(graph as HnswGraph).entry], 0, 'consolidate moves the entry point to a live node');
    const oldToNew = new Int32Array(count).fill(-1);
    let next = 0;
    for (let s = 0; s < count; s++) if (marks[s] === 0) oldToNew[s] = next++;
    const newArena = new VectorArena(wasm, dim, next, 1 << 30);
    for (let s = 0; s < count; s++) if (marks[s] === 0) newArena.append(arena.row(s));
    const remapped = hnswFactory.decode(graph.remap(oldToNew, next, newArena).encode(), 'merged', newArena, 'l2', config());
    assert.deepEqual(remapped.check(new Uint8Array(next)), []);
    for (let q = 0; q < 40; q++) {
      const before = search({ arena, graph, queries, dim }, q, marks, K, 32);
      const after = search({ arena: newArena, graph: remapped, queries, dim }, q, new Uint8Array(next), K, 32);
      assert.deepEqual(after.distances, before.distances);
      assert.deepEqual(Array.from(after.ids), Array.from(before.ids, (id) => oldToNew[id]));
    }

    marks.fill(1);
    graph.consolidate(marks);
    assert.deepEqual(graph.check(marks), []);
    const top = new TopK(K);
    arena.setQuery(queries.subarray(0, dim));
    graph.search(marks, top, 0, 32);
    assert.equal(top.size, 0);
    const none = graph.remap(new Int32Array(count).fill(-1), 0, new VectorArena(wasm, dim, 1, 1 << 30));
    assert.equal(none.size, 0);
  });
});
