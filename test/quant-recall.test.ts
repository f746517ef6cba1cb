/**
 * Recall of exact search over codes against exact float32 search, on a seeded 20,000-vector set of low
 * intrinsic dimension (test/support/data.ts lowRankVectors: 128-d, 16 effective dimensions, 32 clusters).
 * Each quantizer trains on the first 5,000 vectors and encodes all 20,000; for 100 held-out queries the
 * code kernels score every row (brute force over codes, as a graph would score its candidates), and
 * recall@10 is measured (a) on the code distances alone and (b) after re-ranking the best 100 by code
 * distance on float32. For two-level LVQ, (a) is the best 100 by the first level re-ranked by both
 * levels (the first level alone is LVQ-4 / LVQ-8's figure: its rows are the same bytes). docs/quantization.md records the figures; the assertions sit a little below them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelMetric } from '../src/core/kernels/kernel.js';
import { TopK } from '../src/core/lib/topk.js';
import { CodeArena, createQuantizer, type Quantizer } from '../src/core/quant/index.js';
import { VectorArena } from '../src/core/vectors/arena.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { lowRankVectors } from './support/data.js';

const backend = createWasmBackend();
const COUNT = 20_000;
const QUERIES = 100;
const DIMENSION = 128;
const TRAIN = 5_000;
const K = 10;
const RERANK = 100;

/**
 * recall@10 floors: without re-rank (codes alone) and with the top 100 re-ranked on float32. The issue
 * requires >= 0.90 without re-rank for LVQ-8 and SQ8; the others are documented lower figures.
 */
const FLOORS: Record<string, { l2: [number, number]; cosine: [number, number] }> = {
  sq8: { l2: [0.95, 0.99], cosine: [0.95, 0.99] },
  lvq8: { l2: [0.95, 0.99], cosine: [0.95, 0.99] },
  lvq4: { l2: [0.8, 0.99], cosine: [0.7, 0.99] },
  lvq4x8: { l2: [0.98, 0.99], cosine: [0.98, 0.99] },
  lvq8x8: { l2: [0.98, 0.99], cosine: [0.98, 0.99] },
  binary: { l2: [0.25, 0.8], cosine: [0.3, 0.85] },
  rabitq: { l2: [0.4, 0.95], cosine: [0.35, 0.93] },
  pq16x8: { l2: [0.45, 0.95], cosine: [0.25, 0.82] },
  pq32x4: { l2: [0.3, 0.88], cosine: [0.18, 0.7] },
};

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const s = 1 / Math.sqrt(n);
  return v.map((x) => x * s);
}

function pack(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.length * DIMENSION);
  vectors.forEach((v, i) => out.set(v, i * DIMENSION));
  return out;
}

/** The k best (distance, slot) by ascending distance over all rows, ties by slot. */
function best(distances: Float32Array, k: number): number[] {
  const top = new TopK(k);
  for (let i = 0; i < distances.length; i++) if (distances[i] < top.worst) top.push(distances[i], i);
  return Array.from(top.drain().ids);
}

interface Study {
  metric: KernelMetric;
  exact: VectorArena;
  queries: Float32Array[];
  /** Exact float32 distance of every row to each query, and the k-th best (ties count as hits). */
  truth: Float32Array[];
  threshold: number[];
}

function study(metric: KernelMetric, vectors: Float32Array[], queries: Float32Array[]): Study {
  const exact = new VectorArena(backend, DIMENSION, COUNT, COUNT * 1024);
  exact.appendPacked(pack(vectors), COUNT);
  const truth = queries.map((q) => {
    exact.setQuery(q);
    return exact.distancesAll(metric).slice();
  });
  const threshold = truth.map((d) => Float32Array.from(d).sort()[K - 1]);
  return { metric, exact, queries, truth, threshold };
}

function recall(s: Study, q: number, slots: number[]): number {
  let hits = 0;
  for (const slot of slots.slice(0, K)) if (s.truth[q][slot] <= s.threshold[q] + 1e-6 * Math.abs(s.threshold[q])) hits++;
  return hits / K;
}

/** recall@10 over codes alone, and with the best RERANK by codes re-ranked on float32. */
function measure(s: Study, arena: CodeArena): { codes: number; reranked: number } {
  let codes = 0;
  let reranked = 0;
  for (let q = 0; q < s.queries.length; q++) {
    arena.setQuery(s.queries[q]);
    // Two-level quantizers rank with both levels: the traversal level finds candidates, both re-rank.
    const candidates = best(arena.distancesAll(s.metric), RERANK);
    const both = arena.rerankOf(s.metric, candidates).slice();
    const byBoth = candidates.map((slot, i) => ({ slot, d: both[i] })).sort((a, b) => a.d - b.d || a.slot - b.slot);
    codes += recall(s, q, byBoth.map((c) => c.slot));
    const byFloat = candidates.map((slot) => ({ slot, d: s.truth[q][slot] })).sort((a, b) => a.d - b.d || a.slot - b.slot);
    reranked += recall(s, q, byFloat.map((c) => c.slot));
  }
  return { codes: codes / s.queries.length, reranked: reranked / s.queries.length };
}

describe(`recall@${K} of exact search over codes, ${COUNT} x ${DIMENSION} low-rank set, ${QUERIES} queries`, () => {
  const all = lowRankVectors(COUNT + QUERIES, DIMENSION, 20_240_601);
  const unit = all.map(normalised);
  const studies = {
    l2: study('l2', all.slice(0, COUNT), all.slice(COUNT)),
    cosine: study('dot', unit.slice(0, COUNT), unit.slice(COUNT)),
  };
  const base = { l2: pack(all.slice(0, COUNT)), cosine: pack(unit.slice(0, COUNT)) };

  for (const name of Object.keys(FLOORS)) {
    it(`${name}: codes alone and re-ranked on float32`, (t) => {
      for (const kind of ['l2', 'cosine'] as const) {
        const s = studies[kind];
        const quantizer: Quantizer = createQuantizer(name, DIMENSION, { backend });
        quantizer.train(base[kind], TRAIN);
        const arena = new CodeArena(backend, quantizer, COUNT, COUNT * quantizer.codeBytes);
        for (let r = 0; r < COUNT; r++) arena.append(base[kind].subarray(r * DIMENSION, (r + 1) * DIMENSION));
        const { codes, reranked } = measure(s, arena);
        const bytes = quantizer.residualBytes > 0 ? `${quantizer.codeBytes} + ${quantizer.residualBytes} (residual)` : `${quantizer.codeBytes}`;
        t.diagnostic(`${name} ${kind}: ${bytes} bytes/vector, recall@10 codes ${codes.toFixed(3)}, re-ranked top ${RERANK} on float32 ${reranked.toFixed(3)}`);
        const [floorCodes, floorReranked] = FLOORS[name][kind];
        assert.ok(codes >= floorCodes, `${name} ${kind}: recall@10 over codes ${codes} < ${floorCodes}`);
        assert.ok(reranked >= floorReranked, `${name} ${kind}: recall@10 re-ranked ${reranked} < ${floorReranked}`);
      }
    });
  }
});
