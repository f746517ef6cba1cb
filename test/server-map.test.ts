/**
 * POST /v1/collections/{name}/map and QuiverClient's collection.map(): the route against a real loopback
 * server (responses checked against /openapi.json), its errors and roles, and the client's round trip
 * giving the embedded API's map bit for bit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QuiverClient } from '../src/client/index.js';
import { KEYS, READER, type TestServer, assertError, startTestServer } from './support/server.js';
import { curvedClusters } from './support/data.js';

describe('maps over HTTP', () => {
  let t: TestServer;
  const template = '/v1/collections/{name}/map';
  const params = { name: 'curves' };

  before(async () => {
    t = await startTestServer({ apiKeys: KEYS });
    const col = await t.db.createCollection('curves', { dimension: 16, metric: 'l2', index: 'HNSW16' });
    const { vectors, labels } = curvedClusters(1200, 16, 10, 3);
    await col.upsert(vectors.map((vector, i) => ({ key: `c${i}`, vector, metadata: { cluster: labels[i], name: `point ${i}` } })));
    await t.db.idle();
  });
  after(() => t.close());

  it('answers with keys, coordinates, PCA and the preservation figure, in JSON or base64 float32', async () => {
    const json = await t.call('POST', template, { params, body: { k: 10, seed: 2, epochs: 100, include: ['metadata'] } });
    assert.equal(json.status, 200, json.text);
    const map = json.body;
    assert.equal(map.keys.length, 1200);
    assert.equal(map.coordinates.length, 2400);
    assert.equal(map.pca.length, 2400);
    assert.equal(map.metadata.length, 1200);
    assert.equal(map.neighbors.source, 'index');
    assert.ok(map.preservation.layout > map.preservation.pca, JSON.stringify(map.preservation));
    const f32 = await t.call('POST', template, { params, query: { vectors: 'f32' }, body: { k: 10, seed: 2, epochs: 100 } });
    assert.equal(f32.status, 200, f32.text);
    const decoded = new Float32Array(new Uint8Array(Buffer.from(f32.body.coordinates.f32, 'base64')).buffer);
    assert.deepEqual(Array.from(decoded), map.coordinates);
    assert.deepEqual(f32.body.keys, map.keys);
    assert.equal(f32.body.metadata, undefined);
    // no body at all: every default
    const bare = await t.call('POST', template, { params });
    assert.equal(bare.status, 200, bare.text);
    assert.equal(bare.body.neighbors.k, 15);
  });

  it('errors: bad options (400), limits (413), missing collection (404), no key (401); read-only keys may map', async () => {
    assertError(await t.call('POST', template, { params, body: { k: 0 } }), 400, 'INVALID_ARGUMENT', /k/);
    assertError(await t.call('POST', template, { params, body: { k: 'many' } }), 400, 'INVALID_ARGUMENT');
    assertError(await t.call('POST', template, { params, body: { sample: 1e9 } }), 413, 'LIMIT_EXCEEDED', /sample/);
    assertError(await t.call('POST', template, { params, body: { include: ['vector'] } }), 400, 'INVALID_ARGUMENT');
    assertError(await t.call('POST', template, { params, body: { colour: 'red' } }), 400, 'INVALID_ARGUMENT');
    assertError(await t.call('POST', template, { params: { name: 'missing' }, body: {} }), 404, 'COLLECTION_NOT_FOUND');
    assertError(await t.call('POST', template, { params, body: {}, key: null }), 401, 'UNAUTHORIZED');
    const read = await t.call('POST', template, { params, body: { sample: 50, epochs: 10 }, key: READER });
    assert.equal(read.status, 200, read.text);
  });

  it("QuiverClient's map is the embedded map, and aborting it stops the request", async () => {
    const client = new QuiverClient({ url: t.url, apiKey: READER });
    const remote = await client.collection('curves').map({ k: 12, sample: 800, seed: 9, epochs: 80, include: ['metadata'] });
    const local = await t.db.collection('curves').map({ k: 12, sample: 800, seed: 9, epochs: 80, include: ['metadata'] });
    assert.ok(remote.coordinates instanceof Float32Array);
    assert.deepEqual(remote.coordinates, local.coordinates);
    assert.deepEqual(remote.pca, local.pca);
    assert.deepEqual(remote.keys, local.keys);
    assert.deepEqual(remote.metadata, local.metadata);
    assert.deepEqual(remote.preservation, local.preservation);
    await assert.rejects(client.collection('curves').map({ k: -1 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(client.collection('curves').map('k=3' as never), { code: 'INVALID_ARGUMENT' });

    const controller = new AbortController();
    const pending = client.collection('curves').map({ epochs: 2000, signal: controller.signal });
    setTimeout(() => controller.abort('cancelled'), 50);
    await assert.rejects(pending, { code: 'ABORTED' });
    // the server goes on answering
    assert.equal((await client.collection('curves').count()), 1200);
  });
});
