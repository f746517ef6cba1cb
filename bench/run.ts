/**
 * Benchmark entry (started by scripts/bench.mjs): `npm run bench -- <suite> [options]`.
 *
 *   exact     exact (brute-force) search, k = 10, plus the ingest benchmark
 *   ann       graph indexes, ann-benchmarks style: recall@10 vs QPS sweeps (hnswlib-node, usearch f32/f16,
 *             Quiver recipes) on fashion-mnist, synth-768 (in-distribution and OOD queries), glove-100
 *   scaling   how cost grows: build time, bytes/vector, QPS at recall 0.95 at 10k, 100k, 1M x 768
 *   http      the HTTP server's query throughput and p50/p99 latency at several concurrencies (autocannon),
 *             JSON and base64 vectors, against the same queries in-process
 *   filtered  filtered search: recall/QPS sweeps at selectivities 0.1%-100% on synth-768 with an uncorrelated
 *             and a correlated attribute, Quiver's filters vs hnswlib-node's filter callback
 *   keyword   keyword (BM25) search quality on shared/data/papers.jsonl: title -> its abstract
 *   papers    Quiver Papers search quality: BM25, the built-in embedder and the default hybrid on title ->
 *             abstract and on bench/papers-questions.json (nDCG@10), plus the fusion tuning and its
 *             split-half / leave-one-out checks (about 1-2 minutes; embeds the corpus twice)
 *   embed     embedding throughput per provider (builtin, transformers.js on the test model, OpenAI-compatible
 *             against quiver serve) at batch sizes 1/8/32/128, and end-to-end ingest of the paper corpus
 *             into collections that embed their documents (about 5-10 minutes on a shared 2-core machine)
 * http:
 *   --datasets NAME    one dataset (default synth-768); --base N its first N rows (quick: 10,000)
 *   --concurrency a,b  connections (default 1,16,64); --duration S seconds per point (default 10)
 *   --quiver-recipes R the index (default HNSW16); --efs the sweep that picks the ef of recall 0.95
 *   order     insertion order (arrival, random, descending / ascending LID) vs recall@10 at fixed ef, HNSW and
 *             Vamana built by Quiver's core in-process, plus the public API's insertionOrder 'lid' + optimize()
 *   runtimes  the same HNSW16 collection built and queried on Node, Bun, Deno and Chromium (a worker), with
 *             one and two build threads, plus the browser bundle sizes (docs/runtimes.md)
 *
 * Options (all suites):
 *   --quick            small subsets: a smoke check; does not touch docs/ unless --write-docs
 *   --json FILE        write the raw points as JSON
 *   --systems a,b      only these systems (default: all of the suite)
 *   --queries N --rounds N --warmup N   timed queries (per system per round; per point for ann/scaling),
 *                      rounds, warm-up queries (per point for ann/scaling)
 *   --no-pin           do not pin the search to CPU 0
 *   --write-docs / --no-docs            force / skip updating docs/benchmarks.md (and docs/bench/*.svg)
 * exact:
 *   --datasets a,b     datasets (default fashion-mnist,synth-768; known: see datasets/index.ts)
 *   --ingest N         vectors for the ingest benchmark (0 = skip)
 * ann and scaling:
 *   --datasets a,b     (ann) default fashion-mnist,synth-768,glove-100
 *   --base N           (ann) index only the first N base vectors of every dataset (quick: 5k / 5k / 10k)
 *   --efs a,b,...      ef / expansion_search sweep (default the anchors': 10,16,...,512)
 *   --quiver-recipes HNSW16,Vamana64    Quiver index recipes, one system each (quiver-hnsw, quiver-vamana); recipes
 *                      with commas are separated by semicolons: 'HNSW16;HNSW16,LVQ8;HNSW32,LVQ4x8'
 *   --quiver-mode persist|memory        persist (default): build into a directory, reopen in the search
 *                      process; memory: build in memory in both processes
 *   --quiver-durability none|batched|sync   durability of the build (default none: fsync at close)
 *   --keep-indexes     keep the saved indexes under bench/data/tmp/
 *   --sizes a,b,c      (scaling) vector counts (default 10000,100000,1000000; quick 2000,5000,20000)
 *   --max-build-minutes N   (scaling) skip or stop a reference peer's build projected or running past N
 *                      minutes (default 20)
 *   --render FILE      (ann, scaling, order) do not run: render a --json file of that suite again (tables,
 *                      plots, and docs unless it was a quick run or --no-docs); order: a,b,c renders several as one
 * filtered:
 *   --selectivities a,b  (default 0.001,0.01,0.1,0.25,0.5,1)   --attributes u,c (u uncorrelated, c correlated)
 *   --queries N (default 200; quick 50)   --efs, --rounds, --warmup, --systems, --quiver-recipes as above
 *   --fresh-filters      also time quiver-hnsw with a distinct (equivalent) filter per query (no cache hits)
 *   --reuse-indexes      keep the built indexes (bench/data/tmp/filtered-index-*) and reuse them in later runs
 *                        (delete them, or run without the flag, after changing how indexes are built)
 * order:
 *   --datasets a,b     default fashion-mnist,synth-768,glove-100;  --base N: the first N base rows of each
 *   --efs a,b,...      fixed ef values (default 10,16,24,32,64);  --queries N (default 2000 per query set)
 *   --seeds a,b,...    graph seeds per order (default 1,2,3);  --indexes hnsw,vamana;  --orders arrival,random,lid-desc,lid-asc
 *   --no-api           skip the public-API runs;  --lid-sample N: rows checked against exact neighbours (default 1000)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { datasetSpec } from './datasets/index.js';
import { machineInfo } from './lib/machine.js';
import { DOCS_SVG_DIR, renderAnn, renderScaling, RESULTS_SVG_DIR, writeSvgs } from './report-graph.js';
import { renderExact, writeJson, writeSection, BENCHMARKS_MD } from './report.js';
import type { AnnRunResult, RunResult } from './results.js';
import { ANN_DATASETS, EF_SWEEP, QUICK_BASE, runAnn } from './suites/ann.js';
import { type IndexName, ORDER_DATASETS, ORDER_EFS, ORDER_SEEDS, ORDERS, type OrderName, runOrder } from './suites/order.js';
import { type OrderRunResult, renderOrder } from './report-order.js';
import { runExact } from './suites/exact.js';
import { renderMultivector, runMultivector } from './suites/multivector.js';
import { QUICK_SCALING_SIZES, runScaling, SCALING_QUERIES, SCALING_SIZES } from './suites/scaling.js';
import { renderHttp, runHttp } from './suites/http.js';
import { type FilteredRunResult, renderFiltered, runFiltered, SELECTIVITIES } from './suites/filtered.js';
import { type KeywordRunResult, renderKeyword, runKeyword } from './suites/keyword.js';
import { papersMain } from './suites/papers.js';
import { type RuntimesRunResult, renderRuntimes, runRuntimes } from './suites/runtimes.js';
import { type EmbedRunResult, renderEmbed, runEmbed } from './suites/embed.js';
import type { Attribute } from './suites/filtered-data.js';
import type { QuiverSettings } from './systems/index.js';

const USAGE = `usage: npm run bench -- <exact|ann|scaling|http|filtered|keyword|papers|embed|order|runtimes> [options]   (options: see bench/run.ts or bench/README.md)
  npm run bench -- exact [--quick] [--json FILE] [--datasets fashion-mnist,synth-768] [--systems ...] [--queries N] [--rounds N] [--warmup N] [--ingest N] [--no-pin] [--write-docs|--no-docs]
  npm run bench -- ann [--quick] [--json FILE] [--datasets fashion-mnist,synth-768,glove-100] [--systems hnswlib,usearch-f32,usearch-f16,quiver-hnsw,quiver-vamana]
                       [--quiver-recipes HNSW16,Vamana64] [--quiver-mode persist|memory] [--quiver-durability none|batched|sync]
                       [--base N] [--efs 10,16,...] [--queries N] [--rounds N] [--warmup N] [--keep-indexes] [--no-pin] [--write-docs|--no-docs]
  npm run bench -- http [--quick] [--json FILE] [--datasets synth-768] [--base N] [--concurrency 1,16,64] [--duration 10] [--quiver-recipes HNSW16] [--queries N] [--no-pin] [--write-docs|--no-docs]
  npm run bench -- scaling [--quick] [--json FILE] [--sizes 10000,100000,1000000] [--max-build-minutes 20] [--systems ...] [--quiver-recipes ...] (and the ann options)
  npm run bench -- filtered [--quick] [--json FILE] [--selectivities 0.001,...,1] [--attributes u,c] [--fresh-filters] [--reuse-indexes] [--systems hnswlib,quiver-hnsw,quiver-vamana] [--quiver-recipes ...] [--efs ...] [--queries N] [--rounds N] [--warmup N] [--no-pin] [--write-docs|--no-docs]
  npm run bench -- keyword [--json FILE] [--write-docs|--no-docs]
  npm run bench -- papers [--json FILE] [--write-docs|--no-docs]
  npm run bench -- runtimes [--quick] [--json FILE] [--write-docs|--no-docs]
  npm run bench -- embed [--quick] [--json FILE] [--write-docs|--no-docs]
  npm run bench -- order [--quick] [--json FILE] [--datasets fashion-mnist,synth-768,glove-100] [--base N] [--efs 10,16,24,32,64] [--queries N]
                         [--seeds 1,2,3] [--indexes hnsw,vamana] [--orders arrival,random,lid-desc,lid-asc] [--no-api] [--lid-sample N] [--render FILE]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    datasets: { type: 'string' },
    systems: { type: 'string' },
    queries: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    ingest: { type: 'string' },
    base: { type: 'string' },
    efs: { type: 'string' },
    sizes: { type: 'string' },
    'max-build-minutes': { type: 'string' },
    concurrency: { type: 'string' },
    duration: { type: 'string' },
    seeds: { type: 'string' },
    indexes: { type: 'string' },
    orders: { type: 'string' },
    'no-api': { type: 'boolean', default: false },
    'lid-sample': { type: 'string' },
    'quiver-recipes': { type: 'string', default: 'HNSW16,Vamana64' },
    'quiver-mode': { type: 'string', default: 'persist' },
    'quiver-durability': { type: 'string', default: 'none' },
    'keep-indexes': { type: 'boolean', default: false },
    render: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    selectivities: { type: 'string' },
    attributes: { type: 'string' },
    'fresh-filters': { type: 'boolean', default: false },
    'reuse-indexes': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const suite = positionals[0];
if (values.help || !['exact', 'ann', 'scaling', 'http', 'filtered', 'keyword', 'papers', 'embed', 'order', 'runtimes', 'multivector'].includes(suite)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const int = (s: string | undefined, dflt: number) => {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got '${s}'`);
  return n;
};
const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);
// Compressed recipes hold commas ('HNSW32,LVQ4x8'): a list of them is separated by semicolons instead.
const recipeList = (s: string | undefined) => (s?.includes(';') ? s.split(';').map((x) => x.trim()).filter(Boolean) : list(s));
const ints = (s: string | undefined, dflt: number[]) => (s === undefined ? dflt : list(s)!.map((x) => int(x, 0)));
const quick = values.quick;
const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
const started = performance.now();
let writeDocs = values['write-docs'] || (!quick && !values['no-docs']);
const outFile = (f: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), f);

try {
  if (suite === 'multivector') {
    // MaxSim, the single-vector heuristic and MUVERA (bench/suites/multivector.ts); --quick: a smaller set
    const run = await runMultivector({ documents: quick ? 1000 : 5000, queries: quick ? 20 : 50 });
    console.log('\n' + renderMultivector(run));
    if (values.json) writeJson(outFile(values.json), { suite, command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), quick, ...run });
  } else if (suite === 'exact') await exact();
  else if (suite === 'http') await http();
  else if (suite === 'filtered') await filtered();
  else if (suite === 'keyword') await keyword();
  else if (suite === 'papers') await papersSuite();
  else if (suite === 'embed') await embedSuite();
  else if (suite === 'order') await order();
  else if (suite === 'runtimes') await runtimes();
  else await graph(suite as 'ann' | 'scaling');
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

async function exact(): Promise<void> {
  const settings = {
    k: 10,
    queries: int(values.queries, quick ? 20 : 200),
    rounds: int(values.rounds, quick ? 2 : 3),
    warmup: int(values.warmup, quick ? 3 : 10),
    ingestCount: int(values.ingest, quick ? 20_000 : 100_000),
    ingestDataset: 'synth-768',
  };
  const datasets = list(values.datasets ?? 'fashion-mnist,synth-768')!;
  datasets.forEach(datasetSpec); // unknown names fail before anything runs
  const res = await runExact({ ...settings, datasets, systems: list(values.systems), pin: !values['no-pin'] });
  const run: RunResult = {
    suite,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machineInfo(),
    quick,
    settings,
    ...res,
  };
  const md = renderExact(run);
  console.log(`\n${md}`);
  if (values.json) {
    writeJson(outFile(values.json), run);
    console.log(`raw points: ${outFile(values.json)}`);
  }
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'exact', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function http(): Promise<void> {
  const dataset = list(values.datasets)?.[0] ?? 'synth-768';
  datasetSpec(dataset);
  const settings = {
    dataset,
    base: values.base === undefined ? (quick ? 10_000 : undefined) : int(values.base, 0),
    queries: int(values.queries, quick ? 200 : 1_000),
    recipe: recipeList(values['quiver-recipes'])?.[0] ?? 'HNSW16', // the first of the list (its default starts with HNSW16)
    efs: ints(values.efs, [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]),
    target: 0.95,
    concurrency: ints(values.concurrency, [1, 16, 64]),
    durationSeconds: int(values.duration, quick ? 3 : 10),
    rounds: int(values.rounds, quick ? 2 : 3),
    pin: !values['no-pin'],
  };
  const res = await runHttp(settings);
  const machine = machineInfo();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const md = renderHttp(res, { command, date, quick, machine: `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}` });
  console.log(`\n${md}`);
  if (values.json) {
    writeJson(outFile(values.json), { suite, command, date, machine, quick, settings, ...res });
    console.log(`raw points: ${outFile(values.json)}`);
  }
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'http', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function filtered(): Promise<void> {
  const attributes = (list(values.attributes) ?? ['u', 'c']) as Attribute[];
  if (attributes.some((a) => a !== 'u' && a !== 'c')) throw new Error('--attributes: u (uncorrelated) and/or c (correlated)');
  const selectivities = values.selectivities === undefined ? (quick ? [0.01, 0.1, 1] : SELECTIVITIES) : list(values.selectivities)!.map(Number);
  if (selectivities.some((x) => !SELECTIVITIES.includes(x))) throw new Error(`--selectivities: some of ${SELECTIVITIES.join(',')}`);
  const settings = {
    recipes: recipeList(values['quiver-recipes']) ?? [],
    efs: ints(values.efs, quick ? [16, 64, 256] : EF_SWEEP),
    rounds: int(values.rounds, quick ? 1 : 3),
    warmup: int(values.warmup, quick ? 5 : 20),
    queries: int(values.queries, quick ? 50 : 200),
    selectivities,
    attributes,
    systems: list(values.systems),
    pin: !values['no-pin'],
    freshFilters: values['fresh-filters'],
    reuseIndexes: values['reuse-indexes'],
  };
  const res = await runFiltered(settings);
  const run: FilteredRunResult = { suite: 'filtered', command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), quick, settings, ...res };
  const md = renderFiltered(run);
  console.log(`\n${md}`);
  if (values.json) writeJson(outFile(values.json), run);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'filtered', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function runtimes(): Promise<void> {
  const res = await runRuntimes(quick ? { rows: 5_000, dimension: 64, queries: 300 } : { rows: 20_000, dimension: 128, queries: 1_000 });
  const run: RuntimesRunResult = { suite: 'runtimes', command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), ...res };
  const md = renderRuntimes(run);
  console.log(`\n${md}`);
  if (values.json) writeJson(outFile(values.json), run);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'runtimes', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function keyword(): Promise<void> {
  const res = await runKeyword();
  const run: KeywordRunResult = { suite: 'keyword', command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), ...res };
  const md = renderKeyword(run);
  console.log(`\n${md}`);
  if (values.json) writeJson(outFile(values.json), run);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'keyword', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function papersSuite(): Promise<void> {
  await papersMain({ command, json: values.json === undefined ? undefined : outFile(values.json), writeDocs });
}

async function embedSuite(): Promise<void> {
  const res = await runEmbed({ quick });
  const run: EmbedRunResult = { suite: 'embed', command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), ...res };
  const md = renderEmbed(run);
  console.log(`\n${md}`);
  if (values.json) writeJson(outFile(values.json), run);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'embed', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function graph(which: 'ann' | 'scaling'): Promise<void> {
  if (values.render) {
    const run = JSON.parse(fs.readFileSync(outFile(values.render), 'utf8')) as AnnRunResult;
    if (run.suite !== which) throw new Error(`${values.render} holds a '${run.suite}' run, not '${which}'`);
    writeDocs = values['write-docs'] || (!run.quick && !values['no-docs']);
    return publish(which, run);
  }
  const mode = values['quiver-mode'];
  const durability = values['quiver-durability'];
  if (mode !== 'persist' && mode !== 'memory') throw new Error(`--quiver-mode is persist or memory, got '${mode}'`);
  if (durability !== 'none' && durability !== 'batched' && durability !== 'sync') throw new Error(`--quiver-durability is none, batched or sync, got '${durability}'`);
  const quiver: QuiverSettings = { recipes: recipeList(values['quiver-recipes']) ?? [], mode, durability };
  const common = {
    k: 10,
    efs: ints(values.efs, EF_SWEEP),
    rounds: int(values.rounds, quick ? 2 : 3),
    warmup: int(values.warmup, quick ? 10 : 50),
    pin: !values['no-pin'],
    keepIndexes: values['keep-indexes'],
    systems: list(values.systems),
    quiver,
  };
  if (!common.efs.length || common.efs.some((ef) => ef < 1)) throw new Error('--efs: give positive integers');
  let settings: Record<string, unknown>;
  let res: Awaited<ReturnType<typeof runAnn>>;
  if (which === 'ann') {
    const datasets = list(values.datasets) ?? ANN_DATASETS;
    datasets.forEach(datasetSpec);
    const baseAll = values.base === undefined ? undefined : int(values.base, 0);
    const base = baseAll !== undefined ? Object.fromEntries(datasets.map((d) => [d, baseAll])) : quick ? QUICK_BASE : undefined;
    const queries = int(values.queries, quick ? 100 : 2_000);
    settings = { ...common, datasets, base, queries };
    res = await runAnn({ ...common, datasets, base, queries });
  } else {
    const sizes = ints(values.sizes, quick ? QUICK_SCALING_SIZES : SCALING_SIZES);
    const queries = int(values.queries, quick ? 100 : SCALING_QUERIES);
    const maxBuildMinutes = int(values['max-build-minutes'], 20);
    settings = { ...common, sizes, queries, maxBuildMinutes };
    res = await runScaling({ ...common, sizes, queries, maxBuildMinutes });
  }
  const run: AnnRunResult = {
    suite: which,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: machineInfo(),
    quick,
    settings,
    ...res,
  };
  if (values.json) {
    writeJson(outFile(values.json), run);
    console.log(`raw points: ${outFile(values.json)}`);
  }
  publish(which, run);
}

function publish(which: 'ann' | 'scaling', run: AnnRunResult): void {
  const rendered = which === 'ann' ? renderAnn(run) : renderScaling(run);
  console.log(`\n${rendered.markdown}`);
  const files = writeSvgs(writeDocs ? DOCS_SVG_DIR : RESULTS_SVG_DIR, rendered.svgs);
  console.log(`plots: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, which, rendered.markdown);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}

async function order(): Promise<void> {
  let run: OrderRunResult;
  if (values.render) {
    // several files (one run per dataset, say) render as one section
    const runs = list(values.render)!.map((f) => JSON.parse(fs.readFileSync(outFile(f), 'utf8')) as OrderRunResult);
    for (const [i, r] of runs.entries()) if (r.suite !== 'order') throw new Error(`${list(values.render)![i]} holds a '${r.suite}' run, not 'order'`);
    const union = <T>(pick: (r: OrderRunResult) => T[]): T[] => [...new Set(runs.flatMap(pick))];
    if (runs.some((r) => r.settings.efs.join() !== runs[0].settings.efs.join())) throw new Error('--render: the runs swept different ef values');
    run = {
      ...runs[0],
      settings: { ...runs[0].settings, seeds: union((r) => r.settings.seeds), indexes: union((r) => r.settings.indexes), orders: union((r) => r.settings.orders), api: runs.some((r) => r.settings.api) },
      command: runs.map((r) => r.command).join('; '),
      quick: runs.some((r) => r.quick),
      datasets: runs.flatMap((r) => r.datasets),
      lid: runs.flatMap((r) => r.lid),
      builds: runs.flatMap((r) => r.builds),
      points: runs.flatMap((r) => r.points),
    };
    writeDocs = values['write-docs'] || (!run.quick && !values['no-docs']);
  } else {
    const datasets = list(values.datasets) ?? ORDER_DATASETS;
    datasets.forEach(datasetSpec);
    const indexes = (list(values.indexes) ?? ['hnsw', 'vamana']) as IndexName[];
    const orders = (list(values.orders) ?? ORDERS) as OrderName[];
    if (indexes.some((i) => i !== 'hnsw' && i !== 'vamana')) throw new Error(`--indexes: hnsw and/or vamana, got '${values.indexes}'`);
    const unknown = orders.filter((o) => !ORDERS.includes(o));
    if (unknown.length) throw new Error(`--orders: unknown ${unknown.join(', ')} (known: ${ORDERS.join(', ')})`);
    const baseAll = values.base === undefined ? undefined : int(values.base, 0);
    const base = baseAll !== undefined ? Object.fromEntries(datasets.map((d) => [d, baseAll])) : quick ? QUICK_BASE : undefined;
    const settings = {
      efs: ints(values.efs, ORDER_EFS),
      seeds: ints(values.seeds, quick ? [1] : ORDER_SEEDS),
      queries: int(values.queries, quick ? 200 : 2_000),
      indexes,
      orders,
      api: !values['no-api'],
      lidSample: int(values['lid-sample'], quick ? 200 : 1_000),
      base,
    };
    if (!settings.efs.length || settings.efs.some((ef) => ef < 1) || !settings.seeds.length) throw new Error('--efs and --seeds: give positive integers');
    const res = await runOrder({ ...settings, datasets });
    run = { suite: 'order', command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), quick, settings, ...res };
    if (values.json) {
      writeJson(outFile(values.json), run);
      console.log(`raw points: ${outFile(values.json)}`);
    }
  }
  const md = renderOrder(run);
  console.log(`\n${md}`);
  if (writeDocs) {
    writeSection(BENCHMARKS_MD, 'order', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}
