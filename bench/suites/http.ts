/**
 * The http suite: Quiver's HTTP query throughput and latency against the same queries in-process.
 *
 * A collection of the dataset's base vectors (default synth-768, 100,000 x 768, HNSW16) is built into a
 * directory; in this process (pinned to CPU 0) an ef sweep finds the smallest ef reaching the target
 * recall@10 (default 0.95), and the in-process QPS at that ef is measured (queries one after another:
 * one core's worth, the server's budget too). Then the server runs in a child process pinned to CPU 0
 * and autocannon, in this process pinned to CPU 1, sends the same queries at each concurrency, once with
 * JSON vectors and once with base64 float32 vectors; the server's answers are first checked against the
 * in-process ones. Reported: requests/s, p50 and p99 latency, and QPS as a share of in-process QPS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Quiver } from '../../src/index.js';
import { loadRef } from '../datasets/subset.js';
import type { Dataset, QuerySet } from '../datasets/types.js';
import { makeTempDir } from '../lib/files.js';
import { pinToCpu } from '../lib/machine.js';
import { median, recallAtK } from '../lib/measure.js';
import { BENCH_DIR, ROOT_DIR } from '../lib/paths.js';

export interface HttpOptions {
  dataset: string;
  base?: number;
  queries: number;
  recipe: string;
  efs: number[];
  target: number;
  concurrency: number[];
  durationSeconds: number;
  rounds: number;
  pin: boolean;
}

export interface HttpPoint {
  encoding: 'json' | 'base64';
  connections: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratio: number;
  /** requests per CPU-second of the server process (user + system, from /proc): what a core buys, whatever else runs */
  qpsPerServerCpu?: number;
  /** qpsPerServerCpu over in-process QPS per CPU-second */
  cpuRatio?: number;
}

export interface HttpResult {
  dataset: string;
  count: number;
  dimension: number;
  recipe: string;
  buildSeconds: number;
  ef: number;
  recall: number;
  inProcessQps: number;
  inProcessP50Ms: number;
  /** in-process queries per CPU-second of the benchmark process */
  inProcessQpsPerCpu?: number;
  bodyBytes: { json: number; base64: number };
  points: HttpPoint[];
  pinned: boolean;
}

const K = 10;

export async function runHttp(opts: HttpOptions): Promise<HttpResult> {
  const ds = await loadRef({ name: opts.dataset, base: opts.base, queries: opts.queries });
  const qs = ds.querySets[0];
  const dir = makeTempDir('quiver-http-');
  try {
    console.log(`== ${ds.description}`);
    const buildSeconds = await build(ds, dir, opts.recipe);
    console.log(`built ${opts.recipe} over ${ds.count} x ${ds.dimension} in ${buildSeconds.toFixed(1)} s`);

    const unpin = opts.pin ? pinToCpu(0) : null;
    const db = await Quiver.open({ path: dir });
    let ef: number;
    let recall: number;
    let inProcess: { qps: number; qpsPerCpu: number; p50Ms: number; keys: string[][] };
    try {
      const col = db.collection('bench');
      ({ ef, recall } = await pickEf(col, ds, qs, opts.efs, opts.target));
      console.log(`ef ${ef}: recall@10 ${recall.toFixed(3)} (target ${opts.target})`);
      inProcess = await timeInProcess(col, ds, qs, ef, opts.rounds);
      console.log(`in-process: ${inProcess.qps.toFixed(0)} QPS (${inProcess.qpsPerCpu.toFixed(0)} per CPU-second), p50 ${inProcess.p50Ms.toFixed(3)} ms`);
    } finally {
      await db.close();
      unpin?.();
    }

    const server = await startServerProcess(dir, opts.pin);
    const unpinClient = opts.pin ? pinToCpu(1) : null;
    try {
      const bodies = {
        json: queryBodies(ds, qs, ef, 'json'),
        base64: queryBodies(ds, qs, ef, 'base64'),
      };
      await checkAnswers(server.url, bodies.base64, inProcess.keys);
      await checkAnswers(server.url, bodies.json, inProcess.keys);
      const points: HttpPoint[] = [];
      for (const encoding of ['json', 'base64'] as const) {
        await load(server.url, bodies[encoding], Math.max(...opts.concurrency), 2); // warm-up
        for (const connections of opts.concurrency) {
          const cpu0 = processCpuSeconds(server.pid);
          const r = await load(server.url, bodies[encoding], connections, opts.durationSeconds);
          const cpu = processCpuSeconds(server.pid) - cpu0;
          const qpsPerServerCpu = cpu > 0 ? (r.qps * opts.durationSeconds) / cpu : undefined;
          const point = { encoding, connections, ...r, ratio: r.qps / inProcess.qps, qpsPerServerCpu, cpuRatio: qpsPerServerCpu && qpsPerServerCpu / inProcess.qpsPerCpu };
          points.push(point);
          console.log(`${encoding.padEnd(6)} c=${String(connections).padStart(2)}: ${r.qps.toFixed(0)} QPS (${(100 * point.ratio).toFixed(0)}% of in-process), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${r.errors ? `, ${r.errors} errors` : ''}`);
        }
      }
      return {
        dataset: ds.name,
        count: ds.count,
        dimension: ds.dimension,
        recipe: opts.recipe,
        buildSeconds,
        ef,
        recall,
        inProcessQps: inProcess.qps,
        inProcessP50Ms: inProcess.p50Ms,
        inProcessQpsPerCpu: inProcess.qpsPerCpu,
        bodyBytes: { json: Math.round(avg(bodies.json.map((b) => b.length))), base64: Math.round(avg(bodies.base64.map((b) => b.length))) },
        points,
        pinned: opts.pin,
      };
    } finally {
      unpinClient?.();
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function build(ds: Dataset, dir: string, recipe: string): Promise<number> {
  const t0 = performance.now();
  const db = await Quiver.open({ path: dir, durability: 'none' });
  const col = await db.createCollection('bench', { dimension: ds.dimension, metric: ds.metric, index: recipe });
  const dim = ds.dimension;
  for (let start = 0; start < ds.count; start += 1000) {
    const end = Math.min(ds.count, start + 1000);
    const records = [];
    for (let i = start; i < end; i++) records.push({ key: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim) });
    await col.upsert(records);
  }
  await db.idle();
  await db.close();
  return (performance.now() - t0) / 1000;
}

type Col = ReturnType<Quiver['collection']>;

async function pickEf(col: Col, ds: Dataset, qs: QuerySet, efs: number[], target: number): Promise<{ ef: number; recall: number }> {
  const queryIds = Array.from({ length: qs.count }, (_, i) => i);
  let last = { ef: efs[efs.length - 1], recall: 0 };
  for (const ef of efs) {
    const ids = new Int32Array(qs.count * K).fill(-1);
    for (const q of queryIds) {
      const hits = await col.query({ vector: qs.vectors.subarray(q * ds.dimension, (q + 1) * ds.dimension), k: K, search: { ef } });
      hits.forEach((h, r) => (ids[q * K + r] = Number(h.key)));
    }
    last = { ef, recall: recallAtK(ds, qs, queryIds, ids, K) };
    if (last.recall >= target) return last;
  }
  return last;
}

async function timeInProcess(col: Col, ds: Dataset, qs: QuerySet, ef: number, rounds: number): Promise<{ qps: number; qpsPerCpu: number; p50Ms: number; keys: string[][] }> {
  const vectors = Array.from({ length: qs.count }, (_, q) => qs.vectors.subarray(q * ds.dimension, (q + 1) * ds.dimension));
  const keys: string[][] = [];
  for (const v of vectors.slice(0, 50)) await col.query({ vector: v, k: K, search: { ef } }); // warm-up
  const qpsRounds: number[] = [];
  const cpuRounds: number[] = [];
  const latencies: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let q = 0; q < vectors.length; q++) {
      const s = performance.now();
      const hits = await col.query({ vector: vectors[q], k: K, search: { ef } });
      latencies.push(performance.now() - s);
      if (round === 0) keys.push(hits.map((h) => h.key));
    }
    qpsRounds.push(vectors.length / ((performance.now() - t0) / 1000));
    const cpu = process.cpuUsage(cpu0);
    cpuRounds.push(vectors.length / ((cpu.user + cpu.system) / 1e6));
  }
  return { qps: median(qpsRounds), qpsPerCpu: median(cpuRounds), p50Ms: median(latencies), keys };
}

function queryBodies(ds: Dataset, qs: QuerySet, ef: number, encoding: 'json' | 'base64'): string[] {
  const bodies: string[] = [];
  for (let q = 0; q < qs.count; q++) {
    const v = qs.vectors.slice(q * ds.dimension, (q + 1) * ds.dimension);
    const vector = encoding === 'json' ? Array.from(v) : { f32: Buffer.from(v.buffer).toString('base64') };
    bodies.push(JSON.stringify({ vector, k: K, search: { ef } }));
  }
  return bodies;
}

/** The server must answer what the engine answers in-process (same keys, same order). */
async function checkAnswers(url: string, bodies: string[], expected: string[][]): Promise<void> {
  for (let q = 0; q < Math.min(bodies.length, 100); q++) {
    const r = await fetch(`${url}/v1/collections/bench/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[q] });
    const { hits } = (await r.json()) as { hits: { key: string }[] };
    const keys = hits.map((h) => h.key);
    if (keys.join() !== expected[q].join()) throw new Error(`query ${q}: the server answered ${keys.join()} but in-process gave ${expected[q].join()}`);
  }
}

async function load(url: string, bodies: string[], connections: number, seconds: number): Promise<{ qps: number; p50Ms: number; p99Ms: number; errors: number }> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: bodies.map((body) => ({ method: 'POST', path: '/v1/collections/bench/query', headers: { 'content-type': 'application/json' }, body })),
  });
  return {
    qps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

/** User + system CPU seconds a process has used so far (Linux /proc; fields 14 and 15 of stat, in clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServerProcess(dir: string, pin: boolean): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const script = path.join(BENCH_DIR, 'suites', 'http-server.ts');
  const node = [process.execPath, '--import', 'tsx', script, dir];
  const child: ChildProcess = pin ? spawn('taskset', ['-c', '0', ...node], { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(node[0], node.slice(1), { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    void exited.then((code) => reject(new Error(`the server process exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { url?: string };
        if (parsed.url) resolve(parsed.url);
      } catch {
        // a log line
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function avg(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function renderHttp(r: HttpResult, meta: { command: string; date: string; machine: string; quick: boolean }): string {
  const c16 = (encoding: 'json' | 'base64') => r.points.find((p) => p.encoding === encoding && p.connections === 16);
  const share = (p: HttpPoint | undefined) => (p ? `${(100 * p.ratio).toFixed(0)}%` : 'n/a');
  const cpuShare = (p: HttpPoint | undefined) => (p?.cpuRatio ? `${(100 * p.cpuRatio).toFixed(0)}%` : 'n/a');
  const lines = [
    '## HTTP query throughput',
    '',
    `\`${meta.command}\` on ${meta.date}${meta.quick ? ' (quick run: a smoke check, not a measurement)' : ''}. ${meta.machine}.`,
    '',
    `${r.count.toLocaleString('en-US')} x ${r.dimension} (${r.dataset}), ${r.recipe}, k = 10, ef ${r.ef} (the smallest swept ef with recall@10 >= 0.95: ${r.recall.toFixed(3)}). ` +
      `The server (logging at 'warn') runs in its own process ${r.pinned ? 'pinned to CPU 0' : 'unpinned'}; autocannon ${r.pinned ? 'runs pinned to CPU 1' : 'runs unpinned'} with one body per query, cycling; ` +
      `in-process is the same queries one after another on CPU 0: ${r.inProcessQps.toFixed(0)} QPS (p50 ${r.inProcessP50Ms.toFixed(3)} ms; ${r.inProcessQpsPerCpu?.toFixed(0) ?? 'n/a'} per CPU-second). ` +
      `Bodies average ${r.bodyBytes.json.toLocaleString('en-US')} bytes with JSON vectors and ${r.bodyBytes.base64.toLocaleString('en-US')} with base64.`,
    '',
    'QPS is wall-clock; "per server CPU-s" divides the requests by the CPU seconds the server process used meanwhile (user + system), and its share compares that with in-process queries per CPU-second: on a machine shared with other work that is the figure that holds, while the wall-clock share also counts the time the server waited for a core.',
    '',
    '| vectors | connections | QPS | share of in-process | QPS per server CPU-s | share per CPU-s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.points.map((p) => `| ${p.encoding} | ${p.connections} | ${p.qps.toFixed(0)} | ${(100 * p.ratio).toFixed(0)}% | ${p.qpsPerServerCpu?.toFixed(0) ?? 'n/a'} | ${cpuShare(p)} | ${p.p50Ms} | ${p.p99Ms} | ${p.errors} |`),
    '',
    `At 16 connections: JSON vectors ${share(c16('json'))} of in-process QPS wall-clock, ${cpuShare(c16('json'))} per CPU-second (floor 60%); base64 ${share(c16('base64'))} wall-clock, ${cpuShare(c16('base64'))} per CPU-second (floor 75%).`,
  ];
  return lines.join('\n');
}
