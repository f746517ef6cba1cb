/**
 * Child process of the filtered suite (started by suites/filtered.ts through lib/child.ts):
 *
 *   build   one system over synth-768 with its attributes, saved into a directory: hnswlib-node
 *           (M 16, efConstruction 200, labels = row ids), or a Quiver collection (the recipe, records
 *           with metadata { u, c }, payloadIndexes declared, built with Quiver.open({ path }) and closed)
 *   search  loads every built system, pins itself to CPU 0 and, per attribute and selectivity, runs the
 *           ef sweep in rounds, the systems in an order that rotates per round and per ef, one query at a
 *           time: hnswlib-node's searchKnn(query, k, filter) with the callback `label => attr[label] < t`,
 *           Quiver's query({ vector, k, filter: { attr: { $lt: t } }, search: { ef } })
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Hnswlib from 'hnswlib-node';
import { pinToCpu } from '../lib/machine.js';
import { median, type Timing } from '../lib/measure.js';
import { packageVersion } from '../lib/paths.js';
import { loadQuiver } from '../systems/quiver.js';
import { ATTRIBUTES, type Attribute, type FilteredData, filteredRecall, loadFilteredData, threshold } from './filtered-data.js';

export interface FilteredSystemSpec {
  name: string;
  kind: 'hnswlib' | 'quiver';
  recipe?: string;
  /** Quiver only: give every query a distinct (equivalent) filter, so none hits the compiled-filter cache. */
  freshFilters?: boolean;
}

export interface FilteredBuildRequest {
  mode: 'build';
  system: FilteredSystemSpec;
  dir: string;
  queries: number;
}

export interface FilteredSearchRequest {
  mode: 'search';
  systems: Array<{ spec: FilteredSystemSpec; dir: string }>;
  selectivities: number[];
  attributes: Attribute[];
  efs: number[];
  k: number;
  rounds: number;
  warmup: number;
  queries: number;
  pin: boolean;
}

export interface FilteredBuildPoint {
  system: string;
  seconds: number;
  cpuSeconds: number;
  info: Record<string, unknown>;
}

export interface FilteredPoint {
  system: string;
  attribute: Attribute;
  selectivity: number;
  ef: number;
  recall: number;
  qpsCpu: number;
  qpsWall: number;
  /** Quiver: the plan's strategy for the first query */
  strategy?: string;
}

export interface FilteredSearchAnswer {
  pinned: boolean;
  points: FilteredPoint[];
  loads: Array<{ system: string; seconds: number; info: Record<string, unknown> }>;
}

const COLLECTION = 'filtered';
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 200;

function hnswlib(): typeof Hnswlib {
  return createRequire(import.meta.url)('hnswlib-node') as typeof Hnswlib;
}

interface Searcher {
  name: string;
  setFilter(attr: Attribute, selectivity: number): void;
  setEf(ef: number): void;
  query(q: number[] | Float32Array, k: number, j: number): ArrayLike<number> | Promise<ArrayLike<number>>;
  /** the query's form (hnswlib takes number[]) */
  prepare(q: Float32Array): number[] | Float32Array;
  strategy?(q: Float32Array): Promise<string>;
  info(): Record<string, unknown>;
  close(): Promise<void>;
}

async function build(req: FilteredBuildRequest): Promise<FilteredBuildPoint> {
  const data = await loadFilteredData(req.queries, false);
  const { ds } = data;
  const dim = ds.dimension;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let info: Record<string, unknown>;
  if (req.system.kind === 'hnswlib') {
    const index = new (hnswlib().HierarchicalNSW)('cosine', dim);
    index.initIndex({ maxElements: ds.count, m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 100 });
    for (let i = 0; i < ds.count; i++) index.addPoint(Array.from(ds.base.subarray(i * dim, (i + 1) * dim)), i);
    index.writeIndexSync(path.join(req.dir, 'index.hnsw'));
    info = { version: packageVersion('hnswlib-node'), M: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION };
  } else {
    const Quiver = (await loadQuiver()) as unknown as QuiverLike;
    const db = await Quiver.open({ path: req.dir, durability: 'none' });
    const col = await db.createCollection(COLLECTION, { dimension: dim, metric: 'cosine', index: req.system.recipe!, payloadIndexes: { u: 'number', c: 'number' } });
    for (let start = 0; start < ds.count; start += 1000) {
      const batch = [];
      for (let i = start; i < Math.min(ds.count, start + 1000); i++) batch.push({ key: String(i), vector: ds.base.subarray(i * dim, (i + 1) * dim), metadata: { u: data.attrs.u[i], c: data.attrs.c[i] } });
      await col.upsert(batch);
    }
    await db.idle();
    const stats = await col.stats();
    info = { index: stats.index, kernel: stats.kernel, buildThreads: stats.buildThreads };
    await db.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return { system: req.system.name, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, info };
}

interface QuiverLike {
  open(options: { path: string; durability?: string }): Promise<{
    createCollection(name: string, config: Record<string, unknown>): Promise<QuiverCol>;
    collection(name: string): QuiverCol;
    idle(): Promise<void>;
    close(): Promise<void>;
  }>;
}
interface QuiverCol {
  upsert(records: unknown[]): Promise<unknown>;
  query(request: Record<string, unknown>): Promise<Array<{ key: string }>>;
  explain(request: Record<string, unknown>): Promise<{ plan: { strategy: string } }>;
  count(): Promise<number>;
  stats(): Promise<Record<string, unknown>>;
}

async function open(spec: FilteredSystemSpec, dir: string, data: FilteredData): Promise<Searcher> {
  if (spec.kind === 'hnswlib') {
    const index = new (hnswlib().HierarchicalNSW)('cosine', data.ds.dimension);
    index.readIndexSync(path.join(dir, 'index.hnsw'));
    let filter: (label: number) => boolean = () => true;
    return {
      name: spec.name,
      setFilter(attr, s) {
        const values = data.attrs[attr];
        const below = threshold(s);
        filter = (label) => values[label] < below;
      },
      setEf: (ef) => index.setEf(ef),
      prepare: (q) => Array.from(q),
      query: (q, k) => index.searchKnn(q as number[], k, filter).neighbors,
      info: () => ({ version: packageVersion('hnswlib-node'), M: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, filter: 'JS callback label => attr[label] < t' }),
      close: async () => undefined,
    };
  }
  // systems over the same directory (quiver-hnsw and quiver-hnsw-fresh) share one open database
  let shared = openDatabases.get(dir);
  if (shared === undefined) {
    const Quiver = (await loadQuiver()) as unknown as QuiverLike;
    shared = { db: await Quiver.open({ path: dir }), users: 0 };
    openDatabases.set(dir, shared);
  }
  shared.users++;
  const db = shared.db;
  const col = db.collection(COLLECTION);
  if ((await col.count()) !== data.ds.count) throw new Error(`${spec.name}: reopened with a different count`);
  let attr: Attribute = 'u';
  let below = 1000;
  let ef = 64;
  const filterFor = (j: number) => ({ [attr]: { $lt: spec.freshFilters ? below - 0.5 + j * 1e-7 : below } });
  return {
    name: spec.name,
    setFilter(a, s) {
      attr = a;
      below = threshold(s);
    },
    setEf(value) {
      ef = value;
    },
    prepare: (q) => q,
    async query(q, k, j) {
      const hits = await col.query({ vector: q, k, filter: filterFor(j), search: { ef } });
      const out = new Array<number>(hits.length);
      for (let i = 0; i < hits.length; i++) out[i] = Number(hits[i].key);
      return out;
    },
    strategy: async (q) => (await col.explain({ vector: q, k: 10, filter: filterFor(0), search: { ef } })).plan.strategy,
    info: () => ({ recipe: spec.recipe, filter: spec.freshFilters ? 'a distinct (equivalent) filter per query: compiled every time' : 'the same filter for every query (compiled once, then cached per segment)' }),
    close: async () => {
      if (--shared!.users === 0) await db.close();
    },
  };
}

const openDatabases = new Map<string, { db: Awaited<ReturnType<QuiverLike['open']>>; users: number }>();

async function timeQueries(s: Searcher, queries: (number[] | Float32Array)[], k: number, ids?: Int32Array): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let j = 0; j < queries.length; j++) {
    const r = s.query(queries[j], k, j);
    const res = r instanceof Promise ? await r : r;
    if (ids) for (let i = 0; i < Math.min(k, res.length); i++) ids[j * k + i] = res[i];
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { queries: queries.length, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds };
}

async function search(req: FilteredSearchRequest): Promise<FilteredSearchAnswer> {
  const data = await loadFilteredData(req.queries);
  const answer: FilteredSearchAnswer = { pinned: false, points: [], loads: [] };
  const searchers: Searcher[] = [];
  for (const { spec, dir } of req.systems) {
    const t0 = performance.now();
    const s = await open(spec, dir, data);
    answer.loads.push({ system: s.name, seconds: (performance.now() - t0) / 1000, info: s.info() });
    searchers.push(s);
  }
  const dim = data.ds.dimension;
  const raw = Array.from({ length: data.queryCount }, (_, j) => data.queries.slice(j * dim, (j + 1) * dim));
  const warm = data.ds.querySets[0].vectors;
  const warmRaw = Array.from({ length: req.warmup }, (_, j) => warm.slice((data.queryCount + j) * dim, (data.queryCount + j + 1) * dim));
  const unpin = req.pin ? pinToCpu(0) : null;
  answer.pinned = unpin !== null;
  try {
    for (const attr of req.attributes) {
      for (const selectivity of req.selectivities) {
        const prepared = searchers.map((s) => raw.map((q) => s.prepare(q)));
        const warmPrepared = searchers.map((s) => warmRaw.map((q) => s.prepare(q)));
        const results = new Map<string, { timings: Timing[]; ids: Int32Array }>();
        for (const [i, s] of searchers.entries()) {
          s.setFilter(attr, selectivity);
          for (const ef of req.efs) {
            s.setEf(ef);
            await timeQueries(s, warmPrepared[i], req.k);
            results.set(`${s.name}@${ef}`, { timings: [], ids: new Int32Array(raw.length * req.k).fill(-1) });
          }
        }
        const t0 = performance.now();
        for (let round = 0; round < req.rounds; round++) {
          for (let e = 0; e < req.efs.length; e++) {
            const ef = req.efs[e];
            for (let n = 0; n < searchers.length; n++) {
              const i = (n + round + e) % searchers.length;
              const s = searchers[i];
              s.setFilter(attr, selectivity);
              s.setEf(ef);
              const r = results.get(`${s.name}@${ef}`)!;
              r.timings.push(await timeQueries(s, prepared[i], req.k, round === 0 ? r.ids : undefined));
            }
          }
        }
        const line: string[] = [];
        for (const s of searchers) {
          s.setFilter(attr, selectivity);
          for (const ef of req.efs) {
            s.setEf(ef);
            const { timings, ids } = results.get(`${s.name}@${ef}`)!;
            const point: FilteredPoint = {
              system: s.name,
              attribute: attr,
              selectivity,
              ef,
              recall: filteredRecall(data, attr, selectivity, ids, req.k),
              qpsCpu: median(timings.map((t) => t.queries / t.cpuSeconds)),
              qpsWall: median(timings.map((t) => t.queries / t.wallSeconds)),
            };
            if (s.strategy) point.strategy = await s.strategy(raw[0]);
            answer.points.push(point);
          }
          const pts = answer.points.filter((p) => p.system === s.name && p.attribute === attr && p.selectivity === selectivity);
          line.push(`${s.name} recall ${pts[0].recall.toFixed(2)}..${pts[pts.length - 1].recall.toFixed(3)} QPS ${Math.round(pts[0].qpsCpu)}..${Math.round(pts[pts.length - 1].qpsCpu)}`);
        }
        console.log(`  ${attr} ${selectivity * 100}% (${((performance.now() - t0) / 1000).toFixed(0)} s): ${line.join('; ')}`);
      }
    }
  } finally {
    unpin?.();
    for (const s of searchers) await s.close();
  }
  return answer;
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2]) as (FilteredBuildRequest | FilteredSearchRequest) & { out: string };
  try {
    const answer = req.mode === 'build' ? await build(req) : await search(req);
    fs.writeFileSync(req.out, JSON.stringify(answer));
    process.exit(0);
  } catch (err) {
    const e = err as Error;
    console.error(`  ${req.mode} child: ${e.stack ?? e.message}`);
    fs.writeFileSync(req.out, JSON.stringify({ error: e.message }));
    process.exit(1);
  }
}

if (process.argv[2]?.startsWith('{')) await main();
export { ATTRIBUTES };
