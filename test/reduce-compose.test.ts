/**
 * Reducers inside collections, through the embedded API (docs/reduction.md, "In collections"): every
 * reducer over one graph on a seeded set of 20,000 vectors (recall@10 against float64 brute force, ties
 * counted as ann-benchmarks counts them), LeanVec-OOD trained through optimize({ trainQueries }) beating
 * PCA on planted out-of-distribution queries, training by itself past the threshold, persistence,
 * drift re-training, reindex to and from reduced indexes, the recall estimate, and bad configurations.
 *
 * Floor: with the default re-rank (float32 full vectors) each reducer, at d = D/4, reaches recall@10 0.95
 * at some ef <= 512. The graph is built once over float32; each reducer is a reindex that keeps it (same
 * graph, new traversal rows), which is what makes the set fast enough for CI. Under QUIVER_LONG: Vamana
 * too, l2 as well as cosine, and reducers composed with quantizers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Prng } from '../src/core/lib/prng.js';
import { type Collection, DRIFT, Quiver, TRAINING } from '../src/index.js';
import { type Metric, bruteForce, distance64, lowRankVectors, recallAtK } from './support/data.js';
import { gaussian, randomOrthogonal } from './support/reduce-data.js';

const LONG = process.env.QUIVER_LONG === '1';
const COUNT = 20_000;
const DIMENSION = 128;
const REDUCED = DIMENSION / 4;
const QUERIES = LONG ? 200 : 100;
const K = 10;
const EFS = [16, 32, 64, 128, 256, 512];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'quiver-reduce-'));
}

async function upsertAll(col: Collection, vectors: Float32Array[], offset = 0): Promise<void> {
  for (let i = 0; i < vectors.length; i += 2_000) await col.upsert(vectors.slice(i, i + 2_000).map((vector, j) => ({ key: String(offset + i + j), vector })));
}

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
}

interface Fixture {
  base: Float32Array[];
  queries: Float32Array[];
  /** Sample queries for LeanVec-OOD: the same distribution as the test queries, other draws. */
  train: Float32Array[];
  records: Map<string, Float32Array>;
  truth: { key: string; distance: number }[][];
}

function fixture(metric: Metric): Fixture {
  const all = lowRankVectors(COUNT + QUERIES + 2_000, DIMENSION, 4242);
  const prepare = (v: Float32Array) => (metric === 'cosine' ? unit(v) : v);
  const base = all.slice(0, COUNT).map(prepare);
  const queries = all.slice(COUNT, COUNT + QUERIES).map(prepare);
  const train = all.slice(COUNT + QUERIES);
  const records = new Map(base.map((v, i) => [String(i), v]));
  return { base, queries, train, records, truth: queries.map((q) => bruteForce(records, q, metric, K)) };
}

async function recallAt(col: Collection, queries: Float32Array[], truth: { key: string; distance: number }[][], records: Map<string, Float32Array>, metric: Metric, ef: number): Promise<number> {
  let sum = 0;
  for (let q = 0; q < queries.length; q++) {
    const hits = await col.query({ vector: queries[q], k: K, search: { ef } });
    sum += recallAtK(
      hits.map((h) => h.key),
      truth[q],
      (key) => distance64(metric, queries[q], records.get(key)!),
      K,
    );
  }
  return sum / queries.length;
}

async function sweep(col: Collection, f: Fixture, metric: Metric, floor: number): Promise<{ ef: number | null; best: number; curve: string }> {
  const curve: string[] = [];
  let best = 0;
  for (const ef of EFS) {
    const recall = await recallAt(col, f.queries, f.truth, f.records, metric, ef);
    best = Math.max(best, recall);
    curve.push(`${ef}:${recall.toFixed(3)}`);
    if (recall >= floor) return { ef, best, curve: curve.join(' ') };
  }
  return { ef: null, best, curve: curve.join(' ') };
}

const GRAPHS = LONG ? ['HNSW16', 'Vamana32'] : ['HNSW16'];
const METRICS: Metric[] = LONG ? ['cosine', 'l2'] : ['cosine'];
const REDUCERS = [`PCA${REDUCED}`, `LeanVec${REDUCED}`, `LeanVecOOD${REDUCED}`, `FFT${REDUCED}`, `MRL${REDUCED}`];
const LONG_TAILS = ['LVQ8', 'LVQ4x8', 'SQ8,Rerank:LVQ8', `PQ${REDUCED / 2}x8`];

for (const metric of METRICS) {
  for (const graph of GRAPHS) {
    describe(`every reducer over ${graph}, ${COUNT} x ${DIMENSION} low-rank vectors reduced to ${REDUCED}, ${metric}`, { concurrency: false }, () => {
      const f = fixture(metric);
      let db: Quiver;
      let col: Collection;

      it('builds the float32 graph once', { timeout: 600_000 }, async () => {
        db = await Quiver.open({ recallSampleRate: 0 });
        col = await db.createCollection('c', { dimension: DIMENSION, metric, index: graph });
        await upsertAll(col, f.base);
        await db.idle();
        assert.equal((await col.stats()).unindexed, 0);
      });

      const plan = REDUCERS.filter((r) => metric !== 'l2' || !r.startsWith('LeanVecOOD')).flatMap((r) => [r, ...(LONG ? LONG_TAILS.map((t) => `${r},${t}`) : [])]);
      for (const reduction of plan) {
        const [reducer, ...tail] = reduction.split(',');
        const recipe = [reducer, graph, ...tail].join(',');
        it(`${recipe}: recall@10 >= 0.95 at some ef <= 512 with the default re-rank`, { timeout: 600_000 }, async (t) => {
          const ood = reducer.startsWith('LeanVecOOD');
          await col.reindex(ood ? { type: graph.startsWith('HNSW') ? 'hnsw' : 'vamana', ...(graph.startsWith('HNSW') ? { connectivity: 16 } : { graphDegree: 32 }), reduce: { method: 'leanvec-ood', dimension: REDUCED, trainQueries: f.train }, ...quantizeOf(tail) } : recipe);
          const stats = await col.stats();
          assert.equal(stats.index, recipe);
          assert.equal(stats.compression?.trained, true);
          assert.equal(stats.compression?.reducer?.fitted, ood ? 'leanvec-ood' : stats.compression?.reducer?.method);
          assert.equal(stats.staleSegments, 0);
          // the reduced rows are the codes part: d float32s (or the quantizer's codes of them)
          if (tail.length === 0) assert.equal(stats.bytesPerVector.codes, REDUCED * 4);
          const { plan: explained } = await col.explain({ vector: f.queries[0], k: K });
          assert.equal(explained.reducer, reducer);
          assert.equal(explained.scoresAreEstimates, false);
          const { ef, best, curve } = await sweep(col, f, metric, 0.95);
          t.diagnostic(`${recipe} (${metric}): ${curve}; bytes/vector codes ${stats.bytesPerVector.codes}, re-rank ${stats.bytesPerVector.rerank}, retained ${stats.compression?.reducer?.retained?.toFixed(3)}`);
          assert.ok(ef !== null, `${recipe}: best recall@10 ${best.toFixed(3)} < 0.95 (${curve})`);
        });
      }

      it(`PCA${REDUCED},${graph},Rerank:None: scores are the reduced ones, and explain says they are estimates`, { timeout: 600_000 }, async () => {
        await col.reindex(`PCA${REDUCED},${graph},Rerank:None`);
        const stats = await col.stats();
        assert.equal(stats.bytesPerVector.rerank, 0);
        const { plan, hits } = await col.explain({ vector: f.queries[0], k: K });
        assert.equal(plan.scoresAreEstimates, true);
        assert.equal(plan.reranked, 0);
        assert.equal(hits.length, K);
        await db.close();
      });
    });
  }
}

function quantizeOf(tail: string[]): Record<string, string> {
  const names: Record<string, string> = { LVQ8: 'lvq8', LVQ4x8: 'lvq4x8', SQ8: 'sq8' };
  const out: Record<string, string> = {};
  for (const token of tail) {
    if (token === 'Rerank:LVQ8') out.rerank = 'lvq8';
    else if (token.startsWith('PQ')) out.quantize = token.toLowerCase();
    else out.quantize = names[token];
  }
  return out;
}

/**
 * The planted out-of-distribution set of test/reduce.test.ts, in a collection: the database spends its
 * variance on one 8-d subspace, queries mostly on another, so the directions PCA keeps miss what queries
 * ask about. 10,000 database rows, 2,000 sample queries, 100 test queries (other draws).
 */
function outOfDistribution(D: number) {
  const rng = new Prng(7);
  const u = randomOrthogonal(D, rng);
  const draw = (n: number, weights: number[], stream: Prng): Float32Array[] =>
    Array.from({ length: n }, () => {
      const out = new Float32Array(D);
      for (let b = 0; b < weights.length; b++) {
        for (let j = 0; j < 8; j++) {
          const z = gaussian(stream) * weights[b];
          for (let k = 0; k < D; k++) out[k] += z * u[(b * 8 + j) * D + k];
        }
      }
      for (let k = 0; k < D; k++) out[k] += 0.05 * gaussian(stream);
      return unit(out);
    });
  return { base: draw(TRAINING.threshold, [3, 1.5, 0.5, 0.2], new Prng(1)), train: draw(2_000, [0.5, 3, 1.5, 0.2], new Prng(2)), test: draw(100, [0.5, 3, 1.5, 0.2], new Prng(3)) };
}

describe('LeanVec-OOD in a collection', () => {
  it('trains as LeanVec-ID by itself past the threshold, then on optimize({ trainQueries }) beats PCA on out-of-distribution queries', { timeout: 600_000 }, async (t) => {
    const D = 64;
    const { base, train, test } = outOfDistribution(D);
    const records = new Map(base.map((v, i) => [String(i), v]));
    const truth = test.map((q) => bruteForce(records, q, 'cosine', K));
    const db = await Quiver.open({ recallSampleRate: 0 });
    const ood = await db.createCollection('ood', { dimension: D, metric: 'cosine', index: 'LeanVecOOD8,HNSW16' });
    const pca = await db.createCollection('pca', { dimension: D, metric: 'cosine', index: 'PCA8,HNSW16' });
    await upsertAll(ood, base);
    await upsertAll(pca, base);
    await db.idle();
    // past the threshold both trained without any call; LeanVec-OOD had no queries: LeanVec-ID maps
    const before = (await ood.stats()).compression!;
    assert.equal(before.trained, true);
    assert.deepEqual([before.reducer!.method, before.reducer!.fitted, before.reducer!.trainQueries], ['leanvec-ood', 'leanvec', 0]);
    assert.equal((await pca.stats()).compression!.trained, true);

    await ood.optimize({ trainQueries: train });
    const after = (await ood.stats()).compression!;
    assert.deepEqual([after.reducer!.fitted, after.reducer!.trainQueries, after.generation], ['leanvec-ood', train.length, 2]);
    assert.equal((await ood.stats()).staleSegments, 0);
    const ef = 100;
    const recallOod = await recallAt(ood, test, truth, records, 'cosine', ef);
    const recallPca = await recallAt(pca, test, truth, records, 'cosine', ef);
    t.diagnostic(`recall@10 at ef ${ef} (re-ranking the ${ef} candidates on float32): LeanVec-OOD ${recallOod.toFixed(3)}, PCA ${recallPca.toFixed(3)}`);
    assert.ok(recallOod >= 0.85, `LeanVec-OOD recall ${recallOod}`);
    assert.ok(recallOod > recallPca + 0.3, `LeanVec-OOD ${recallOod} beats PCA ${recallPca}`);
    await db.close();
  });

  it('takes its sample queries from the IndexConfig object (reduce.trainQueries) and trains on them past the threshold', { timeout: 600_000 }, async () => {
    const D = 64;
    const { base, train } = outOfDistribution(D);
    const db = await Quiver.open({ recallSampleRate: 0 });
    const col = await db.createCollection('ood', { dimension: D, metric: 'cosine', index: { type: 'hnsw', reduce: { method: 'leanvec-ood', dimension: 8, trainQueries: train } } });
    assert.equal((await col.stats()).index, 'LeanVecOOD8,HNSW16');
    assert.equal((await col.stats()).compression!.reducer!.queriesHeld, train.length);
    await upsertAll(col, base);
    await db.idle();
    const reducer = (await col.stats()).compression!.reducer!;
    assert.deepEqual([reducer.fitted, reducer.trainQueries], ['leanvec-ood', train.length]);
    await db.close();
  });
});

describe('reduced collections: lifecycle', () => {
  it('rejects bad configurations with errors that say what to do', async () => {
    const db = await Quiver.open();
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA64,HNSW16' }), 'INVALID_ARGUMENT', /below the collection's dimension/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA80,HNSW16' }), 'INVALID_ARGUMENT', /below the collection's dimension/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA0,HNSW16' }), 'INVALID_ARGUMENT', /positive whole number/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCAx16,HNSW16' }), 'INVALID_ARGUMENT', /Unknown index recipe token "PCAx16"/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA16,LeanVec16,HNSW16' }), 'INVALID_ARGUMENT', /more than one reducer/);
    await rejects(db.createCollection('a', { dimension: 64, metric: 'l2', index: 'LeanVecOOD16,HNSW16' }), 'INVALID_ARGUMENT', /inner products/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA16,HNSW16,LVQ4x8,Rerank:F32' }), 'INVALID_ARGUMENT', /'lvq4' with rerank 'float32'/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA16,Flat,PQ32x8' }), 'INVALID_ARGUMENT', /16 reduced dimensions/);
    await rejects(db.createCollection('a', { dimension: 64, index: 'PCA16,HNSW16,BQ,Rerank:None' }), 'INVALID_ARGUMENT', /needs a re-rank/);
    await rejects(db.createCollection('a', { dimension: 64, index: { type: 'hnsw', reduce: { method: 'svd', dimension: 16 } } }), 'INVALID_ARGUMENT', /index.reduce.method/);
    await rejects(db.createCollection('a', { dimension: 64, index: { type: 'hnsw', reduce: { method: 'pca', dimension: 16, trainQueries: [new Float32Array(64)] } } }), 'INVALID_ARGUMENT', /'leanvec-ood' only/);
    const few = Array.from({ length: 10 }, () => new Float32Array(64).fill(1));
    await rejects(db.createCollection('a', { dimension: 64, index: { type: 'hnsw', reduce: { method: 'leanvec-ood', dimension: 16, trainQueries: few } } }), 'INVALID_ARGUMENT', /at least 17 training queries/);
    await rejects(db.createCollection('a', { dimension: 64, index: { type: 'hnsw', reduce: { method: 'leanvec-ood', dimension: 16, trainQueries: [] } } }), 'INVALID_ARGUMENT', /non-empty array/);
    assert.deepEqual(await db.listCollections(), [], 'nothing was created');

    const pca = await db.createCollection('pca', { dimension: 64, index: 'PCA16,HNSW16' });
    await rejects(pca.optimize({ trainQueries: few }), 'INVALID_ARGUMENT', /LeanVec-OOD reducer; the index of collection "pca" \(PCA16,HNSW16\) has none/);
    const ood = await db.createCollection('ood', { dimension: 64, index: 'LeanVecOOD16,HNSW16' });
    await rejects(ood.optimize({ trainQueries: few }), 'INVALID_ARGUMENT', /at least 17 training queries/);
    const wrong = Array.from({ length: 20 }, () => new Float32Array(32).fill(1));
    await rejects(ood.optimize({ trainQueries: wrong }), 'DIMENSION_MISMATCH');
    await rejects(pca.reindex('PCA64,HNSW16'), 'INVALID_ARGUMENT', /below the collection's dimension/);
    assert.equal((await pca.stats()).index, 'PCA16,HNSW16');
    await db.close();
  });

  it('prints canonical recipes with reducers', async () => {
    const db = await Quiver.open();
    const cases: [string | object, string][] = [
      ['LeanVec32,Vamana64,LVQ4x8,Rerank:LVQ8', 'LeanVec32,Vamana64,LVQ4x8'],
      ['PCA32,HNSW16,Rerank:F32', 'PCA32,HNSW16'],
      ['FFT16,Flat,Rerank:None', 'FFT16,Flat,Rerank:None'],
      ['MRL32,HNSW16,LVQ8,Rerank:LVQ8', 'MRL32,HNSW16,LVQ8,Rerank:LVQ8'],
      ['HNSW16,PCA32', 'PCA32,HNSW16'],
      [{ type: 'vamana', graphDegree: 32, reduce: { method: 'leanvec', dimension: 24 }, quantize: 'sq8' }, 'LeanVec24,Vamana32,SQ8'],
    ];
    for (const [i, [index, recipe]] of cases.entries()) {
      const col = await db.createCollection(`c${i}`, { dimension: 128, index: index as string });
      assert.equal((await col.stats()).index, recipe, JSON.stringify(index));
    }
    await db.close();
  });

  for (const recipe of ['PCA8,HNSW8', 'LeanVec8,Vamana16,LVQ4x8', 'PCA8,Flat,SQ8,Rerank:None', 'MRL8,HNSW8,Rerank:LVQ8']) {
    it(`${recipe}: trains by itself past ${TRAINING.threshold}; persisted: reopen gives the same answers without re-training; later inserts use the same maps`, { timeout: 300_000 }, async () => {
      const dir = tempDir();
      const dimension = 32;
      const all = lowRankVectors(TRAINING.threshold + 1_000 + 120, dimension, 7, 8);
      const vectors = all.slice(0, TRAINING.threshold + 1_000);
      const queries = all.slice(TRAINING.threshold + 1_000, TRAINING.threshold + 1_020);
      const later = all.slice(TRAINING.threshold + 1_020);
      const records = new Map(vectors.map((v, i) => [String(i), v]));
      try {
        let db = await Quiver.open({ path: dir, recallSampleRate: 0 });
        let col = await db.createCollection('p', { dimension, metric: 'l2', index: recipe });
        await upsertAll(col, vectors.slice(0, TRAINING.threshold - 1));
        await db.idle();
        assert.equal((await col.stats()).compression?.trained, false, 'below the threshold: float32 rows, searched as an unreduced index');
        await upsertAll(col, vectors.slice(TRAINING.threshold - 1), TRAINING.threshold - 1);
        await db.idle();
        await db.checkpoint();
        await db.idle();
        const stats = await col.stats();
        assert.equal(stats.compression?.trained, true, 'trained without any call');
        assert.equal(stats.compression?.generation, 1);
        const floatRerank = !recipe.includes('Rerank') && !recipe.includes('LVQ4x8');
        assert.equal(stats.bytesPerVector.vectors, 0, 'float32 rows stay only as re-rank data');
        assert.equal(stats.bytesPerVector.rerank, floatRerank ? dimension * 4 : recipe.includes('LVQ4x8') || recipe.includes('Rerank:LVQ8') ? dimension + 12 : 0);
        const before = await Promise.all(queries.map((q) => col.query({ vector: q, k: 10 })));
        // a prefix of 8 of 32 coordinates needs a wider beam than PCA's 8 directions (measured 0.88 at ef 64)
        const ef = recipe.includes('Rerank:None') ? undefined : recipe.startsWith('MRL') ? 256 : 64;
        const estimate = recipe.includes('Rerank:None');
        let sum = 0;
        for (const [i, q] of queries.entries()) {
          const truth = bruteForce(records, q, 'l2', 10);
          const hits = ef === undefined ? before[i] : await col.query({ vector: q, k: 10, search: { ef } });
          sum += recallAtK(hits.map((h) => h.key), truth, (key) => distance64('l2', q, records.get(key)!), 10);
        }
        assert.ok(sum / queries.length >= (estimate ? 0.5 : 0.9), `recall ${sum / queries.length}`);
        await db.close();

        db = await Quiver.open({ path: dir, recallSampleRate: 0 });
        col = db.collection('p');
        const reopened = await col.stats();
        assert.equal(reopened.compression?.generation, 1, 'loaded, not re-trained');
        assert.equal(reopened.compression?.reducer?.retained, stats.compression?.reducer?.retained);
        assert.equal(reopened.staleSegments, 0);
        assert.equal(reopened.bytesPerVector.vectors, 0);
        const after = await Promise.all(queries.map((q) => col.query({ vector: q, k: 10 })));
        assert.deepEqual(after, before, 'the same answers after reopening');
        // vectors come back exact from the files (the reduced rows are only for traversal)
        assert.deepEqual(Array.from((await col.get(['5']))[0]!.vector), Array.from(vectors[5]));
        // later inserts are reduced with the same maps: each finds itself first
        await col.upsert(later.map((vector, i) => ({ key: `later${i}`, vector })));
        for (const [i, vector] of later.entries()) {
          const [hit] = await col.query({ vector, k: 1, search: { ef: 64 } });
          assert.equal(hit.key, `later${i}`);
        }
        assert.equal((await col.stats()).compression?.generation, 1);
        await db.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it(`re-trains the reducer in the background when inserts leave its kept directions (lost energy over ${DRIFT.ratio}x the training sample's)`, { timeout: 300_000 }, async () => {
    const db = await Quiver.open({ recallSampleRate: 0 });
    const dimension = 32;
    const col = await db.createCollection('d', { dimension, metric: 'l2', index: 'PCA8,HNSW8' });
    // 8 latent dimensions: PCA8 keeps nearly all the variance
    await upsertAll(col, lowRankVectors(TRAINING.threshold, dimension, 3, 8));
    await db.idle();
    assert.equal((await col.stats()).compression?.generation, 1);
    // as many rows again of the same distribution (another stream of the same seed's basis): no re-training
    const same = lowRankVectors(TRAINING.threshold + DRIFT.every * DRIFT.window + 600, dimension, 3, 8).slice(TRAINING.threshold);
    await upsertAll(col, same, TRAINING.threshold);
    await db.idle();
    const steady = (await col.stats()).compression!;
    assert.equal(steady.generation, 1, `same distribution: drift ratio ${steady.driftRatio}`);
    assert.ok(steady.driftRatio !== null && steady.driftRatio < 1.2, `drift ratio ${steady.driftRatio}`);
    // rows from another planted subspace: the kept directions miss them
    const shifted = lowRankVectors(DRIFT.every * DRIFT.window + 600, dimension, 99, 8);
    await upsertAll(col, shifted, 2 * TRAINING.threshold);
    await db.idle();
    const drifted = (await col.stats()).compression!;
    assert.equal(drifted.generation, 2, 're-trained on the planted shift');
    assert.equal((await col.stats()).staleSegments, 0);
    await db.close();
  });

  it('HNSW16 -> PCA8,HNSW16,SQ8 -> LeanVec8,Vamana16 -> HNSW16: queries keep working meanwhile, estimatedRecall measured, and it persists', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const dimension = 32;
    const all = lowRankVectors(TRAINING.threshold + 2_000 + 20, dimension, 11, 8);
    const vectors = all.slice(0, TRAINING.threshold + 2_000);
    const queries = all.slice(TRAINING.threshold + 2_000);
    const records = new Map(vectors.map((v, i) => [String(i), v]));
    const recallNow = async (col: Collection) => {
      let sum = 0;
      for (const q of queries) {
        const hits = await col.query({ vector: q, k: 10, search: { ef: 64 } });
        sum += recallAtK(hits.map((h) => h.key), bruteForce(records, q, 'l2', 10), (key) => distance64('l2', q, records.get(key)!), 10);
      }
      return sum / queries.length;
    };
    try {
      let db = await Quiver.open({ path: dir, recallSampleRate: 1 });
      let col = await db.createCollection('r', { dimension, metric: 'l2', index: 'HNSW16' });
      await upsertAll(col, vectors);
      await db.idle();
      for (const recipe of ['PCA8,HNSW16,SQ8', 'LeanVec8,Vamana16', 'HNSW16']) {
        const reindexed = col.reindex(recipe);
        // queries during the conversion are answered by whichever segments exist
        let during = 0;
        let done = false;
        void reindexed.then(() => (done = true));
        while (!done) {
          const hits = await col.query({ vector: queries[during % queries.length], k: 10 });
          assert.equal(hits.length, 10);
          during++;
          await new Promise((resolve) => setImmediate(resolve));
        }
        await reindexed;
        const stats = await col.stats();
        assert.equal(stats.index, recipe);
        assert.equal(stats.staleSegments, 0);
        assert.ok((await recallNow(col)) >= 0.9, `${recipe}: recall`);
        if (recipe !== 'HNSW16') {
          await db.idle();
          const estimate = (await col.stats()).estimatedRecall;
          assert.ok(estimate !== null && estimate.sampleSize > 0 && estimate.recallAt10 >= 0.85, `${recipe}: estimatedRecall ${JSON.stringify(estimate)}`);
        }
      }
      await col.reindex('PCA8,HNSW16');
      await db.close();
      db = await Quiver.open({ path: dir, recallSampleRate: 0 });
      col = db.collection('r');
      const stats = await col.stats();
      assert.equal(stats.index, 'PCA8,HNSW16');
      assert.equal(stats.compression?.trained, true);
      assert.ok((await recallNow(col)) >= 0.9);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
