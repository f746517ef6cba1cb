/**
 * Composition end to end through the embedded API: every quantizer over one graph, with and without
 * re-rank, on a seeded set of 20,000 vectors (recall@10 against float64 brute force, ties counted as
 * ann-benchmarks counts them). The graph is built once over float32; each composition is a reindex that
 * keeps it (same graph, new codes), which is also what makes this set fast enough for CI. The full matrix
 * (Vamana too, cosine, every re-rank) runs under QUIVER_LONG.
 *
 * Floors (docs/quantization.md, "Recall in collections"): with the default re-rank every quantizer
 * reaches 0.95 at some ef <= 512; without re-rank LVQ-8 and SQ8 reach 0.90, and the lower figures of
 * LVQ-4, PQ and RaBitQ are asserted as measured floors. Binary codes cannot go without re-rank (their
 * Hamming distance is no score) and are rejected that way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quiver } from '../src/index.js';
import { type Metric, bruteForce, distance64, lowRankVectors, recallAtK } from './support/data.js';

const LONG = process.env.QUIVER_LONG === '1';
const COUNT = 20_000;
const DIMENSION = 128;
const QUERIES = LONG ? 200 : 100;
const K = 10;
const EFS = [16, 32, 64, 128, 256, 512];

/** [recipe tail, floor] — the floor is what recall@10 must reach at some ef <= 512. */
const WITH_RERANK: [string, number][] = [
  ['SQ8', 0.95],
  ['LVQ8', 0.95],
  ['LVQ4', 0.95],
  ['LVQ4x8', 0.95],
  ['LVQ8x8', 0.95],
  ['BQ', 0.95],
  ['RaBitQ', 0.95],
  ['PQ32x8', 0.95],
  ['PQ64x4', 0.95],
];
const WITHOUT_RERANK: [string, number][] = [
  ['SQ8,Rerank:None', 0.9],
  ['LVQ8,Rerank:None', 0.9],
  // the documented lower figures (measured values in docs/quantization.md)
  ['LVQ4,Rerank:None', 0.7],
  ['PQ32x8,Rerank:None', 0.5],
  ['RaBitQ,Rerank:None', 0.3],
];
const LONG_EXTRA: [string, number][] = [
  ['SQ8,Rerank:LVQ8', 0.95],
  ['BQ,Rerank:LVQ8', 0.9],
  ['PQ32x8,Rerank:LVQ8', 0.95],
  ['RaBitQ,Rerank:LVQ8', 0.95],
  ['LVQ4,Rerank:LVQ8', 0.95],
];

interface Fixture {
  base: Float32Array[];
  queries: Float32Array[];
  truth: { key: string; distance: number }[][];
  records: Map<string, Float32Array>;
}

function fixture(metric: Metric): Fixture {
  const all = lowRankVectors(COUNT + QUERIES, DIMENSION, 4242);
  const base = all.slice(0, COUNT);
  const queries = all.slice(COUNT);
  const records = new Map(base.map((v, i) => [String(i), v]));
  return { base, queries, records, truth: queries.map((q) => bruteForce(records, q, metric, K)) };
}

async function recallAt(col: ReturnType<Quiver['collection']>, f: Fixture, metric: Metric, ef: number): Promise<number> {
  let sum = 0;
  for (let q = 0; q < f.queries.length; q++) {
    const hits = await col.query({ vector: f.queries[q], k: K, search: { ef } });
    sum += recallAtK(
      hits.map((h) => h.key),
      f.truth[q],
      (key) => distance64(metric, f.queries[q], f.records.get(key)!),
      K,
    );
  }
  return sum / f.queries.length;
}

/** The smallest ef of EFS whose recall reaches `floor`, with the recalls measured on the way. */
async function sweep(col: ReturnType<Quiver['collection']>, f: Fixture, metric: Metric, floor: number): Promise<{ ef: number | null; best: number; curve: string }> {
  const curve: string[] = [];
  let best = 0;
  for (const ef of EFS) {
    const recall = await recallAt(col, f, metric, ef);
    best = Math.max(best, recall);
    curve.push(`${ef}:${recall.toFixed(3)}`);
    if (recall >= floor) return { ef, best, curve: curve.join(' ') };
  }
  return { ef: null, best, curve: curve.join(' ') };
}

const GRAPHS = LONG ? ['HNSW16', 'Vamana32'] : ['HNSW16'];
const METRICS: Metric[] = LONG ? ['l2', 'cosine'] : ['l2'];

for (const metric of METRICS) {
  for (const graph of GRAPHS) {
    describe(`${graph} over every quantizer, ${COUNT} x ${DIMENSION} low-rank vectors, ${metric}`, { concurrency: false }, () => {
      const f = fixture(metric);
      let db: Quiver;
      let col: ReturnType<Quiver['collection']>;

      it('builds the float32 graph once', { timeout: 600_000 }, async () => {
        db = await Quiver.open({ recallSampleRate: 0 });
        col = await db.createCollection('c', { dimension: DIMENSION, metric, index: graph });
        for (let i = 0; i < COUNT; i += 5_000) await col.upsert(f.base.slice(i, i + 5_000).map((vector, j) => ({ key: String(i + j), vector })));
        await db.idle();
        assert.equal((await col.stats()).unindexed, 0);
      });

      const plan = [...WITH_RERANK, ...WITHOUT_RERANK, ...(LONG ? LONG_EXTRA : [])];
      for (const [tail, floor] of plan) {
        it(`${graph},${tail}: recall@10 >= ${floor} at some ef <= 512`, { timeout: 600_000 }, async (t) => {
          const recipe = `${graph},${tail}`;
          await col.reindex(recipe);
          const stats = await col.stats();
          assert.equal(stats.index, recipe);
          assert.equal(stats.compression?.trained, true);
          assert.equal(stats.staleSegments, 0);
          const { plan: explained } = await col.explain({ vector: f.queries[0], k: K });
          assert.equal(explained.scoresAreEstimates, tail.endsWith('Rerank:None'));
          const { ef, best, curve } = await sweep(col, f, metric, floor);
          t.diagnostic(`${recipe} (${metric}): ${curve}; bytes/vector codes ${stats.bytesPerVector.codes}, re-rank ${stats.bytesPerVector.rerank}`);
          assert.ok(ef !== null, `${recipe}: best recall@10 ${best.toFixed(3)} < ${floor} (${curve})`);
        });
      }

      it('binary codes without re-rank are rejected (Hamming distance is no score)', async () => {
        await assert.rejects(col.reindex(`${graph},BQ,Rerank:None`), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /re-rank/.test(e.message));
        await db.close();
      });
    });
  }
}
