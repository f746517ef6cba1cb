/**
 * QuiverClient against a real server: every client method next to the same call on an embedded
 * database holding the same data (results and errors must match), JSON and base64 vectors giving
 * identical hits, failures of the transport, and the client bundled for browsers by esbuild.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { QuiverClient, QuiverError } from '../src/client/index.js';
import { LIMITS, Quiver } from '../src/index.js';
import { ADMIN, KEYS, READER, type TestServer, startTestServer } from './support/server.js';
import { clusteredVectors } from './support/data.js';

/** JSON has no -0: compare numbers as the wire carries them. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Float32Array ? { f32: Array.from(v) } : v)));
}

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof QuiverError, `expected a QuiverError, got ${String(error)}`);
    return `${error.code}/${error.category}`;
  }
  return 'resolved';
}

describe('QuiverClient <-> server', () => {
  let t: TestServer;
  let client: QuiverClient;
  let local: Quiver;
  const DIM = 8;
  const vectors = clusteredVectors(300, DIM, 7, 6);
  const records = vectors.map((vector, i) => ({ key: `r${i}`, vector, metadata: { i, group: i % 5 }, ...(i % 3 === 0 ? { document: `doc ${i}` } : {}) }));

  before(async () => {
    t = await startTestServer({ apiKeys: KEYS });
    client = new QuiverClient({ url: t.url, apiKey: ADMIN });
    local = await Quiver.open();
  });
  after(async () => {
    await local.close();
    await t.close();
  });

  it('database methods: createCollection, listCollections, collection, dropCollection', async () => {
    for (const db of [client, local] as const) {
      await db.createCollection('docs', { dimension: DIM, metric: 'cosine', index: 'HNSW8' });
      await db.createCollection('flat', { dimension: 3, metric: 'l2' });
      await db.createCollection('tmp', { dimension: 2, index: { type: 'vamana', graphDegree: 16 } });
    }
    assert.deepEqual(await client.listCollections(), await local.listCollections());
    await client.dropCollection('tmp');
    await local.dropCollection('tmp');
    assert.deepEqual(await client.listCollections(), await local.listCollections());
    assert.deepEqual(await client.collection('docs').info(), (await local.listCollections()).find((c) => c.name === 'docs'));
    assert.equal(client.collection('docs').name, 'docs');
  });

  it('records: upsert, get, update, delete, count, scan, stats', async () => {
    const remote = client.collection('docs');
    const embedded = local.collection('docs');
    for (let start = 0; start < records.length; start += 100) {
      const batch = records.slice(start, start + 100);
      // half the batches as number[] (JSON on the wire), half as Float32Array (base64)
      const wire = start % 200 === 0 ? batch.map((r) => ({ ...r, vector: Array.from(r.vector) })) : batch;
      const [a, b] = [await remote.upsert(wire), await embedded.upsert(batch)];
      assert.equal(a.count, b.count);
      assert.equal(typeof a.sequence, 'string');
    }
    const keys = ['r0', 'r1', 'missing', 'r299'];
    const got = await remote.get(keys);
    assert.ok(got[0]!.vector instanceof Float32Array);
    assert.deepEqual(got, await embedded.get(keys), 'get returns the stored Float32Array vectors bit for bit');

    const updates = [{ key: 'r1', metadata: { starred: true } }, { key: 'r3', document: null }, { key: 'r4', vector: vectors[5] }];
    assert.equal((await remote.update(updates)).count, (await embedded.update(updates)).count);
    assert.deepEqual(await remote.get(['r1', 'r3', 'r4']), await embedded.get(['r1', 'r3', 'r4']));

    const del = await remote.delete(['r10', 'r11', 'nope']);
    await embedded.delete(['r10', 'r11', 'nope']);
    assert.equal(del.count, 2);
    assert.equal(await remote.count(), await embedded.count());
    assert.equal(await remote.count(), 298);

    const scanned = new Map<string, unknown>();
    let batches = 0;
    for await (const batch of remote.scan({ batchSize: 64 })) {
      batches++;
      assert.ok(batch.length <= 64);
      for (const r of batch) {
        assert.ok(!scanned.has(r.key), `${r.key} twice`);
        scanned.set(r.key, r);
      }
    }
    assert.equal(batches, Math.ceil(298 / 64));
    const expected = new Map<string, unknown>();
    for await (const batch of embedded.scan()) for (const r of batch) expected.set(r.key, r);
    assert.deepEqual(new Map([...scanned].sort()), new Map([...expected].sort()));

    const [rs, es] = [await remote.stats(), await embedded.stats()];
    assert.equal(rs.count, es.count);
    assert.equal(rs.index, es.index);
    assert.equal(rs.dimension, es.dimension);
    assert.equal(rs.storage.persistent, true);
    assert.deepEqual(Object.keys(rs).sort(), Object.keys(es).sort(), 'the server reports every stats field');
  });

  it('queries: query, queryMany, explain, with JSON and base64 vectors giving identical hits', async () => {
    await local.idle();
    const remote = client.collection('docs');
    const embedded = local.collection('docs');
    const jsonClient = new QuiverClient({ url: t.url, apiKey: READER, vectorEncoding: 'json' }).collection('docs');
    const f32Client = new QuiverClient({ url: t.url, apiKey: READER, vectorEncoding: 'f32' }).collection('docs');
    await t.db.idle();
    for (const q of clusteredVectors(20, DIM, 99, 6)) {
      const request = { vector: q, k: 10, include: ['metadata', 'document', 'vector'] as ('metadata' | 'document' | 'vector')[], search: { ef: 64 } };
      const viaJson = await jsonClient.query(request);
      const viaF32 = await f32Client.query(request);
      const viaArray = await remote.query({ ...request, vector: Array.from(q) });
      assert.deepEqual(viaF32, viaJson, 'base64 and JSON vectors give identical hits');
      assert.deepEqual(viaArray, viaJson);
      const flatRemote = await client.collection('docs').query({ vector: q, k: 10, search: { ef: 300 } });
      const flatLocal = await embedded.query({ vector: q, k: 10, search: { ef: 300 } });
      assert.deepEqual(plain(flatRemote.map((h) => h.key)), plain(flatLocal.map((h) => h.key)));
    }
    const requests = clusteredVectors(5, DIM, 5, 6).map((vector) => ({ vector, k: 3, minScore: 0.1 }));
    assert.deepEqual(plain(await remote.queryMany(requests)), plain(await embedded.queryMany(requests)));
    const e = await remote.explain({ vector: vectors[0], k: 2 });
    const l = await embedded.explain({ vector: vectors[0], k: 2 });
    assert.deepEqual(plain(e), plain({ ...l, plan: { ...l.plan, kernel: e.plan.kernel } }));
  });

  it('maintenance and server methods: optimize, reindex, backup, health, ready, openapi, metrics', async () => {
    const remote = client.collection('docs');
    await remote.optimize();
    assert.equal((await remote.stats()).deletedRecords, 0);
    assert.equal(await codeOf(() => remote.optimize({ trainQueries: [vectors[0]] })), await codeOf(() => local.collection('docs').optimize({ trainQueries: [vectors[0]] })));
    assert.equal(await codeOf(() => remote.reindex('Vamana32,SQ8,Rerank:None,Rerank:F32')), 'INVALID_ARGUMENT/invalid_argument');
    assert.equal(await codeOf(() => local.collection('docs').reindex('Vamana32,SQ8,Rerank:None,Rerank:F32')), 'INVALID_ARGUMENT/invalid_argument');
    await remote.reindex('Vamana32');
    assert.equal((await remote.stats()).index, 'Vamana32');
    // a reducer and LeanVec-OOD's sample queries pass through as wire vectors (JSON and base64)
    const samples = clusteredVectors(20, DIM, 17, 6);
    for (const [i, c] of [client, new QuiverClient({ url: t.url, apiKey: ADMIN, vectorEncoding: 'f32' })].entries()) {
      const ood = await c.createCollection(`ood${i}`, { dimension: DIM, index: { type: 'hnsw', reduce: { method: 'leanvec-ood', dimension: 4, trainQueries: samples } } });
      const reduced = (await ood.stats()).compression?.reducer;
      assert.deepEqual([reduced?.method, reduced?.queriesHeld], ['leanvec-ood', samples.length]);
      await ood.reindex({ type: 'vamana', graphDegree: 32, reduce: { method: 'leanvec-ood', dimension: 4, trainQueries: samples.slice(0, 10) } });
      assert.equal((await ood.stats()).index, 'LeanVecOOD4,Vamana32');
      assert.equal((await ood.stats()).compression?.reducer?.queriesHeld, 10);
      await c.dropCollection(`ood${i}`);
    }
    assert.deepEqual(await client.backup('from-client'), { name: 'from-client' });
    const copy = await Quiver.open({ path: join(t.dir, 'backups', 'from-client') });
    assert.equal(await copy.collection('docs').count(), 298);
    await copy.close();
    assert.equal(await codeOf(() => new QuiverClient({ url: t.url, apiKey: READER }).backup('nope')), 'FORBIDDEN/forbidden');
    assert.deepEqual(await client.health(), { status: 'ok' });
    assert.deepEqual(await client.ready(), { status: 'ready' });
    assert.equal((await client.openapi()).openapi, '3.1.0');
    assert.match(await client.metrics(), /quiver_collection_records\{collection="docs"\} 298/);
  });

  it('errors are the embedded API\'s QuiverErrors, code and category', async () => {
    const remote = client.collection('flat');
    const embedded = local.collection('flat');
    const cases: [string, (c: typeof remote | typeof embedded) => Promise<unknown>][] = [
      ['number key', (c) => c.upsert([{ key: 5 as never, vector: [1, 2, 3] }])],
      ['empty key', (c) => c.upsert([{ key: '', vector: [1, 2, 3] }])],
      ['long key', (c) => c.upsert([{ key: 'k'.repeat(LIMITS.keyBytesMax + 1), vector: [1, 2, 3] }])],
      ['dimension', (c) => c.upsert([{ key: 'a', vector: [1, 2] }])],
      ['dimension f32', (c) => c.upsert([{ key: 'a', vector: new Float32Array(2) }])],
      ['string in vector', (c) => c.upsert([{ key: 'a', vector: [1, 'x', 3] as never }])],
      ['NaN in vector', (c) => c.upsert([{ key: 'a', vector: [1, NaN, 3] }])],
      ['overflow', (c) => c.upsert([{ key: 'a', vector: [1, 1e39, 3] }])],
      ['no vector', (c) => c.upsert([{ key: 'a' } as never])],
      ['metadata array', (c) => c.upsert([{ key: 'a', vector: [1, 2, 3], metadata: [1] as never }])],
      ['unknown field', (c) => c.upsert([{ key: 'a', vector: [1, 2, 3], extra: 1 } as never])],
      ['not an array', (c) => c.upsert('x' as never)],
      ['too many', (c) => c.get(Array.from({ length: LIMITS.batchRecordsMax + 1 }, (_, i) => `k${i}`))],
      ['update missing', (c) => c.update([{ key: 'ghost', metadata: {} }])],
      ['k zero', (c) => c.query({ vector: [1, 2, 3], k: 0 })],
      ['k huge', (c) => c.query({ vector: [1, 2, 3], k: LIMITS.kMax + 1 })],
      ['ef', (c) => c.query({ vector: [1, 2, 3], search: { ef: -1 } })],
      ['include', (c) => c.query({ vector: [1, 2, 3], include: ['all' as never] })],
      ['filter', (c) => c.query({ vector: [1, 2, 3], filter: { a: { $gt: 'x' } } })],
      ['text without a vector in vector mode', (c) => c.query({ text: 'hi', mode: 'vector' } as never)],
      ['hybrid without text', (c) => c.query({ vector: [1, 2, 3], mode: 'hybrid' })],
      ['queryMany size', (c) => c.queryMany(Array.from({ length: LIMITS.queryManyMax + 1 }, () => ({ vector: [1, 2, 3] })))],
      ['delete filter', (c) => c.delete({ filter: { $bogus: 1 } })],
      ['count filter', (c) => c.count({ filter: { a: [1] } })],
      ['scan batchSize', async (c) => {
        for await (const _ of c.scan({ batchSize: 0 })) break;
      }],
      ['reindex bad recipe', (c) => c.reindex('Bogus')],
    ];
    for (const [name, run] of cases) {
      const [r, e] = [await codeOf(() => run(remote)), await codeOf(() => run(embedded))];
      assert.equal(r, e, `${name}: remote ${r}, embedded ${e}`);
      assert.notEqual(r, 'resolved', name);
    }
    assert.equal(await codeOf(() => client.collection('ghost').count()), await codeOf(() => local.collection('ghost').count()));
    assert.equal(await codeOf(() => client.createCollection('docs', { dimension: 3 })), await codeOf(() => local.createCollection('docs', { dimension: 3 })));
    assert.equal(await codeOf(() => client.createCollection('bad name', { dimension: 3 })), await codeOf(() => local.createCollection('bad name', { dimension: 3 })));
    assert.equal(await codeOf(() => client.dropCollection('ghost')), await codeOf(() => local.dropCollection('ghost')));
    const error = await client.collection('flat').upsert([{ key: 'a', vector: [1, 2] }]).catch((e: unknown) => e);
    assert.ok(error instanceof QuiverError);
    assert.deepEqual(error.details, { index: 0, key: 'a', expected: 3, received: 2 });
  });

  it('transport failures: no key, aborts, timeouts, an unreachable or foreign server, a closed client', async () => {
    assert.equal(await codeOf(() => new QuiverClient({ url: t.url }).listCollections()), 'UNAUTHORIZED/unauthorized');
    assert.equal(await codeOf(() => new QuiverClient({ url: t.url, apiKey: 'wrong' }).listCollections()), 'UNAUTHORIZED/unauthorized');
    assert.equal(await codeOf(() => new QuiverClient({ url: t.url, apiKey: READER }).collection('docs').upsert([])), 'FORBIDDEN/forbidden');
    const aborted = new AbortController();
    aborted.abort('user left');
    assert.equal(await codeOf(() => client.collection('docs').query({ vector: vectors[0], signal: aborted.signal })), 'ABORTED/timeout');

    const slow = createServer((_req, res) => setTimeout(() => res.end('{}'), 2000));
    const html = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    await Promise.all([slow, html].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const portOf = (s: typeof slow) => (s.address() as { port: number }).port;
    try {
      assert.equal(await codeOf(() => new QuiverClient({ url: `http://127.0.0.1:${portOf(slow)}`, timeoutMs: 100 }).listCollections()), 'ABORTED/timeout');
      assert.equal(await codeOf(() => new QuiverClient({ url: `http://127.0.0.1:${portOf(html)}` }).listCollections()), 'UNAVAILABLE/unavailable');
    } finally {
      slow.closeAllConnections();
      await Promise.all([slow, html].map((s) => new Promise((r) => s.close(r))));
    }
    const gone = await codeOf(() => new QuiverClient({ url: 'http://127.0.0.1:9' }).health());
    assert.equal(gone, 'UNAVAILABLE/unavailable');
    assert.throws(() => new QuiverClient({ url: 'not a url' }), /not a URL/);
    assert.throws(() => new QuiverClient({ url: 'ftp://x' }), /http/);
    const closing = new QuiverClient({ url: t.url, apiKey: ADMIN });
    await closing.close();
    assert.equal(await codeOf(() => closing.listCollections()), 'CLOSED/unavailable');
  });

  it('bundles for browsers (esbuild, platform browser) and works without Node\'s Buffer', async () => {
    const result = await build({ entryPoints: ['src/client/index.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    const code = result.outputFiles[0].text;
    assert.doesNotMatch(code, /from\s*["']node:|require\(["']/);
    assert.ok(code.length < 40_000, `the client bundle is ${code.length} bytes`);
    const dir = mkdtempSync(join(tmpdir(), 'quiver-client-bundle-'));
    const file = join(dir, 'client.mjs');
    writeFileSync(file, code);
    const saved = globalThis.Buffer;
    let bundled: typeof import('../src/client/index.js');
    try {
      // The bundle reads globalThis.Buffer once when it loads: without it, it takes the atob/btoa path.
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      bundled = await import(pathToFileURL(file).href);
    } finally {
      globalThis.Buffer = saved;
      rmSync(dir, { recursive: true, force: true });
    }
    const browserish = new bundled.QuiverClient({ url: t.url, apiKey: READER });
    const q = vectors[42];
    const hits = await browserish.collection('docs').query({ vector: q, k: 5, include: ['vector'] });
    assert.deepEqual(hits, await client.collection('docs').query({ vector: q, k: 5, include: ['vector'] }));
    const [record] = await browserish.collection('docs').get(['r42']);
    assert.deepEqual(record, (await local.collection('docs').get(['r42']))[0]);
    const error = await browserish.collection('docs').upsert([]).catch((e: unknown) => e);
    assert.equal((error as QuiverError).code, 'FORBIDDEN');
  });
});
