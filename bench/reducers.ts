/**
 * Reducers side by side (issue 4: "a table of FFT vs PCA vs LeanVec at equal reduced dimension"): for each
 * dataset and reduced dimension d, every reducer is fitted on a sample of the base, the whole base is
 * reduced, and each evaluation query is answered by exact search over the reduced vectors (the WASM
 * kernel, reducer.searchMetric) followed by a float32 re-rank of the best C candidates on the full
 * vectors. Reported: recall@10 with no re-rank (the reduced top 10) and after re-ranking C = 20 .. 500
 * candidates (equal budgets for every reducer), the smallest C of the sweep that reaches 0.95, the energy
 * kept, fit seconds and transform microseconds per vector. Measures the reducers alone, no graph: the
 * graph over reduced vectors comes with the composition (the lead's part of issue 4).
 *
 *   node --import tsx bench/reducers.ts [--datasets synth-768,fashion-mnist,glove-100] [--queries 500]
 *        [--sample 20000] [--train-queries 5000] [--fractions 4,8] [--quick] [--json FILE] [--write-docs|--no-docs]
 *
 * LeanVec-OOD is fitted per query set on training queries that are never evaluated: for synth-768 more
 * queries drawn by the same generator (rows after the 1,000 the dataset evaluates), for the others the
 * test queries not in the evaluated subset. Fit and transform times are single-threaded wall times on a
 * shared machine: treat them as indicative.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fitReducer, rowsOf, type FitOptions, type ReduceConfig, type Reducer, type Rows } from '../src/core/reduce/index.js';
import { TopK } from '../src/core/lib/topk.js';
import { strideFor } from '../src/core/kernels/kernel.js';
import { VectorArena } from '../src/core/vectors/arena.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { datasetSpec } from './datasets/index.js';
import { generateSynth, SYNTH_768 } from './datasets/synth.js';
import type { Dataset, QuerySet } from './datasets/types.js';
import { machineInfo } from './lib/machine.js';
import { recallAtK, spreadIds } from './lib/measure.js';
import { BENCH_DIR } from './lib/paths.js';
import { BENCHMARKS_MD, writeJson, writeSection } from './report.js';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'synth-768,fashion-mnist,glove-100' },
    queries: { type: 'string' },
    sample: { type: 'string' },
    'train-queries': { type: 'string' },
    fractions: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
  },
});

const QUICK = values.quick;
const QUERIES = Number(values.queries ?? (QUICK ? 100 : 500));
const SAMPLE = Number(values.sample ?? (QUICK ? 5000 : 20_000));
const TRAIN_QUERIES = Number(values['train-queries'] ?? (QUICK ? 1000 : 5000));
const FRACTIONS = (values.fractions ?? (QUICK ? '4' : '4,8')).split(',').map(Number);
const K = 10;
const BUDGETS = [20, 50, 100, 200, 500];
const SWEEP = [10, 20, 50, 100, 200, 500, 1000, 2000];

interface Method {
  label: string;
  config: (d: number) => ReduceConfig;
  options?: Partial<FitOptions>;
  /** LeanVec-OOD: fitted per query set, on that set's training queries */
  perQuerySet?: boolean;
}

const METHODS: Method[] = [
  { label: 'PCA', config: (d) => ({ method: 'pca', dimension: d }) },
  { label: 'LeanVec-ID', config: (d) => ({ method: 'leanvec', dimension: d }) },
  { label: 'LeanVec-OOD', config: (d) => ({ method: 'leanvec-ood', dimension: d }), perQuerySet: true },
  { label: 'FFT, low band', config: (d) => ({ method: 'fft', dimension: d }) },
  { label: 'FFT, energy band', config: (d) => ({ method: 'fft', dimension: d }), options: { band: 'energy' } },
  { label: 'Matryoshka prefix', config: (d) => ({ method: 'matryoshka', dimension: d }) },
];

interface Row {
  dataset: string;
  querySet: string;
  method: string;
  d: number;
  fitSeconds: number;
  transformMicros: number;
  retained: number;
  /** recall@10 of the reduced top 10, then after re-ranking each BUDGETS count */
  noRerank: number;
  rerank: number[];
  /** smallest SWEEP count reaching recall@10 >= 0.95, or null */
  candidatesFor095: number | null;
  note?: string;
}

const wasm = createWasmBackend();

function normalizeRows(data: Float32Array, D: number): Float32Array {
  const out = data.slice();
  for (let r = 0; r < out.length / D; r++) {
    let n = 0;
    for (let i = 0; i < D; i++) n += out[r * D + i] ** 2;
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let i = 0; i < D; i++) out[r * D + i] *= s;
  }
  return out;
}

function pick(data: Float32Array, D: number, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * D);
  ids.forEach((id, j) => out.set(data.subarray(id * D, id * D + D), j * D));
  return out;
}

/** Training queries for LeanVec-OOD, never among the evaluated ones. */
function trainingQueries(ds: Dataset, qs: QuerySet, evalIds: number[]): Float32Array {
  const D = ds.dimension;
  if (ds.name === 'synth-768') {
    // the generator's query streams do not depend on the counts: rows past the dataset's 1,000 are new queries
    const want = qs.count + TRAIN_QUERIES;
    const extra = generateSynth({ ...SYNTH_768, count: 0, queriesIn: qs.name === 'in-dist' ? want : 0, queriesOod: qs.name === 'ood' ? want : 0 });
    const all = qs.name === 'in-dist' ? extra.queriesIn : extra.queriesOod;
    for (let i = 0; i < D; i++) if (all[i] !== qs.vectors[i]) throw new Error('synth-768 query generator changed: the cached queries are not its first rows');
    return all.slice(qs.count * D);
  }
  const used = new Set(evalIds);
  const ids: number[] = [];
  for (let q = 0; q < qs.count && ids.length < TRAIN_QUERIES; q++) if (!used.has(q)) ids.push(q);
  return pick(qs.vectors, D, ids);
}

function evaluate(reducer: Reducer, ds: Dataset, base: Float32Array, reducedArena: VectorArena, qs: QuerySet, queries: Float32Array, evalIds: number[]) {
  const D = ds.dimension;
  const maxCandidates = SWEEP.at(-1)!;
  const idsBy = new Map<number, Int32Array>(SWEEP.map((c) => [c, new Int32Array(evalIds.length * K)]));
  const reducedQueries = reducer.transformQuery(queries);
  const d = reducer.dimension;
  const full = new Float64Array(maxCandidates);
  for (let j = 0; j < evalIds.length; j++) {
    reducedArena.setQuery(reducedQueries.subarray(j * d, j * d + d));
    const distances = reducedArena.distancesAll(reducer.searchMetric);
    const top = new TopK(maxCandidates);
    for (let i = 0; i < distances.length; i++) if (distances[i] < top.worst) top.push(distances[i], i);
    const candidates = top.drain().ids;
    for (let c = 0; c < candidates.length; c++) {
      const at = candidates[c] * D;
      let s = 0;
      if (ds.metric === 'l2') {
        for (let i = 0; i < D; i++) {
          const diff = queries[j * D + i] - base[at + i];
          s += diff * diff;
        }
      } else {
        for (let i = 0; i < D; i++) s -= queries[j * D + i] * base[at + i];
      }
      full[c] = s;
    }
    for (const count of SWEEP) {
      const best = new TopK(K);
      for (let c = 0; c < Math.min(count, candidates.length); c++) best.push(full[c], candidates[c]);
      const ids = best.drain().ids;
      const out = idsBy.get(count)!;
      for (let r = 0; r < K; r++) out[j * K + r] = r < ids.length ? ids[r] : -1;
    }
  }
  // recall as ann-benchmarks counts it, against the dataset's float64 ground truth
  const recall = (count: number) => recallAtK(ds, qs, evalIds, idsBy.get(count)!, K);
  const sweep = SWEEP.map(recall);
  const first = SWEEP.findIndex((_, i) => sweep[i] >= 0.95);
  return { noRerank: sweep[0], rerank: BUDGETS.map((b) => sweep[SWEEP.indexOf(b)]), candidatesFor095: first >= 0 ? SWEEP[first] : null };
}

function spreadRows(data: Float32Array, D: number, count: number, want: number): Rows {
  return rowsOf(pick(data, D, spreadIds(count, want)), D);
}

async function runDataset(name: string, rows: Row[]): Promise<string> {
  const ds = await datasetSpec(name).load();
  const D = ds.dimension;
  const metric = ds.metric === 'cosine' ? 'cosine' : 'l2';
  // what a collection stores: unit vectors for cosine
  const base = metric === 'cosine' ? normalizeRows(ds.base, D) : ds.base;
  const sample = spreadRows(base, D, ds.count, SAMPLE);
  const sets = ds.querySets.map((qs) => {
    const evalIds = spreadIds(qs.count, QUERIES);
    const raw = pick(qs.vectors, D, evalIds);
    return { qs, evalIds, queries: metric === 'cosine' ? normalizeRows(raw, D) : raw, train: null as Float32Array | null };
  });
  for (const fraction of FRACTIONS) {
    const d = Math.max(1, Math.round(D / fraction));
    for (const m of METHODS) {
      const fits: { reducer: Reducer; sets: typeof sets; seconds: number }[] = [];
      if (m.perQuerySet) {
        if (metric === 'l2') {
          for (const s of sets) rows.push({ dataset: name, querySet: s.qs.name, method: m.label, d, fitSeconds: NaN, transformMicros: NaN, retained: NaN, noRerank: NaN, rerank: BUDGETS.map(() => NaN), candidatesFor095: null, note: 'l2: not offered' });
          continue;
        }
        for (const s of sets) {
          s.train ??= trainingQueries(ds, s.qs, s.evalIds);
          const train = metric === 'cosine' ? normalizeRows(s.train, D) : s.train;
          const t0 = performance.now();
          const reducer = fitReducer(m.config(d), sample, { metric, ...m.options, trainQueries: rowsOf(train, D) });
          fits.push({ reducer, sets: [s], seconds: (performance.now() - t0) / 1000 });
        }
      } else {
        const t0 = performance.now();
        const reducer = fitReducer(m.config(d), sample, { metric, ...m.options });
        fits.push({ reducer, sets, seconds: (performance.now() - t0) / 1000 });
      }
      for (const fit of fits) {
        const t0 = performance.now();
        const reduced = fit.reducer.transformDatabase(base);
        const transformMicros = ((performance.now() - t0) * 1000) / ds.count;
        const arena = new VectorArena(wasm, d, ds.count, ds.count * strideFor(d));
        arena.appendPacked(reduced, ds.count);
        for (const s of fit.sets) {
          const r = evaluate(fit.reducer, ds, base, arena, s.qs, s.queries, s.evalIds);
          const row: Row = { dataset: name, querySet: s.qs.name, method: m.label, d, fitSeconds: fit.seconds, transformMicros, retained: fit.reducer.fit.retained, ...r };
          rows.push(row);
          console.log(
            `${name} ${s.qs.name} d=${d} ${m.label}: fit ${fit.seconds.toFixed(1)} s, ${transformMicros.toFixed(1)} us/vector, retained ${row.retained.toFixed(3)}, ` +
              `recall@10 none ${r.noRerank.toFixed(3)} | ${BUDGETS.map((b, i) => `${b}: ${r.rerank[i].toFixed(3)}`).join(' ')} | 0.95 at ${r.candidatesFor095 ?? '>' + SWEEP.at(-1)}`,
          );
        }
      }
    }
  }
  return `${ds.description}`;
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

function render(rows: Row[], descriptions: Map<string, string>, command: string): string {
  const m = machineInfo();
  const lines = [
    `_Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)}${QUICK ? ' — **quick run: smoke check only**' : ''}._`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores (${m.simd}), ${m.memoryGiB} GiB, Node ${m.node}. Each reducer fitted on ${SAMPLE.toLocaleString('en')} base vectors spread ` +
      `over the set (LeanVec-OOD also on ${TRAIN_QUERIES.toLocaleString('en')} training queries of the evaluated kind, never the evaluated ones); the whole base reduced; ` +
      `${QUERIES} evaluation queries per set answered by exact search over the reduced vectors (WASM kernel) and a float32 re-rank of the best C candidates. ` +
      'recall@10 as ann-benchmarks counts it. Fit and transform times are single-threaded wall times on a 2-core machine shared with other work: indicative only.',
    '',
  ];
  for (const [dataset, description] of descriptions) {
    lines.push(`### ${dataset}`, '', `${description}.`, '');
    const sets = [...new Set(rows.filter((r) => r.dataset === dataset).map((r) => r.querySet))];
    for (const set of sets) {
      const some = rows.filter((r) => r.dataset === dataset && r.querySet === set);
      lines.push(`Queries: '${set}'.`, '');
      lines.push(`| d | reducer | no re-rank | ${BUDGETS.map((b) => `re-rank ${b}`).join(' | ')} | C for 0.95 | energy kept | fit s | transform µs/vector |`);
      lines.push(`|---:|---|---:|${BUDGETS.map(() => '---:|').join('')}---:|---:|---:|---:|`);
      for (const r of some) {
        if (r.note) {
          lines.push(`| ${r.d} | ${r.method} | ${r.note} |${BUDGETS.map(() => ' |').join('')} | | | |`);
          continue;
        }
        const c = r.candidatesFor095 === null ? `> ${SWEEP.at(-1)}` : String(r.candidatesFor095);
        lines.push(`| ${r.d} | ${r.method} | ${fmt(r.noRerank)} | ${r.rerank.map((x) => fmt(x)).join(' | ')} | ${c} | ${fmt(r.retained)} | ${fmt(r.fitSeconds, 1)} | ${fmt(r.transformMicros, 1)} |`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

const rows: Row[] = [];
const descriptions = new Map<string, string>();
for (const name of values.datasets!.split(',')) descriptions.set(name, await runDataset(name, rows));
const command = `node --import tsx bench/reducers.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
const markdown = render(rows, descriptions, command);
console.log('\n' + markdown);
const json = values.json ?? path.join(BENCH_DIR, 'results', `reducers${QUICK ? '-quick' : ''}.json`);
writeJson(json, { command, machine: machineInfo(), settings: { QUERIES, SAMPLE, TRAIN_QUERIES, FRACTIONS, BUDGETS, SWEEP }, rows });
if (values['write-docs'] || (!QUICK && !values['no-docs'])) {
  writeSection(BENCHMARKS_MD, 'reducers', markdown);
  console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
}
