/**
 * `npm run bench -- runtimes`: the same collection built and queried on Node, Bun, Deno and Chromium (a
 * dedicated worker, as docs/runtimes.md recommends), single-threaded and with two build threads
 * (Chromium: two threads only on a cross-origin isolated page), plus the bundle sizes. Bun and Deno come
 * from the root's devDependencies, Chromium is Debian's (QUIVER_CHROMIUM overrides).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ROOT_DIR } from '../lib/paths.js';
import type { MachineInfo } from '../lib/machine.js';
import type { WorkloadOptions, WorkloadResult } from '../runtimes/workload.js';

export interface RuntimesRunResult {
  suite: 'runtimes';
  command: string;
  date: string;
  machine: MachineInfo;
  options: WorkloadOptions;
  results: (WorkloadResult | { runtime: string; buildThreads: number; error: string })[];
  bundles: { entry: string; minified: number; gzip: number }[];
  /** os.loadavg()[0] when the run started. */
  loadAverage: number;
}

const bin = (name: string) => path.join(ROOT_DIR, 'node_modules', '.bin', name);

function runProgram(file: string, args: string[]): Promise<WorkloadResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT_DIR, maxBuffer: 16 << 20, timeout: 30 * 60_000 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('QUIVER-BENCH '));
      if (error || !line) reject(new Error(`${path.basename(file)} failed: ${error?.message ?? 'no result'}\n${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('QUIVER-BENCH '.length)));
    });
  });
}

async function runChromium(options: WorkloadOptions[]): Promise<(WorkloadResult | { runtime: string; buildThreads: number; error: string })[]> {
  const executablePath = process.env.QUIVER_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return options.map((o) => ({ runtime: 'Chromium', buildThreads: o.buildThreads, error: `no Chromium at ${executablePath}` }));
  const bundles = await build({
    entryPoints: { worker: path.join(ROOT_DIR, 'bench/runtimes/browser-worker.ts'), 'web-build-worker': path.join(ROOT_DIR, 'src/wasm/web-build-worker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    outdir: '/out',
    logLevel: 'silent',
  });
  const files = new Map(bundles.outputFiles.map((f) => [`/${path.basename(f.path)}`, f.text]));
  files.set('/', '<!doctype html><title>bench</title>');
  const server = createServer((request, response) => {
    const body = files.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (body === undefined) return void response.writeHead(404).end();
    // cross-origin isolated, so SharedArrayBuffer exists and two build threads are possible
    response.writeHead(200, { 'content-type': request.url === '/' ? 'text/html' : 'text/javascript', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const version = browser.version();
    const out: WorkloadResult[] = [];
    for (const o of options) {
      out.push(
        (await page.evaluate(
          ([options, runtime]) =>
            new Promise((resolve) => {
              const worker = new Worker('/worker.js', { type: 'module' });
              worker.onmessage = (event) => {
                worker.terminate();
                resolve(event.data.result ?? { runtime, buildThreads: options.buildThreads, error: event.data.error });
              };
              worker.postMessage({ options, runtime });
            }),
          [o, `Chromium ${version} (worker)`] as const,
        )) as WorkloadResult,
      );
    }
    return out;
  } finally {
    await browser.close();
    server.close();
  }
}

export async function runRuntimes(options: Omit<WorkloadOptions, 'buildThreads'>): Promise<Pick<RuntimesRunResult, 'results' | 'bundles' | 'options' | 'loadAverage'>> {
  const loadAverage = os.loadavg()[0];
  const results: RuntimesRunResult['results'] = [];
  for (const buildThreads of [1, 2]) {
    const o = { ...options, buildThreads };
    const json = JSON.stringify(o);
    const programs: [string, string, string[]][] = [
      ['Node', process.execPath, ['--import', 'tsx', 'bench/runtimes/node-main.ts', json]],
      ['Bun', bin('bun'), ['bench/runtimes/node-main.ts', json]],
      ['Deno', bin('deno'), ['run', '--quiet', '--no-lock', '--sloppy-imports', '-A', 'bench/runtimes/node-main.ts', json]],
    ];
    for (const [runtime, file, args] of programs) {
      console.log(`runtimes: ${runtime}, ${buildThreads} build thread(s) ...`);
      results.push(await runProgram(file, args).catch((error: Error) => ({ runtime, buildThreads, error: error.message })));
    }
  }
  console.log('runtimes: Chromium ...');
  results.push(...(await runChromium([1, 2].map((buildThreads) => ({ ...options, buildThreads })))));
  // @ts-expect-error: a plain .mjs script without types
  const { measureEntry } = await import('../../scripts/bundle-size.mjs');
  const bundles = [];
  for (const entry of ['browser', 'worker', 'web-client']) {
    const m = await measureEntry(entry);
    bundles.push({ entry: m.entry, minified: m.minified, gzip: m.gzip });
  }
  return { results, bundles, options: { ...options, buildThreads: 0 }, loadAverage };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function renderRuntimes(run: RuntimesRunResult): string {
  const m = run.machine;
  const lines = [
    '## Runtimes: the same collection on Node, Bun, Deno and Chromium (issue 10)',
    '',
    `\`${run.command}\` on ${run.date}: ${m.cpu}, ${m.cores} cores, ${m.platform}. ${run.options.rows.toLocaleString('en')} seeded clustered vectors x ${run.options.dimension} (l2), HNSW16 built from scratch (upserts of 1,000, then \`db.idle()\` until the graph is complete), then ${run.options.queries} single-client queries at ef 64 after 50 warm-up queries; recall@10 on the first 100 against float64 brute force. Chromium runs the workload in a dedicated worker of a cross-origin isolated page. In-memory databases: this compares engines, not disks. Load average ${run.loadAverage.toFixed(1)} on ${m.cores} cores at the start: on a shared machine, figures within ~15% of each other (more under load) are noise. The data is Gaussian noise around 32 centres in 128 dimensions, hard at ef 64, hence the modest recall; what matters here is that it is the same on every runtime (the builds are deterministic).`,
    '',
    '| runtime | kernels | build threads | build s | QPS | recall@10 |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of run.results) {
    if ('error' in r) lines.push(`| ${r.runtime} | — | ${r.buildThreads} | failed: ${r.error.split('\n')[0]} | | |`);
    else lines.push(`| ${r.runtime} | ${r.kernels} | ${r.buildThreads} | ${(r.buildMs / 1000).toFixed(2)} | ${Math.round(r.qps).toLocaleString('en')} | ${r.recallAt10.toFixed(3)} |`);
  }
  lines.push('', 'Bundles (esbuild, minified, gzip -9; WebAssembly inside): ' + run.bundles.map((b) => `${b.entry} ${kb(b.gzip)}`).join(', ') + '. See docs/runtimes.md for the comparison with Orama.');
  return lines.join('\n');
}
