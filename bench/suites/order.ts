/**
 * The insertion-order study (issue 3, item 8): does inserting rows in order of descending local intrinsic
 * dimensionality (LID) raise a graph's recall? ("The Impacts of Data, Ordering, and Intrinsic
 * Dimensionality on Recall in Hierarchical Navigable Small Worlds", Elliott & Clark 2024.)
 *
 * For each dataset, each graph (HNSW16, Vamana64 at Quiver's defaults) is built over the same rows in
 * several orders, with several seeds, by Quiver's own graph code (src/core) in one bulk insertUpTo, and
 * searched at fixed ef values; recall@10 as ann-benchmarks counts it. Recall at a fixed ef does not depend
 * on the machine's load, so the comparison holds on a shared machine (the build CPU seconds do not).
 *
 *   arrival    the dataset's own order (GloVe: word frequency; Fashion-MNIST, synth-768: no structure)
 *   random     a seeded shuffle (per seed); for Vamana this is its default build, which shuffles itself
 *   lid-desc   descending LID — what insertionOrder 'lid' does
 *   lid-asc    ascending LID (the control: if descending helps, ascending should hurt)
 *
 * Vamana's orders other than 'random' build with buildOrder 'slots' (the passes follow the rows).
 * LID: Quiver's estimator (src/core/index/lid.ts: k = 20 neighbours found in the arrival-order HNSW
 * graph of the first seed, as optimize() finds them), checked against exact neighbours on a sample.
 * With --api (default on), the product path too: the public API with insertionOrder 'arrival' and 'lid',
 * upserts, idle(), optimize(), idle() — one build each (the seed is the segment id).
 */
import type { Dataset, QuerySet } from '../datasets/types.js';
import { loadRef } from '../datasets/subset.js';
import { recallAtK, spreadIds } from '../lib/measure.js';
import { GRAPH_DEFAULTS } from '../../src/core/collection/index-config.js';
import { hnswFactory } from '../../src/core/index/hnsw/hnsw.js';
import type { GraphConfig, GraphFactory, GraphIndex } from '../../src/core/index/index.js';
import { LID_NEIGHBOURS, LID_SEARCH_EF, LidEstimator, lidMle, orderByLid } from '../../src/core/index/lid.js';
import { vamanaFactory } from '../../src/core/index/vamana/vamana.js';
import { Prng } from '../../src/core/lib/prng.js';
import { TopK } from '../../src/core/lib/topk.js';
import { VectorArena } from '../../src/core/vectors/arena.js';
import { Quiver } from '../../src/index.js';
import { createWasmBackend } from '../../src/wasm/backend.js';

export type OrderName = 'arrival' | 'random' | 'lid-desc' | 'lid-asc';
export type IndexName = 'hnsw' | 'vamana';

export const ORDERS: OrderName[] = ['arrival', 'random', 'lid-desc', 'lid-asc'];
export const ORDER_EFS = [10, 16, 24, 32, 64];
export const ORDER_SEEDS = [1, 2, 3];
export const ORDER_DATASETS = ['fashion-mnist', 'synth-768', 'glove-100'];

export interface OrderOptions {
  datasets: string[];
  /** base rows per dataset (a prefix; undefined: all) */
  base?: Record<string, number>;
  queries: number;
  efs: number[];
  seeds: number[];
  indexes: IndexName[];
  orders: OrderName[];
  /** also measure the public-API path (insertionOrder 'arrival' / 'lid' + optimize()) */
  api: boolean;
  /** rows whose graph-based LID is checked against exact neighbours */
  lidSample: number;
}

export interface OrderRecall {
  dataset: string;
  querySet: string;
  index: IndexName;
  /** an OrderName, or 'api-arrival' / 'api-lid' */
  order: string;
  seed: number;
  ef: number;
  recall: number;
  /** mean distance computations per query (the search's work; does not depend on the machine's load) */
  distances?: number;
}

export interface OrderBuild {
  dataset: string;
  index: IndexName;
  order: string;
  seed: number;
  /** CPU seconds of the process while building (API runs: upserts + idle() + optimize() + idle()) */
  buildCpuSeconds: number;
  /** API runs: CPU seconds of optimize() + idle() (the LID estimate and the rebuild) */
  optimizeCpuSeconds?: number;
}

export interface LidSummary {
  dataset: string;
  rows: number;
  k: number;
  ef: number;
  estimateCpuSeconds: number;
  quantiles: { p10: number; p50: number; p90: number };
  infinite: number;
  sample: number;
  /** Spearman rank correlation of graph-based and exact LID on the sample */
  spearman: number;
  medianRelativeDifference: number;
}

export interface OrderDatasetSummary {
  name: string;
  description: string;
  count: number;
  dimension: number;
  metric: string;
  querySets: string[];
}

export interface OrderOut {
  datasets: OrderDatasetSummary[];
  lid: LidSummary[];
  builds: OrderBuild[];
  points: OrderRecall[];
}

const K = 10;
const backend = createWasmBackend();
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function runOrder(opts: OrderOptions): Promise<OrderOut> {
  const out: OrderOut = { datasets: [], lid: [], builds: [], points: [] };
  for (const name of opts.datasets) {
    const loaded = await loadRef({ name, base: opts.base?.[name], queries: opts.queries });
    // a prefix of the base is its own dataset in the report (runs on the whole set and on a prefix merge)
    const label = loaded.description.startsWith('first ') ? `${name}, first ${loaded.count.toLocaleString('en-US')}` : name;
    const ds: Dataset = { ...loaded, name: label };
    console.log(`\n== ${label}`);
    out.datasets.push({ name: label, description: ds.description, count: ds.count, dimension: ds.dimension, metric: ds.metric, querySets: ds.querySets.map((q) => q.name) });
    await studyDataset(ds, opts, out);
  }
  return out;
}

/** The rows as the kernels take them: unit vectors for cosine (the collection stores them so). */
function kernelRows(ds: Dataset): { rows: Float32Array; queries: Map<string, Float32Array> } {
  const normalise = (v: Float32Array): Float32Array => {
    if (ds.metric !== 'cosine') return v;
    const out = new Float32Array(v.length);
    const dim = ds.dimension;
    for (let r = 0; r < v.length / dim; r++) {
      let norm = 0;
      for (let i = 0; i < dim; i++) norm += v[r * dim + i] ** 2;
      const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let i = 0; i < dim; i++) out[r * dim + i] = v[r * dim + i] * s;
    }
    return out;
  };
  return { rows: normalise(ds.base), queries: new Map(ds.querySets.map((qs) => [qs.name, normalise(qs.vectors)])) };
}

interface Built {
  arena: VectorArena;
  graph: GraphIndex;
  /** slot -> dataset row */
  order: Uint32Array;
}

function graphConfig(index: IndexName, seed: number, slots: boolean): GraphConfig {
  if (index === 'hnsw') return { degree: GRAPH_DEFAULTS.hnsw.connectivity, buildWindowSize: GRAPH_DEFAULTS.hnsw.expansionAdd, alpha: 1, ef: GRAPH_DEFAULTS.hnsw.ef, seed };
  const v = GRAPH_DEFAULTS.vamana;
  return { degree: v.graphDegree, buildWindowSize: v.buildWindowSize, alpha: v.alpha, ef: v.ef, seed, buildOrder: slots ? 'slots' : 'shuffled' };
}

function build(ds: Dataset, rows: Float32Array, index: IndexName, order: Uint32Array, seed: number, slots: boolean): { built: Built; cpu: number } {
  const dim = ds.dimension;
  const arena = new VectorArena(backend, dim, ds.count, 2 ** 31 - 1);
  for (const row of order) arena.append(rows.subarray(row * dim, (row + 1) * dim));
  const factory: GraphFactory = index === 'hnsw' ? hnswFactory : vamanaFactory;
  const graph = factory.create(arena, ds.metric === 'l2' ? 'l2' : 'dot', graphConfig(index, seed, slots));
  const cpu0 = cpuSeconds();
  graph.insertUpTo(ds.count);
  const cpu = cpuSeconds() - cpu0;
  const problems = graph.check(new Uint8Array(ds.count));
  if (problems.length > 0) throw new Error(`${index} over ${ds.name}: the graph checker found ${problems.length} problems: ${problems.slice(0, 3).join('; ')}`);
  return { built: { arena, graph, order }, cpu };
}

/** Recall@10 and distance computations per query at each ef. */
function sweep(ds: Dataset, built: Built, qs: QuerySet, queries: Float32Array, efs: number[]): Map<number, { recall: number; distances: number }> {
  const dim = ds.dimension;
  const marks = new Uint8Array(ds.count);
  const queryIds = spreadIds(qs.count, qs.count);
  const out = new Map<number, { recall: number; distances: number }>();
  // Both graphs score through arena.scoreSlots: counting there measures a search's work.
  const arena = built.arena;
  const scoreSlots = arena.scoreSlots.bind(arena);
  let scored = 0;
  arena.scoreSlots = (metric, slots, count) => {
    scored += count;
    return scoreSlots(metric, slots, count);
  };
  try {
    for (const ef of efs) {
      const ids = new Int32Array(queryIds.length * K).fill(-1);
      scored = 0;
      for (let j = 0; j < queryIds.length; j++) {
        arena.setQuery(queries.subarray(j * dim, (j + 1) * dim));
        const top = new TopK(K);
        built.graph.search(marks, top, 0, ef);
        const found = top.drain().ids;
        for (let r = 0; r < found.length; r++) ids[j * K + r] = built.order[found[r]];
      }
      out.set(ef, { recall: recallAtK(ds, qs, queryIds, ids, K), distances: scored / queryIds.length });
    }
  } finally {
    arena.scoreSlots = scoreSlots;
  }
  return out;
}

function shuffled(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Prng(seed ^ 0x0bde7);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

async function studyDataset(ds: Dataset, opts: OrderOptions, out: OrderOut): Promise<void> {
  const { rows, queries } = kernelRows(ds);
  const identity = Uint32Array.from({ length: ds.count }, (_, i) => i);
  const record = (built: Built, index: IndexName, order: string, seed: number): string => {
    const parts: string[] = [];
    for (const qs of ds.querySets) {
      for (const [ef, { recall, distances }] of sweep(ds, built, qs, queries.get(qs.name)!, opts.efs)) {
        out.points.push({ dataset: ds.name, querySet: qs.name, index, order, seed, ef, recall, distances });
        if (ef === opts.efs[0]) parts.push(`${qs.name} ${recall.toFixed(4)} @ ef ${ef}`);
      }
    }
    return parts.join(', ');
  };

  // The LID of every row, as optimize() estimates it: neighbours from the arrival-order HNSW graph.
  const first = build(ds, rows, 'hnsw', identity, opts.seeds[0], true);
  const lid = estimateLid(ds, first.built, opts.lidSample, out);
  const orders: Record<OrderName, (seed: number) => Uint32Array> = {
    arrival: () => identity,
    random: (seed) => shuffled(ds.count, seed),
    'lid-desc': () => orderByLid(lid, 'descending'),
    'lid-asc': () => orderByLid(lid, 'ascending'),
  };

  for (const index of opts.indexes) {
    for (const order of opts.orders) {
      for (const seed of opts.seeds) {
        // Vamana's own build shuffles: 'random' is its default; the other orders make it follow the rows,
        // and then nothing is drawn from the seed (the entry point is the medoid): one build says it all.
        const slots = !(index === 'vamana' && order === 'random');
        if (index === 'vamana' && slots && seed !== opts.seeds[0]) continue;
        const rowOrder = index === 'vamana' && order === 'random' ? identity : orders[order](seed);
        const reuse = index === 'hnsw' && order === 'arrival' && seed === opts.seeds[0];
        const { built, cpu } = reuse ? first : build(ds, rows, index, rowOrder, seed, slots);
        out.builds.push({ dataset: ds.name, index, order, seed, buildCpuSeconds: cpu });
        console.log(`  ${index} ${order} seed ${seed}: built in ${cpu.toFixed(1)} CPU s; ${record(built, index, order, seed)}`);
      }
    }
  }
  if (opts.api) for (const index of opts.indexes) for (const insertionOrder of ['arrival', 'lid'] as const) await apiRun(ds, index, insertionOrder, opts, out);
}

function estimateLid(ds: Dataset, built: Built, sample: number, out: OrderOut): Float64Array {
  const cpu0 = cpuSeconds();
  const estimator = new LidEstimator([{ arena: built.arena, vectors: built.arena, marks: new Uint8Array(ds.count), count: ds.count, graph: built.graph }], ds.metric === 'l2' ? 'l2' : 'dot');
  const bySlot = estimator.run();
  const estimateCpuSeconds = cpuSeconds() - cpu0;
  const lid = new Float64Array(ds.count); // by dataset row (the arrival build's slots are the rows)
  for (let r = 0; r < bySlot.length; r++) lid[built.order[estimator.slotOf[r]]] = bySlot[r];

  // Exact neighbours for a sample of rows: every distance by the kernel, the k smallest (self excluded).
  const ids = spreadIds(ds.count, Math.min(sample, ds.count));
  const exact: number[] = [];
  const approx: number[] = [];
  const relative: number[] = [];
  for (const row of ids) {
    built.arena.setQueryFromRow(row);
    const all = Float64Array.from(built.arena.distancesAll('l2'));
    all[row] = Infinity;
    const nearest = all.sort().subarray(0, LID_NEIGHBOURS).map((d) => Math.sqrt(Math.max(0, d)));
    const e = lidMle(nearest);
    exact.push(e);
    approx.push(lid[row]);
    if (Number.isFinite(e) && e > 0) relative.push(Math.abs(lid[row] - e) / e);
  }
  const finite = [...lid].filter(Number.isFinite).sort((a, b) => a - b);
  const q = (p: number): number => finite[Math.min(finite.length - 1, Math.floor(p * finite.length))];
  const summary: LidSummary = {
    dataset: ds.name,
    rows: ds.count,
    k: LID_NEIGHBOURS,
    ef: LID_SEARCH_EF,
    estimateCpuSeconds,
    quantiles: { p10: q(0.1), p50: q(0.5), p90: q(0.9) },
    infinite: ds.count - finite.length,
    sample: ids.length,
    spearman: spearman(exact, approx),
    medianRelativeDifference: relative.sort((a, b) => a - b)[relative.length >> 1] ?? NaN,
  };
  out.lid.push(summary);
  console.log(
    `  LID (k ${summary.k}, from the HNSW graph at ef ${summary.ef}): p10 ${summary.quantiles.p10.toFixed(1)}, median ${summary.quantiles.p50.toFixed(1)}, ` +
      `p90 ${summary.quantiles.p90.toFixed(1)}; ${estimateCpuSeconds.toFixed(1)} CPU s; vs exact on ${summary.sample} rows: Spearman ${summary.spearman.toFixed(3)}, ` +
      `median relative difference ${(summary.medianRelativeDifference * 100).toFixed(2)}%`,
  );
  return lid;
}

/** Spearman's rank correlation (average ranks for ties). */
export function spearman(a: number[], b: number[]): number {
  const rank = (xs: number[]): number[] => {
    const idx = xs.map((_, i) => i).sort((i, j) => (xs[i] < xs[j] ? -1 : xs[i] > xs[j] ? 1 : 0));
    const r = new Array<number>(xs.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
      for (let t = i; t <= j; t++) r[idx[t]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** The product path through the public API: upserts, idle(), optimize(), idle(), then the sweep. */
async function apiRun(ds: Dataset, index: IndexName, insertionOrder: 'arrival' | 'lid', opts: OrderOptions, out: OrderOut): Promise<void> {
  const dim = ds.dimension;
  const cpu0 = cpuSeconds();
  const db = await Quiver.open();
  try {
    const col = await db.createCollection('order', { dimension: dim, metric: ds.metric, index: { type: index, insertionOrder } });
    for (let start = 0; start < ds.count; start += 1000) {
      const batch = [];
      for (let i = start; i < Math.min(ds.count, start + 1000); i++) batch.push({ key: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim) });
      await col.upsert(batch);
    }
    await db.idle();
    const cpu1 = cpuSeconds();
    await col.optimize();
    await db.idle();
    const cpu2 = cpuSeconds();
    const order = `api-${insertionOrder}`;
    out.builds.push({ dataset: ds.name, index, order, seed: 0, buildCpuSeconds: cpu2 - cpu0, optimizeCpuSeconds: cpu2 - cpu1 });
    const stats = await col.stats();
    const parts: string[] = [];
    for (const qs of ds.querySets) {
      const queryIds = spreadIds(qs.count, qs.count);
      for (const ef of opts.efs) {
        const ids = new Int32Array(queryIds.length * K).fill(-1);
        for (let j = 0; j < queryIds.length; j++) {
          const hits = await col.query({ vector: qs.vectors.subarray(j * dim, (j + 1) * dim), k: K, search: { ef } });
          hits.forEach((h, r) => (ids[j * K + r] = Number(h.key)));
        }
        const recall = recallAtK(ds, qs, queryIds, ids, K);
        out.points.push({ dataset: ds.name, querySet: qs.name, index, order, seed: 0, ef, recall });
        if (ef === opts.efs[0]) parts.push(`${qs.name} ${recall.toFixed(4)} @ ef ${ef}`);
      }
    }
    console.log(`  ${index} ${order}: ${stats.segments} segment(s), unindexed ${stats.unindexed}; optimize() + idle() ${(cpu2 - cpu1).toFixed(1)} CPU s; ${parts.join(', ')}`);
  } finally {
    await db.close();
  }
}
