/**
 * Child process of the ANN and scaling suites (started by lib/child.ts, never by hand):
 *
 *   prepare loads a dataset as cut for the run (generating data and computing exact ground truth when
 *           not cached), so the parent never holds the vectors
 *   build   builds one system's index over a dataset (cut as the parent cut it), measures wall time,
 *           CPU time and peak RSS of this process, then saves the index into the given directory
 *   search  loads every built index, pins itself to CPU 0 and runs the recall/QPS sweep: for each
 *           query set, a warm-up, then rounds; in each round every ef of the sweep, with the systems
 *           in an order that rotates per round and per ef; one query at a time
 */
import fs from 'node:fs';
import type { Dataset, QuerySet } from '../datasets/types.js';
import { loadRef } from '../datasets/subset.js';
import { pinToCpu } from '../lib/machine.js';
import { median, recallAtK, type Timing } from '../lib/measure.js';
import type { AnnPoint, BuildPoint } from '../results.js';
import { graphFactory, type GraphSystem } from '../systems/index.js';
import type { BuildRequest, PrepareAnswer, PrepareRequest, SearchAnswer, SearchRequest } from './graph-protocol.js';

async function prepare(req: PrepareRequest): Promise<PrepareAnswer> {
  const ds = await loadRef(req.dataset);
  return {
    name: req.label,
    description: ds.description,
    count: ds.count,
    dimension: ds.dimension,
    metric: ds.metric,
    querySets: ds.querySets.map((qs) => ({ name: qs.name, queries: qs.count })),
  };
}

/**
 * Peak RSS of the build alone: the kernel's high-water mark (VmHWM) is reset after the data is loaded
 * (writing 5 to /proc/self/clear_refs, Linux >= 4.0), so loading and parsing do not count; where that is
 * not possible, the process's lifetime peak (getrusage) is reported and a note says so.
 */
function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Children run with --expose-gc; V8 frees array buffers' memory after the collection, so wait for it. */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function build(req: BuildRequest): Promise<BuildPoint> {
  const ds = await loadRef(req.dataset);
  const sys = await graphFactory(req.system).create();
  await collectGarbage(); // drop what loading left behind (e.g. the full base a subset was cut from)
  const reset = resetPeakRss();
  const rssBeforeBytes = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const info = await sys.build(ds, req.dir);
  const buildSeconds = (performance.now() - t0) / 1000 - (info.excludeSeconds ?? 0);
  const cpu = process.cpuUsage(cpu0);
  const peakRssBytes = peakRss();
  const buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const about = await sys.info();
  const t1 = performance.now();
  const saved = await sys.save(req.dir);
  const saveSeconds = (performance.now() - t1) / 1000;
  return {
    dataset: req.label,
    system: sys.name,
    count: ds.count,
    dimension: ds.dimension,
    buildSeconds,
    buildCpuSeconds,
    cpuPerWall: buildCpuSeconds / buildSeconds,
    threads: info.threads,
    indexBytes: info.indexBytes ?? saved.diskBytes,
    diskBytes: saved.diskBytes,
    saveSeconds,
    rssBeforeBytes,
    peakRssBytes,
    notes: [...(info.notes ?? []), ...(saved.notes ?? []), ...(reset ? [] : ['peak RSS: lifetime peak of the process (could not reset VmHWM)'])],
    info: about,
  };
}

interface Loaded {
  sys: GraphSystem;
  prepared: unknown[];
  warm: unknown[];
}

async function timeQueries(sys: GraphSystem, queries: unknown[], k: number, ids?: Int32Array): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let j = 0; j < queries.length; j++) {
    const r = sys.query(queries[j], k);
    const res = r instanceof Promise ? await r : r; // no await (a microtask) for the synchronous peers
    if (ids) for (let i = 0; i < Math.min(k, res.length); i++) ids[j * k + i] = res[i];
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { queries: queries.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds };
}

function rows(v: Float32Array | undefined, dim: number): Float32Array[] {
  if (!v) return [];
  return Array.from({ length: v.length / dim }, (_, i) => v.slice(i * dim, (i + 1) * dim)); // standalone copies
}

async function sweep(ds: Dataset, qs: QuerySet, loaded: Loaded[], req: SearchRequest): Promise<AnnPoint[]> {
  const { efs, k, rounds } = req;
  const queries = rows(qs.vectors, ds.dimension);
  const warm = rows(qs.warmup, ds.dimension);
  for (const l of loaded) {
    l.prepared = queries.map((q) => l.sys.prepare(q));
    l.warm = warm.map((q) => l.sys.prepare(q));
  }
  const results = new Map<string, { timings: Timing[]; ids: Int32Array }>();
  const key = (sys: string, ef: number) => `${sys}@${ef}`;
  for (const l of loaded) {
    for (const ef of efs) {
      l.sys.setEf(ef);
      if (l.warm.length) await timeQueries(l.sys, l.warm, k);
      results.set(key(l.sys.name, ef), { timings: [], ids: new Int32Array(queries.length * k).fill(-1) });
    }
  }
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    for (let e = 0; e < efs.length; e++) {
      const ef = efs[e];
      const shift = round + e;
      const order = loaded.map((_, i) => loaded[(i + shift) % loaded.length]);
      for (const l of order) {
        l.sys.setEf(ef);
        const r = results.get(key(l.sys.name, ef))!;
        r.timings.push(await timeQueries(l.sys, l.prepared, k, round === 0 ? r.ids : undefined));
      }
    }
    const summary = loaded.map((l) => {
      const qps = efs.map((ef) => {
        const t = results.get(key(l.sys.name, ef))!.timings[round];
        return t.queries / t.cpuSeconds;
      });
      return `${l.sys.name} ${Math.round(qps[0])}..${Math.round(qps[qps.length - 1])}`;
    });
    console.log(`  ${req.label} ${qs.name} round ${round + 1}/${rounds} (${((performance.now() - t0) / 1000).toFixed(0)} s): QPS (CPU) at ef ${efs[0]}..${efs[efs.length - 1]}: ${summary.join(', ')}`);
  }
  const queryIds = queries.map((_, j) => j);
  const points: AnnPoint[] = [];
  for (const l of loaded) {
    for (const ef of efs) {
      const { timings, ids } = results.get(key(l.sys.name, ef))!;
      points.push({
        dataset: req.label,
        querySet: qs.name,
        system: l.sys.name,
        params: { ef },
        k,
        queries: queries.length,
        rounds: timings,
        qpsCpu: median(timings.map((t) => t.queries / t.cpuSeconds)),
        qpsWall: median(timings.map((t) => t.queries / t.wallSeconds)),
        cpuPerWall: median(timings.map((t) => t.cpuSeconds / t.wallSeconds)),
        recall: recallAtK(ds, qs, queryIds, ids, k),
      });
    }
  }
  return points;
}

async function search(req: SearchRequest): Promise<SearchAnswer> {
  const ds = await loadRef(req.dataset);
  const answer: SearchAnswer = { pinned: false, loads: [], points: [], skipped: [] };
  const loaded: Loaded[] = [];
  for (const { spec, dir } of req.systems) {
    try {
      const sys = await graphFactory(spec).create();
      const t0 = performance.now();
      const { notes, excludeSeconds } = await sys.load(ds, dir, req.efs);
      const seconds = (performance.now() - t0) / 1000 - (excludeSeconds ?? 0);
      answer.loads.push({ dataset: req.label, system: sys.name, seconds, notes: notes ?? [], info: await sys.info() });
      console.log(`  ${sys.name}: loaded in ${seconds.toFixed(1)} s${notes?.length ? ` (${notes.join('; ')})` : ''}`);
      loaded.push({ sys, prepared: [], warm: [] });
    } catch (err) {
      const reason = `search process: ${(err as Error).message}`;
      answer.skipped.push({ system: spec.name, reason });
      console.log(`  ${spec.name}: skipped: ${reason}`);
    }
  }
  if (!loaded.length) return answer;
  const unpin = req.pin ? pinToCpu(0) : null;
  if (req.pin && !unpin) console.log('  (taskset not available: not pinned)');
  answer.pinned = unpin !== null;
  try {
    for (const qs of ds.querySets) answer.points.push(...(await sweep(ds, qs, loaded, req)));
  } finally {
    unpin?.();
    for (const l of loaded) await l.sys.close();
  }
  return answer;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2]) as (PrepareRequest | BuildRequest | SearchRequest) & { out: string };
  try {
    const answer = req.mode === 'prepare' ? await prepare(req) : req.mode === 'build' ? await build(req) : await search(req);
    fs.writeFileSync(req.out, JSON.stringify(answer));
    process.exit(0); // do not wait for handles a system left open
  } catch (err) {
    const e = err as Error;
    console.error(`  ${req.mode} child: ${e.stack ?? e.message}`);
    fs.writeFileSync(req.out, JSON.stringify({ error: e.message }));
    process.exit(1);
  }
}

await main();
