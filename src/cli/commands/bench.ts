/**
 * quiver bench: a small benchmark anyone can run in a minute. Vectors are seeded clustered Gaussians
 * (or the first rows of --file); the exact top-k of every query is computed here by brute force in
 * float64, independently of Quiver; then the collection is filled in batches, its index built, and the
 * queries run at each --ef: QPS, latency percentiles and recall@k against that ground truth. Runs in
 * memory unless --data or --url says where (a temporary collection, dropped afterwards unless --keep).
 * Numbers from a shared or busy machine are noisy; compare runs on the same machine.
 */
import { LIMITS } from '../../core/lib/limits.js';
import { type Context, openTarget } from '../context.js';
import { Interrupted, usage } from '../exit.js';
import { formatCount, formatSeconds, table } from '../format.js';
import { detectFormat, openSource } from '../io/source.js';
import { Progress } from '../progress.js';
import type { OpenedTarget, TargetCollection } from '../target.js';
import { parseInteger, parseList } from './options.js';
import { waitForIndex } from './wait-index.js';

export interface BenchOptions {
  count?: string;
  dimension?: string;
  queries?: string;
  k?: string;
  index: string;
  metric: string;
  ef?: string;
  file?: string;
  seed?: string;
  batchSize?: string;
  keep?: boolean;
  json?: boolean;
}

interface EfResult {
  ef: number | null;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  recall: number;
}

export async function benchCommand(ctx: Context, options: BenchOptions): Promise<void> {
  const count = parseInteger(options.count, '--count', 20_000, 1, 10_000_000);
  const queryCount = parseInteger(options.queries, '--queries', 200, 1, 100_000);
  const k = parseInteger(options.k, '--k', 10, 1, LIMITS.kMax);
  const seed = parseInteger(options.seed, '--seed', 1, 0, 2 ** 31);
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1000, 1, LIMITS.batchRecordsMax);
  const efs = options.ef === undefined ? [null] : parseList(options.ef, '--ef').map((e) => parseInteger(e, '--ef', 0, 1, 100_000));
  if (!['cosine', 'dot', 'l2'].includes(options.metric)) throw usage(`--metric is cosine, dot or l2; got ${JSON.stringify(options.metric)}.`);
  const metric = options.metric as 'cosine' | 'dot' | 'l2';

  if (options.file && options.dimension !== undefined) throw usage('--dimension is for generated vectors; a --file has its own.');
  const { base, queries, dimension, origin } = options.file
    ? await vectorsFromFile(options.file, count, queryCount)
    : generated(count, queryCount, parseInteger(options.dimension, '--dimension', 96, 1, LIMITS.dimensionMax), seed);

  const truth = exactTopK(ctx, base, queries, dimension, k, metric);

  const opened: OpenedTarget =
    ctx.data === undefined && ctx.url === undefined ? { target: await (await import('../../index.js')).Quiver.open(), kind: 'local', location: 'memory' } : await openTarget(ctx, { create: true });
  const name = `bench-${Date.now().toString(36)}`;
  try {
    await opened.target.createCollection(name, { dimension, metric, index: options.index });
    const collection = opened.target.collection(name);
    try {
      const insertSeconds = await insert(ctx, collection, base, dimension, batchSize);
      const indexSeconds = await waitForIndex(ctx, collection);
      const results: EfResult[] = [];
      for (const ef of efs) results.push(await runQueries(ctx, collection, queries, dimension, k, ef, truth));
      const summary = {
        origin,
        location: opened.location,
        index: (await collection.stats()).index,
        metric,
        count: base.length / dimension,
        dimension,
        queries: queries.length / dimension,
        k,
        insertSeconds,
        insertPerSecond: base.length / dimension / insertSeconds,
        indexSeconds,
        results,
      };
      print(summary, options.json === true);
    } finally {
      if (!options.keep) await opened.target.dropCollection(name).catch(() => undefined);
      else process.stderr.write(`kept collection "${name}" in ${opened.location}\n`);
    }
  } finally {
    await opened.target.close?.();
  }
}

/** mulberry32: a small seeded generator, so every run of the same options measures the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clustered Gaussians (a few dozen centres, unit noise around them): nearer to real embeddings than uniform noise. */
function generated(count: number, queryCount: number, dimension: number, seed: number): { base: Float32Array; queries: Float32Array; dimension: number; origin: string } {
  const next = random(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const clusters = Math.max(1, Math.min(64, Math.round(Math.sqrt(count) / 4)));
  const centres = new Float32Array(clusters * dimension).map(() => gaussian() * 3);
  const fill = (rows: number) => {
    const out = new Float32Array(rows * dimension);
    for (let r = 0; r < rows; r++) {
      const c = Math.floor(next() * clusters);
      for (let d = 0; d < dimension; d++) out[r * dimension + d] = centres[c * dimension + d] + gaussian();
    }
    return out;
  };
  return { base: fill(count), queries: fill(queryCount), dimension, origin: `generated (${clusters} clusters, seed ${seed})` };
}

/** The first `count` rows of the file are stored; the next `queryCount` rows are the queries. */
async function vectorsFromFile(path: string, count: number, queryCount: number): Promise<{ base: Float32Array; queries: Float32Array; dimension: number; origin: string }> {
  const source = await openSource(path, detectFormat(path, undefined));
  const rows: ArrayLike<number>[] = [];
  outer: for await (const chunk of source.rows({ row: 0, byte: 0, line: 0 })) {
    for (const row of chunk) {
      const vector = row.fields.vector;
      if (!(vector instanceof Float32Array) && !Array.isArray(vector)) throw usage(`${path}, ${row.where}: no "vector" field.`);
      rows.push(vector as ArrayLike<number>);
      if (rows.length === count + queryCount) break outer;
    }
  }
  if (rows.length < 2) throw usage(`${path} has ${rows.length} vectors; bench needs some to store and some to query.`);
  const dimension = rows[0].length;
  const queries = Math.min(queryCount, Math.max(1, Math.floor(rows.length / 10)));
  const stored = rows.length - queries;
  const pack = (list: ArrayLike<number>[]) => {
    const out = new Float32Array(list.length * dimension);
    list.forEach((v, i) => {
      if (v.length !== dimension) throw usage(`${path}: vectors have different dimensions (${dimension} and ${v.length}).`);
      out.set(v, i * dimension);
    });
    return out;
  };
  return { base: pack(rows.slice(0, stored)), queries: pack(rows.slice(stored)), dimension, origin: path };
}

/** Brute-force top-k keys (row numbers) per query, in float64; Quiver plays no part in it. */
function exactTopK(ctx: Context, base: Float32Array, queries: Float32Array, dimension: number, k: number, metric: 'cosine' | 'dot' | 'l2'): number[][] {
  const n = base.length / dimension;
  const q = queries.length / dimension;
  const norms = new Float64Array(n);
  if (metric === 'cosine') for (let i = 0; i < n; i++) norms[i] = Math.sqrt(dot(base, i * dimension, base, i * dimension, dimension)) || 1;
  const progress = new Progress({ enabled: ctx.progress, label: 'exact', total: q, unit: 'queries' });
  const truth: number[][] = [];
  try {
    for (let j = 0; j < q; j++) {
      const at = j * dimension;
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const row = i * dimension;
        if (metric === 'l2') {
          let s = 0;
          for (let d = 0; d < dimension; d++) {
            const diff = base[row + d] - queries[at + d];
            s += diff * diff;
          }
          scores[i] = -s;
        } else {
          scores[i] = dot(base, row, queries, at, dimension) / (metric === 'cosine' ? norms[i] : 1);
        }
      }
      truth.push(topIndices(scores, Math.min(k, n)));
      if (j % 16 === 15 || j === q - 1) progress.update(j + 1, j + 1);
    }
  } finally {
    progress.stop();
  }
  return truth;
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dimension: number): number {
  let s = 0;
  for (let d = 0; d < dimension; d++) s += a[ai + d] * b[bi + d];
  return s;
}

function topIndices(scores: Float64Array, k: number): number[] {
  const order = Array.from(scores.keys());
  // a partial selection would be faster; the ground truth is computed once per run
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, k);
}

async function insert(ctx: Context, collection: TargetCollection, base: Float32Array, dimension: number, batchSize: number): Promise<number> {
  const n = base.length / dimension;
  const progress = new Progress({ enabled: ctx.progress, label: 'insert', total: n, unit: 'vectors' });
  try {
    for (let start = 0; start < n; start += batchSize) {
      const stop = ctx.stopRequested();
      if (stop) throw new Interrupted(stop, `bench stopped by ${stop}.`);
      const end = Math.min(n, start + batchSize);
      const records = [];
      for (let i = start; i < end; i++) records.push({ key: String(i), vector: base.subarray(i * dimension, (i + 1) * dimension) });
      await collection.upsert(records);
      progress.update(end, end);
    }
  } finally {
    progress.stop();
  }
  return progress.seconds;
}

async function runQueries(ctx: Context, collection: TargetCollection, queries: Float32Array, dimension: number, k: number, ef: number | null, truth: number[][]): Promise<EfResult> {
  const q = queries.length / dimension;
  const latencies = new Float64Array(q);
  let found = 0;
  const progress = new Progress({ enabled: ctx.progress, label: ef === null ? 'query' : `ef ${ef}`, total: q, unit: 'queries' });
  try {
    for (let j = 0; j < q; j++) {
      const stop = ctx.stopRequested();
      if (stop) throw new Interrupted(stop, `bench stopped by ${stop}.`);
      const started = performance.now();
      const hits = await collection.query({ vector: queries.subarray(j * dimension, (j + 1) * dimension), k, include: [], ...(ef !== null ? { search: { ef } } : {}) });
      latencies[j] = performance.now() - started;
      const expected = new Set(truth[j].map(String));
      for (const hit of hits) if (expected.has(hit.key)) found++;
      progress.update(j + 1, j + 1);
    }
  } finally {
    progress.stop();
  }
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const total = sorted.reduce((s, v) => s + v, 0) / 1000;
  return {
    ef,
    qps: q / total,
    p50Ms: sorted[Math.floor(0.5 * (q - 1))],
    p99Ms: sorted[Math.floor(0.99 * (q - 1))],
    recall: found / truth.reduce((s, t) => s + t.length, 0),
  };
}

function print(summary: { origin: string; location: string; index: string; metric: string; count: number; dimension: number; queries: number; k: number; insertSeconds: number; insertPerSecond: number; indexSeconds: number; results: EfResult[] }, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const lines = [
    `data       ${formatCount(summary.count)} x ${summary.dimension} vectors, ${formatCount(summary.queries)} queries, ${summary.origin}`,
    `collection ${summary.index}, ${summary.metric}, in ${summary.location}`,
    `insert     ${formatSeconds(summary.insertSeconds)} (${formatCount(summary.insertPerSecond)} vectors/s), then indexing ${formatSeconds(summary.indexSeconds)}`,
    '',
    table(
      ['ef', 'QPS', 'p50 ms', 'p99 ms', `recall@${summary.k}`],
      summary.results.map((r) => [r.ef === null ? 'default' : String(r.ef), Math.round(r.qps), r.p50Ms, r.p99Ms, r.recall]),
    ),
    '',
    'Recall is against exact brute force computed by the CLI; QPS is one query at a time, end to end (a busy machine lowers it).',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
