/**
 * core/layout: PCA against an exact eigen-decomposition, the fuzzy graph against a plain model, the
 * preservation metric on hand-made cases, and the optimiser's determinism.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { fuzzyUnion, memberships } from '../src/core/layout/fuzzy.js';
import { createLayout, defaultEpochs, fuzzyGraph, normaliseCoordinates } from '../src/core/layout/layout.js';
import { fitPca, jacobiEigen, projectPca, sampleIndices } from '../src/core/layout/pca.js';
import { NO_NEIGHBOR, neighborPreservation } from '../src/core/layout/preservation.js';
import { type NeighborGraph, packedRows } from '../src/core/layout/rows.js';
import { Prng } from '../src/core/lib/prng.js';
import { gaussian } from './support/data.js';

const symmetric = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((values) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i <= j ? values[i * n + j] : values[j * n + i]))),
  ),
);

it('jacobiEigen: A v = lambda v with orthonormal eigenvectors', () => {
  fc.assert(
    fc.property(symmetric, (a) => {
      const n = a.length;
      const { values, vectors } = jacobiEigen(a);
      const scale = Math.max(1, ...a.flat().map(Math.abs));
      for (let e = 0; e < n; e++) {
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += a[i][j] * vectors[j][e];
          assert.ok(Math.abs(av - values[e] * vectors[i][e]) < 1e-8 * scale * n, `row ${i} of eigenpair ${e}`);
        }
        for (let f = 0; f < n; f++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += vectors[i][e] * vectors[i][f];
          assert.ok(Math.abs(dot - (e === f ? 1 : 0)) < 1e-9);
        }
      }
    }),
  );
});

it('fitPca finds the top axes and variances of the exact covariance', () => {
  const rng = new Prng(11);
  const n = 3000;
  const d = 12;
  // independent coordinates with variances 25, 9, 4, 1, ..., then a random rotation and an offset
  const spreads = Array.from({ length: d }, (_, c) => (c === 0 ? 5 : c === 1 ? 3 : c === 2 ? 2 : 0.5));
  const rotation = jacobiEigen(Array.from({ length: d }, () => Array.from({ length: d }, () => gaussian(rng))).map((row, i, m) => row.map((_, j) => m[i][j] + m[j][i]))).vectors;
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const z = spreads.map((s) => s * gaussian(rng));
    for (let c = 0; c < d; c++) {
      let x = 7;
      for (let j = 0; j < d; j++) x += rotation[c][j] * z[j];
      data[r * d + c] = x;
    }
  }
  const rows = packedRows(data, n, d);
  // the exact covariance and its eigenvectors
  const mean = Array.from({ length: d }, (_, c) => { let s = 0; for (let r = 0; r < n; r++) s += data[r * d + c]; return s / n; });
  const cov = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => { let s = 0; for (let r = 0; r < n; r++) s += (data[r * d + a] - mean[a]) * (data[r * d + b] - mean[b]); return s / n; }));
  const exact = jacobiEigen(cov);
  const order = exact.values.map((_, i) => i).sort((a, b) => exact.values[b] - exact.values[a]);
  const pca = fitPca(rows, 2, { seed: 3 });
  for (let a = 0; a < 2; a++) {
    let cos = 0;
    for (let c = 0; c < d; c++) cos += pca.axes[a][c] * exact.vectors[c][order[a]];
    assert.ok(Math.abs(cos) > 0.999, `axis ${a}: |cos| ${Math.abs(cos)}`);
    assert.ok(Math.abs(pca.variances[a] - exact.values[order[a]]) < 1e-3 * exact.values[order[a]], `variance ${a}`);
  }
  // projections are centred, with the fitted variances
  const projected = projectPca(rows, pca);
  for (let a = 0; a < 2; a++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < n; r++) {
      s += projected[r * 2 + a];
      s2 += projected[r * 2 + a] ** 2;
    }
    assert.ok(Math.abs(s / n) < 1e-3 * Math.sqrt(pca.variances[a]));
    assert.ok(Math.abs(s2 / n - pca.variances[a]) < 1e-3 * pca.variances[a]);
  }
  // the same seed gives the same axes
  assert.deepEqual(fitPca(rows, 2, { seed: 3 }).axes, pca.axes);
});

it('sampleIndices picks distinct ascending indices, all of them when the sample is large enough', () => {
  fc.assert(
    fc.property(fc.nat(300), fc.nat(400), fc.nat(), (count, size, seed) => {
      const picked = sampleIndices(count, size, new Prng(seed));
      assert.equal(picked.length, Math.min(count, size));
      for (let i = 1; i < picked.length; i++) assert.ok(picked[i - 1] < picked[i]);
      if (picked.length > 0) assert.ok(picked[picked.length - 1] < count);
    }),
  );
});

/** A random k-NN-like graph: each point lists k distinct others with ascending distances (ties allowed, near-ties below 0.01 not: sigma has a floor). */
const graphs = fc.integer({ min: 2, max: 30 }).chain((count) =>
  fc.integer({ min: 1, max: Math.min(8, count - 1) }).chain((k) =>
    fc.array(fc.tuple(fc.shuffledSubarray([...Array(count).keys()], { minLength: k, maxLength: k }), fc.array(fc.integer({ min: 0, max: 1000 }).map((x) => x / 100), { minLength: k, maxLength: k })), { minLength: count, maxLength: count }).map((lists): NeighborGraph => {
      const offsets = new Uint32Array(count + 1);
      const neighbors: number[] = [];
      const distances: number[] = [];
      lists.forEach(([ids, ds], i) => {
        const sorted = [...ds].sort((a, b) => a - b);
        ids.filter((j) => j !== i).forEach((j, r) => {
          neighbors.push(j);
          distances.push(sorted[r]);
        });
        offsets[i + 1] = neighbors.length;
      });
      return { count, offsets, neighbors: Uint32Array.from(neighbors), distances: Float32Array.from(distances) };
    }),
  ),
);

it('memberships: the nearest neighbour gets 1 and each list sums to log2(k)', () => {
  fc.assert(
    fc.property(graphs, (graph) => {
      const strengths = memberships(graph);
      for (let i = 0; i < graph.count; i++) {
        const start = graph.offsets[i];
        const end = graph.offsets[i + 1];
        if (end === start) continue;
        let sum = 0;
        let best = 0;
        for (let e = start; e < end; e++) {
          assert.ok(strengths[e] >= 0 && strengths[e] <= 1); // 0 only by underflow, for near-ties
          sum += strengths[e];
          best = Math.max(best, strengths[e]);
        }
        assert.equal(best, 1);
        const target = Math.log2(Math.max(2, end - start));
        // the sum reaches log2(k), or exceeds it when distances tie with the nearest (those are all 1)
        const ties = Array.from(graph.distances.subarray(start, end)).filter((d) => d === graph.distances[start]).length;
        if (ties < target) assert.ok(Math.abs(sum - target) < 1e-3, `point ${i}: sum ${sum}, target ${target}`);
        else assert.ok(sum >= ties - 1e-6);
      }
    }),
  );
});

it('fuzzyUnion: one edge per connected pair, weight a + b - ab', () => {
  fc.assert(
    fc.property(graphs, (graph) => {
      const strengths = memberships(graph);
      const directed = new Map<string, number>();
      for (let i = 0; i < graph.count; i++) for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) directed.set(`${i},${graph.neighbors[e]}`, strengths[e]);
      const expected = new Map<string, number>();
      for (const [pair, a] of directed) {
        const [i, j] = pair.split(',').map(Number);
        const b = directed.get(`${j},${i}`) ?? 0;
        if (a + b - a * b > 0) expected.set(`${Math.min(i, j)},${Math.max(i, j)}`, a + b - a * b);
      }
      const edges = fuzzyUnion(graph, strengths);
      const got = new Map<string, number>();
      for (let e = 0; e < edges.head.length; e++) {
        const key = `${Math.min(edges.head[e], edges.tail[e])},${Math.max(edges.head[e], edges.tail[e])}`;
        assert.ok(!got.has(key), `pair ${key} emitted twice`);
        got.set(key, edges.weight[e]);
      }
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [key, w] of expected) assert.ok(Math.abs(got.get(key)! - w) < 1e-6);
    }),
  );
});

it('neighborPreservation: 1 for the data itself, the share kept otherwise, padded rows skipped', () => {
  // four points on a line: 0 1 2 3 (x = 0, 1, 2, 10)
  const line = Float32Array.from([0, 0, 1, 0, 2, 0, 10, 0]);
  const points = Uint32Array.from([0, 1, 2, 3]);
  const truth = Uint32Array.from([1, 2, 0, 2, 1, 0, 2, 1]); // true 2-NN of each, from the same line
  assert.equal(neighborPreservation(points, truth, 2, line), 1);
  // a layout that swaps points 0 and 3: point 0's neighbours are now {1?}...
  const swapped = Float32Array.from([10, 0, 1, 0, 2, 0, 0, 0]);
  // 2-NN in `swapped`: 0 -> {2, 1}; 1 -> {2, 3}; 2 -> {1, 3}; 3 -> {1, 2}
  // kept: 0: {1,2}∩{2,1} = 2; 1: {0,2}∩{2,3} = 1; 2: {1,0}∩{1,3} = 1; 3: {2,1}∩{1,2} = 2 -> 6/8
  assert.equal(neighborPreservation(points, truth, 2, swapped), 0.75);
  // a row with one known neighbour only (NO_NEIGHBOR pads it) counts that one
  const padded = Uint32Array.from([1, NO_NEIGHBOR]);
  assert.equal(neighborPreservation(Uint32Array.from([0]), padded, 2, swapped), 1);
});

it('the optimiser is deterministic given the seed and keeps points finite', () => {
  const rng = new Prng(5);
  const count = 300;
  const k = 8;
  const points = Array.from({ length: count }, () => [gaussian(rng), gaussian(rng), gaussian(rng)]);
  const offsets = new Uint32Array(count + 1);
  const neighbors = new Uint32Array(count * k);
  const distances = new Float32Array(count * k);
  for (let i = 0; i < count; i++) {
    const order = points.map((p, j) => ({ j, d: Math.hypot(p[0] - points[i][0], p[1] - points[i][1], p[2] - points[i][2]) })).filter((x) => x.j !== i).sort((a, b) => a.d - b.d).slice(0, k);
    order.forEach((x, r) => {
      neighbors[i * k + r] = x.j;
      distances[i * k + r] = x.d;
    });
    offsets[i + 1] = (i + 1) * k;
  }
  const graph = { count, offsets, neighbors, distances };
  const start = Float32Array.from(points.flatMap((p) => [p[0], p[1]]));
  const run = () => {
    const optimizer = createLayout(fuzzyGraph(graph), start, { seed: 9, epochs: 60 });
    while (!optimizer.done) optimizer.run(7);
    return optimizer;
  };
  const a = run();
  const b = run();
  assert.deepEqual(a.coordinates, b.coordinates);
  assert.equal(a.epochsRun, 60);
  assert.ok(a.coordinates.every(Number.isFinite));
  const normalised = normaliseCoordinates(a.coordinates);
  assert.ok(normalised.every((c) => c >= -1 - 1e-6 && c <= 1 + 1e-6));
  assert.ok(normalised.some((c) => Math.abs(Math.abs(c) - 1) < 1e-6));
  assert.equal(defaultEpochs({ head: new Uint32Array(0), tail: new Uint32Array(0), weight: new Float32Array(0) }), 50);
});
