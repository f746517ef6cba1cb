/**
 * The seam for composition: the existing HNSW and Vamana graphs, unchanged, built and searched over a
 * CodeArena (quantized rows) where they normally take a VectorArena. Recall@10 against exact float32
 * search, by the codes alone and with the graph's 50 best re-ranked on float32 (two-level LVQ: on both
 * levels). A preview of the compositions the collection will offer; the measured figures are printed.
 * At this size and ef both graphs return exactly the 50 best rows by code distance (checked while writing
 * this test), so the figures are the quantizers' and the two graphs agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphConfig, GraphFactory } from '../src/core/index/index.js';
import { hnswFactory } from '../src/core/index/hnsw/hnsw.js';
import { vamanaFactory } from '../src/core/index/vamana/vamana.js';
import type { KernelMetric } from '../src/core/kernels/kernel.js';
import { TopK } from '../src/core/lib/topk.js';
import { CodeArena, createQuantizer } from '../src/core/quant/index.js';
import { VectorArena } from '../src/core/vectors/arena.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { lowRankVectors } from './support/data.js';

const backend = createWasmBackend();
const COUNT = 5_000;
const DIMENSION = 96;
const QUERIES = 50;
const K = 10;
const CANDIDATES = 50;
const EF = 64;

const all = lowRankVectors(COUNT + QUERIES, DIMENSION, 77);
const packed = new Float32Array(COUNT * DIMENSION);
all.slice(0, COUNT).forEach((v, i) => packed.set(v, i * DIMENSION));
const queries = all.slice(COUNT);
const exact = new VectorArena(backend, DIMENSION, COUNT, COUNT * DIMENSION * 8);
exact.appendPacked(packed, COUNT);

function truthOf(metric: KernelMetric): { distances: Float32Array[]; threshold: number[] } {
  const distances = queries.map((q) => {
    exact.setQuery(q);
    return exact.distancesAll(metric).slice();
  });
  return { distances, threshold: distances.map((d) => Float32Array.from(d).sort()[K - 1]) };
}

const truth = { l2: truthOf('l2'), dot: truthOf('dot') };

function recall(metric: KernelMetric, q: number, slots: number[]): number {
  const { distances, threshold } = truth[metric];
  return slots.slice(0, K).filter((s) => distances[q][s] <= threshold[q] + 1e-6 * Math.abs(threshold[q])).length / K;
}

const GRAPHS: [string, GraphFactory, GraphConfig][] = [
  ['HNSW16', hnswFactory, { degree: 16, buildWindowSize: 128, alpha: 1, ef: EF, seed: 1 }],
  ['Vamana32', vamanaFactory, { degree: 32, buildWindowSize: 64, alpha: 1.2, ef: EF, seed: 1 }],
];

describe(`graphs over codes, ${COUNT} x ${DIMENSION} low-rank set, ef ${EF}`, () => {
  for (const [graphName, factory, config] of GRAPHS) {
    for (const name of ['lvq8', 'lvq4x8', 'sq8', 'rabitq']) {
      it(`${graphName} over ${name}`, (t) => {
        const metric: KernelMetric = 'l2';
        const quantizer = createQuantizer(name, DIMENSION);
        quantizer.train(packed, 2_000);
        const arena = new CodeArena(backend, quantizer, COUNT, COUNT * (quantizer.codeBytes + quantizer.residualBytes));
        for (let r = 0; r < COUNT; r++) arena.append(packed.subarray(r * DIMENSION, (r + 1) * DIMENSION));
        // The graph code is typed for VectorArena; a CodeArena offers the same surface (ScoringArena).
        const graph = factory.create(arena as unknown as VectorArena, metric, config);
        graph.insertUpTo(COUNT);
        assert.deepEqual(graph.check(new Uint8Array(COUNT)), []);
        const marks = new Uint8Array(COUNT);
        let byCodes = 0;
        let reranked = 0;
        for (let q = 0; q < QUERIES; q++) {
          arena.setQuery(queries[q]);
          const top = new TopK(CANDIDATES);
          graph.search(marks, top, 0, EF);
          const found = Array.from(top.drain().ids);
          // Two-level rows re-rank on both levels first, as the collection will.
          const both = arena.rerankOf(metric, found).slice();
          byCodes += recall(metric, q, found.map((slot, i) => ({ slot, d: both[i] })).sort((a, b) => a.d - b.d).map((c) => c.slot));
          reranked += recall(metric, q, [...found].sort((a, b) => truth[metric].distances[q][a] - truth[metric].distances[q][b]));
        }
        byCodes /= QUERIES;
        reranked /= QUERIES;
        t.diagnostic(`${graphName} over ${name}: recall@10 ${byCodes.toFixed(3)} by codes, ${reranked.toFixed(3)} with the best ${CANDIDATES} re-ranked on float32`);
        if (name !== 'rabitq') assert.ok(byCodes >= 0.9, `${graphName} over ${name}: recall@10 by codes ${byCodes}`);
        assert.ok(reranked >= 0.9, `${graphName} over ${name}: recall@10 re-ranked ${reranked}`);
      });
    }
  }
});
