/**
 * Quiver on every runtime (docs/runtimes.md): the runtime conformance suite (test/runtimes/conformance.ts)
 * through each entry point — Node in this process, Bun and Deno as child processes (their binaries come
 * from the `bun` and `deno` devDependencies), and headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) on a page and in a dedicated worker — plus the browser storage cases: OPFS persistence
 * across a page reload, recovery after a worker is terminated mid-write, and a full quota.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import * as nodeApi from '../src/index.js';
import type { ConformanceReport } from './runtimes/conformance.js';
import { bruteForce, clusteredVectors, recallAtK } from './support/data.js';
import { REPORT_PREFIX, main } from './runtimes/node-like-main.js';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const CHROMIUM = process.env.QUIVER_CHROMIUM ?? '/usr/bin/chromium';

function assertPassed(reports: ConformanceReport[], runtime: string, expectKernels = 'wasm-simd128'): void {
  assert.ok(reports.length >= 2, `${runtime}: expected a memory and a persistent report`);
  for (const report of reports) {
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    assert.deepEqual(failed, [], `${report.runtime} (${report.storage})`);
    assert.ok(report.results.length >= 7, `${report.runtime}: only ${report.results.length} cases ran`);
    assert.equal(report.kernels, expectKernels, `${report.runtime} kernels`);
  }
  assert.deepEqual(reports.map((r) => r.storage), ['memory', 'persistent']);
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function parseReports(stdout: string): Awaited<ReturnType<typeof main>> {
  const line = stdout.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
  assert.ok(line, `no report in the output:\n${stdout}`);
  return JSON.parse(line.slice(REPORT_PREFIX.length));
}

/** The conformance reports pass, and a graph build ran on two threads with worker jobs and kept recall. */
function assertRun(run: Awaited<ReturnType<typeof main>>, runtime: string): void {
  assertPassed(run.reports, runtime);
  assert.equal(run.parallel.threads, 2, `${runtime}: build threads`);
  assert.ok(run.parallel.jobs > 0, `${runtime}: the build pool ran jobs`);
  assert.ok(run.parallel.recall >= 0.9, `${runtime}: recall@10 ${run.parallel.recall} after a parallel build`);
}

describe('entry points', () => {
  it('package.json sends each runtime condition to its entry point, Node last', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const dot = pkg.exports['.'];
    const conditions = Object.keys(dot);
    for (const runtime of ['bun', 'deno', 'worker', 'browser']) {
      assert.deepEqual(dot[runtime], { types: `./dist/src/${runtime}.d.ts`, default: `./dist/src/${runtime}.js` });
      assert.ok(existsSync(join(root, 'src', `${runtime}.ts`)), `src/${runtime}.ts exists`);
    }
    assert.equal(dot.node, './dist/src/index.js');
    // conditions match in order: the specific runtimes before node, which Bun and Deno also claim; worker
    // before browser, which edge bundlers (wrangler) also set
    assert.ok(conditions.indexOf('worker') < conditions.indexOf('browser'));
    assert.ok(conditions.indexOf('browser') < conditions.indexOf('node'));
    assert.equal(conditions.at(-1), 'default');
  });

  it('every entry point exports the same API (plus its own storage adapter)', async () => {
    // read from the bundles' export lists: importing the other entries here would rewire this process's runtime
    const exportsOf = async (name: string) => {
      const result = await build({ entryPoints: [join(root, 'src', `${name}.ts`)], bundle: true, format: 'esm', platform: name === 'browser' || name === 'worker' ? 'browser' : 'node', packages: 'external', write: false, metafile: true, outdir: '/out', logLevel: 'silent' });
      return Object.values(result.metafile.outputs).flatMap((o) => o.exports);
    };
    const api = await exportsOf('api');
    assert.ok(api.includes('Quiver') && api.includes('QuiverError') && api.includes('MemoryStorage'));
    for (const name of ['index', 'bun', 'deno', 'browser', 'worker']) {
      const entry = await exportsOf(name);
      assert.deepEqual(api.filter((e) => !entry.includes(e)), [], `${name} exports the whole API`);
    }
    // the embedding API on the server-side runtimes (its providers read model files through node:fs)
    const embed = await exportsOf('api-embed');
    assert.ok(embed.includes('createEmbeddingFunction'));
    for (const name of ['index', 'bun', 'deno']) {
      const entry = await exportsOf(name);
      assert.deepEqual(embed.filter((e) => !entry.includes(e)), [], `${name} exports the embedding API`);
    }
  });

  it('the browser and worker bundles load no node:* module', async () => {
    for (const entry of ['browser', 'worker']) {
      const result = await build({ entryPoints: [join(root, 'src', `${entry}.ts`)], bundle: true, format: 'esm', platform: 'browser', write: false, metafile: true, logLevel: 'silent' });
      const inputs = Object.keys(result.metafile.inputs);
      assert.deepEqual(inputs.filter((f) => f.startsWith('node:') || f.includes('node-fs') || f.includes('worker_threads')), [], entry);
      assert.ok(inputs.some((f) => f.endsWith('storage/opfs.ts')));
    }
  });
  it('the browser bundle (core + kernels, the WebAssembly counted) stays within 150 KB gzip', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { BUDGET_GZIP_BYTES, measureEntry } = await import('../scripts/bundle-size.mjs');
    assert.equal(BUDGET_GZIP_BYTES, 150 * 1024);
    for (const entry of ['browser', 'worker']) {
      const size = await measureEntry(entry);
      assert.ok(size.gzip <= BUDGET_GZIP_BYTES, `${entry}: ${size.gzip} bytes gzip`);
      // the float, codes and MaxSim kernels, each in a private and a shared-memory build
      assert.ok(size.wasm.modules.length === 6 && size.wasm.modules.every((m: { bytes: number }) => m.bytes > 500), 'the kernels are inside the bundle');
    }
  });
});

describe('runtime conformance', () => {
  it('Node (src/index.ts), with a parallel build on worker threads', async () => {
    assertRun(await main(nodeApi, `node ${process.version}`), 'node');
  });

  it('Bun (src/bun.ts, from the bun devDependency), with a parallel build on worker threads', async () => {
    assertRun(parseReports(await run(bin('bun'), ['test/runtimes/bun-main.ts'])), 'bun');
  });

  it('Deno (src/deno.ts, from the deno devDependency), with a parallel build on worker threads', async () => {
    // --sloppy-imports: the sources import './x.js' for x.ts as tsc wants; the published dist has real .js files
    assertRun(parseReports(await run(bin('deno'), ['run', '--quiet', '--no-lock', '--sloppy-imports', '--allow-read', '--allow-write', '--allow-env', '--allow-sys', 'test/runtimes/deno-main.ts'])), 'deno');
  });
});

describe('edge runtimes (the worker entry)', () => {
  it('where compiling WebAssembly from bytes is forbidden (as on workerd): reference kernels, UNSUPPORTED for wasm and paths, SIMD from handed-in modules', async () => {
    const out = parseReports(await run(bin('deno'), ['run', '--quiet', '--no-lock', '--sloppy-imports', 'test/runtimes/edge-main.ts'])) as unknown as {
      report: ConformanceReport;
      wasmRefused: string;
      pathRefused: string;
      withModules: string;
      top: string;
    };
    assert.deepEqual(out.report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`), []);
    assert.equal(out.report.kernels, 'reference');
    assert.equal(out.report.storage, 'memory');
    assert.equal(out.wasmRefused, 'UNSUPPORTED');
    assert.equal(out.pathRefused, 'UNSUPPORTED');
    assert.equal(out.withModules, 'wasm-simd128');
    assert.equal(out.top, 'b');
  });
});

const skip = existsSync(CHROMIUM) || process.env.CI ? false : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set QUIVER_CHROMIUM)`;

describe('Chromium (headless): the browser entry on a page and in a dedicated worker', { skip }, () => {
  let server: Server;
  let url: string;
  let isolatedServer: Server;
  let isolatedUrl: string;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];
  let pageBundleInputs: string[] = [];

  before(async () => {
    const bundles = await build({
      entryPoints: {
        page: join(root, 'test/runtimes/browser-page.ts'),
        worker: join(root, 'test/runtimes/browser-worker.ts'),
        'inworker-page': join(root, 'test/runtimes/inworker-page.ts'),
        'inworker-host': join(root, 'test/runtimes/inworker-host.ts'),
        'web-build-worker': join(root, 'src/wasm/web-build-worker.ts'),
      },
      metafile: true,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome110',
      write: false,
      outdir: '/bundles',
      logLevel: 'silent',
    });
    const files = new Map(bundles.outputFiles.map((f) => [`/${f.path.split('/').pop()}`, f.text]));
    files.set('/', '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/page.js"></script>');
    files.set('/inworker.html', '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/inworker-page.js"></script>');
    pageBundleInputs = Object.keys(Object.values(bundles.metafile.outputs).find((o) => o.entryPoint?.endsWith('inworker-page.ts'))!.inputs);
    const serve = async (headers: Record<string, string>) => {
      const server = createServer((request, response) => {
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        const body = files.get(path);
        if (body === undefined) return void response.writeHead(404).end();
        response.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html', 'cache-control': 'no-store', ...headers }).end(body);
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    };
    ({ server, url } = await serve({}));
    // the same files, cross-origin isolated: SharedArrayBuffer, so parallel builds in Web Workers
    ({ server: isolatedServer, url: isolatedUrl } = await serve({ 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }));
    // a persistent profile on disk, as users have: a default context is off-the-record, where OPFS lives in memory
    profile = mkdtempSync(join(tmpdir(), 'quiver-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await load();
  });

  after(async () => {
    await context?.close();
    await new Promise((done) => server?.close(done));
    await new Promise((done) => isolatedServer?.close(done));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function load(): Promise<void> {
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(() => (globalThis as any).quiverTest.startWorker());
  }

  const worker = <T>(op: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([op, args]) => (globalThis as any).quiverTest.worker(op, ...(args as unknown[])), [op, args] as const) as Promise<T>;

  it('conformance in a dedicated worker: in memory and on OPFS through sync access handles', async () => {
    const { reports, access } = await worker<{ reports: ConformanceReport[]; access: string }>('conformance', 'conformance-worker');
    assertPassed(reports, 'chromium worker');
    assert.equal(access, 'sync-handles');
  });

  it('conformance on the page: in memory and on OPFS through writable streams', async () => {
    const { reports, access } = (await page.evaluate(() => (globalThis as any).quiverTest.page.conformance('conformance-page'))) as { reports: ConformanceReport[]; access: string };
    assertPassed(reports, 'chromium page');
    assert.equal(access, 'writable-streams');
    assert.deepEqual(pageErrors, []);
  });

  it('OPFS keeps every acknowledged write across a page reload (the database was never closed)', async () => {
    const written = await worker<{ acked: number }>('write', { path: 'reload', from: 0, batches: 6, batch: 50, keepOpen: true });
    assert.equal(written.acked, 300);
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate(() => (globalThis as any).quiverTest.startWorker());
    const verified = await worker<{ count: number; missing: number[]; selfHitsOk: boolean }>('verify', 'reload', 300);
    assert.deepEqual(verified.missing, []);
    assert.equal(verified.count, 300);
    assert.ok(verified.selfHitsOk);
    // and the page's main thread reads the same files through the other access path
    const fromPage = (await page.evaluate(() => (globalThis as any).quiverTest.page.verify('reload', 300))) as { count: number; missing: number[] };
    assert.deepEqual([fromPage.count, fromPage.missing], [300, []]);
    await worker('remove', 'reload');
  });

  it('recovers after the worker is terminated in the middle of writing: acknowledged batches are whole, none torn', async () => {
    for (const stopAfter of [120, 430]) {
      const path = `crash-${stopAfter}`;
      await page.evaluate(() => (globalThis as any).quiverTest.startWorker()); // a fresh worker: acks count from 0
      await page.evaluate(
        ([path]) => {
          // not awaited: the worker writes until it is terminated
          void (globalThis as any).quiverTest.worker('write', { path, from: 0, batches: 100_000, batch: 10, keepOpen: true, durability: 'sync' }).catch(() => {});
        },
        [path],
      );
      await page.waitForFunction((n) => (globalThis as any).quiverTest.acked() >= n, stopAfter, { polling: 5 });
      const acked = (await page.evaluate(() => {
        const q = (globalThis as any).quiverTest;
        const acked = q.acked();
        q.terminateWorker();
        return acked;
      })) as number;
      await page.evaluate(() => (globalThis as any).quiverTest.startWorker());
      const files = await page.evaluate((path) => (globalThis as any).quiverTest.page.files(path), path).catch((e: Error) => e.message);
      const verified = await worker<{ count: number; missing: number[]; selfHitsOk: boolean; files: string[] }>('verify', path, acked).catch((error: Error) => {
        throw new Error(`${error.message}; files after the terminate: ${JSON.stringify(files)}`);
      });
      assert.deepEqual(verified.missing, [], `records acknowledged before the terminate (${acked}) are all there`);
      assert.ok(verified.count >= acked, `count ${verified.count} >= acked ${acked}`);
      assert.equal(verified.count % 10, 0, 'batches are atomic');
      assert.ok(verified.selfHitsOk);
      // the recovered database takes writes again
      const more = await worker<{ acked: number }>('write', { path, from: verified.count, batches: 2, batch: 10 });
      assert.equal(more.acked, verified.count + 20);
      assert.equal((await worker<{ count: number }>('verify', path, verified.count + 20)).count, verified.count + 20);
      await worker('remove', path);
    }
  });

  it('a full quota is a QuiverError IO_ERROR with causeCode QUOTA_EXCEEDED, and the store reopens intact', async () => {
    const cdp = await context.newCDPSession(page);
    const origin = new URL(url).origin;
    await worker('remove', 'quota');
    // a small quota for this origin: the writer runs into it within a few batches of 32 KiB records
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 3 * 1024 * 1024 });
    try {
      const written = await worker<{ acked: number; error?: { code: string; category: string; message: string; details: { causeCode?: string } } }>('write', {
        path: 'quota',
        from: 0,
        batches: 400,
        batch: 4,
        padding: 32 * 1024,
        keepOpen: true,
      });
      assert.ok(written.error, `the writer hit the quota (acked ${written.acked})`);
      assert.equal(written.error.code, 'IO_ERROR');
      assert.equal(written.error.details.causeCode, 'QUOTA_EXCEEDED', JSON.stringify(written.error));
      assert.match(written.error.message, /quota/);
      assert.ok(written.acked > 0);
      await worker('close', 'quota');
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
      const verified = await worker<{ count: number; missing: number[]; selfHitsOk: boolean }>('verify', 'quota', written.acked);
      assert.deepEqual(verified.missing, []);
      assert.equal(verified.count, written.acked, 'the failed batch left nothing behind');
      assert.ok(verified.selfHitsOk);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => {});
      await worker('remove', 'quota').catch(() => {});
    }
  });
  it('openInWorker: the database of api.md in a dedicated worker, the page only posting messages', async () => {
    // the page's bundle has no engine in it: whatever builds the index, it is not the page's thread
    assert.ok(pageBundleInputs.some((f) => f.endsWith('web/worker-client.ts')));
    assert.deepEqual(pageBundleInputs.filter((f) => /src\/(db|core\/(index|collection|vectors|kernels))\/|src\/wasm\//.test(f)), []);
    const dimension = 32;
    const vectors = clusteredVectors(3000, dimension, 77, 12);
    const queries = clusteredVectors(20, dimension, 78, 12);
    await page.goto(`${url}inworker.html`);
    await page.waitForFunction(() => document.title === 'ready');
    const result = await page.evaluate(
      async ([rows, queries, dimension]) => {
        const { open, QuiverError } = (globalThis as any).quiverInWorker;
        const db = await open({ path: 'inworker' });
        for (const info of await db.listCollections()) await db.dropCollection(info.name);
        const col = await db.createCollection('papers', { dimension, metric: 'cosine', index: 'HNSW16' });
        for (let i = 0; i < rows.length; i += 1000) await col.upsert(rows.slice(i, i + 1000).map((v: number[], j: number) => ({ key: `p${i + j}`, vector: new Float32Array(v), metadata: { n: i + j } })));
        await db.idle(); // the graph is built, in the worker
        const context = await db.context();
        const hits = [];
        for (const q of queries) hits.push((await col.query({ vector: new Float32Array(q), k: 10 })).map((h: { key: string }) => h.key));
        const filtered = await col.query({ vector: new Float32Array(queries[0]), k: 5, filter: { n: { $lt: 100 } }, include: ['metadata'] });
        let scanned = 0;
        for await (const batch of col.scan({ batchSize: 700 })) scanned += batch.length;
        const errors: Record<string, unknown> = {};
        try {
          await col.upsert([{ key: 'bad', vector: [1, 2, 3] }]);
        } catch (error) {
          errors.dimension = { isQuiverError: error instanceof QuiverError, code: (error as { code: string }).code, details: (error as { details: unknown }).details };
        }
        try {
          await col.query({ vector: new Float32Array(queries[0]), k: 5, signal: AbortSignal.abort() });
        } catch (error) {
          errors.aborted = (error as { code: string }).code;
        }
        const stats = await col.stats();
        await db.terminate();
        // reopen in a new worker: persisted to OPFS by the first one
        const again = await open({ path: 'inworker' });
        const count = await again.collection('papers').count();
        await again.dropCollection('papers');
        await again.terminate();
        return { context, hits, filtered, scanned, errors, index: stats.index, count };
      },
      [vectors.map((v) => Array.from(v)), queries.map((q) => Array.from(q)), dimension] as const,
    );
    assert.deepEqual(result.context, { scope: 'dedicated-worker', crossOriginIsolated: false, kernels: 'wasm-simd128', storage: 'opfs', buildThreads: 1, parallelBuildJobs: 0 });
    const reference = new Map(vectors.map((v, i) => [`p${i}`, v]));
    let recall = 0;
    queries.forEach((q, i) => {
      const truth = bruteForce(reference, q, 'cosine', 10);
      recall += recallAtK(result.hits[i], truth, (key) => bruteForce(new Map([[key, reference.get(key)!]]), q, 'cosine', 1)[0].distance, 10) / queries.length;
    });
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
    assert.equal(result.filtered.length, 5);
    assert.ok(result.filtered.every((h: { metadata: { n: number } }) => h.metadata.n < 100));
    assert.equal(result.scanned, 3000);
    assert.deepEqual(result.errors.dimension, { isQuiverError: true, code: 'DIMENSION_MISMATCH', details: (result.errors.dimension as { details: unknown }).details });
    assert.equal(result.errors.aborted, 'ABORTED');
    assert.equal(result.index, 'HNSW16');
    assert.equal(result.count, 3000);
  });
  it("cross-origin isolated: the worker's database builds its graph on parallel Web Workers over shared memory", async () => {
    const dimension = 24;
    const vectors = clusteredVectors(6000, dimension, 91, 12);
    const queries = clusteredVectors(20, dimension, 92, 12);
    await page.goto(`${isolatedUrl}inworker.html`);
    await page.waitForFunction(() => document.title === 'ready');
    const result = await page.evaluate(
      async ([rows, queries, dimension]) => {
        const { open } = (globalThis as any).quiverInWorker;
        const db = await open({ buildThreads: 2 });
        const col = await db.createCollection('c', { dimension, metric: 'l2', index: 'HNSW16' });
        await col.upsert(rows.map((v: number[], i: number) => ({ key: `p${i}`, vector: new Float32Array(v) })));
        await db.idle();
        const context = await db.context();
        const hits = [];
        for (const q of queries) hits.push((await col.query({ vector: new Float32Array(q), k: 10 })).map((h: { key: string }) => h.key));
        await db.terminate();
        return { pageIsolated: globalThis.crossOriginIsolated, context, hits };
      },
      [vectors.map((v) => Array.from(v)), queries.map((q) => Array.from(q)), dimension] as const,
    );
    assert.equal(result.pageIsolated, true);
    assert.equal(result.context.crossOriginIsolated, true);
    assert.equal(result.context.buildThreads, 2);
    assert.ok(result.context.parallelBuildJobs > 0, 'the build handed jobs to a build worker');
    const reference = new Map(vectors.map((v, i) => [`p${i}`, v]));
    let recall = 0;
    queries.forEach((q, i) => {
      const truth = bruteForce(reference, q, 'l2', 10);
      recall += recallAtK(result.hits[i], truth, (key) => bruteForce(new Map([[key, reference.get(key)!]]), q, 'l2', 1)[0].distance, 10) / queries.length;
    });
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
  });
});
