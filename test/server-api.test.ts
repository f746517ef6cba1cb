/**
 * The HTTP API against a real server on a loopback port: every route, every error path, API key roles,
 * limits, CORS and the console's static files. Every JSON response is checked against the server's own
 * /openapi.json (test/support/server.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIMITS, Quiver, QuiverError } from '../src/index.js';
import { startServer } from '../src/server/index.js';
import { ADMIN, KEYS, READER, WRITER, type TestServer, assertError, f32, startTestServer } from './support/server.js';

const COL = '/v1/collections/{name}';

describe('the HTTP API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ apiKeys: KEYS });
  });
  after(async () => t.close());

  const make = async (name: string, config: Record<string, unknown> = { dimension: 3, metric: 'l2' }) => {
    const r = await t.call('POST', '/v1/collections', { body: { name, ...config } });
    assert.equal(r.status, 201, r.text);
    return r;
  };

  describe('collections', () => {
    it('create, list, get, drop', async () => {
      const created = await make('c1', { dimension: 4, metric: 'cosine', index: 'HNSW16' });
      assert.deepEqual(created.body, { name: 'c1', dimension: 4, metric: 'cosine', index: 'HNSW16', count: 0 });
      await make('c2', { dimension: 2, index: { type: 'vamana', graphDegree: 32 } });
      const list = await t.call('GET', '/v1/collections');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.collections.filter((c: { name: string }) => c.name.startsWith('c')).map((c: { name: string; index: string }) => [c.name, c.index]),
        [['c1', 'HNSW16'], ['c2', 'Vamana32']],
      );
      const one = await t.call('GET', COL, { params: { name: 'c1' } });
      assert.deepEqual(one.body, { name: 'c1', dimension: 4, metric: 'cosine', index: 'HNSW16', count: 0 });
      assert.deepEqual((await t.call('DELETE', COL, { params: { name: 'c2' } })).body, {});
      assertError(await t.call('GET', COL, { params: { name: 'c2' } }), 404, 'COLLECTION_NOT_FOUND', /c2/);
      assertError(await t.call('DELETE', COL, { params: { name: 'c2' } }), 404, 'COLLECTION_NOT_FOUND');
    });

    it('rejects bad collection requests with the embedded API\'s errors', async () => {
      await make('exists');
      const bad = async (body: unknown, status: number, code: string, message?: RegExp) => assertError(await t.call('POST', '/v1/collections', { body }), status, code, message);
      await bad({ name: 'exists', dimension: 3 }, 409, 'COLLECTION_EXISTS');
      await bad({ name: 'a/b', dimension: 3 }, 400, 'INVALID_ARGUMENT', /Collection names/);
      await bad({ name: '', dimension: 3 }, 400, 'INVALID_ARGUMENT');
      await bad({ dimension: 3 }, 400, 'INVALID_ARGUMENT', /name is required/);
      await bad({ name: 'x', dimension: 0 }, 400, 'INVALID_ARGUMENT', /dimension/);
      await bad({ name: 'x', dimension: 2.5 }, 400, 'INVALID_ARGUMENT', /dimension/);
      await bad({ name: 'x', dimension: '3' }, 400, 'INVALID_ARGUMENT', /dimension/);
      await bad({ name: 'x', dimension: LIMITS.dimensionMax + 1 }, 413, 'LIMIT_EXCEEDED');
      await bad({ name: 'x', dimension: 3, metric: 'manhattan' }, 400, 'INVALID_ARGUMENT', /metric/);
      await bad({ name: 'x', dimension: 3, index: 'Bogus12' }, 400, 'INVALID_ARGUMENT', /Bogus12/);
      await bad({ name: 'x', dimension: 3, index: { type: 'hnsw', color: 1 } }, 400, 'INVALID_ARGUMENT', /color/);
      await bad({ name: 'x', dimension: 3, index: 'HNSW16,PQ8x8' }, 400, 'INVALID_ARGUMENT', /m is at most 3/);
      await bad({ name: 'x', dimension: 3, index: 'FFT3,HNSW16' }, 400, 'INVALID_ARGUMENT', /below the collection's dimension/);
      await bad({ name: 'x', dimension: 3, payloadIndexes: { year: 'date' } }, 400, 'INVALID_ARGUMENT', /payloadIndexes/);
      await bad({ name: 'x', dimension: 3, text: { stemming: 'french' } }, 400, 'INVALID_ARGUMENT', /stemming/);
      await bad({ name: 'x', dimension: 3, embedding: 'builtin' }, 400, 'DIMENSION_MISMATCH', /512/);
      await bad({ name: 'x', embedding: { provider: 'openai', baseURL: 'http://localhost:1', model: 'm', apiKey: 'sk-1' } }, 400, 'INVALID_ARGUMENT', /apiKeyEnv/);
      await bad({ name: 'x' }, 400, 'INVALID_ARGUMENT', /dimension/);
      await bad({ name: 'x', dimension: 3, color: 'red' }, 400, 'INVALID_ARGUMENT', /Unknown field "color"/);
      await bad([], 400, 'INVALID_ARGUMENT');
      await bad(null, 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', '/v1/collections', {}), 400, 'INVALID_ARGUMENT');
      assert.ok(!(await t.call('GET', '/v1/collections')).body.collections.some((c: { name: string }) => c.name === 'x'));
    });
  });

  describe('records', () => {
    before(async () => {
      await make('r', { dimension: 3, metric: 'l2' });
    });

    it('upsert (JSON and base64 vectors), get, update, delete, count', async () => {
      const up = await t.call('POST', `${COL}/upsert`, {
        params: { name: 'r' },
        body: {
          records: [
            { key: 'a', vector: [1, 2, 3], metadata: { year: 2020, tags: ['x'] }, document: 'alpha' },
            { key: 'b', vector: f32([0.5, -1, 4]) },
            { key: 'c', vector: [0, 0, 1] },
          ],
        },
      });
      assert.equal(up.status, 200);
      assert.equal(up.body.count, 3);
      assert.equal(typeof up.body.sequence, 'string');

      const got = await t.call('POST', `${COL}/get`, { params: { name: 'r' }, body: { keys: ['a', 'nope', 'b'] } });
      assert.deepEqual(got.body.records, [{ key: 'a', vector: [1, 2, 3], metadata: { year: 2020, tags: ['x'] }, document: 'alpha' }, null, { key: 'b', vector: [0.5, -1, 4] }]);
      const got32 = await t.call('POST', `${COL}/get`, { params: { name: 'r' }, query: { vectors: 'f32' }, body: { keys: ['b'] } });
      assert.deepEqual(got32.body.records[0].vector, f32([0.5, -1, 4]));

      const upd = await t.call('POST', `${COL}/update`, { params: { name: 'r' }, body: { records: [{ key: 'a', metadata: { venue: 'X' }, document: null }, { key: 'c', vector: f32([0, 1, 0]) }] } });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.count, 2);
      const after = await t.call('POST', `${COL}/get`, { params: { name: 'r' }, body: { keys: ['a', 'c'] } });
      assert.deepEqual(after.body.records, [{ key: 'a', vector: [1, 2, 3], metadata: { year: 2020, tags: ['x'], venue: 'X' } }, { key: 'c', vector: [0, 1, 0] }]);

      assert.deepEqual((await t.call('POST', `${COL}/count`, { params: { name: 'r' } })).body, { count: 3 });
      assert.deepEqual((await t.call('POST', `${COL}/count`, { params: { name: 'r' }, body: {} })).body, { count: 3 });
      const del = await t.call('POST', `${COL}/delete`, { params: { name: 'r' }, body: { keys: ['c', 'ghost'] } });
      assert.equal(del.body.count, 1);
      assert.ok(Number(del.body.sequence) > Number(up.body.sequence));
      assert.deepEqual((await t.call('POST', `${COL}/count`, { params: { name: 'r' }, raw: '' })).body, { count: 2 });
    });

    it('rejects bad records with the embedded API\'s codes, changing nothing', async () => {
      const before = (await t.call('POST', `${COL}/count`, { params: { name: 'r' } })).body.count;
      const upsert = async (records: unknown, status: number, code: string, message?: RegExp) => assertError(await t.call('POST', `${COL}/upsert`, { params: { name: 'r' }, body: { records } }), status, code, message);
      await upsert([{ key: 5, vector: [1, 2, 3] }], 400, 'INVALID_KEY');
      await upsert([{ key: '', vector: [1, 2, 3] }], 400, 'INVALID_KEY');
      await upsert([{ vector: [1, 2, 3] }], 400, 'INVALID_KEY');
      await upsert([{ key: 'k'.repeat(LIMITS.keyBytesMax + 1), vector: [1, 2, 3] }], 413, 'LIMIT_EXCEEDED', /keyBytesMax|limit is 512/);
      await upsert([{ key: 'ok', vector: [1, 'x', 3] }], 400, 'INVALID_VECTOR');
      await upsert([{ key: 'ok' }], 400, 'INVALID_VECTOR');
      await upsert([{ key: 'ok', vector: [1, 2] }], 400, 'DIMENSION_MISMATCH');
      await upsert([{ key: 'ok', vector: f32([1, 2]) }], 400, 'DIMENSION_MISMATCH');
      await upsert([{ key: 'ok', vector: [1, 1e39, 3] }], 400, 'INVALID_VECTOR', /float32/);
      await upsert([{ key: 'ok', vector: { f32: 'not base64!' } }], 400, 'INVALID_VECTOR', /base64/);
      await upsert([{ key: 'ok', vector: { f32: 'AAAAAAA=' } }], 400, 'INVALID_VECTOR', /4 bytes/);
      await upsert([{ key: 'ok', vector: { f32: f32([1, NaN, 3]).f32 } }], 400, 'INVALID_VECTOR');
      await upsert([{ key: 'ok', vector: { f32: 5 } }], 400, 'INVALID_VECTOR');
      await upsert([{ key: 'ok', vector: [1, 2, 3], metadata: [1] }], 400, 'INVALID_METADATA');
      let deep: unknown = 1;
      for (let i = 0; i < LIMITS.metadataDepthMax + 2; i++) deep = { d: deep };
      await upsert([{ key: 'ok', vector: [1, 2, 3], metadata: deep }], 413, 'LIMIT_EXCEEDED', /deeper/);
      await upsert([{ key: 'ok', vector: [1, 2, 3], metadata: { text: 'x'.repeat(LIMITS.metadataBytesMax) } }], 413, 'LIMIT_EXCEEDED');
      await upsert([{ key: 'ok', vector: [1, 2, 3], document: 5 }], 400, 'INVALID_ARGUMENT', /document/);
      await upsert([{ key: 'ok', vector: [1, 2, 3], colour: 'red' }], 400, 'INVALID_ARGUMENT', /Unknown field "colour"/);
      await upsert([{ key: 'ok', vector: [1, 2, 3] }, { key: 'bad', vector: [1] }], 400, 'DIMENSION_MISMATCH');
      await upsert('nope', 400, 'INVALID_ARGUMENT');
      const many = Array.from({ length: LIMITS.batchRecordsMax + 1 }, (_, i) => ({ key: `m${i}`, vector: [1, 2, 3] }));
      const tooMany = await t.call('POST', `${COL}/upsert`, { params: { name: 'r' }, body: { records: many } });
      assertError(tooMany, 413, 'LIMIT_EXCEEDED');
      assert.equal(tooMany.body.error.details.limit, 'batchRecordsMax');
      assertError(await t.call('POST', `${COL}/upsert`, { params: { name: 'r' }, body: {} }), 400, 'INVALID_ARGUMENT', /records is required/);
      assertError(await t.call('POST', `${COL}/upsert`, { params: { name: 'ghost' }, body: { records: [] } }), 404, 'COLLECTION_NOT_FOUND');

      assertError(await t.call('POST', `${COL}/update`, { params: { name: 'r' }, body: { records: [{ key: 'zzz', metadata: {} }] } }), 404, 'KEY_NOT_FOUND');
      assertError(await t.call('POST', `${COL}/update`, { params: { name: 'r' }, body: { records: [{ key: 'a', vector: [1] }] } }), 400, 'DIMENSION_MISMATCH');
      assertError(await t.call('POST', `${COL}/update`, { params: { name: 'r' }, body: { records: [{ key: 'a', metadata: 'x' }] } }), 400, 'INVALID_METADATA');
      assertError(await t.call('POST', `${COL}/get`, { params: { name: 'r' }, body: { keys: [1] } }), 400, 'INVALID_KEY');
      assertError(await t.call('POST', `${COL}/get`, { params: { name: 'r' }, body: { keys: 'a' } }), 400, 'INVALID_KEY');
      assertError(await t.call('POST', `${COL}/get`, { params: { name: 'r' }, query: { vectors: 'hex' }, body: { keys: ['a'] } }), 400, 'INVALID_ARGUMENT', /vectors/);
      assertError(await t.call('POST', `${COL}/delete`, { params: { name: 'r' }, body: { filter: { year: { $gte: '2020' } } } }), 400, 'INVALID_FILTER', /filter\.year\.\$gte: expected number/);
      assertError(await t.call('POST', `${COL}/delete`, { params: { name: 'r' }, body: { keys: ['a'], filter: {} } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', `${COL}/delete`, { params: { name: 'r' }, body: { keys: [''] } }), 400, 'INVALID_KEY');
      assertError(await t.call('POST', `${COL}/count`, { params: { name: 'r' }, body: { filter: { a: { $regex: 'x' } } } }), 400, 'INVALID_FILTER', /filter\.a\.\$regex/);
      assertError(await t.call('POST', `${COL}/count`, { params: { name: 'r' }, body: { where: 1 } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', `${COL}/count`, { params: { name: 'ghost' } }), 404, 'COLLECTION_NOT_FOUND');
      assert.equal((await t.call('POST', `${COL}/count`, { params: { name: 'r' } })).body.count, before);
    });

    it('scan pages through every record once with a cursor', async () => {
      await make('s', { dimension: 2, metric: 'l2' });
      const records = Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, vector: [i, 2 * i + 1], metadata: { i } }));
      await t.call('POST', `${COL}/upsert`, { params: { name: 's' }, body: { records } });
      const seen: string[] = [];
      let page = await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { batchSize: 10 } });
      let pages = 0;
      while (true) {
        assert.equal(page.status, 200, page.text);
        for (const r of page.body.records) {
          assert.deepEqual(r, records[Number(r.key.slice(1))]);
          seen.push(r.key);
        }
        pages++;
        if (page.body.cursor === null) break;
        page = await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { cursor: page.body.cursor } });
      }
      assert.deepEqual(seen.sort(), records.map((r) => r.key).sort());
      assert.equal(pages, 4); // 10 + 10 + 5, then the empty last page that closes the cursor

      const f = await t.call('POST', `${COL}/scan`, { params: { name: 's' }, query: { vectors: 'f32' } });
      assert.equal(f.body.records.length, 25);
      assert.deepEqual(f.body.records.find((r: { key: string }) => r.key === 'k3').vector, f32([3, 7]));

      const open = await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { batchSize: 1 } });
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { cursor: open.body.cursor, batchSize: 2 } }), 400, 'INVALID_ARGUMENT', /cursor/);
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 'r' }, body: { cursor: open.body.cursor } }), 404, 'CURSOR_NOT_FOUND');
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { cursor: 'made-up' } }), 404, 'CURSOR_NOT_FOUND');
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { batchSize: 0 } }), 400, 'INVALID_ARGUMENT', /batchSize/);
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { batchSize: 1e300 } }), 400, 'INVALID_ARGUMENT', /batchSize/);
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 's' }, body: { filter: { i: [1, 2] } } }), 400, 'INVALID_FILTER', /\$in/);
      assertError(await t.call('POST', `${COL}/scan`, { params: { name: 'ghost' } }), 404, 'COLLECTION_NOT_FOUND');
    });
  });

  describe('queries', () => {
    before(async () => {
      await make('q', { dimension: 3, metric: 'l2' });
      await t.call('POST', `${COL}/upsert`, {
        params: { name: 'q' },
        body: { records: [{ key: 'x', vector: [1, 0, 0], metadata: { n: 1 }, document: 'ex' }, { key: 'y', vector: [0, 1, 0] }, { key: 'z', vector: [0, 0, 1] }] },
      });
    });

    it('query, query-many and explain with JSON and base64 vectors', async () => {
      const json = await t.call('POST', `${COL}/query`, { params: { name: 'q' }, body: { vector: [0.9, 0.1, 0], k: 2, include: ['metadata', 'document', 'vector'] } });
      assert.equal(json.status, 200);
      assert.deepEqual(json.body.hits.map((h: { key: string }) => h.key), ['x', 'y']);
      assert.deepEqual(json.body.hits[0].metadata, { n: 1 });
      assert.equal(json.body.hits[0].document, 'ex');
      assert.deepEqual(json.body.hits[0].vector, [1, 0, 0]);
      const b64 = await t.call('POST', `${COL}/query`, { params: { name: 'q' }, query: { vectors: 'f32' }, body: { vector: f32([0.9, 0.1, 0]), k: 2, include: ['metadata', 'document', 'vector'] } });
      assert.deepEqual(b64.body.hits.map((h: { key: string; score: number }) => [h.key, h.score]), json.body.hits.map((h: { key: string; score: number }) => [h.key, h.score]));
      assert.deepEqual(b64.body.hits[0].vector, f32([1, 0, 0]));

      const minScore = await t.call('POST', `${COL}/query`, { params: { name: 'q' }, body: { vector: [1, 0, 0], minScore: -0.5, search: { ef: 8 }, consistency: 'read-your-writes' } });
      assert.deepEqual(minScore.body.hits, [{ key: 'x', score: 0, distance: 0 }]); // -0 is 0 in JSON

      const many = await t.call('POST', `${COL}/query-many`, { params: { name: 'q' }, body: { queries: [{ vector: [0, 1, 0], k: 1 }, { vector: f32([0, 0, 1]), k: 1 }] } });
      assert.deepEqual(many.body.results.map((r: { hits: { key: string }[] }) => r.hits.map((h) => h.key)), [['y'], ['z']]);

      const explained = await t.call('POST', `${COL}/explain`, { params: { name: 'q' }, body: { vector: [0, 0, 1], k: 1 } });
      assert.equal(explained.body.plan.strategy, 'exact');
      assert.equal(explained.body.plan.scoresAreEstimates, false);
      assert.deepEqual(explained.body.hits.map((h: { key: string }) => h.key), ['z']);
    });

    it('rejects bad queries', async () => {
      const q = async (body: unknown, status: number, code: string, message?: RegExp, name = 'q') => assertError(await t.call('POST', `${COL}/query`, { params: { name }, body }), status, code, message);
      await q({ vector: [1, 0, 0], k: LIMITS.kMax + 1 }, 413, 'LIMIT_EXCEEDED', /k is/);
      await q({ vector: [1, 0, 0], k: 0 }, 400, 'INVALID_ARGUMENT', /k is/);
      await q({ vector: [1, 0, 0], k: 1.5 }, 400, 'INVALID_ARGUMENT');
      await q({ vector: [1, 0, 0], k: '10' }, 400, 'INVALID_ARGUMENT', /k must be number/);
      await q({ vector: [1, 0, 0], k: 1e308 }, 413, 'LIMIT_EXCEEDED');
      await q({ vector: [1, 0, 0], search: { ef: 0 } }, 400, 'INVALID_ARGUMENT', /ef/);
      await q({ vector: [1, 0, 0], search: { beam: 3 } }, 400, 'INVALID_ARGUMENT', /beam/);
      await q({ vector: [1, 0, 0], include: ['everything'] }, 400, 'INVALID_ARGUMENT');
      await q({ vector: [1, 0, 0], consistency: 'strong' }, 400, 'INVALID_ARGUMENT');
      await q({ vector: [1, 0] }, 400, 'DIMENSION_MISMATCH');
      await q({ vector: [] }, 400, 'INVALID_VECTOR');
      await q({ k: 3 }, 400, 'INVALID_VECTOR');
      await q({ vector: { f32: '@@@@' } }, 400, 'INVALID_VECTOR');
      await q({ vector: [1, 0, 0], filter: { n: { $gt: 'one' } } }, 400, 'INVALID_FILTER', /filter\.n\.\$gt: expected number/);
      await q({ text: 'hello', mode: 'vector' }, 400, 'INVALID_VECTOR', /no embedding function/);
      await q({ vector: [1, 0, 0], mode: 'hybrid' }, 400, 'INVALID_ARGUMENT', /needs text/);
      await q({ vector: [1, 0, 0], text: 'x', fusion: 'sum' }, 400, 'INVALID_ARGUMENT', /fusion/);
      await q({ vector: [1, 0, 0], signal: {} }, 400, 'INVALID_ARGUMENT', /Unknown field "signal"/);
      await q({ vector: [1, 0, 0] }, 404, 'COLLECTION_NOT_FOUND', undefined, 'ghost');
      await q('vector', 400, 'INVALID_ARGUMENT');
      const many = async (body: unknown, status: number, code: string, message?: RegExp) => assertError(await t.call('POST', `${COL}/query-many`, { params: { name: 'q' }, body }), status, code, message);
      await many({ queries: Array.from({ length: LIMITS.queryManyMax + 1 }, () => ({ vector: [1, 0, 0] })) }, 413, 'LIMIT_EXCEEDED', /queryManyMax/);
      await many({ queries: [{ vector: [1, 0, 0] }, { vector: [1] }] }, 400, 'DIMENSION_MISMATCH');
      await many({ queries: {} }, 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', `${COL}/explain`, { params: { name: 'q' }, body: { vector: [1, 0, 0], k: -1 } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', `${COL}/explain`, { params: { name: 'ghost' }, body: { vector: [1, 0, 0] } }), 404, 'COLLECTION_NOT_FOUND');
    });
  });

  describe('filters, keyword and hybrid search', () => {
    it('filtered query, count, scan and delete by filter; keyword and hybrid queries; explain', async () => {
      await make('f', { dimension: 2, metric: 'l2', index: 'HNSW8', payloadIndexes: { year: 'number' }, text: { stemming: 'english', stopWords: 'english' } });
      const records = Array.from({ length: 40 }, (_, i) => ({
        key: `p${i}`,
        vector: [i, 0],
        metadata: { year: 2000 + (i % 10), tags: i % 2 === 0 ? ['even'] : ['odd'] },
        document: i % 4 === 0 ? `Graph search paper number ${i}` : `A paper about databases, number ${i}`,
      }));
      assert.equal((await t.call('POST', `${COL}/upsert`, { params: { name: 'f' }, body: { records } })).status, 200);
      const query = await t.call('POST', `${COL}/query`, { params: { name: 'f' }, body: { vector: [0, 0], k: 5, filter: { year: { $gte: 2005 }, tags: 'odd' }, include: ['metadata'] } });
      assert.equal(query.status, 200, query.text);
      assert.deepEqual(query.body.hits.map((h: { key: string }) => h.key), ['p5', 'p7', 'p9', 'p15', 'p17']);
      assert.equal((await t.call('POST', `${COL}/count`, { params: { name: 'f' }, body: { filter: { tags: 'even' } } })).body.count, 20);
      const scanned = await t.call('POST', `${COL}/scan`, { params: { name: 'f' }, body: { filter: { year: 2003 }, batchSize: 100 } });
      assert.deepEqual(scanned.body.records.map((r: { key: string }) => r.key).sort(), ['p13', 'p23', 'p3', 'p33']);
      const keyword = await t.call('POST', `${COL}/query`, { params: { name: 'f' }, body: { text: 'graphs searching', k: 100 } });
      assert.equal(keyword.body.hits.length, 10, 'the documents holding a query term');
      assert.equal(keyword.body.hits[0].distance, undefined, 'keyword hits have no distance');
      const hybrid = await t.call('POST', `${COL}/query`, { params: { name: 'f' }, body: { vector: [1, 0], text: 'graph', k: 3, filter: { tags: 'even' }, fusion: { weights: { vector: 1, keyword: 1 } } } });
      assert.equal(hybrid.body.hits[0].key, 'p0', 'nearest even record and a keyword match');
      const explained = await t.call('POST', `${COL}/explain`, { params: { name: 'f' }, body: { text: 'graph', k: 3, filter: { year: { $lt: 2002 } } } });
      assert.equal(explained.body.plan.strategy, 'keyword');
      assert.deepEqual(explained.body.plan.terms, ['graph']);
      assert.equal(explained.body.plan.matches, 8);
      const deleted = await t.call('POST', `${COL}/delete`, { params: { name: 'f' }, body: { filter: { year: { $lt: 2002 } } } });
      assert.equal(deleted.body.count, 8);
      assert.equal((await t.call('POST', `${COL}/count`, { params: { name: 'f' } })).body.count, 32);
      const stats = await t.call('GET', `${COL}/stats`, { params: { name: 'f' } });
      assert.ok(stats.body.bytesPerVector.textIndex > 0);
    });
  });

  describe('maintenance and system routes', () => {
    it('stats, optimize, reindex', async () => {
      await make('m', { dimension: 3, metric: 'l2', index: 'HNSW8' });
      await t.call('POST', `${COL}/upsert`, { params: { name: 'm' }, body: { records: [{ key: 'a', vector: [1, 2, 3] }, { key: 'b', vector: [3, 2, 1] }] } });
      await t.call('POST', `${COL}/delete`, { params: { name: 'm' }, body: { keys: ['a'] } });
      const stats = await t.call('GET', `${COL}/stats`, { params: { name: 'm' } });
      assert.equal(stats.status, 200);
      assert.equal(stats.body.count, 1);
      assert.equal(stats.body.index, 'HNSW8');
      assert.equal(stats.body.storage.persistent, true);
      assert.deepEqual(stats.body, await t.db.collection('m').stats());
      assert.deepEqual((await t.call('POST', `${COL}/optimize`, { params: { name: 'm' } })).body, {});
      assert.deepEqual((await t.call('POST', `${COL}/optimize`, { params: { name: 'm' }, body: {} })).body, {});
      assert.equal((await t.call('GET', `${COL}/stats`, { params: { name: 'm' } })).body.deletedRecords, 0);
      assertError(await t.call('POST', `${COL}/optimize`, { params: { name: 'm' }, body: { trainQueries: [[1, 2, 3]] } }), 400, 'INVALID_ARGUMENT', /trainQueries train a LeanVec-OOD reducer/);
      assertError(await t.call('POST', `${COL}/reindex`, { params: { name: 'm' }, body: { index: 'PCA3,Vamana32' } }), 400, 'INVALID_ARGUMENT', /below the collection's dimension/);
      assert.deepEqual((await t.call('POST', `${COL}/reindex`, { params: { name: 'm' }, body: { index: 'Vamana32,SQ8' } })).body, {});
      assert.equal((await t.call('GET', `${COL}/stats`, { params: { name: 'm' } })).body.index, 'Vamana32,SQ8');
      assertError(await t.call('POST', `${COL}/reindex`, { params: { name: 'm' }, body: { index: 'Nope1' } }), 400, 'INVALID_ARGUMENT', /Nope1/);
      assertError(await t.call('POST', `${COL}/reindex`, { params: { name: 'm' }, body: {} }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', `${COL}/reindex`, { params: { name: 'ghost' }, body: { index: 'Flat' } }), 404, 'COLLECTION_NOT_FOUND');
      assertError(await t.call('GET', `${COL}/stats`, { params: { name: 'ghost' } }), 404, 'COLLECTION_NOT_FOUND');
      assertError(await t.call('POST', `${COL}/optimize`, { params: { name: 'ghost' } }), 404, 'COLLECTION_NOT_FOUND');
    });

    it('backup writes under backupDir only, and the copy opens', async () => {
      await make('b', { dimension: 2 });
      await t.call('POST', `${COL}/upsert`, { params: { name: 'b' }, body: { records: [{ key: 'k', vector: [1, 2], metadata: { v: 1 } }] } });
      const r = await t.call('POST', '/v1/backup', { body: { name: 'nightly-1' } });
      assert.deepEqual(r.body, { name: 'nightly-1' });
      const copy = await Quiver.open({ path: join(t.dir, 'backups', 'nightly-1') });
      assert.deepEqual((await copy.collection('b').get(['k']))[0]?.metadata, { v: 1 });
      await copy.close();
      assertError(await t.call('POST', '/v1/backup', { body: { name: 'nightly-1' } }), 409, 'BACKUP_EXISTS');
      for (const name of ['../escape', '/tmp/x', '.hidden', '', 'a/b', 'x'.repeat(200)]) {
        assertError(await t.call('POST', '/v1/backup', { body: { name } }), 400, 'INVALID_ARGUMENT', /backup name/);
      }
      assertError(await t.call('POST', '/v1/backup', { body: { path: '/tmp' } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', '/v1/backup', { body: { name: 'w' }, key: WRITER }), 403, 'FORBIDDEN', /admin/);
    });

    it('health, readiness, metrics, OpenAPI, docs, embeddings, unknown routes', async () => {
      assert.deepEqual((await t.call('GET', '/healthz', { key: null })).body, { status: 'ok' });
      assert.deepEqual((await t.call('GET', '/readyz', { key: null })).body, { status: 'ready' });
      const metrics = await t.call('GET', '/metrics', { key: READER });
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(metrics.text, /quiver_http_requests_total\{method="POST",route="\/v1\/collections\/:name\/upsert",status="200"\} \d+/);
      assert.match(metrics.text, /quiver_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/collections\/:name\/query"\} \d+/);
      assert.match(metrics.text, /quiver_collection_records\{collection="q"\} 3/);
      assert.match(metrics.text, /quiver_wal_bytes \d+/);
      assert.match(metrics.text, /quiver_checkpoints \d+/);
      assert.match(metrics.text, /process_resident_memory_bytes \d+/);

      const doc = t.openapi.doc;
      assert.equal(doc.openapi, '3.1.0');
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`));
      for (const route of [
        'POST /v1/collections', 'GET /v1/collections', 'GET /v1/collections/{name}', 'DELETE /v1/collections/{name}',
        'POST /v1/collections/{name}/upsert', 'POST /v1/collections/{name}/update', 'POST /v1/collections/{name}/get',
        'POST /v1/collections/{name}/delete', 'POST /v1/collections/{name}/count', 'POST /v1/collections/{name}/query',
        'POST /v1/collections/{name}/query-many', 'POST /v1/collections/{name}/explain', 'POST /v1/collections/{name}/scan',
        'GET /v1/collections/{name}/stats', 'POST /v1/collections/{name}/optimize', 'POST /v1/collections/{name}/reindex',
        'POST /v1/backup', 'POST /v1/embeddings', 'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json',
      ]) {
        assert.ok(routes.includes(route), `${route} is missing from /openapi.json`);
      }
      assert.equal(doc.paths['/v1/collections/{name}/upsert'].post.requestBody.content['application/json'].schema.properties.records.maxItems, LIMITS.batchRecordsMax);
      assert.equal(doc.paths['/v1/collections/{name}/count'].post.requestBody.required, false);
      assert.deepEqual(doc.paths['/healthz'].get.security, []);
      for (const name of ['Vector', 'VectorF32', 'RecordInput', 'Hit', 'StoredRecord', 'QueryRequest', 'CollectionStats', 'ErrorBody']) assert.ok(doc.components.schemas[name], name);

      const docs = await t.fetchRaw('GET', '/docs', { key: READER });
      assert.equal(docs.status, 200);
      assert.match(docs.text, /swagger/i);
      assertError(await t.fetchRaw('GET', '/docs', { key: null }), 401, 'UNAUTHORIZED');

      assertError(await t.call('POST', '/v1/embeddings', { body: { input: 'hello', model: 'x' } }), 404, 'MODEL_NOT_FOUND', /builtin:use-lite/);
      assertError(await t.call('POST', '/v1/embeddings', { body: { input: 5 } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.fetchRaw('GET', '/v2/anything'), 404, 'NOT_FOUND', /No route/);
      assertError(await t.fetchRaw('GET', '/v1/collections/q/query'), 404, 'NOT_FOUND');
      assertError(await t.fetchRaw('PUT', '/v1/collections'), 404, 'NOT_FOUND');
      const landing = await t.fetchRaw('GET', '/', { key: null });
      assert.equal(landing.status, 200);
      assert.equal(landing.body.console, false);
    });

    it('bodies that are not JSON objects in UTF-8', async () => {
      const post = (raw: string | Uint8Array, headers?: Record<string, string>) => t.call('POST', `${COL}/query`, { params: { name: 'q' }, raw, headers });
      assertError(await post('{"vector": [1, 0'), 400, 'INVALID_ARGUMENT', /not valid JSON/);
      assertError(await post('vector=1', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'INVALID_ARGUMENT', /Content-Type/);
      assertError(await post('{"vector": [1,0,0]}', { 'content-type': 'text/plain' }), 400, 'INVALID_ARGUMENT', /application\/json/);
      assertError(await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, 'INVALID_ARGUMENT', /UTF-8/);
      assertError(await post('{"__proto__": {"x": 1}}'), 400, 'INVALID_ARGUMENT');
      // escaped spellings of the poisoned keys go through the checking parser too
      assertError(await post('{"\\u005f_proto__": {"x": 1}}'), 400, 'INVALID_ARGUMENT');
      assertError(await post('{"constructor": {"prototype": {"x": 1}}}'), 400, 'INVALID_ARGUMENT');
      assertError(await post('  \n '), 400, 'INVALID_ARGUMENT', /body must be object/);
      assertError(await post(`${'['.repeat(50_000)}${']'.repeat(50_000)}`), 400, 'INVALID_ARGUMENT');
      assertError(await post(''), 400, 'INVALID_ARGUMENT', /body must be object/);
      assertError(await post('1e999'), 400, 'INVALID_ARGUMENT');
      assertError(await post('{"vector": [1e999, 0, 0]}'), 400, 'INVALID_VECTOR');
    });
  });

  describe('API keys and roles', () => {
    it('without a key or with a wrong key: 401 on everything but health and the console', async () => {
      for (const key of [null, 'wrong-key']) {
        for (const [method, path] of [['GET', '/v1/collections'], ['POST', '/v1/collections/q/query'], ['GET', '/metrics'], ['GET', '/openapi.json'], ['POST', '/v1/backup']] as const) {
          const r = await t.fetchRaw(method, path, { key, body: method === 'POST' ? {} : undefined });
          assertError(r, 401, 'UNAUTHORIZED');
          assert.equal(r.headers.get('www-authenticate'), 'Bearer');
        }
      }
      assertError(await t.fetchRaw('GET', '/v1/collections', { key: null, headers: { authorization: `Basic ${ADMIN}` } }), 401, 'UNAUTHORIZED');
      assertError(await t.fetchRaw('GET', '/v1/collections', { key: null, headers: { authorization: 'Bearer' } }), 401, 'UNAUTHORIZED');
      assert.equal((await t.fetchRaw('GET', '/healthz', { key: null })).status, 200);
      assert.equal((await t.fetchRaw('GET', '/readyz', { key: 'wrong' })).status, 200);
    });

    it('read-only keys read, read-write keys write, admin keys back up', async () => {
      await make('roles', { dimension: 2 });
      const write = { records: [{ key: 'a', vector: [1, 2] }] };
      assert.equal((await t.call('POST', `${COL}/query`, { key: READER, params: { name: 'roles' }, body: { vector: [1, 2] } })).status, 200);
      assert.equal((await t.call('GET', '/v1/collections', { key: READER })).status, 200);
      assert.equal((await t.call('GET', '/metrics', { key: READER })).status, 200);
      for (const [method, template, body] of [
        ['POST', `${COL}/upsert`, write], ['POST', `${COL}/update`, write], ['POST', `${COL}/delete`, { keys: ['a'] }],
        ['POST', `${COL}/optimize`, {}], ['POST', `${COL}/reindex`, { index: 'Flat' }], ['DELETE', COL, undefined], ['POST', '/v1/collections', { name: 'z', dimension: 2 }],
      ] as const) {
        assertError(await t.call(method, template, { key: READER, params: { name: 'roles' }, body }), 403, 'FORBIDDEN', /read-only key/);
      }
      assert.equal((await t.call('POST', `${COL}/upsert`, { key: WRITER, params: { name: 'roles' }, body: write })).status, 200);
      assertError(await t.call('POST', '/v1/backup', { key: WRITER, body: { name: 'w' } }), 403, 'FORBIDDEN');
      assertError(await t.call('POST', '/v1/backup', { key: READER, body: { name: 'w' } }), 403, 'FORBIDDEN');
      assert.equal((await t.call('POST', '/v1/backup', { key: ADMIN, body: { name: 'by-admin' } })).status, 200);
      assert.equal((await t.call('POST', `${COL}/count`, { key: READER, params: { name: 'roles' } })).body.count, 1);
    });
  });
});

describe('a server without API keys', () => {
  it('admits every request', async () => {
    const t = await startTestServer({});
    try {
      assert.equal((await t.call('POST', '/v1/collections', { key: null, body: { name: 'open', dimension: 2 } })).status, 201);
      assert.equal((await t.call('POST', '/v1/backup', { key: null, body: { name: 'b' } })).status, 200);
      assert.equal((await t.fetchRaw('GET', '/metrics', { key: null })).status, 200);
      assert.equal((await t.fetchRaw('GET', '/openapi.json', { key: 'anything' })).status, 200);
      const db = await Quiver.open();
      await assert.rejects(startServer({ db, config: { port: t.server.port, logLevel: 'silent' }, env: {} }), (error: unknown) => {
        assert.ok(error instanceof QuiverError && error.code === 'IO_ERROR' && error.details.causeCode === 'EADDRINUSE', String(error));
        assert.match(error.message, /another process uses the port/);
        return true;
      });
      await db.close();
    } finally {
      await t.close();
    }
  });
});

describe('limits', () => {
  it('body size, request rate and open scans answer 413 / 429 as JSON errors', async () => {
    const t = await startTestServer({ apiKeys: KEYS, limits: { bodyBytesMax: 4096, requestsPerMinute: 40, scanCursorsMax: 2 } });
    try {
      await t.call('POST', '/v1/collections', { body: { name: 'l', dimension: 2 } });
      const big = await t.call('POST', `${COL}/upsert`, { params: { name: 'l' }, body: { records: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, vector: [1, 2] })) } });
      assertError(big, 413, 'LIMIT_EXCEEDED', /bodyBytesMax/);
      assert.equal(big.body.error.details.limit, 'bodyBytesMax');
      assert.equal((await t.call('POST', `${COL}/count`, { params: { name: 'l' } })).body.count, 0);

      await t.call('POST', `${COL}/upsert`, { params: { name: 'l' }, body: { records: [{ key: 'a', vector: [1, 2] }, { key: 'b', vector: [2, 1] }] } });
      const scan = () => t.call('POST', `${COL}/scan`, { params: { name: 'l' }, body: { batchSize: 1 } });
      assert.equal((await scan()).status, 200);
      assert.equal((await scan()).status, 200);
      const third = await scan();
      assertError(third, 429, 'LIMIT_EXCEEDED', /scanCursorsMax/);

      let limited = null;
      for (let i = 0; i < 60 && limited === null; i++) {
        const r = await t.call('GET', '/v1/collections', { key: READER });
        if (r.status !== 200) limited = r;
      }
      assert.ok(limited, 'the rate limit never answered');
      assertError(limited, 429, 'LIMIT_EXCEEDED', /requestsPerMinute/);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal((await t.call('GET', '/v1/collections', { key: WRITER })).status, 200, 'limits are per key');
      assert.equal((await t.call('GET', '/healthz', { key: null })).status, 200, 'health checks are not limited');
    } finally {
      await t.close();
    }
  });
});

describe('CORS and the console', () => {
  it('answers preflights for the configured origins only', async () => {
    const t = await startTestServer({ apiKeys: KEYS, cors: ['https://app.example'] });
    try {
      const preflight = (origin: string) =>
        t.fetchRaw('OPTIONS', '/v1/collections/q/query', { key: null, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      const ok = await preflight('https://app.example');
      assert.ok(ok.status < 300, String(ok.status));
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /authorization/);
      const other = await preflight('https://evil.example');
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const get = await t.fetchRaw('GET', '/v1/collections', { headers: { origin: 'https://app.example' } });
      assert.equal(get.headers.get('access-control-allow-origin'), 'https://app.example');
    } finally {
      await t.close();
    }
    const closed = await startTestServer({});
    try {
      const r = await closed.fetchRaw('GET', '/v1/collections', { headers: { origin: 'https://app.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
    } finally {
      await closed.close();
    }
  });

  it('serves the console\'s static files without a key', async () => {
    const site = mkdtempSync(join(tmpdir(), 'quiver-console-'));
    mkdirSync(join(site, 'assets'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>Quiver console</title>');
    writeFileSync(join(site, 'assets', 'app.js'), 'console.log(1)');
    const t = await startTestServer({ apiKeys: KEYS, consoleDir: site });
    try {
      const index = await t.fetchRaw('GET', '/', { key: null });
      assert.equal(index.status, 200);
      assert.match(index.text, /Quiver console/);
      const asset = await t.fetchRaw('GET', '/assets/app.js', { key: null });
      assert.equal(asset.status, 200);
      assert.equal(asset.text, 'console.log(1)');
      assertError(await t.fetchRaw('GET', '/v1/collections', { key: null }), 401, 'UNAUTHORIZED');
      assert.equal((await t.fetchRaw('GET', '/nothing-here.js', { key: null })).status, 404);
      assert.ok(!JSON.stringify(t.openapi.doc.paths).includes('/assets'), 'static files are not API routes');
    } finally {
      await t.close();
      rmSync(site, { recursive: true, force: true });
    }
  });
});
