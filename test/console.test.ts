/**
 * The web console in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core),
 * loaded from a real server on a loopback port with API keys on: log in, list collections with their
 * stats, search with JSON and base64 vectors, open a record, compute the map and read its preservation
 * figure, hover a point, log out. The console is the built console/dist (`npm test` builds it first).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { curvedClusters } from './support/data.js';
import { KEYS, READER, type TestServer, startTestServer } from './support/server.js';
import { sequentialSteps } from './support/steps.js';

const CHROMIUM = process.env.QUIVER_CHROMIUM ?? '/usr/bin/chromium';
const root = resolve(import.meta.dirname, '..');
const consoleDir = join(root, 'console', 'dist');
const TOPICS = ['vision', 'language', 'graphs', 'audio', 'robotics', 'theory', 'systems', 'biology', 'physics', 'chemistry'];
// CI installs chromium (.ci/run); elsewhere the suite says how to get it instead of failing
const skip = existsSync(CHROMIUM) || process.env.CI ? false : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set QUIVER_CHROMIUM)`;

describe('the web console in headless Chromium', { skip }, () => {
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let vectorOf7: Float32Array;
  const step = sequentialSteps();

  before(async () => {
    if (!existsSync(join(consoleDir, 'index.html'))) execFileSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'inherit' });
    t = await startTestServer({ apiKeys: KEYS, consoleDir });
    const papers = await t.db.createCollection('papers', { dimension: 32, metric: 'cosine', index: 'HNSW16' });
    const { vectors, labels } = curvedClusters(2000, 32, 10, 5);
    vectorOf7 = vectors[7];
    await papers.upsert(vectors.map((vector, i) => ({ key: `p${i}`, vector, document: `Paper ${i} on ${TOPICS[labels[i]]}`, metadata: { cluster: labels[i], topic: TOPICS[labels[i]], year: 2000 + (i % 25) } })));
    await t.db.createCollection('empty', { dimension: 8, metric: 'l2' });
    await t.db.idle();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  step('asks for a key, refuses a wrong one, logs in with a read-only key and lists the collections with their stats', async () => {
    await page.goto(t.url);
    await page.getByTestId('api-key').waitFor();
    await page.getByTestId('api-key').fill('not-a-key');
    await page.getByTestId('login').click();
    await page.getByText('The server did not accept that key.').waitFor();
    await page.getByTestId('api-key').fill(READER);
    await page.getByTestId('login').click();
    const row = page.getByTestId('collection-papers');
    await row.waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('quiver.console.apiKey')), READER);
    const cells = row.locator('td');
    assert.equal((await cells.nth(1).innerText()).trim(), '2,000');
    assert.equal((await cells.nth(2).innerText()).trim(), '32');
    assert.equal((await cells.nth(4).innerText()).trim(), 'HNSW16');
    // bytes per vector arrives with the stats call
    await page.waitForFunction(() => /\d+ B$/.test(document.querySelector('[data-testid="collection-papers"] td:nth-child(6)')?.textContent?.trim() ?? ''));
    await page.getByTestId('collection-empty').waitFor();
  });

  step('runs a search from a record\'s vector (JSON) and from base64 float32, and shows hits with metadata', async () => {
    await page.getByTestId('nav-search').click();
    await page.getByTestId('collection').selectOption('papers');
    await page.getByTestId('vector-from-key').fill('p7');
    await page.getByTestId('load-vector').click();
    await page.waitForFunction(() => ((document.querySelector('[data-testid="vector"]') as HTMLTextAreaElement | null)?.value ?? '').startsWith('['));
    await page.getByTestId('k').fill('5');
    await page.getByTestId('search').click();
    await page.getByTestId('results').waitFor();
    assert.equal(await page.getByTestId('hit').count(), 5);
    const first = page.getByTestId('hit').first();
    assert.equal((await first.locator('td').nth(1).innerText()).trim(), 'p7');
    assert.match(await first.locator('td').nth(4).innerText(), /"topic": "\w+"/);
    assert.match(await first.locator('td').nth(5).innerText(), /^Paper 7 on /);

    const base64 = Buffer.from(vectorOf7.buffer, vectorOf7.byteOffset, vectorOf7.byteLength).toString('base64');
    await page.getByTestId('vector').fill(base64);
    await page.getByTestId('k').fill('3');
    await page.getByTestId('search').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="hit"]').length === 3);
    assert.equal((await page.getByTestId('hit').first().locator('td').nth(1).innerText()).trim(), 'p7');

    // a bad vector is reported, not sent
    await page.getByTestId('vector').fill('[1, 2,');
    await page.getByTestId('search').click();
    await page.getByTestId('search-error').waitFor();
    assert.match(await page.getByTestId('search-error').innerText(), /not valid JSON/);
  });

  step('keyword search under a filter; a malformed filter shows the server\'s message', async () => {
    await page.getByTestId('mode-text').check();
    await page.getByTestId('text').fill('graphs');
    await page.getByTestId('filter').fill('{"year": {"$lt": 2010}}');
    await page.getByTestId('k').fill('50');
    await page.getByTestId('search').click();
    await page.getByTestId('results').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="hit"]').length > 0);
    const hits = await page.getByTestId('hit').all();
    for (const hit of hits) {
      assert.match(await hit.locator('td').nth(5).innerText(), /^Paper \d+ on graphs$/);
      assert.ok(JSON.parse(await hit.locator('td').nth(4).innerText()).year < 2010);
      assert.equal((await hit.locator('td').nth(3).innerText()).trim(), '—', 'keyword hits have no distance');
    }
    await page.getByTestId('filter').fill('{"year": {"$lt": "2010"}}');
    await page.getByTestId('search').click();
    await page.getByTestId('search-error').waitFor();
    assert.match(await page.getByTestId('search-error').innerText(), /filter\.year\.\$lt: expected number/);
    await page.getByTestId('filter').fill('');
    await page.getByRole('radio', { name: 'vector' }).check();
  });

  step('opens a record from a hit', async () => {
    await page.getByTestId('vector').fill(`[${Array.from(vectorOf7).join(',')}]`);
    await page.getByTestId('search').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="search-error"]'));
    await page.getByTestId('hit').first().getByRole('link', { name: 'p7' }).click();
    await page.getByTestId('record').waitFor();
    assert.equal(await page.getByTestId('record-key-shown').innerText(), 'p7');
    const metadata = JSON.parse(await page.getByTestId('record-metadata').innerText());
    assert.equal(metadata.year, 2007);
    // a missing key says so
    await page.getByTestId('record-key').fill('nope');
    await page.getByTestId('open-record').click();
    await page.getByTestId('record-missing').waitFor();
  });

  step('computes the map, reports 10-NN preservation above PCA, colours by metadata and shows a record on hover', async () => {
    await page.getByTestId('nav-map').click();
    await page.getByTestId('collection').selectOption('papers');
    await page.getByTestId('compute-map').click();
    await page.getByTestId('preservation').waitFor({ timeout: 120_000 });
    const layout = Number(await page.getByTestId('preservation-layout').innerText());
    const pca = Number(await page.getByTestId('preservation-pca').innerText());
    assert.ok(layout > pca, `layout ${layout} vs PCA ${pca}`);
    const fields = await page.getByTestId('colour-by').locator('option').allInnerTexts();
    for (const field of ['cluster', 'topic', 'year']) assert.ok(fields.includes(field), fields.join(', '));
    await page.getByTestId('colour-by').selectOption('topic');

    // sweep the pointer over the canvas until a point's tooltip appears
    const box = (await page.getByTestId('map-canvas').boundingBox())!;
    let shown = false;
    for (let y = box.y + box.height * 0.2; y < box.y + box.height * 0.8 && !shown; y += 9) {
      for (let x = box.x + box.width * 0.2; x < box.x + box.width * 0.8 && !shown; x += 9) {
        await page.mouse.move(x, y);
        shown = await page.getByTestId('map-tooltip').isVisible();
      }
    }
    assert.ok(shown, 'no tooltip anywhere on the map');
    const tooltip = await page.getByTestId('map-tooltip').innerText();
    assert.match(tooltip, /p\d+[\s\S]*"topic"/);
    await page.getByTestId('map-view').selectOption('pca');
    await page.getByTestId('map-view').selectOption('layout');

    // clicking the hovered point opens its record
    await page.mouse.down();
    await page.mouse.up();
    await page.getByTestId('record').waitFor();
    assert.equal(await page.getByTestId('record-key-shown').innerText(), tooltip.match(/p\d+/)![0]);
  });

  step('logs out: the key is forgotten and the login form is back', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('api-key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('quiver.console.apiKey')), null);
    assert.deepEqual(pageErrors, []);
  });
});
