/**
 * The runtime conformance suite: one CI-sized set of cases that every runtime entry point (Node, Bun,
 * Deno, Chromium page and Web Worker) runs through the public API only, with no test framework (none
 * exists on all of them). Each case throws on a mismatch; runConformance collects the outcomes and the
 * host (test/runtimes.test.ts) asserts them. Exactness is checked against float64 brute force, HNSW
 * against the same truth through recall.
 */
import type * as Api from '../../src/api.js';
import { bruteForce, clusteredVectors, recallAtK } from '../support/data.js';

type QuiverApi = Pick<typeof Api, 'Quiver' | 'QuiverError'>;
type Db = Awaited<ReturnType<QuiverApi['Quiver']['open']>>;

export interface ConformanceTarget {
  /** The runtime's entry point (its module namespace). */
  api: QuiverApi;
  /** Opens the persistent database under test; called again to reopen it. Absent: in memory only. */
  open?: () => Promise<Db>;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface ConformanceReport {
  runtime: string;
  kernels: string;
  storage: string;
  results: CaseResult[];
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function equal<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

async function rejects(promise: Promise<unknown>, api: QuiverApi, code: string, what: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    check(error instanceof api.QuiverError, `${what}: expected a QuiverError, got ${String(error)}`);
    equal((error as Api.QuiverError).code, code, `${what}: error code`);
    return;
  }
  throw new Error(`${what}: expected a rejection with ${code}`);
}

const DIMENSION = 24;
const SIZE = 800;
const vectors = clusteredVectors(SIZE, DIMENSION, 101, 8);
const records = vectors.map((vector, i) => ({ key: `k${i}`, vector, metadata: { group: i % 5, year: 2000 + (i % 25), tag: i % 2 === 0 ? 'even' : 'odd' } }));
const queries = clusteredVectors(20, DIMENSION, 202, 8);

async function checkExact(db: Db, name: string, live: Map<string, Float32Array>): Promise<void> {
  const col = db.collection(name);
  for (const query of queries.slice(0, 8)) {
    const hits = await col.query({ vector: query, k: 10 });
    const truth = bruteForce(live, query, 'l2', 10);
    equal(hits.map((h) => h.key), truth.map((t) => t.key), 'Flat returns the brute-force neighbours');
    for (let i = 0; i < hits.length; i++) check(Math.abs(hits[i].distance! - truth[i].distance) <= 1e-3 * (1 + truth[i].distance), `distance of ${hits[i].key}`);
  }
}

async function checkRecall(db: Db, name: string, live: Map<string, Float32Array>): Promise<number> {
  const col = db.collection(name);
  let total = 0;
  for (const query of queries) {
    const hits = await col.query({ vector: query, k: 10, search: { ef: 64 } });
    const truth = bruteForce(live, query, 'cosine', 10);
    total += recallAtK(hits.map((h) => h.key), truth, (key) => {
      const t = bruteForce(new Map([[key, live.get(key)!]]), query, 'cosine', 1);
      return t[0].distance;
    }, 10);
  }
  const recall = total / queries.length;
  check(recall >= 0.9, `HNSW16 recall@10 ${recall.toFixed(3)} is below 0.9`);
  return recall;
}

/** Runs every case against `target`; never throws (a failing case is a result). */
export async function runConformance(runtime: string, target: ConformanceTarget, now: () => number = () => 0): Promise<ConformanceReport> {
  const { api } = target;
  const results: CaseResult[] = [];
  let db: Db | null = null;
  let kernels = '?';
  let storage = target.open ? 'persistent' : 'memory';
  const live = new Map(records.map((r) => [r.key, r.vector]));
  const run = async (name: string, body: () => Promise<void>) => {
    const started = now();
    try {
      await body();
      results.push({ name, ok: true, ms: now() - started });
    } catch (error) {
      results.push({ name, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), ms: now() - started });
    }
  };

  await run('open and create collections (Flat l2, HNSW16 cosine)', async () => {
    db = target.open ? await target.open() : await api.Quiver.open();
    kernels = (db as unknown as { kernels: { name: string } }).kernels.name;
    storage = (db as unknown as { storageInfo(): { persistent: boolean } }).storageInfo().persistent ? 'persistent' : 'memory';
    await db.createCollection('flat', { dimension: DIMENSION, metric: 'l2', index: 'Flat' });
    await db.createCollection('hnsw', { dimension: DIMENSION, metric: 'cosine', index: 'HNSW16' });
    const names = (await db.listCollections()).map((c) => `${c.name}:${c.index}`).sort();
    equal(names, ['flat:Flat', 'hnsw:HNSW16'], 'listCollections');
  });

  await run('upsert in batches resolves with counts and sequences', async () => {
    for (const name of ['flat', 'hnsw']) {
      for (let i = 0; i < SIZE; i += 200) {
        const result = await db!.collection(name).upsert(records.slice(i, i + 200));
        equal(result.count, 200, 'upsert count');
        check(result.sequence !== undefined, 'upsert returns a sequence');
      }
      equal(await db!.collection(name).count(), SIZE, `${name} count`);
    }
  });

  await run('exact query (Flat) equals float64 brute force', () => checkExact(db!, 'flat', live));

  await run('HNSW query reaches recall@10 >= 0.9 against brute force', async () => {
    await checkRecall(db!, 'hnsw', live);
  });

  await run('filters: equality, ranges, $in, $or, with counts', async () => {
    const col = db!.collection('flat');
    const truth = (f: (m: { group: number; year: number; tag: string }) => boolean) => records.filter((r) => f(r.metadata)).length;
    equal(await col.count({ filter: { group: 3 } }), truth((m) => m.group === 3), 'count {group: 3}');
    equal(await col.count({ filter: { year: { $gte: 2010, $lt: 2015 } } }), truth((m) => m.year >= 2010 && m.year < 2015), 'count year range');
    equal(await col.count({ filter: { $or: [{ tag: 'even' }, { group: { $in: [1, 3] } }] } }), truth((m) => m.tag === 'even' || m.group === 1 || m.group === 3), 'count $or');
    const hits = await col.query({ vector: queries[0], k: 5, filter: { group: 2 }, include: ['metadata'] });
    const filtered = new Map([...live].filter(([key]) => Number(key.slice(1)) % 5 === 2));
    equal(hits.map((h) => h.key), bruteForce(filtered, queries[0], 'l2', 5).map((t) => t.key), 'filtered query');
    check(hits.every((h) => (h.metadata as { group: number }).group === 2), 'filtered hits carry their metadata');
    const graphHits = await db!.collection('hnsw').query({ vector: queries[1], k: 5, filter: { tag: 'odd' }, include: ['metadata'] });
    check(graphHits.length === 5 && graphHits.every((h) => (h.metadata as { tag: string }).tag === 'odd'), 'filtered HNSW query');
    await rejects(col.query({ vector: queries[0], k: 5, filter: { year: { $bogus: 1 } } }), api, 'INVALID_FILTER', 'bad filter');
  });

  await run('update, get, delete by keys and by filter', async () => {
    for (const name of ['flat', 'hnsw']) {
      const col = db!.collection(name);
      await col.update([{ key: 'k1', metadata: { note: 'updated' } }]);
      const [k1, missing] = await col.get(['k1', 'nope']);
      equal(k1!.metadata, { group: 1, year: 2001, tag: 'odd', note: 'updated' }, 'update merges metadata');
      // cosine collections store unit vectors, so the vector is compared on the l2 collection
      if (name === 'flat') equal(Array.from(k1!.vector!), Array.from(records[1].vector), 'update keeps the vector');
      equal(missing, null, 'get of a missing key');
      equal((await col.delete(['k0', 'k2', 'nope'])).count, 2, 'delete by keys');
      equal((await col.delete({ filter: { group: 4 } })).count, records.filter((r) => r.metadata.group === 4 && r.key !== 'k0' && r.key !== 'k2').length, 'delete by filter');
    }
    for (const key of [...live.keys()]) if (key === 'k0' || key === 'k2' || Number(key.slice(1)) % 5 === 4) live.delete(key);
    equal(await db!.collection('flat').count(), live.size, 'count after deletes');
    await checkExact(db!, 'flat', live);
    const hits = await db!.collection('hnsw').query({ vector: vectors[0], k: 10 });
    check(hits.every((h) => live.has(h.key)), 'deleted keys never come back from HNSW');
  });

  await run('errors are QuiverErrors with stable codes', async () => {
    await rejects(db!.collection('flat').upsert([{ key: 'bad', vector: [1, 2, 3] }]), api, 'DIMENSION_MISMATCH', 'wrong dimension');
    await rejects(db!.collection('missing').count(), api, 'COLLECTION_NOT_FOUND', 'missing collection');
    await rejects(db!.createCollection('flat', { dimension: DIMENSION, metric: 'l2' }), api, 'COLLECTION_EXISTS', 'duplicate collection');
  });

  if (target.open) {
    await run('reopen: everything acknowledged is there (persistence)', async () => {
      await db!.close();
      db = await target.open!();
      equal(await db.collection('flat').count(), live.size, 'count after reopen');
      equal(await db.collection('hnsw').count(), live.size, 'HNSW count after reopen');
      equal((await db.collection('flat').get(['k1']))[0]!.metadata, { group: 1, year: 2001, tag: 'odd', note: 'updated' }, 'metadata after reopen');
      await checkExact(db, 'flat', live);
      await checkRecall(db, 'hnsw', live);
    });
  }

  await run('drop and close', async () => {
    await db!.dropCollection('flat');
    equal((await db!.listCollections()).map((c) => c.name), ['hnsw'], 'after drop');
    await db!.close();
  });
  return { runtime, kernels, storage, results };
}
