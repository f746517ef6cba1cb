/**
 * Multi-vector collections end to end: validation, MUVERA + MaxSim re-rank recall against exact MaxSim,
 * pooling, persistence (WAL replay, checkpoints, compaction), and token vectors that stay on disk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage, Quiver, QuiverError } from '../src/index.js';
import { maxSim } from '../src/core/kernels/maxsim.js';
import type { AppendFile, StorageAdapter, StorageLock } from '../src/storage/adapter.js';
import { topicMixtureSet, type TokenSetData } from './support/multivector-data.js';
import { QuiverClient } from '../src/client/index.js';
import { KEYS, ADMIN, f32, startTestServer } from './support/server.js';

const unpack = (set: TokenSetData, d: number): Float32Array[] => Array.from({ length: set.count }, (_, t) => set.tokens.slice(t * d, (t + 1) * d));

async function rejects(promise: Promise<unknown>, code: string, field?: string): Promise<QuiverError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof QuiverError, `expected a QuiverError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.details.field, field);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** Counts the bytes read from each file, through the adapter: what opening and querying touch. */
class CountingStorage implements StorageAdapter {
  readonly name = 'counting';
  readonly location: string;
  readonly bytesRead = new Map<string, number>();

  constructor(private readonly inner: MemoryStorage) {
    this.location = inner.location;
  }

  read(prefix: string): number {
    let n = 0;
    for (const [file, bytes] of this.bytesRead) if (file.startsWith(prefix)) n += bytes;
    return n;
  }

  private count(name: string, bytes: Uint8Array | null): Uint8Array | null {
    if (bytes !== null) this.bytesRead.set(name, (this.bytesRead.get(name) ?? 0) + bytes.length);
    return bytes;
  }

  list(): Promise<string[]> {
    return this.inner.list();
  }
  exists(name: string): Promise<boolean> {
    return this.inner.exists(name);
  }
  async readFile(name: string): Promise<Uint8Array | null> {
    return this.count(name, await this.inner.readFile(name));
  }
  async readRange(name: string, offset: number, length: number): Promise<Uint8Array | null> {
    return this.count(name, await this.inner.readRange(name, offset, length));
  }
  writeFile(name: string, bytes: Uint8Array): Promise<void> {
    return this.inner.writeFile(name, bytes);
  }
  syncFile(name: string): Promise<void> {
    return this.inner.syncFile(name);
  }
  openAppend(name: string): Promise<AppendFile> {
    return this.inner.openAppend(name);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }
  syncDirectory(): Promise<void> {
    return this.inner.syncDirectory();
  }
  lock(): Promise<StorageLock> {
    return this.inner.lock();
  }
}

function exactTop(query: TokenSetData, documents: TokenSetData[], d: number, k: number): string[] {
  return documents
    .map((doc, i) => ({ key: `d${i}`, score: maxSim(query.tokens, query.count, doc.tokens, doc.count, d) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((x) => x.key);
}

describe('multi-vector collections', () => {
  it('validate records and queries with typed errors, leaving stored data intact', async () => {
    const db = await Quiver.open();
    const col = await db.createCollection('mv', { dimension: 4, multivector: true });
    await col.upsert([{ key: 'a', vectors: [[1, 0, 0, 0], [0, 1, 0, 0]] }]);
    await rejects(col.upsert([{ key: 'b', vectors: [[1, 0, 0, 0], [1, 0, 0]] }]), 'DIMENSION_MISMATCH', 'vectors');
    await rejects(col.upsert([{ key: 'b', vectors: [] }]), 'INVALID_VECTOR', 'vectors');
    await rejects(col.upsert([{ key: 'b', vectors: [[1, Number.NaN, 0, 0]] }]), 'INVALID_VECTOR', 'vectors');
    await rejects(col.upsert([{ key: 'b', vector: [1, 0, 0, 0] }]), 'MULTIVECTOR_MISMATCH', 'vector');
    await rejects(col.upsert([{ key: 'b', vector: [1, 0, 0, 0], vectors: [[1, 0, 0, 0]] }]), 'MULTIVECTOR_MISMATCH', 'vector');
    await rejects(col.upsert([{ key: 'b', metadata: { x: 1 } }]), 'INVALID_VECTOR', 'vectors');
    // a bad record anywhere in the batch: nothing of it is written
    await rejects(col.upsert([{ key: 'c', vectors: [[0, 0, 1, 0]] }, { key: 'd', vectors: [[0, 0, 1]] }]), 'DIMENSION_MISMATCH');
    assert.equal(await col.count(), 1);
    await rejects(col.query({ vector: [1, 0, 0, 0] }), 'MULTIVECTOR_MISMATCH', 'vector');
    await rejects(col.query({ multivector: [[1, 0]] }), 'DIMENSION_MISMATCH', 'multivector');
    await rejects(col.query({ multivector: [] }), 'INVALID_VECTOR', 'multivector');
    await rejects(col.query({ multivector: [[1, 0, 0, 0]], search: { candidates: 0 } }), 'INVALID_ARGUMENT', 'search.candidates');
    await rejects(col.update([{ key: 'a', vector: [1, 0, 0, 0] }]), 'MULTIVECTOR_MISMATCH', 'vector');
    const [a] = await col.get(['a']);
    assert.deepEqual((a as { vectors: Float32Array[] }).vectors, [Float32Array.from([1, 0, 0, 0]), Float32Array.from([0, 1, 0, 0])]);
    assert.equal((a as { vector?: unknown }).vector, undefined);

    const single = await db.createCollection('one', { dimension: 4, metric: 'dot' });
    await rejects(single.upsert([{ key: 'x', vectors: [[1, 0, 0, 0]] }]), 'MULTIVECTOR_MISMATCH', 'vectors');
    await rejects(single.query({ multivector: [[1, 0, 0, 0]] }), 'MULTIVECTOR_MISMATCH', 'multivector');
    await rejects(db.createCollection('bad', { dimension: 4, multivector: true, metric: 'cosine' }), 'INVALID_ARGUMENT', 'metric');
    await rejects(db.createCollection('bad', { dimension: 4, pooling: 2 }), 'INVALID_ARGUMENT', 'pooling');
    await rejects(db.createCollection('bad', { dimension: 4, multivector: true, muvera: { projectionDimension: 8 } }), 'INVALID_ARGUMENT', 'muvera.projectionDimension');
    const listed = (await db.listCollections()).find((c) => c.name === 'mv')!;
    assert.equal(listed.dimension, 4);
    assert.equal(listed.multivector, true);
    await db.close();
  });

  it('MUVERA + MaxSim re-rank reaches recall@10 >= 0.9 vs exact MaxSim over 2,000 documents of 16-64 vectors (defaults)', async () => {
    const d = 64;
    const set = topicMixtureSet({ documents: 2000, queries: 20, dimension: d, docTokens: [16, 64], queryTokens: [8, 32], seed: 21 });
    const db = await Quiver.open();
    const col = await db.createCollection('mv', { dimension: d, multivector: true });
    for (let start = 0; start < set.documents.length; start += 500) {
      await col.upsert(set.documents.slice(start, start + 500).map((doc, i) => ({ key: `d${start + i}`, vectors: unpack(doc, d) })));
    }
    let found = 0;
    for (const query of set.queries) {
      const truth = new Set(exactTop(query, set.documents, d, 10));
      const { hits, plan } = await col.explain({ multivector: unpack(query, d), k: 10 });
      assert.equal(hits.length, 10);
      assert.equal(plan.multivector!.reranked, 100);
      // scores are exact MaxSim
      const doc = set.documents[Number(hits[0].key.slice(1))];
      assert.ok(Math.abs(hits[0].score - maxSim(query.tokens, query.count, doc.tokens, doc.count, d)) < 1e-3);
      found += hits.filter((h) => truth.has(h.key)).length;
    }
    const recall = found / (10 * set.queries.length);
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
    const stats = await col.stats();
    assert.equal(stats.dimension, d);
    assert.equal(stats.multivector!.vectorsReceived, set.documents.reduce((n, doc) => n + doc.count, 0));
    assert.equal(stats.multivector!.bytesSavedByPooling, 0);
    await db.close();
  });

  it('works over a graph index too, and pool factor 1 equals no pooling', async () => {
    const d = 32;
    const set = topicMixtureSet({ documents: 400, queries: 8, dimension: d, docTokens: [16, 48], queryTokens: [8, 16], seed: 5 });
    const db = await Quiver.open();
    const plain = await db.createCollection('plain', { dimension: d, multivector: true, index: 'HNSW16' });
    const pooled1 = await db.createCollection('p1', { dimension: d, multivector: true, index: 'HNSW16', pooling: 1 });
    const pooled2 = await db.createCollection('p2', { dimension: d, multivector: true, pooling: 2 });
    const records = set.documents.map((doc, i) => ({ key: `d${i}`, vectors: unpack(doc, d) }));
    for (const col of [plain, pooled1, pooled2]) await col.upsert(records);
    await db.idle();
    let found = 0;
    for (const query of set.queries) {
      const a = await plain.query({ multivector: unpack(query, d), k: 10 });
      const b = await pooled1.query({ multivector: unpack(query, d), k: 10 });
      assert.deepEqual(b, a);
      const truth = new Set(exactTop(query, set.documents, d, 10));
      found += a.filter((h) => truth.has(h.key)).length;
    }
    assert.ok(found / (10 * set.queries.length) >= 0.9, `HNSW16 recall@10 ${found / (10 * set.queries.length)}`);
    assert.deepEqual(await pooled1.get(['d7']), await plain.get(['d7']));
    const s1 = (await pooled1.stats()).multivector!;
    const s2 = (await pooled2.stats()).multivector!;
    assert.equal(s1.vectorsStored, s1.vectorsReceived);
    assert.equal(s2.vectorsReceived, s1.vectorsReceived);
    assert.equal(s2.vectorsStored, set.documents.reduce((n, doc) => n + Math.ceil(doc.count / 2), 0));
    assert.equal(s2.bytesSavedByPooling, (s2.vectorsReceived - s2.vectorsStored) * d * 4);
    const [seven] = await pooled2.get(['d7']);
    assert.equal((seven as { vectors: Float32Array[] }).vectors.length, Math.ceil(set.documents[7].count / 2));
    await db.close();
  });

  it('round-trips through the log, checkpoints, compaction and reopening', async () => {
    const d = 16;
    const set = topicMixtureSet({ documents: 120, queries: 4, dimension: d, docTokens: [4, 20], queryTokens: [4, 8], seed: 8 });
    const storage = new MemoryStorage();
    const records = set.documents.map((doc, i) => ({ key: `d${i}`, vectors: unpack(doc, d), metadata: { i } }));
    let db = await Quiver.open({ storage, autoCheckpoint: false });
    let col = await db.createCollection('mv', { dimension: d, multivector: true, pooling: 2, muvera: { repetitions: 4 } });
    await col.upsert(records.slice(0, 60));
    await db.checkpoint();
    await col.upsert(records.slice(60));
    await col.delete(['d3', 'd70']);
    await col.update([{ key: 'd5', metadata: { i: 5, touched: true } }]);
    const before = await Promise.all(set.queries.map((q) => col.query({ multivector: unpack(q, d), k: 5, include: ['metadata', 'vector'] })));
    const gotBefore = await col.get(['d5', 'd80', 'd3']);
    const statsBefore = (await col.stats()).multivector!;
    await db.close();
    // reopen: segments from files, the rest replayed from the log
    db = await Quiver.open({ storage, autoCheckpoint: false });
    col = db.collection('mv');
    assert.deepEqual(await col.get(['d5', 'd80', 'd3']), gotBefore);
    for (const [i, q] of set.queries.entries()) assert.deepEqual(await col.query({ multivector: unpack(q, d), k: 5, include: ['metadata', 'vector'] }), before[i]);
    // checkpoint and compact (the deleted records go), reopen once more
    await db.checkpoint();
    await col.delete(Array.from({ length: 40 }, (_, i) => `d${i + 10}`));
    await db.checkpoint();
    await db.checkpoint();
    const after = await Promise.all(set.queries.map((q) => col.query({ multivector: unpack(q, d), k: 5 })));
    await db.close();
    db = await Quiver.open({ storage, autoCheckpoint: false });
    col = db.collection('mv');
    assert.equal(await col.count(), 120 - 2 - 40);
    for (const [i, q] of set.queries.entries()) assert.deepEqual(await col.query({ multivector: unpack(q, d), k: 5 }), after[i]);
    assert.deepEqual((await col.get(['d5']))[0], gotBefore[0]);
    const stats = (await col.stats()).multivector!;
    assert.equal(stats.vectorsReceived, statsBefore.vectorsReceived - set.documents.slice(10, 50).reduce((n, doc) => n + doc.count, 0));
    assert.ok(!(await storage.list()).some((f) => f.endsWith('.tmp')));
    await db.close();
  });

  it('opens a collection with over 50 MB of token vectors without reading them; queries read only their candidates', async () => {
    const d = 128;
    const docs = 1700;
    const perDoc = 64;
    // plain random unit vectors are enough here: this is about bytes, not recall
    let seed = 12345;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const storage = new MemoryStorage();
    let db = await Quiver.open({ storage, autoCheckpoint: false });
    let col = await db.createCollection('big', { dimension: d, multivector: true, muvera: { repetitions: 2, simhashBits: 2, projectionDimension: 8 } });
    for (let start = 0; start < docs; start += 200) {
      await col.upsert(
        Array.from({ length: Math.min(200, docs - start) }, (_, i) => ({ key: `d${start + i}`, vectors: Array.from({ length: perDoc }, () => Float32Array.from({ length: d }, next)) })),
      );
    }
    await db.checkpoint();
    const tokenBytes = docs * perDoc * d * 4;
    assert.ok(tokenBytes > 50 * 1024 * 1024);
    assert.equal((await col.stats()).multivector!.tokenBytesInMemory, 0, 'written token vectors leave memory');
    await db.close();

    const counting = new CountingStorage(storage);
    db = await Quiver.open({ storage: counting, autoCheckpoint: false });
    col = db.collection('big');
    const opened = counting.read('tok-');
    assert.ok(opened <= 28 + 12 * docs, `opening read ${opened} bytes of token files`);
    assert.ok(counting.read('') < 5 * 1024 * 1024, `opening read ${counting.read('')} bytes in all`);
    const stats = await col.stats();
    assert.equal(stats.multivector!.tokenBytes, tokenBytes);
    assert.equal(stats.multivector!.tokenBytesInMemory, 0);
    const query = Array.from({ length: 8 }, () => Float32Array.from({ length: d }, next));
    const { plan, hits } = await col.explain({ multivector: query, k: 10, search: { candidates: 20 } });
    assert.equal(hits.length, 10);
    assert.equal(plan.multivector!.tokenBytesRead, 20 * perDoc * d * 4);
    assert.equal(counting.read('tok-') - opened, 20 * perDoc * d * 4);
    // the same query again is served from the cache
    const again = await col.explain({ multivector: query, k: 10, search: { candidates: 20 } });
    assert.equal(again.plan.multivector!.tokenBytesRead, 0);
    assert.equal(again.plan.multivector!.cacheHits, 20);
    assert.deepEqual(again.hits, hits);
    await db.close();
  });

  it('over HTTP: the routes and the client carry vectors and multivector (JSON and base64 float32), checked against the OpenAPI schemas', async () => {
    const t = await startTestServer({ apiKeys: KEYS });
    try {
      const d = 8;
      const set = topicMixtureSet({ documents: 30, queries: 2, dimension: d, docTokens: [3, 6], queryTokens: [2, 4], seed: 3 });
      const created = await t.call('POST', '/v1/collections', { body: { name: 'mv', dimension: d, multivector: true, pooling: 1, muvera: { repetitions: 4 } } });
      assert.equal(created.status, 201, created.text);
      const records = set.documents.map((doc, i) => ({ key: `d${i}`, vectors: unpack(doc, d).map((v, j) => (j % 2 === 0 ? f32(v) : Array.from(v))) }));
      assert.equal((await t.call('POST', '/v1/collections/{name}/upsert', { params: { name: 'mv' }, body: { records } })).status, 200);
      const query = unpack(set.queries[0], d);
      const explained = await t.call('POST', '/v1/collections/{name}/explain', { params: { name: 'mv' }, body: { multivector: query.map((v) => f32(v)), k: 3, include: ['vector'], search: { candidates: 10 } } });
      assert.equal(explained.status, 200, explained.text);
      assert.equal(explained.body.plan.multivector.candidates, 10);
      assert.equal(explained.body.hits[0].vectors.length, set.documents[Number(explained.body.hits[0].key.slice(1))].count);
      const wrong = await t.call('POST', '/v1/collections/{name}/query', { params: { name: 'mv' }, body: { vector: Array.from(query[0]) } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'MULTIVECTOR_MISMATCH');
      const client = new QuiverClient({ url: t.url, apiKey: ADMIN }).collection('mv');
      const embedded = await t.db.collection('mv').query({ multivector: query, k: 5 });
      assert.deepEqual(await client.query({ multivector: query, k: 5 }), embedded);
      await client.upsert([{ key: 'extra', vectors: query }]);
      const [extra] = await client.get(['extra']);
      assert.deepEqual(extra!.vectors, query);
      assert.equal(((await client.stats()) as { multivector?: { vectorsStored: number } }).multivector!.vectorsStored, set.documents.reduce((n, doc) => n + doc.count, 0) + query.length);
      const listed = await t.call('GET', '/v1/collections');
      assert.equal(listed.body.collections.find((c: { name: string }) => c.name === 'mv').multivector, true);
    } finally {
      await t.close();
    }
  });
});
