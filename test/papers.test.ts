/**
 * Quiver Papers (docs/papers.md): the corpus and its parsers; the server's papers app (the collection
 * created from the corpus on the first start and found on the next, POST /v1/papers, GET /v1/papers,
 * hybrid search by default); `quiver import --papers` of JSONL and of the listing format, resumable like
 * any import. The app embeds with the real built-in model; a 24-paper slice of the corpus keeps it quick.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Quiver, QuiverError } from '../src/index.js';
import { PAPERS_COLLECTION } from '../src/papers/collection.js';
import { type Paper, checkPaper, paperDocument, parsePapersJsonl, parsePapersListing, slug } from '../src/papers/corpus.js';
import { QuiverClient } from '../src/client/index.js';
import { assertError, startTestServer } from './support/server.js';

const CORPUS = join(import.meta.dirname, '..', 'examples', 'papers', 'papers.jsonl');
const corpus = parsePapersJsonl(readFileSync(CORPUS, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'quiver-papers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A slice of the corpus as a JSONL file. */
function sliceFile(papers: readonly Paper[], name: string): string {
  const file = join(dir, name);
  writeFileSync(file, papers.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return file;
}

describe('the corpus and its formats', () => {
  it('holds 188 papers with unique ids, each the slug of its title', () => {
    assert.equal(corpus.length, 188);
    assert.equal(new Set(corpus.map((p) => p.id)).size, 188);
    for (const paper of corpus) assert.equal(slug(paper.title), paper.id, paper.title);
  });

  it('the listing format (title line, abstract line) parses to the same papers as the JSONL', () => {
    const listing = corpus.map((p) => `${p.title}\n${p.abstract}\n`).join('\n');
    assert.deepEqual(parsePapersListing(listing), corpus);
    assert.throws(() => parsePapersListing('A title\nAn abstract\nA lonely title\n'), (e: QuiverError) => e.code === 'INVALID_ARGUMENT' && /A lonely title/.test(e.message));
  });

  it('bad papers are INVALID_ARGUMENT naming the field and the line', () => {
    assert.throws(() => checkPaper({ title: ' ', abstract: 'x' }), /paper\.title must be a non-empty string/);
    assert.throws(() => checkPaper({ title: 'x', abstract: 3 }), /paper\.abstract must be a non-empty string/);
    assert.throws(() => checkPaper({ id: '', title: 'x', abstract: 'y' }), /paper\.id must be a non-empty string/);
    assert.throws(() => checkPaper({ title: '!!!', abstract: 'y' }), /no letters or digits/);
    assert.throws(() => parsePapersJsonl('{"title":"a","abstract":"b"}\n{oops}\n'), (e: QuiverError) => e.code === 'INVALID_ARGUMENT' && e.details.line === 2);
    assert.deepEqual(checkPaper({ title: ' Hello, World! ', abstract: ' text ' }), { id: 'hello-world', title: 'Hello, World!', abstract: 'text' });
  });
});

describe('the papers app in the server', () => {
  const slice = corpus.slice(0, 24);

  it('creates the collection from the corpus on the first start, adds papers, and finds them after a restart', async () => {
    const corpusFile = sliceFile(slice, 'slice.jsonl');
    const dataDir = join(dir, 'server-data');
    let t = await startTestServer({ dataDir, papers: { enabled: true, corpus: corpusFile } });
    try {
      const info = await t.call('GET', '/v1/papers');
      assert.deepEqual(info.body, { collection: 'papers', count: 24 });
      const col = t.db.collection(PAPERS_COLLECTION);
      const [first] = await col.get([slice[0].id]);
      assert.equal(first!.document, paperDocument(slice[0]));
      assert.equal((first!.metadata as { title: string }).title, slice[0].title);
      assert.equal(first!.vector!.length, 512, 'embedded with the built-in model');

      const added = await t.call('POST', '/v1/papers', {
        body: { papers: [{ title: 'Pruning Neighbour Graphs for Small-Memory Retrieval', abstract: 'We prune the edges of proximity graphs so that approximate nearest neighbour search fits in little memory.' }] },
      });
      assert.equal(added.status, 200, added.text);
      assert.deepEqual(added.body.ids, ['pruning-neighbour-graphs-for-small-memory-retrieval']);
      const [stored] = await col.get(['pruning-neighbour-graphs-for-small-memory-retrieval']);
      assert.ok((stored!.metadata as { addedAt: number }).addedAt >= (first!.metadata as { addedAt: number }).addedAt);

      // query({ text }) is hybrid by default on the papers collection, and finds the new paper by its words
      const { plan, hits } = await col.explain({ text: 'pruning proximity graphs', k: 3 });
      assert.equal(plan.strategy, 'hybrid');
      // the fusion tuned for the built-in model on this corpus (docs/text.md)
      assert.deepEqual(plan.fusion, { weights: { vector: 0.13, keyword: 0.87 } });
      assert.equal(hits[0].key, 'pruning-neighbour-graphs-for-small-memory-retrieval');
      // and through the client, as the console does
      const client = new QuiverClient({ url: t.url });
      assert.equal((await client.papers.info()).count, 25);

      assertError(await t.call('POST', '/v1/papers', { body: { papers: [{ title: '', abstract: 'x' }] } }), 400, 'INVALID_ARGUMENT');
      assertError(await t.call('POST', '/v1/papers', { body: { papers: [{ title: '  ', abstract: 'x' }] } }), 400, 'INVALID_ARGUMENT', /papers\[0\]\.title/);
      const twice = { title: 'Same Title', abstract: 'one' };
      assertError(await t.call('POST', '/v1/papers', { body: { papers: [twice, twice] } }), 400, 'INVALID_ARGUMENT', /same-title/);
      assert.equal(await col.count(), 25, 'rejected requests wrote nothing');
    } finally {
      await t.close();
    }
    // the second start finds the collection as it was left: no second load of the corpus
    t = await startTestServer({ dataDir, papers: { enabled: true, corpus: join(dir, 'no-such-file.jsonl') } });
    try {
      assert.equal((await t.call('GET', '/v1/papers')).body.count, 25);
    } finally {
      await t.close();
    }
  });

  it('is off unless enabled: no /v1/papers routes; a missing corpus stops the start with IO_ERROR', async () => {
    const t = await startTestServer();
    try {
      assertError(await t.fetchRaw('GET', '/v1/papers'), 404, 'NOT_FOUND');
    } finally {
      await t.close();
    }
    await assert.rejects(startTestServer({ papers: { enabled: true, corpus: join(dir, 'missing.jsonl') } }), (e: QuiverError) => e.code === 'IO_ERROR' && /missing\.jsonl/.test(e.message));
  });
});

describe('quiver import --papers', () => {
  const BIN = join(import.meta.dirname, '..', 'bin', 'quiver.mjs');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QUIVER_DATA_DIR: '', QUIVER_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('imports JSONL papers and a listing into a papers collection made as the app makes it', async () => {
    const data = join(dir, 'cli-data');
    const jsonl = sliceFile(corpus.slice(30, 36), 'six.jsonl');
    const listing = join(dir, 'listing.txt');
    writeFileSync(listing, corpus.slice(40, 44).map((p) => `${p.title}\n${p.abstract}\n\n`).join(''));
    let r = await run(['--data', data, 'import', jsonl, '--collection', 'papers', '--papers', '--create', '--json']);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['--data', data, 'import', listing, '--collection', 'papers', '--papers', '--format', 'listing', '--json', '--batch-size', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).count, 10);

    const bad = join(dir, 'odd.txt');
    writeFileSync(bad, `${corpus[50].title}\n${corpus[50].abstract}\nA title without an abstract\n`);
    r = await run(['--data', data, 'import', bad, '--collection', 'papers', '--papers', '--format', 'listing']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /line 3: the title "A title without an abstract" has no abstract line/);
    r = await run(['--data', data, 'import', listing, '--collection', 'papers', '--format', 'listing']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /add --papers/);

    const db = await Quiver.open({ path: data });
    try {
      const col = db.collection('papers');
      const [info] = (await db.listCollections()).filter((c) => c.name === 'papers');
      assert.equal(info.dimension, 512);
      assert.equal(info.index, 'HNSW16');
      assert.equal(await col.count(), 10, 'the broken listing stored nothing: its one batch failed as a whole');
      const keys = [...corpus.slice(30, 36), ...corpus.slice(40, 44)].map((p) => p.id);
      const records = await col.get(keys);
      records.forEach((r, i) => assert.ok(r !== null, keys[i]));
      const listed = records[6]!;
      assert.equal(listed.document, paperDocument(corpus[40]));
      assert.equal(typeof (listed.metadata as { addedAt: number }).addedAt, 'number');
    } finally {
      await db.close();
    }
  });
});
