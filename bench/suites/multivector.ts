/**
 * The multi-vector suite (`npm run bench -- multivector [--quick]`): a synthetic ColBERT-like set
 * (test/support/multivector-data.ts: documents of 32-128 unit vectors of 128-d drawn from topic
 * mixtures, queries of 8-32 vectors) answered by
 *   - the exact MaxSim scan (every document scored by the MaxSim kernel): the ground truth;
 *   - the single-vector heuristic: every token vector in one HNSW16 collection, each query vector's 10
 *     nearest tokens, the union of their documents re-ranked by exact MaxSim;
 *   - Quiver's multi-vector collections: MUVERA encodings in HNSW16 at several encoding sizes, 100
 *     candidates re-ranked by exact MaxSim, with and without token pooling.
 * Reported: recall@10 against the exact MaxSim top 10, queries per second (one at a time), and bytes per
 * document (stats: what the index holds in memory, plus the token vectors on disk).
 */
import { Quiver } from '../../src/index.js';
import { MaxSimScorer } from '../../src/core/multivector/scorer.js';
import { createWasmBackend } from '../../src/wasm/backend.js';
import { topicMixtureSet, type TokenSetData } from '../../test/support/multivector-data.js';

export interface MultivectorRow {
  system: string;
  recallAt10: number;
  qps: number;
  indexBytesPerDoc: number;
  tokenBytesPerDoc: number;
  buildSeconds: number;
}

const D = 128;

export async function runMultivector(options: { documents: number; queries: number }): Promise<{ rows: MultivectorRow[]; documents: number; queries: number; vectors: number }> {
  const set = topicMixtureSet({ documents: options.documents, queries: options.queries, dimension: D, docTokens: [32, 128], queryTokens: [8, 32], seed: 2024 });
  const unpack = (s: TokenSetData) => Array.from({ length: s.count }, (_, t) => s.tokens.slice(t * D, (t + 1) * D));
  const vectors = set.documents.reduce((n, d) => n + d.count, 0);
  const rows: MultivectorRow[] = [];
  const scorer = new MaxSimScorer(createWasmBackend(), D);
  const top10 = (scores: ArrayLike<number>, keys: string[]) =>
    Array.from(scores, (s, i) => ({ s, key: keys[i] }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((x) => x.key);
  const allKeys = set.documents.map((_, i) => `d${i}`);

  // exact MaxSim scan: the truth
  let started = performance.now();
  const truth = set.queries.map((q) => top10(scorer.score(q, set.documents), allKeys));
  const exactSeconds = (performance.now() - started) / 1000;
  rows.push({ system: 'exact MaxSim scan', recallAt10: 1, qps: set.queries.length / exactSeconds, indexBytesPerDoc: 0, tokenBytesPerDoc: (vectors * D * 4) / set.documents.length, buildSeconds: 0 });
  console.log(rows.at(-1));
  const recall = (found: string[][]) => found.reduce((n, hits, i) => n + hits.filter((k) => truth[i].includes(k)).length, 0) / (10 * found.length);

  const db = await Quiver.open();
  // the single-vector heuristic
  {
    started = performance.now();
    const tokens = await db.createCollection('tokens', { dimension: D, metric: 'dot', index: 'HNSW16' });
    for (let i = 0; i < set.documents.length; i += 100) {
      await tokens.upsert(set.documents.slice(i, i + 100).flatMap((doc, j) => unpack(doc).map((v, t) => ({ key: `d${i + j}#${t}`, vector: v }))));
    }
    await db.idle();
    const build = (performance.now() - started) / 1000;
    started = performance.now();
    const found: string[][] = [];
    for (const q of set.queries) {
      const hits = await tokens.queryMany(unpack(q).map((v) => ({ vector: v, k: 10 })));
      const docs = [...new Set(hits.flat().map((h) => h.key.split('#')[0]))];
      found.push(top10(scorer.score(q, docs.map((k) => set.documents[Number(k.slice(1))])), docs));
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = await tokens.stats();
    rows.push({
      system: 'single-vector heuristic (HNSW16 over tokens, 10 per query vector)',
      recallAt10: recall(found),
      qps: set.queries.length / seconds,
      indexBytesPerDoc: ((stats.bytesPerVector.total - stats.bytesPerVector.vectors) * vectors) / set.documents.length,
      tokenBytesPerDoc: (stats.bytesPerVector.vectors * vectors) / set.documents.length,
      buildSeconds: build,
    });
    console.log(rows.at(-1));
    await db.dropCollection('tokens');
  }
  const configs: { name: string; muvera: Record<string, number>; pooling: number }[] = [
    { name: 'MUVERA 1280-d (R 10, k_sim 3, d_proj 16)', muvera: { repetitions: 10, simhashBits: 3, projectionDimension: 16 }, pooling: 1 },
    { name: 'MUVERA 2560-d (R 20, k_sim 3, d_proj 16)', muvera: { repetitions: 20, simhashBits: 3, projectionDimension: 16 }, pooling: 1 },
    { name: 'MUVERA 5120-d (defaults)', muvera: {}, pooling: 1 },
    { name: 'MUVERA 5120-d -> 1024-d final projection', muvera: { finalDimension: 1024 }, pooling: 1 },
    { name: 'MUVERA 5120-d, pool factor 2', muvera: {}, pooling: 2 },
    { name: 'MUVERA 5120-d, pool factor 3', muvera: {}, pooling: 3 },
  ];
  for (const config of configs) {
    started = performance.now();
    const col = await db.createCollection('mv', { dimension: D, multivector: true, index: 'HNSW16', muvera: config.muvera, pooling: config.pooling });
    for (let i = 0; i < set.documents.length; i += 100) {
      await col.upsert(set.documents.slice(i, i + 100).map((doc, j) => ({ key: `d${i + j}`, vectors: unpack(doc) })));
    }
    await db.idle();
    const build = (performance.now() - started) / 1000;
    started = performance.now();
    const found: string[][] = [];
    for (const q of set.queries) found.push((await col.query({ multivector: unpack(q), k: 10 })).map((h) => h.key));
    const seconds = (performance.now() - started) / 1000;
    const stats = await col.stats();
    rows.push({
      system: config.name,
      recallAt10: recall(found),
      qps: set.queries.length / seconds,
      // bytesPerVector has no token vectors (stats.multivector counts those): this is the encodings' index
      indexBytesPerDoc: stats.bytesPerVector.total - stats.bytesPerVector.metadata,
      tokenBytesPerDoc: stats.multivector!.tokenBytes / stats.count,
      buildSeconds: build,
    });
    console.log(rows.at(-1));
    await db.dropCollection('mv');
  }
  await db.close();
  return { rows, documents: set.documents.length, queries: set.queries.length, vectors };
}

export function renderMultivector(run: { rows: MultivectorRow[]; documents: number; queries: number; vectors: number }): string {
  const lines = [
    `${run.documents} documents (${run.vectors} vectors of ${D}-d, 32-128 per document), ${run.queries} queries of 8-32 vectors, k = 10; one query at a time.`,
    '',
    '| system | recall@10 vs exact MaxSim | QPS | index bytes / doc (memory) | token bytes / doc | build s |',
    '|---|---|---|---|---|---|',
    ...run.rows.map((r) => `| ${r.system} | ${r.recallAt10.toFixed(3)} | ${r.qps.toFixed(1)} | ${Math.round(r.indexBytesPerDoc)} | ${Math.round(r.tokenBytesPerDoc)} | ${r.buildSeconds.toFixed(1)} |`),
  ];
  return lines.join('\n');
}
