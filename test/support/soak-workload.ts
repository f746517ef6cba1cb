/**
 * The soak's load: a worker owns a partition (soak-model.ts) and, until the deadline, sends one request at
 * a time of a weighted mix — upsert batches (new keys and replacements), updates, deletes by key and by
 * filter, vector / filtered / keyword / hybrid queries, queryMany, get, count, scan, stats — checking
 * every answer it can know exactly: its own partition's records, counts and filtered hit counts. Several
 * workers run at once, so the server always has concurrent reads and writes. The Recorder keeps each
 * request's latency by kind, every error (any rejected request) and every violation (an answer that
 * contradicts the model).
 */
import type { Hit, RemoteCollection } from '../../src/client/index.js';
import { type Expected, Partition, RecordSource, cosineDistance, hasWord, normalise, recordDifference } from './soak-model.js';

export class Recorder {
  readonly latencies = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  readonly errorSamples: string[] = [];
  violations = 0;
  /** Records acknowledged by kind of change: inserted, replaced, updated, deleted. */
  readonly records = { inserted: 0, replaced: 0, updated: 0, deleted: 0 };
  readonly violationSamples: string[] = [];
  /** Own-partition filtered queries: recall@10 against the model's exact answer (reported, not asserted: HNSW is approximate). */
  recallSum = 0;
  recallCount = 0;

  async time<T>(kind: string, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const start = performance.now();
    try {
      const value = await call();
      const list = this.latencies.get(kind) ?? [];
      list.push(performance.now() - start);
      this.latencies.set(kind, list);
      return { ok: true, value };
    } catch (error) {
      this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
      if (this.errorSamples.length < 20) this.errorSamples.push(`${kind}: ${(error as Error).message ?? String(error)}`);
      return { ok: false };
    }
  }

  check(condition: boolean, message: () => string): void {
    if (condition) return;
    this.violations++;
    if (this.violationSamples.length < 20) this.violationSamples.push(message());
  }

  get errorCount(): number {
    let sum = 0;
    for (const n of this.errors.values()) sum += n;
    return sum;
  }
}

export interface WorkerOptions {
  collection: RemoteCollection;
  partition: Partition;
  source: RecordSource;
  recorder: Recorder;
  /** The partition's live size the worker steers towards: inserts below it, deletes above it. */
  target: number;
  deadline: number;
}

type Op = (w: WorkerOptions) => Promise<void>;

const OPS: [Op, number][] = [
  [churn, 22],
  [replace, 6],
  [update, 10],
  [deleteByFilter, 1],
  [vectorQuery, 20],
  [filteredQuery, 10],
  [globalFilteredQuery, 4],
  [keywordQuery, 10],
  [hybridQuery, 8],
  [queryMany, 3],
  [getRecords, 14],
  [countOwn, 5],
  [countAll, 2],
  [scanOwn, 0.3],
  [stats, 1],
];
const TOTAL_WEIGHT = OPS.reduce((sum, [, w]) => sum + w, 0);

/** Fills the partition to its target in batches of 250 (kind 'load'). */
export async function loadPartition(w: WorkerOptions): Promise<void> {
  while (w.partition.size < w.target) {
    const batch = Array.from({ length: Math.min(250, w.target - w.partition.size) }, () => ({ key: w.partition.newKey(), ...w.source.record(w.partition.owner) }));
    await upsertBatch(w, 'load', batch);
  }
}

export async function runWorker(w: WorkerOptions): Promise<void> {
  while (Date.now() < w.deadline) {
    let r = w.source.rng.next() * TOTAL_WEIGHT;
    for (const [op, weight] of OPS) {
      r -= weight;
      if (r < 0) {
        await op(w);
        break;
      }
    }
  }
}

async function upsertBatch(w: WorkerOptions, kind: string, batch: ({ key: string } & Expected)[]): Promise<void> {
  const records = batch.map(({ key, vector, metadata, document }) => ({ key, vector, metadata, ...(document === null ? {} : { document }) }));
  const result = await w.recorder.time(kind, () => w.collection.upsert(records));
  if (!result.ok) return;
  w.recorder.check(result.value.count === batch.length, () => `${kind}: count ${result.value.count} for a batch of ${batch.length}`);
  for (const { key, ...record } of batch) {
    if (w.partition.get(key) === undefined) w.recorder.records.inserted++;
    else w.recorder.records.replaced++;
    w.partition.set(key, record);
  }
}

/** New keys below the target, deletes above it (either near it): the live set stays about the target. */
async function churn(w: WorkerOptions): Promise<void> {
  const { partition, source, target } = w;
  const n = 20 + source.rng.int(81);
  const grow = partition.size < target * 0.98 || (partition.size <= target * 1.02 && source.rng.next() < 0.5);
  if (grow) {
    await upsertBatch(w, 'upsert', Array.from({ length: n }, () => ({ key: partition.newKey(), ...source.record(partition.owner) })));
    return;
  }
  const keys = partition.pick(n, source.rng);
  const result = await w.recorder.time('delete', () => w.collection.delete(keys));
  if (!result.ok) return;
  w.recorder.check(result.value.count === keys.length, () => `delete: count ${result.value.count} for ${keys.length} live keys`);
  for (const key of keys) partition.remove(key);
  w.recorder.records.deleted += keys.length;
}

/** Whole-record replacement of existing keys. */
async function replace(w: WorkerOptions): Promise<void> {
  const keys = w.partition.pick(10 + w.source.rng.int(41), w.source.rng);
  await upsertBatch(w, 'upsert-replace', keys.map((key) => ({ key, ...w.source.record(w.partition.owner) })));
}

async function update(w: WorkerOptions): Promise<void> {
  const { partition, source } = w;
  const keys = partition.pick(1 + source.rng.int(20), source.rng);
  const changes = keys.map((key) => {
    const change: { key: string; metadata?: Record<string, number | boolean>; document?: string | null; vector?: Float32Array } = { key };
    const what = source.rng.int(4);
    if (what === 0 || what === 3) change.metadata = source.rng.next() < 0.5 ? { n: source.rng.int(1000) } : { flag: source.rng.next() < 0.5, n: source.rng.int(1000) };
    if (what === 1 || what === 3) change.document = source.document();
    if (what === 2) change.vector = source.vector();
    return change;
  });
  const result = await w.recorder.time('update', () => w.collection.update(changes));
  if (!result.ok) return;
  w.recorder.check(result.value.count === keys.length, () => `update: count ${result.value.count} for ${keys.length} keys`);
  w.recorder.records.updated += changes.length;
  for (const change of changes) {
    const old = partition.get(change.key)!;
    partition.set(change.key, {
      vector: change.vector ?? old.vector,
      metadata: change.metadata ? { ...old.metadata, ...change.metadata } : old.metadata,
      document: change.document !== undefined ? change.document : old.document,
    });
  }
}

/** A narrow band of `n` in the worker's own partition: the count deleted is known exactly. */
async function deleteByFilter(w: WorkerOptions): Promise<void> {
  const from = w.source.rng.int(1000);
  const filter = { owner: w.partition.owner, n: { $gte: from, $lt: from + 3 } };
  const matching = [...w.partition.entries()].filter(([, r]) => r.metadata.n >= from && r.metadata.n < from + 3).map(([key]) => key);
  const result = await w.recorder.time('delete-filter', () => w.collection.delete({ filter }));
  if (!result.ok) return;
  w.recorder.check(result.value.count === matching.length, () => `delete-filter ${JSON.stringify(filter)}: count ${result.value.count}, expected ${matching.length}`);
  for (const key of matching) w.partition.remove(key);
  w.recorder.records.deleted += matching.length;
}

function checkRanked(w: WorkerOptions, kind: string, hits: Hit[], k: number): void {
  w.recorder.check(hits.length <= k, () => `${kind}: ${hits.length} hits for k ${k}`);
  w.recorder.check(new Set(hits.map((h) => h.key)).size === hits.length, () => `${kind}: a key twice in the hits`);
  for (let i = 1; i < hits.length; i++) {
    if (hits[i].score > hits[i - 1].score) {
      w.recorder.check(false, () => `${kind}: hits out of order at ${i}`);
      break;
    }
  }
}

async function vectorQuery(w: WorkerOptions): Promise<void> {
  const result = await w.recorder.time('query', () => w.collection.query({ vector: w.source.vector(), k: 10 }));
  if (result.ok) {
    checkRanked(w, 'query', result.value, 10);
    w.recorder.check(result.value.length === 10, () => `query: ${result.value.length} hits from a collection of thousands`);
  }
}

/** Exact checks on the worker's own partition: every hit matches, min(k, matching) hits; recall measured. */
async function filteredQuery(w: WorkerOptions): Promise<void> {
  const vector = w.source.vector();
  const below = 50 + w.source.rng.int(950);
  const filter = { owner: w.partition.owner, n: { $lt: below } };
  const result = await w.recorder.time('query-filtered', () => w.collection.query({ vector, k: 10, filter, include: ['metadata'] }));
  if (!result.ok) return;
  const hits = result.value;
  checkRanked(w, 'query-filtered', hits, 10);
  const unit = normalise(vector);
  const matching = [...w.partition.entries()].filter(([, r]) => r.metadata.n < below);
  w.recorder.check(hits.length === Math.min(10, matching.length), () => `query-filtered ${JSON.stringify(filter)}: ${hits.length} hits, ${matching.length} matching records`);
  for (const hit of hits) {
    const want = w.partition.get(hit.key);
    w.recorder.check(want !== undefined && want.metadata.n < below, () => `query-filtered ${JSON.stringify(filter)}: hit ${hit.key} ${want ? `has n ${want.metadata.n}` : 'is not in the partition'}`);
  }
  const exact = matching.map(([key, r]) => ({ key, d: cosineDistance(unit, r.vector) })).sort((a, b) => a.d - b.d).slice(0, 10);
  if (exact.length > 0) {
    const got = new Set(hits.map((h) => h.key));
    w.recorder.recallSum += exact.filter((e) => got.has(e.key)).length / exact.length;
    w.recorder.recallCount++;
  }
}

/** A filter over every partition (changing meanwhile): each hit's metadata must satisfy it. */
async function globalFilteredQuery(w: WorkerOptions): Promise<void> {
  const group = `g${w.source.rng.int(8)}`;
  const result = await w.recorder.time('query-filtered-all', () => w.collection.query({ vector: w.source.vector(), k: 10, filter: { group, flag: true }, include: ['metadata'] }));
  if (!result.ok) return;
  checkRanked(w, 'query-filtered-all', result.value, 10);
  for (const hit of result.value) w.recorder.check(hit.metadata?.group === group && hit.metadata?.flag === true, () => `query-filtered-all: hit ${hit.key} has ${JSON.stringify(hit.metadata)}`);
}

async function keywordQuery(w: WorkerOptions): Promise<void> {
  const word = w.source.word();
  const own = w.source.rng.next() < 0.5;
  const result = await w.recorder.time('query-keyword', () => w.collection.query({ text: word, k: 10, include: ['document'], ...(own ? { filter: { owner: w.partition.owner } } : {}) }));
  if (!result.ok) return;
  checkRanked(w, 'query-keyword', result.value, 10);
  for (const hit of result.value) w.recorder.check(hasWord(hit.document, word), () => `query-keyword "${word}": hit ${hit.key} has document ${JSON.stringify(hit.document)}`);
  if (own) {
    const holding = [...w.partition.entries()].filter(([, r]) => hasWord(r.document, word)).length;
    w.recorder.check(result.value.length === Math.min(10, holding), () => `query-keyword "${word}" in ${w.partition.owner}: ${result.value.length} hits, ${holding} documents hold it`);
  }
}

async function hybridQuery(w: WorkerOptions): Promise<void> {
  const fusion = w.source.rng.next() < 0.5 ? ('rrf' as const) : { weights: { vector: 0.7, keyword: 0.3 } };
  const result = await w.recorder.time('query-hybrid', () => w.collection.query({ vector: w.source.vector(), text: `${w.source.word()} ${w.source.word()}`, k: 10, fusion, filter: { owner: w.partition.owner } }));
  if (!result.ok) return;
  checkRanked(w, 'query-hybrid', result.value, 10);
  w.recorder.check(result.value.length === Math.min(10, w.partition.size), () => `query-hybrid: ${result.value.length} hits in a partition of ${w.partition.size}`);
  for (const hit of result.value) w.recorder.check(w.partition.get(hit.key) !== undefined, () => `query-hybrid: hit ${hit.key} is not in ${w.partition.owner}`);
}

async function queryMany(w: WorkerOptions): Promise<void> {
  const requests = [{ vector: w.source.vector(), k: 5 }, { text: w.source.word(), k: 5 }, { vector: w.source.vector(), k: 5, filter: { flag: false } }];
  const result = await w.recorder.time('query-many', () => w.collection.queryMany(requests));
  if (!result.ok) return;
  w.recorder.check(result.value.length === 3, () => `query-many: ${result.value.length} results for 3 queries`);
  for (const hits of result.value) checkRanked(w, 'query-many', hits, 5);
}

/** Live keys, recently deleted keys and a never-written key, each checked against the model. */
async function getRecords(w: WorkerOptions): Promise<void> {
  const { partition, source } = w;
  const keys = partition.pick(1 + source.rng.int(50), source.rng);
  for (let i = 0; i < 2 && partition.deleted.length > 0; i++) keys.push(partition.deleted[source.rng.int(partition.deleted.length)]);
  keys.push(`${partition.owner}-never`);
  const result = await w.recorder.time('get', () => w.collection.get(keys));
  if (!result.ok) return;
  w.recorder.check(result.value.length === keys.length, () => `get: ${result.value.length} answers for ${keys.length} keys`);
  keys.forEach((key, i) => {
    const difference = recordDifference(key, result.value[i] ?? null, partition.get(key));
    w.recorder.check(difference === null, () => `get: ${difference}`);
  });
}

async function countOwn(w: WorkerOptions): Promise<void> {
  const result = await w.recorder.time('count', () => w.collection.count({ filter: { owner: w.partition.owner } }));
  if (result.ok) w.recorder.check(result.value === w.partition.size, () => `count ${w.partition.owner}: ${result.value}, expected ${w.partition.size}`);
}

async function countAll(w: WorkerOptions): Promise<void> {
  const result = await w.recorder.time('count', () => w.collection.count());
  if (result.ok) w.recorder.check(result.value >= w.partition.size, () => `count: ${result.value} is below this partition's ${w.partition.size}`);
}

/** The whole partition, page by page: exactly the model's records. */
async function scanOwn(w: WorkerOptions): Promise<void> {
  const seen = new Set<string>();
  const result = await w.recorder.time('scan', async () => {
    for await (const batch of w.collection.scan({ filter: { owner: w.partition.owner }, batchSize: 500 })) {
      for (const record of batch) {
        const difference = recordDifference(record.key, record, w.partition.get(record.key));
        w.recorder.check(difference === null, () => `scan: ${difference}`);
        seen.add(record.key);
      }
    }
  });
  if (result.ok) w.recorder.check(seen.size === w.partition.size, () => `scan ${w.partition.owner}: ${seen.size} records, expected ${w.partition.size}`);
}

async function stats(w: WorkerOptions): Promise<void> {
  const result = await w.recorder.time('stats', () => w.collection.stats());
  if (result.ok) w.recorder.check(result.value.count >= w.partition.size, () => `stats: count ${result.value.count}`);
}
