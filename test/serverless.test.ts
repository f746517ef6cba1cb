/**
 * The serverless example (examples/serverless, docs/runtimes.md#the-serverless-example) in headless
 * Chromium: the built page loads the corpus with its precomputed vectors into OPFS through its database
 * worker; its keyword and hybrid searches list what the same collection answers in Node, its semantic
 * searches (the query embedded in the browser) and "related papers" what exact float64 search finds;
 * after a reload it opens the papers from OPFS without fetching the corpus, the vectors or the model
 * files again (requests counted at the server).
 *
 * To keep CI fast the example is built from the first 48 papers (embedding all 188 takes 15-25 s on
 * the 2-core box); the page does not care how many there are.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CORPUS_FILE, VECTORS_FILE, collectionName, decodeVectors, papersCollectionConfig, type Manifest } from '../examples/serverless/assets.js';
import { buildServerless } from '../examples/serverless/build.js';
import { serveStatic, type StaticServer } from '../examples/serverless/serve.js';
import { type Collection, Quiver } from '../src/index.js';
import { builtinEmbedding } from '../src/embed/builtin.js';
import type { EmbeddingFunction } from '../src/embed/types.js';
import { paperRecord, parsePapersJsonl } from '../src/papers/corpus.js';
import { bruteForce } from './support/data.js';

const CHROMIUM = process.env.QUIVER_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) || process.env.CI ? false : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set QUIVER_CHROMIUM)`;
const PAPERS = 48;

interface PageState {
  phase: 'loading' | 'ready' | 'failed';
  source: 'network' | 'opfs' | null;
  fetched: string[];
  count: number;
  model: 'loading' | 'ready' | 'failed';
  modelLoad: { files: number; fromCache: number; downloadedBytes: number; backend: string } | null;
  searches: number;
  relatedShown: number;
  error: string | null;
}

describe('the serverless example in headless Chromium', { skip }, () => {
  let outDir: string;
  let profile: string;
  let manifest: Manifest;
  let server: StaticServer;
  let context: BrowserContext;
  let page: Page;
  let reference: Quiver;
  let papers: Collection;
  let embedder: EmbeddingFunction;
  /** The stored vectors by key: exact neighbours by brute force in float64. */
  const stored = new Map<string, Float32Array>();
  const requests: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'quiver-serverless-'));
    manifest = await buildServerless({ outDir, limit: PAPERS });
    // the same collection in Node, from the same files the page reads: the answers to compare with
    reference = await Quiver.open();
    papers = await reference.createCollection(collectionName(manifest), papersCollectionConfig(manifest.dimension));
    const list = parsePapersJsonl(readFileSync(join(outDir, CORPUS_FILE), 'utf8'));
    const bytes = readFileSync(join(outDir, VECTORS_FILE));
    const vectors = decodeVectors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), manifest.count, manifest.dimension);
    await papers.upsert(list.map((paper, i) => ({ ...paperRecord(paper, manifest.builtAt), vector: vectors[i] })));
    list.forEach((paper, i) => stored.set(paper.id, vectors[i]));
    embedder = await builtinEmbedding();

    server = await serveStatic(outDir, { onRequest: (path) => requests.push(path) });
    // a persistent profile on disk, as users have (an off-the-record context keeps OPFS in memory)
    profile = mkdtempSync(join(tmpdir(), 'quiver-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await context?.close();
    await server?.close();
    await embedder?.close();
    await reference?.close();
    for (const dir of [outDir, profile]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const state = () => page.evaluate(() => (globalThis as unknown as { quiverPapers: unknown }).quiverPapers) as Promise<PageState>;
  const ready = () => page.waitForFunction(() => (globalThis as any).quiverPapers?.phase !== 'loading');
  const modelReady = () => page.waitForFunction(() => (globalThis as any).quiverPapers?.model !== 'loading');

  /** Searches through the form and returns the listed keys, best first. */
  async function search(text: string, mode: 'keyword' | 'semantic' | 'hybrid'): Promise<string[]> {
    const before = (await state()).searches;
    await page.fill('#query', text);
    await page.selectOption('#mode', mode);
    await page.click('#search button[type=submit]');
    await page.waitForFunction((n) => (globalThis as any).quiverPapers.searches > n, before);
    return page.$$eval('#results li', (items) => items.map((item) => (item as HTMLElement).dataset.key!));
  }

  async function related(key: string): Promise<string[]> {
    const before = (await state()).relatedShown;
    await page.click(`#results li[data-key="${key}"] button.related`);
    await page.waitForFunction((n) => (globalThis as any).quiverPapers.relatedShown > n, before);
    return page.$$eval('#related li', (items) => items.map((item) => (item as HTMLElement).dataset.key!));
  }

  const keys = (hits: { key: string }[]) => hits.map((h) => h.key);

  it('first visit: fetches the corpus and its vectors, stores them in OPFS, and answers keyword searches as Node does', async () => {
    await page.goto(server.url);
    await ready();
    const first = await state();
    assert.equal(first.error, null);
    assert.equal(first.phase, 'ready');
    assert.equal(first.source, 'network');
    assert.equal(first.count, PAPERS);
    assert.deepEqual(first.fetched.sort(), ['data/manifest.json', 'data/papers.jsonl', 'data/vectors.f32']);
    assert.equal(requests.filter((p) => p === '/data/vectors.f32').length, 1);
    assert.match(await page.textContent('#db-status') ?? '', /First visit/);
    // the database runs in a dedicated worker on OPFS, cross-origin isolated thanks to the server's headers
    assert.match(await page.textContent('#context') ?? '', /dedicated-worker · kernels wasm-simd128 · storage opfs · cross-origin isolated: yes/);

    for (const text of ['vector quantization codebook', 'training large models', 'svg']) {
      const expected = keys(await papers.query({ text, mode: 'keyword', k: 10 }));
      assert.ok(expected.length > 0, text);
      assert.deepEqual(await search(text, 'keyword'), expected, text);
    }
  });

  it("related papers: the neighbours of the paper's stored vector, itself left out, as exact search finds them", async () => {
    const listed = await search('vector quantization codebook', 'keyword');
    for (const key of listed.slice(0, 2)) {
      const expected = keys(bruteForce(stored, stored.get(key)!, 'cosine', 6)).filter((k) => k !== key).slice(0, 5);
      assert.deepEqual(await related(key), expected, key);
    }
    // and related papers of a related paper
    const next = (await page.$$eval('#related li', (items) => items.map((item) => (item as HTMLElement).dataset.key!)))[0];
    const before = (await state()).relatedShown;
    await page.click(`#related li[data-key="${next}"] button.related`);
    await page.waitForFunction((n) => (globalThis as any).quiverPapers.relatedShown > n, before);
    assert.match(await page.textContent('#related-title') ?? '', /Related to/);
  });

  it('semantic and hybrid search: the query is embedded in the browser by the same model, with the same answers as Node', async () => {
    await modelReady();
    const loaded = await state();
    assert.equal(loaded.model, 'ready', loaded.error ?? '');
    assert.equal(loaded.modelLoad!.backend, 'wasm');
    assert.equal(loaded.modelLoad!.fromCache, 0, 'first visit: the model files were downloaded');
    for (const text of ['turning raster images into scalable vector graphics', 'making neural network training faster']) {
      const [vector] = await embedder.embed([text]);
      const semantic = keys(bruteForce(stored, vector, 'cosine', 10));
      assert.deepEqual(await search(text, 'semantic'), semantic, text);
      const hybrid = keys(await papers.query({ vector, text, mode: 'hybrid', k: 10 }));
      assert.deepEqual(await search(text, 'hybrid'), hybrid, text);
    }
    const titles = await page.$$eval('#results li .title', (items) => items.map((item) => item.textContent ?? ''));
    assert.ok(titles.length > 0);
    // a sanity check on meaning, beside the comparison with Node: vector graphics for a vector graphics query
    await search('turning raster images into scalable vector graphics', 'semantic');
    const top = await page.$$eval('#results li .title', (items) => items.slice(0, 3).map((item) => item.textContent ?? ''));
    assert.ok(top.some((title) => /SVG|Vectori[sz]ation|Vector Graphics/i.test(title)), top.join(' | '));
  });

  it('a reload opens the papers from OPFS: neither the corpus, the vectors nor the model files are fetched again', async () => {
    const since = requests.length;
    await page.reload();
    await ready();
    await modelReady();
    const again = await state();
    assert.equal(again.error, null);
    assert.equal(again.source, 'opfs');
    assert.equal(again.count, PAPERS);
    assert.deepEqual(again.fetched, ['data/manifest.json']);
    const fetched = requests.slice(since);
    assert.deepEqual(fetched.filter((p) => p.startsWith('/data/')), ['/data/manifest.json'], fetched.join(' '));
    assert.deepEqual(fetched.filter((p) => p.startsWith('/model/')), [], 'the model comes from Cache Storage');
    assert.equal(again.modelLoad!.fromCache, again.modelLoad!.files);
    assert.match(await page.textContent('#db-status') ?? '', /from OPFS/);
    // the stored papers answer as before
    const text = 'vector quantization codebook';
    assert.deepEqual(await search(text, 'keyword'), keys(await papers.query({ text, mode: 'keyword', k: 10 })));
    const [vector] = await embedder.embed([text]);
    assert.deepEqual(await search(text, 'hybrid'), keys(await papers.query({ vector, text, mode: 'hybrid', k: 10 })));
    assert.deepEqual(pageErrors, []);
  });
});
