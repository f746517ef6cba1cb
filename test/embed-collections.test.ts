/**
 * Collections with an embedding function: created without a dimension (the model's), documents embedded
 * on upsert, query text embedded and searched hybrid, the config persisted (no secrets) and checked
 * against the model on reopen; long documents stored as chunks and returned as documents with their best
 * chunks. The built-in model on real paper titles; the generated transformers.js model where exact
 * vectors or a changed model are needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { makeTinyEmbedder } from '../scripts/make-test-embedder.mjs';
import { Quiver } from '../src/index.js';
import { isQuiverError } from '../src/core/errors.js';
import { chunkText, transformersEmbedding } from '../src/embed/index.js';
import { type TestServer, startTestServer } from './support/server.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-embedcol-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Paper {
  id: string;
  title: string;
  abstract: string;
}
const PAPERS_FILE = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'papers.jsonl');
const papers: Paper[] = existsSync(PAPERS_FILE)
  ? readFileSync(PAPERS_FILE, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Paper)
  : [];

const TINY_DIR = resolve(import.meta.dirname, '..', '.tmp', 'models', 'tiny-embedder');
const tiny = (localPath = TINY_DIR) => ({ provider: 'transformers' as const, model: 'quiver/tiny-embedder', localPath });

describe('a collection with the built-in embedding model', { skip: papers.length === 0 ? 'papers.jsonl not found' : false }, () => {
  const path = join(root, 'builtin');
  const sample = papers.slice(0, 40);

  it('is created without a dimension, embeds documents on upsert, and finds papers by their titles after a reopen', async () => {
    let db = await Quiver.open({ path });
    const col = await db.createCollection('papers', { embedding: 'builtin' });
    const stats = await col.stats();
    assert.equal(stats.dimension, 512);
    assert.deepEqual(stats.embedding, { config: 'builtin', model: 'builtin:use-lite', dimension: 512 });
    // a record with a vector and a document keeps its vector
    const own = new Float32Array(512).fill(0);
    own[0] = 1;
    await col.upsert([...sample.map((p) => ({ key: p.id, document: `${p.title}. ${p.abstract}`, metadata: { title: p.title } })), { key: 'own', vector: own, document: 'a record with its own vector' }]);
    assert.equal(await col.count(), sample.length + 1);
    assert.deepEqual(Array.from((await col.get(['own']))[0]!.vector.subarray(0, 3)), [1, 0, 0]);
    await db.close();

    db = await Quiver.open({ path });
    const reopened = db.collection('papers');
    assert.deepEqual((await db.listCollections())[0].embedding, { config: 'builtin', model: 'builtin:use-lite', dimension: 512 });
    for (const paper of [sample[3], sample[17], sample[31]]) {
      const hits = await reopened.query({ text: paper.title, k: 3, include: ['metadata'] });
      assert.equal(hits[0].key, paper.id, `"${paper.title}" found ${hits.map((h) => h.key).join(', ')}`);
      const vectorOnly = await reopened.query({ text: paper.title, k: 5, mode: 'vector' });
      assert.ok(vectorOnly.some((h) => h.key === paper.id), `vector search for "${paper.title}" misses it in the top 5`);
      assert.ok(vectorOnly[0].distance !== undefined);
    }
    const { plan } = await reopened.explain({ text: sample[5].title, k: 3 });
    assert.equal(plan.strategy, 'hybrid');
    const keyword = await reopened.explain({ text: sample[5].title, k: 3, mode: 'keyword' });
    assert.equal(keyword.plan.strategy, 'keyword');
    const [a, b] = await reopened.queryMany([{ text: sample[3].title, k: 1 }, { text: sample[17].title, k: 1 }]);
    assert.deepEqual([a[0].key, b[0].key], [sample[3].id, sample[17].id]);

    // update with a new document re-embeds it: the record is then found by its new text
    await reopened.update([{ key: sample[0].id, document: sample[9].title }]);
    const moved = await reopened.query({ text: sample[9].title, k: 2, mode: 'vector' });
    assert.ok(moved.some((h) => h.key === sample[0].id));
    await db.close();
  });

  it('refuses a dimension the model does not make, records with nothing to embed, and documents in a collection without a model', async () => {
    const db = await Quiver.open();
    await assert.rejects(db.createCollection('x', { dimension: 384, embedding: 'builtin' }), (e) => isQuiverError(e, 'DIMENSION_MISMATCH') && /512/.test(e.message));
    assert.deepEqual(await db.listCollections(), []);
    await assert.rejects(db.createCollection('x', { embedding: { provider: 'openai', baseURL: 'http://localhost:1', model: 'm', apiKey: 'sk-1' } as never }), (e) => isQuiverError(e, 'INVALID_ARGUMENT') && /apiKeyEnv/.test(e.message));
    await assert.rejects(db.createCollection('x', { dimension: 4, chunking: { by: 'tokens', size: 8 } }), (e) => isQuiverError(e, 'INVALID_ARGUMENT') && /embedding/.test(e.message));
    const col = await db.createCollection('docs', { embedding: 'builtin', dimension: 512 });
    await assert.rejects(col.upsert([{ key: 'a', document: 'fine' }, { key: 'b', metadata: { x: 1 } }]), (e) => isQuiverError(e, 'INVALID_VECTOR') && /neither a vector nor a document/.test(e.message));
    assert.equal(await col.count(), 0);
    const plain = await db.createCollection('plain', { dimension: 3 });
    await assert.rejects(plain.upsert([{ key: 'a', document: 'text only' }]), (e) => isQuiverError(e, 'INVALID_VECTOR') && /no embedding function/.test(e.message));
    await plain.upsert([{ key: 'a', vector: [1, 0, 0], document: 'quivers hold arrows' }]);
    // without a model, text is keyword search, as before
    assert.equal((await plain.query({ text: 'arrows' }))[0].key, 'a');
    await assert.rejects(plain.query({ text: 'arrows', mode: 'hybrid' }), (e) => isQuiverError(e, 'INVALID_VECTOR') && /no embedding function/.test(e.message));
    await db.close();
  });
});

describe('a collection whose model changed', () => {
  it('refuses to embed with EMBEDDING_MODEL_MISMATCH; vector queries and stats go on', async () => {
    const modelDir = join(root, 'model');
    makeTinyEmbedder(modelDir);
    const path = join(root, 'changed');
    let db = await Quiver.open({ path });
    const col = await db.createCollection('docs', { embedding: tiny(modelDir) });
    assert.equal((await col.stats()).dimension, 32);
    await col.upsert([{ key: 'a', document: 'the cat sat on the mat' }]);
    await db.close();

    rmSync(modelDir, { recursive: true });
    makeTinyEmbedder(modelDir, { dimension: 16 });
    db = await Quiver.open({ path });
    const again = db.collection('docs');
    const mismatch = (e: unknown) => isQuiverError(e, 'EMBEDDING_MODEL_MISMATCH') && e.category === 'conflict' && /32-d/.test(e.message) && /16-d/.test(e.message);
    await assert.rejects(again.query({ text: 'cat' }), mismatch);
    await assert.rejects(again.upsert([{ key: 'b', document: 'dogs run' }]), mismatch);
    assert.equal(await again.count(), 1);
    const [record] = await again.get(['a']);
    assert.equal((await again.query({ vector: record!.vector, k: 1 }))[0].key, 'a');
    assert.equal((await again.query({ text: 'cat', mode: 'keyword' }))[0].key, 'a');
    assert.equal((await again.stats()).embedding?.model, 'transformers:quiver/tiny-embedder');
    await db.close();
  });
});

describe('chunked documents', () => {
  before(() => {
    if (!existsSync(join(TINY_DIR, 'onnx', 'model.onnx'))) makeTinyEmbedder(TINY_DIR);
  });

  const LONG = 'the cat sat on the mat. the dog ran in the park. stock prices fell today. rain and cold weather in winter. a quick brown fox jumps over the lazy dog.';
  const chunking = { by: 'tokens' as const, size: 6, overlap: 2 };

  it('stores chunks keyed parent#i with the parent and offsets in metadata, exactly as chunkText cuts them, with vectors of their text', async () => {
    const db = await Quiver.open();
    const col = await db.createCollection('docs', { embedding: tiny(), chunking });
    await col.upsert([{ key: 'long', document: LONG, metadata: { year: 2024 } }]);
    const expected = chunkText(LONG, chunking);
    assert.ok(expected.length >= 5);
    assert.equal(await col.count(), expected.length);
    const records = await col.get(expected.map((c) => `long#${c.index}`));
    const model = await transformersEmbedding({ model: 'quiver/tiny-embedder', localPath: TINY_DIR });
    const vectors = await model.embed(expected.map((c) => c.text));
    await model.close();
    expected.forEach((chunk, i) => {
      const record = records[i]!;
      assert.equal(record.document, chunk.text);
      assert.equal(LONG.slice(chunk.start, chunk.end), record.document);
      assert.deepEqual(record.metadata, { year: 2024, _parent: 'long', _chunk: { index: chunk.index, count: expected.length, start: chunk.start, end: chunk.end } });
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(record.vector[j] - vectors[i][j]) < 1e-5);
    });
    assert.deepEqual((await col.stats()).chunking, { by: 'tokens', size: 6, overlap: 2 });
    await db.close();
  });

  it('returns one hit per document with its best chunks, the whole document put back together, k documents even when one has many good chunks', async () => {
    const db = await Quiver.open();
    const col = await db.createCollection('docs', { embedding: tiny(), chunking });
    const cats = Array.from({ length: 12 }, () => 'the cat sat on the mat.').join(' ');
    await col.upsert([
      { key: 'cats', document: cats, metadata: { kind: 'cats' } },
      { key: 'long', document: LONG, metadata: { kind: 'mixed' } },
      { key: 'money', document: 'stock prices fell today. the bank lost money.' },
      { key: 'plain', vector: Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), document: 'a record with its own vector', metadata: { kind: 'plain' } },
    ]);
    const hits = await col.query({ text: 'cat sat on the mat', k: 3, mode: 'vector', include: ['document', 'metadata'] });
    assert.equal(hits.length, 3);
    assert.equal(new Set(hits.map((h) => h.key)).size, 3, 'one hit per document');
    assert.equal(hits[0].key, 'cats');
    assert.equal(hits[0].document, cats);
    assert.deepEqual(hits[0].metadata, { kind: 'cats' });
    assert.equal(hits[0].chunks!.length, 3);
    assert.equal(hits[0].score, hits[0].chunks![0].score);
    for (let i = 1; i < hits[0].chunks!.length; i++) assert.ok(hits[0].chunks![i - 1].score >= hits[0].chunks![i].score);
    for (const hit of hits) for (const chunk of hit.chunks ?? []) assert.equal(hit.document!.slice(chunk.start, chunk.end), chunk.text);
    const long = hits.find((h) => h.key === 'long');
    if (long) assert.equal(long.document, LONG);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);

    // hybrid by default; chunks: 1; group: false gives the chunk records themselves
    const one = await col.query({ text: 'stock prices fell', k: 2, chunks: 1 });
    assert.ok(one.every((h) => (h.chunks?.length ?? 0) <= 1));
    assert.ok(one.some((h) => h.key === 'money'));
    const raw = await col.query({ text: 'cat sat on the mat', k: 5, mode: 'vector', group: false });
    assert.ok(raw.every((h) => /#\d+$/.test(h.key) || h.key === 'plain'));
    assert.ok(raw.length === 5 && raw.filter((h) => h.key.startsWith('cats#')).length >= 3);
    const { plan } = await col.explain({ text: 'dog park', k: 2 });
    assert.equal(plan.strategy, 'hybrid');
    assert.ok(plan.chunksSearched! >= 8);
    await db.close();
  });

  it('a new version of a document replaces all its chunks; deleting the document deletes them; reserved fields are refused', async () => {
    const path = join(root, 'chunked');
    let db = await Quiver.open({ path });
    const col = await db.createCollection('docs', { embedding: tiny(), chunking: { by: 'sentences', size: 8, overlap: 0 } });
    await col.upsert([{ key: 'long', document: LONG }, { key: 'short', document: 'dogs run.' }]);
    const before = chunkText(LONG, { by: 'sentences', size: 8, overlap: 0 }).length;
    assert.equal(await col.count(), before + 1);
    const NEW = 'rain and cold weather. the sun is hot.';
    await col.upsert([{ key: 'long', document: NEW }]);
    assert.equal(await col.count(), chunkText(NEW, { by: 'sentences', size: 8, overlap: 0 }).length + 1);
    assert.equal((await col.get([`long#${before - 1}`]))[0], null);
    await db.close();

    db = await Quiver.open({ path });
    const again = db.collection('docs');
    assert.deepEqual((await again.stats()).chunking, { by: 'sentences', size: 8, overlap: 0 });
    const hits = await again.query({ text: 'cold weather', k: 2, include: ['document'] });
    assert.equal(hits[0].key, 'long');
    assert.equal(hits[0].document, 'rain and cold weather. the sun is hot.');
    // a document replaced by a record with its own vector loses its chunks
    await again.upsert([{ key: 'short', vector: Array.from({ length: 32 }, (_, i) => (i === 1 ? 1 : 0)) }]);
    assert.deepEqual((await again.get(['short#0', 'short'])).map((r) => r?.key ?? null), [null, 'short']);
    assert.equal((await again.delete(['long', 'missing'])).count, 1);
    assert.equal(await again.count(), 1);
    await assert.rejects(again.upsert([{ key: 'x', document: 'dogs', metadata: { _parent: 'y' } }]), (e) => isQuiverError(e, 'INVALID_METADATA') && /reserved/.test(e.message));
    // a chunk deleted by its own key leaves a gap; the next version of the document still removes the rest
    await again.upsert([{ key: 'gap', document: LONG }]);
    const gapChunks = chunkText(LONG, { by: 'sentences', size: 8, overlap: 0 }).length;
    await again.delete(['gap#1']);
    await again.upsert([{ key: 'gap', document: 'dogs run.' }]);
    assert.deepEqual((await again.get(Array.from({ length: gapChunks }, (_, i) => `gap#${i}`))).map((r) => r?.key ?? null), ['gap#0', ...Array(gapChunks - 1).fill(null)]);
    await again.delete(['gap']);
    await again.upsert([{ key: 'doc', document: 'dogs run in the park.' }]);
    await assert.rejects(again.update([{ key: 'doc', metadata: { a: 1 } }]), (e) => isQuiverError(e, 'INVALID_ARGUMENT') && /upsert it whole/.test(e.message));
    await db.close();
  });
});

describe('over HTTP and the CLI', { skip: papers.length === 0 ? 'papers.jsonl not found' : false }, () => {
  let t: TestServer;
  const sample = papers.slice(40, 52);
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
  });

  it('POST /v1/collections with { embedding } and no dimension; upsert documents only; query { text }; chunked hits carry their chunks', async () => {
    const created = await t.call('POST', '/v1/collections', { body: { name: 'papers', embedding: 'builtin' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { name: 'papers', dimension: 512, metric: 'cosine', index: 'Flat', count: 0, embedding: { config: 'builtin', model: 'builtin:use-lite', dimension: 512 } });
    const upserted = await t.call('POST', '/v1/collections/{name}/upsert', { params: { name: 'papers' }, body: { records: sample.map((p) => ({ key: p.id, document: `${p.title}. ${p.abstract}` })) } });
    assert.equal(upserted.status, 200, upserted.text);
    const query = await t.call('POST', '/v1/collections/{name}/query', { params: { name: 'papers' }, body: { text: sample[4].title, k: 2 } });
    assert.equal(query.status, 200, query.text);
    assert.equal(query.body.hits[0].key, sample[4].id);
    const stats = await t.call('GET', '/v1/collections/{name}/stats', { params: { name: 'papers' } });
    assert.equal(stats.body.embedding.model, 'builtin:use-lite');

    const chunked = await t.call('POST', '/v1/collections', { body: { name: 'chunks', embedding: 'builtin', chunking: { by: 'sentences', size: 40, overlap: 1 } } });
    assert.equal(chunked.status, 201, chunked.text);
    assert.deepEqual(chunked.body.chunking, { by: 'sentences', size: 40, overlap: 1 });
    await t.call('POST', '/v1/collections/{name}/upsert', { params: { name: 'chunks' }, body: { records: sample.slice(0, 6).map((p) => ({ key: p.id, document: p.abstract })) } });
    const hits = (await t.call('POST', '/v1/collections/{name}/query', { params: { name: 'chunks' }, body: { text: sample[2].title, k: 3, include: ['document'] } })).body.hits;
    assert.equal(hits.length, 3);
    assert.equal(hits[0].key, sample[2].id);
    assert.equal(hits[0].document, sample[2].abstract);
    assert.ok(hits[0].chunks.length >= 1);
    for (const chunk of hits[0].chunks) assert.equal(sample[2].abstract.slice(chunk.start, chunk.end), chunk.text);

    const missingDimension = await t.call('POST', '/v1/collections', { body: { name: 'nodim' } });
    assert.equal(missingDimension.status, 400);
    const noModel = await t.call('POST', '/v1/collections/{name}/upsert', { params: { name: 'papers' }, body: { records: [{ key: 'x' }] } });
    assert.equal(noModel.status, 400);
    assert.equal(noModel.body.error.code, 'INVALID_VECTOR');
  });

  it('a collection embedding through the OpenAI-compatible provider against the server: the key stays in the environment, never in the files', async () => {
    const secret = 'sk-quiver-test-secret-4242';
    process.env.QUIVER_TEST_EMBED_KEY = secret;
    const path = join(root, 'openai');
    try {
      const db = await Quiver.open({ path });
      const col = await db.createCollection('remote', { embedding: { provider: 'openai', baseURL: t.url, model: 'builtin', apiKeyEnv: 'QUIVER_TEST_EMBED_KEY' } });
      assert.equal((await col.stats()).dimension, 512);
      await col.upsert(sample.map((p) => ({ key: p.id, document: `${p.title}. ${p.abstract}` })));
      assert.equal((await col.query({ text: sample[7].title, k: 1 }))[0].key, sample[7].id);
      await db.close();
    } finally {
      delete process.env.QUIVER_TEST_EMBED_KEY;
    }
    const bytes = readdirSync(path).map((file) => readFileSync(join(path, file)).toString('latin1')).join('');
    assert.ok(bytes.includes('QUIVER_TEST_EMBED_KEY'));
    assert.ok(!bytes.includes(secret));
  });

  it('quiver import of a JSONL file with documents only, into a collection created with --embedding builtin', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'quiver.mjs');
    const data = join(root, 'cli-data');
    const file = join(root, 'docs.jsonl');
    writeFileSync(file, sample.map((p) => JSON.stringify({ key: p.id, document: `${p.title}. ${p.abstract}`, metadata: { title: p.title } })).join('\n') + '\n');
    const quiver = (...args: string[]) => {
      const run = spawnSync(process.execPath, [bin, '--data', data, ...args], { encoding: 'utf8', env: { ...process.env, QUIVER_DATA_DIR: '', QUIVER_URL: '' } });
      assert.equal(run.status, 0, `quiver ${args.join(' ')}: ${run.stderr}`);
      return run.stdout;
    };
    assert.match(quiver('collections', 'create', 'papers', '--embedding', 'builtin'), /dimension 512.*embedding builtin:use-lite/);
    quiver('import', file, '-c', 'papers', '--batch-size', '5');
    const hits = JSON.parse(quiver('query', '-c', 'papers', '--text', sample[1].title, '-k', '1', '--json'));
    assert.equal((hits.hits ?? hits)[0].key, sample[1].id);
  });
});
