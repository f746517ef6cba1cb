/**
 * Quiver Papers in the web console, in real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core) against a real server running the papers app on a 40-paper slice of the corpus,
 * embedded with the built-in model: the console opens on the papers search; keyword, semantic and hybrid
 * search with an "added since" filter; a paper page with related papers; the topic map with labelled
 * topics, a hovered title and a click through; adding a paper with the form and finding it; subscribing
 * to the daily digest with the form.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { parsePapersJsonl } from '../src/papers/corpus.js';
import { type TestServer, startTestServer } from './support/server.js';
import { sequentialSteps } from './support/steps.js';

const CHROMIUM = process.env.QUIVER_CHROMIUM ?? '/usr/bin/chromium';
const root = resolve(import.meta.dirname, '..');
const consoleDir = join(root, 'console', 'dist');
const skip = existsSync(CHROMIUM) || process.env.CI ? false : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set QUIVER_CHROMIUM)`;
const corpus = parsePapersJsonl(readFileSync(join(root, 'examples', 'papers', 'papers.jsonl'), 'utf8')).slice(0, 40);

describe('Quiver Papers in the console', { skip }, () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const step = sequentialSteps();

  before(async () => {
    if (!existsSync(join(consoleDir, 'index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'inherit' });
    const corpusFile = join(tmpdir(), `quiver-papers-console-${process.pid}.jsonl`);
    writeFileSync(corpusFile, corpus.map((p) => JSON.stringify(p)).join('\n'));
    try {
      t = await startTestServer({ consoleDir, papers: { enabled: true, corpus: corpusFile } });
    } finally {
      rmSync(corpusFile, { force: true });
    }
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  step('opens on the papers search and answers keyword, semantic and hybrid searches', async () => {
    assert.equal((await t.call('GET', '/v1/papers')).body.count, 40);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(30_000);
    await page.goto(t.url);
    await page.getByTestId('papers-query').waitFor();
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      await page.getByTestId('papers-query').fill('compressing vectors for faster search');
      await page.getByTestId(`papers-mode-${mode}`).check();
      await page.getByTestId('papers-search').click();
      await page.waitForFunction((m) => location.hash.includes('q=') && (m === 'hybrid' ? !location.hash.includes('mode=') : location.hash.includes(`mode=${m}`)), mode);
      await page.getByTestId('paper-hit').first().waitFor();
      const summary = await page.getByTestId('papers-summary').innerText();
      assert.match(summary, new RegExp(`${mode === 'vector' ? 'semantic' : mode} search`));
      assert.ok((await page.getByTestId('paper-hit').count()) > 0);
    }
    // every paper was added before tomorrow: a filter from tomorrow on matches none
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId('papers-since').fill(tomorrow);
    await page.getByTestId('papers-search').click();
    await page.getByText('No papers match.').waitFor();
    await page.getByTestId('papers-since').fill('');
    await page.getByText('filter on metadata').click();
    await page.getByTestId('papers-filter').fill('{ "title": {');
    await page.getByTestId('papers-search').click();
    await page.getByTestId('papers-error').waitFor();
    assert.match(await page.getByTestId('papers-error').innerText(), /not valid JSON/);
    await page.getByTestId('papers-filter').fill(JSON.stringify({ title: { $prefix: corpus[3].title.slice(0, 12) } }));
    await page.getByTestId('papers-search').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="paper-hit"]').length === 1);
    assert.equal(await page.getByTestId('paper-link').innerText(), corpus[3].title);
  });

  step('a paper page shows the abstract and its related papers', async () => {
    await page.getByTestId('paper-link').first().click();
    await page.getByTestId('paper-title').waitFor();
    assert.equal(await page.getByTestId('paper-title').innerText(), corpus[3].title);
    assert.equal(await page.getByTestId('paper-abstract').innerText(), corpus[3].abstract);
    await page.getByTestId('related-papers').locator('li').first().waitFor();
    const related = await page.getByTestId('related-papers').getByTestId('paper-link').allInnerTexts();
    assert.equal(related.length, 8);
    assert.ok(!related.includes(corpus[3].title), 'a paper is not related to itself');
    assert.ok(related.every((title) => corpus.some((p) => p.title === title)));
  });

  step('the topic map colours the papers by topic, labels each topic, and opens a paper on click', async () => {
    await page.getByTestId('papers-tab-topics').click();
    await page.getByTestId('topic').first().waitFor({ timeout: 60_000 });
    const topics = await page.getByTestId('topic').allInnerTexts();
    assert.equal(topics.length, 8);
    assert.equal(topics.reduce((n, label) => n + Number(label.match(/\((\d+)\)$/)![1]), 0), 40);
    assert.ok(topics.every((label) => /\w+/.test(label)));
    const box = (await page.getByTestId('map-canvas').boundingBox())!;
    let shown = false;
    for (let y = box.y + 10; y < box.y + box.height - 10 && !shown; y += 10) {
      for (let x = box.x + 10; x < box.x + box.width - 10 && !shown; x += 10) {
        await page.mouse.move(x, y);
        shown = await page.getByTestId('topics-tooltip').isVisible();
      }
    }
    assert.ok(shown, 'no tooltip anywhere on the map');
    const title = (await page.getByTestId('topics-tooltip').locator('strong').innerText()).trim();
    assert.ok(corpus.some((p) => p.title === title), title);
    await page.mouse.down();
    await page.mouse.up();
    await page.getByTestId('paper-title').waitFor();
    assert.equal(await page.getByTestId('paper-title').innerText(), title);
  });

  step('adds a paper with the form; it is searchable at once', async () => {
    await page.getByTestId('papers-tab-add-paper').click();
    await page.getByTestId('add-title').fill('Tiny Graphs for Browser Vector Search');
    await page.getByTestId('add-abstract').fill('We run approximate nearest neighbour search over compressed proximity graphs inside a web browser tab.');
    await page.getByTestId('add-submit').click();
    await page.getByTestId('add-done').waitFor();
    await page.getByTestId('add-done').locator('a').click();
    await page.getByTestId('paper-title').waitFor();
    assert.equal(await page.getByTestId('paper-title').innerText(), 'Tiny Graphs for Browser Vector Search');
    await page.getByTestId('papers-tab-papers').click();
    await page.getByTestId('papers-query').fill('proximity graphs in a browser tab');
    await page.getByTestId('papers-mode-keyword').check();
    await page.getByTestId('papers-search').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="paper-link"]')?.textContent === 'Tiny Graphs for Browser Vector Search');
    assert.equal((await t.call('GET', '/v1/papers')).body.count, 41);
    await page.getByTestId('papers-tab-add-paper').click();
    await page.getByTestId('add-title').fill('!!!');
    await page.getByTestId('add-abstract').fill('an abstract');
    await page.getByTestId('add-submit').click();
    await page.getByTestId('add-error').waitFor();
    assert.match(await page.getByTestId('add-error').innerText(), /no letters or digits/);
  });

  step('subscribes to the daily digest with the form, and updates the interests by subscribing again', async () => {
    await page.getByTestId('papers-tab-subscribe').click();
    await page.getByTestId('subscribe-email').fill('Reader@Example.org');
    await page.getByTestId('subscribe-interests').fill('graph indexes for vector search');
    await page.getByTestId('subscribe-submit').click();
    await page.getByTestId('subscribe-done').waitFor();
    assert.match(await page.getByTestId('subscribe-done').innerText(), /^Subscribed: reader@example\.org/);
    await page.getByTestId('subscribe-interests').fill('vector graphics and SVG generation');
    await page.getByTestId('subscribe-submit').click();
    await page.getByText("Updated: reader@example.org's digest now follows these interests.").waitFor();
    const { body } = await t.call('GET', '/v1/papers/subscriptions');
    assert.equal(body.subscriptions.length, 1);
    assert.equal(body.subscriptions[0].email, 'reader@example.org');
    assert.equal(body.subscriptions[0].interests, 'vector graphics and SVG generation');
    assert.deepEqual(pageErrors, []);
  });
});
