/** The embedded API of api.md, method by method, with every bad input a user can give. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quiver, QuiverError, LIMITS, MemoryStorage } from '../src/index.js';

async function rejects(promise: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<QuiverError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    assert.ok(error instanceof QuiverError, `expected a QuiverError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

async function papers(): Promise<{ db: Quiver; col: ReturnType<Quiver['collection']> }> {
  const db = await Quiver.open();
  const col = await db.createCollection('papers', { dimension: 3, metric: 'cosine' });
  await col.upsert([
    { key: 'p1', vector: [1, 0, 0], metadata: { year: 2020 }, document: 'one' },
    { key: 'p2', vector: [0, 1, 0], metadata: { year: 2021 } },
    { key: 'p3', vector: [1, 1, 0] },
  ]);
  return { db, col };
}

describe('collections', () => {
  it('create, list, handle, drop', async () => {
    const db = await Quiver.open();
    await db.createCollection('a', { dimension: 8, metric: 'l2' });
    await db.createCollection('b', { dimension: 4 });
    assert.deepEqual(await db.listCollections(), [
      { name: 'a', dimension: 8, metric: 'l2', index: 'Flat', count: 0 },
      { name: 'b', dimension: 4, metric: 'cosine', index: 'Flat', count: 0 },
    ]);
    await rejects(db.createCollection('a', { dimension: 8 }), 'COLLECTION_EXISTS');
    const ghost = db.collection('ghost');
    await rejects(ghost.count(), 'COLLECTION_NOT_FOUND', /ghost/);
    await db.dropCollection('a');
    await rejects(db.collection('a').count(), 'COLLECTION_NOT_FOUND');
    await rejects(db.dropCollection('a'), 'COLLECTION_NOT_FOUND');
    assert.deepEqual((await db.listCollections()).map((c) => c.name), ['b']);
    await db.close();
  });

  it('rejects bad collection configs with clear errors', async () => {
    const db = await Quiver.open();
    await rejects(db.createCollection('', { dimension: 3 }), 'INVALID_ARGUMENT', /Collection names/);
    await rejects(db.createCollection('a/b', { dimension: 3 }), 'INVALID_ARGUMENT');
    await rejects(db.createCollection('x', { dimension: 0 }), 'INVALID_ARGUMENT', /dimension/);
    await rejects(db.createCollection('x', { dimension: 2.5 }), 'INVALID_ARGUMENT');
    await rejects(db.createCollection('x', { dimension: LIMITS.dimensionMax + 1 }), 'LIMIT_EXCEEDED');
    await rejects(db.createCollection('x', { dimension: 3, metric: 'manhattan' as never }), 'INVALID_ARGUMENT', /metric/);
    await rejects(db.createCollection('x', { dimension: 3, index: 'Bogus12' }), 'INVALID_ARGUMENT', /Bogus12/);
    await rejects(db.createCollection('x', { dimension: 3, index: 'HNSW16,PQ8x8' }), 'INVALID_ARGUMENT', /m is at most 3/);
    await rejects(db.createCollection('x', { dimension: 3, index: 'PCA3,HNSW16' }), 'INVALID_ARGUMENT', /below the collection's dimension/);
    await rejects(db.createCollection('x', { dimension: 3, color: 'red' } as never), 'INVALID_ARGUMENT', /color/);
    await rejects(db.createCollection('x', null as never), 'INVALID_ARGUMENT');
    assert.deepEqual(await db.listCollections(), []);
    await db.close();
  });
});

describe('records', () => {
  it('upsert resolves to { count, sequence } with increasing opaque sequences', async () => {
    const { db, col } = await papers();
    const a = await col.upsert([{ key: 'x', vector: [0, 0, 1] }]);
    const b = await col.upsert([{ key: 'y', vector: [0, 1, 1] }]);
    assert.equal(a.count, 1);
    assert.equal(typeof a.sequence, 'string');
    assert.ok(Number(b.sequence) > Number(a.sequence));
    await db.close();
  });

  it('get returns records aligned with keys, null where missing', async () => {
    const { db, col } = await papers();
    const [p1, none, p2] = await col.get(['p1', 'zzz', 'p2']);
    assert.equal(none, null);
    assert.equal(p1!.key, 'p1');
    assert.equal(p1!.document, 'one');
    assert.deepEqual(p1!.metadata, { year: 2020 });
    assert.ok(p1!.vector instanceof Float32Array);
    assert.deepEqual(Array.from(p1!.vector), [1, 0, 0]);
    assert.deepEqual(Array.from(p2!.vector), [0, 1, 0]);
    await db.close();
  });

  it('update shallow-merges metadata and keeps the vector; missing keys reject the batch', async () => {
    const { db, col } = await papers();
    await col.update([{ key: 'p1', metadata: { tag: 'ml' } }]);
    const [p1] = await col.get(['p1']);
    assert.deepEqual(p1!.metadata, { year: 2020, tag: 'ml' });
    assert.deepEqual(Array.from(p1!.vector), [1, 0, 0]);
    assert.equal(p1!.document, 'one');
    await col.update([{ key: 'p1', document: null }]);
    assert.equal((await col.get(['p1']))[0]!.document, undefined);
    await rejects(col.update([{ key: 'p2', metadata: { year: 1 } }, { key: 'nope', metadata: {} }]), 'KEY_NOT_FOUND', /nope/);
    assert.deepEqual((await col.get(['p2']))[0]!.metadata, { year: 2021 }, 'nothing of a rejected batch is applied');
    await db.close();
  });

  it('delete by keys counts what existed; count and scan see the rest', async () => {
    const { db, col } = await papers();
    assert.equal((await col.delete(['p2', 'ghost'])).count, 1);
    assert.equal(await col.count(), 2);
    const seen: string[] = [];
    for await (const batch of col.scan({ batchSize: 1 })) {
      assert.equal(batch.length, 1);
      seen.push(...batch.map((r) => r.key));
    }
    assert.deepEqual(seen.sort(), ['p1', 'p3']);
    await db.close();
  });

  it('a batch with one bad record is rejected whole, naming the record', async () => {
    const { db, col } = await papers();
    const bad = [
      { records: [{ key: 'ok', vector: [1, 2, 3] }, { key: 'short', vector: [1, 2] }], code: 'DIMENSION_MISMATCH', message: /record 1.*"short"/ },
      { records: [{ key: 'ok', vector: [1, 2, 3] }, { key: 'nan', vector: [1, NaN, 3] }], code: 'INVALID_VECTOR', message: /NaN/ },
      { records: [{ key: 'inf', vector: [1, Infinity, 3] }], code: 'INVALID_VECTOR', message: /Infinity/ },
      { records: [{ key: 'big', vector: [1e39, 0, 0] }], code: 'INVALID_VECTOR', message: /float32/ },
      { records: [{ key: 'empty', vector: [] }], code: 'INVALID_VECTOR', message: /empty/ },
      { records: [{ key: 'zero', vector: [0, 0, 0] }], code: 'INVALID_VECTOR', message: /zeros/ },
      { records: [{ key: 'type', vector: 'abc' }], code: 'INVALID_VECTOR' },
      { records: [{ key: 'strs', vector: ['1', '2', '3'] }], code: 'INVALID_VECTOR' },
      { records: [{ key: '', vector: [1, 2, 3] }], code: 'INVALID_KEY' },
      { records: [{ key: 7, vector: [1, 2, 3] }], code: 'INVALID_KEY' },
      { records: [{ key: 'k'.repeat(513), vector: [1, 2, 3] }], code: 'LIMIT_EXCEEDED', message: /512/ },
      { records: [{ key: 'm', vector: [1, 2, 3], metadata: [1] }], code: 'INVALID_METADATA' },
      { records: [{ key: 'm', vector: [1, 2, 3], metadata: { x: NaN } }], code: 'INVALID_METADATA', message: /metadata.x/ },
      { records: [{ key: 'm', vector: [1, 2, 3], metadata: { d: new Date() } }], code: 'INVALID_METADATA' },
      { records: [{ key: 'm', vector: [1, 2, 3], metadata: { s: 'x'.repeat(70_000) } }], code: 'LIMIT_EXCEEDED' },
      { records: [{ key: 'd', vector: [1, 2, 3], document: 5 }], code: 'INVALID_ARGUMENT' },
      { records: [{ key: 'u', vector: [1, 2, 3], extra: 1 }], code: 'INVALID_ARGUMENT', message: /extra/ },
      { records: [null], code: 'INVALID_ARGUMENT' },
      { records: 'nope', code: 'INVALID_ARGUMENT' },
    ];
    for (const { records, code, message } of bad) {
      const error = await rejects(col.upsert(records as never), code, message);
      assert.ok(error.message.length > 20, 'messages say what to do');
    }
    await rejects(col.upsert(Array.from({ length: LIMITS.batchRecordsMax + 1 }, (_, i) => ({ key: `k${i}`, vector: [1, 0, 0] }))), 'LIMIT_EXCEEDED');
    assert.equal(await col.count(), 3, 'nothing of any rejected batch was stored');
    assert.deepEqual((await col.get(['ok']))[0], null);
    await db.close();
  });

  it('rejects bad keys in get and delete', async () => {
    const { db, col } = await papers();
    await rejects(col.get('p1' as never), 'INVALID_ARGUMENT');
    await rejects(col.get([''] as never), 'INVALID_KEY');
    await rejects(col.delete([3] as never), 'INVALID_KEY');
    await rejects(col.delete({ filter: { year: { $gte: '2020' } } }), 'INVALID_FILTER', /filter\.year\.\$gte: expected number/);
    await rejects(col.delete({ filter: { year: 2020 }, keys: [] } as never), 'INVALID_ARGUMENT', /keys/);
    await rejects(col.delete('p1' as never), 'INVALID_ARGUMENT');
    await rejects(col.update('p1' as never), 'INVALID_ARGUMENT');
    await rejects(col.update([{ key: 'p1', vector: [1] }]), 'DIMENSION_MISMATCH');
    await rejects(col.update([{ key: 'p1', metadata: 'x' as never }]), 'INVALID_METADATA');
    await rejects(col.scan({ batchSize: 0 }).next(), 'INVALID_ARGUMENT', /batchSize/);
    await rejects(col.scan({ filter: { a: [1] } }).next(), 'INVALID_FILTER', /filter\.a: .*\$in/);
    await rejects(col.count({ filter: { $bogus: 1 } }), 'INVALID_FILTER', /filter\.\$bogus: unknown operator/);
    await rejects(col.optimize({ trainQueries: [] }), 'INVALID_ARGUMENT', /LeanVec-OOD/);
    await rejects(db.dropCollection('../etc' as never), 'COLLECTION_NOT_FOUND');
    assert.equal(await col.count(), 3);
    await db.close();
  });
});

describe('queries', () => {
  it('scores and distances follow api.md for every metric', async () => {
    const db = await Quiver.open();
    const vectors = { a: [3, 4], b: [-1, 0] };
    for (const metric of ['cosine', 'dot', 'l2'] as const) {
      const col = await db.createCollection(metric, { dimension: 2, metric });
      await col.upsert(Object.entries(vectors).map(([key, vector]) => ({ key, vector })));
      const [hit] = await col.query({ vector: [1, 0], k: 1 });
      assert.equal(hit.key, metric === 'l2' ? 'b' : 'a');
      if (metric === 'cosine') {
        assert.ok(Math.abs(hit.score - 0.6) < 1e-6);
        assert.ok(Math.abs(hit.distance - 0.4) < 1e-6);
      } else if (metric === 'dot') {
        assert.equal(hit.score, 3);
        assert.equal(hit.distance, -3);
      } else {
        const [near] = await col.query({ vector: [2, 4], k: 1 });
        assert.equal(near.distance, 1);
        assert.equal(near.score, -1);
        assert.equal(hit.distance, 4);
      }
    }
    await db.close();
  });

  it('include, minScore, k larger than the collection, queryMany and explain', async () => {
    const { db, col } = await papers();
    const hits = await col.query({ vector: [1, 0, 0], k: 100, include: ['metadata', 'document', 'vector'] });
    assert.deepEqual(hits.map((h) => h.key), ['p1', 'p3', 'p2']);
    assert.deepEqual(hits[0].metadata, { year: 2020 });
    assert.equal(hits[0].document, 'one');
    assert.deepEqual(Array.from(hits[0].vector!), [1, 0, 0]);
    const bare = await col.query({ vector: [1, 0, 0], k: 1 });
    assert.deepEqual(Object.keys(bare[0]).sort(), ['distance', 'key', 'score']);
    const above = await col.query({ vector: [1, 0, 0], k: 10, minScore: 0.5 });
    assert.deepEqual(above.map((h) => h.key), ['p1', 'p3']);
    const many = await col.queryMany([{ vector: [0, 1, 0], k: 1 }, { vector: [1, 0, 0], k: 1 }]);
    assert.deepEqual(many.map((r) => r[0].key), ['p2', 'p1']);
    const { plan, hits: explained } = await col.explain({ vector: [1, 0, 0], k: 2 });
    assert.equal(plan.strategy, 'exact');
    assert.equal(plan.scoresAreEstimates, false);
    assert.equal(plan.segments, 1);
    assert.deepEqual(explained.map((h) => h.key), ['p1', 'p3']);
    await db.close();
  });

  it('rejects bad queries clearly', async () => {
    const { db, col } = await papers();
    await rejects(col.query({ vector: [1, 0], k: 1 }), 'DIMENSION_MISMATCH', /2 dimensions.*3/);
    await rejects(col.query({ vector: [1, NaN, 0], k: 1 }), 'INVALID_VECTOR');
    await rejects(col.query({ vector: [1, 0, 0], k: 0 }), 'INVALID_ARGUMENT', /k/);
    await rejects(col.query({ vector: [1, 0, 0], k: 1.5 }), 'INVALID_ARGUMENT');
    await rejects(col.query({ vector: [1, 0, 0], k: LIMITS.kMax + 1 }), 'LIMIT_EXCEEDED');
    await rejects(col.query({ vector: [1, 0, 0], include: ['vectors'] as never }), 'INVALID_ARGUMENT', /include/);
    await rejects(col.query({ vector: [1, 0, 0], search: { ef: -1 } }), 'INVALID_ARGUMENT', /ef/);
    await rejects(col.query({ vector: [1, 0, 0], minScore: NaN }), 'INVALID_ARGUMENT');
    await rejects(col.query({ vector: [1, 0, 0], filter: { year: { $gt: null } } }), 'INVALID_FILTER', /filter\.year\.\$gt: expected number, got null/);
    await rejects(col.query({ k: 1 } as never), 'INVALID_VECTOR', /needs a vector/);
    await rejects(col.query({ text: 'x', mode: 'vector' }), 'INVALID_VECTOR', /no embedding function/);
    await rejects(col.query({ vector: [1, 0, 0], mode: 'keyword' }), 'INVALID_ARGUMENT', /needs text/);
    await rejects(col.query({ vector: [1, 0, 0], text: 'x', fusion: { weights: { vector: 0, keyword: 0 } } }), 'INVALID_ARGUMENT', /fusion/);
    await rejects(col.query({ text: 'x'.repeat(LIMITS.queryTextBytesMax + 1) }), 'LIMIT_EXCEEDED');
    await rejects(col.query({ vector: [1, 0, 0], bogus: 1 } as never), 'INVALID_ARGUMENT', /bogus/);
    await rejects(col.queryMany('x' as never), 'INVALID_ARGUMENT');
    const controller = new AbortController();
    controller.abort(new Error('user gave up'));
    await rejects(col.query({ vector: [1, 0, 0], signal: controller.signal }), 'ABORTED', /user gave up/);
    await db.close();
  });
});

describe('lifecycle', () => {
  it('every method of a closed database rejects with CLOSED', async () => {
    const { db, col } = await papers();
    await db.close();
    await db.close(); // idempotent
    await rejects(col.count(), 'CLOSED');
    await rejects(col.upsert([{ key: 'z', vector: [1, 0, 0] }]), 'CLOSED');
    await rejects(col.query({ vector: [1, 0, 0] }), 'CLOSED');
    await rejects(db.listCollections(), 'CLOSED');
    await rejects(db.createCollection('n', { dimension: 2 }), 'CLOSED');
    await rejects(db.backup('/tmp/never'), 'CLOSED');
  });

  it('rejects unknown open options', async () => {
    await rejects(Quiver.open({ pth: 'x' } as never), 'INVALID_ARGUMENT', /pth/);
    await rejects(Quiver.open({ durability: 'always' as never }), 'INVALID_ARGUMENT', /durability/);
    await rejects(Quiver.open({ storage: new MemoryStorage(), path: '/tmp/x' }), 'INVALID_ARGUMENT');
  });

  it('stats reports counts, recipe, segments and bytes per vector by part', async () => {
    const { db, col } = await papers();
    const stats = await col.stats();
    assert.equal(stats.count, 3);
    assert.equal(stats.dimension, 3);
    assert.equal(stats.metric, 'cosine');
    assert.equal(stats.index, 'Flat');
    assert.equal(stats.estimatedRecall, null);
    assert.equal(stats.bytesPerVector.vectors, 16, 'three floats padded to one 16-byte SIMD row');
    assert.ok(stats.bytesPerVector.metadata > 0);
    assert.ok(stats.bytesPerVector.textIndex > 0, 'the documents are indexed for keyword search');
    const { vectors, metadata, payloadIndexes, textIndex, graph } = stats.bytesPerVector;
    assert.ok(Math.abs(stats.bytesPerVector.total - (vectors + metadata + payloadIndexes + textIndex + graph)) < 1e-9);
    assert.equal(stats.kernel, 'wasm-simd128');
    await db.close();
  });
});
