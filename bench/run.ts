/**
 * Benchmark entry (started by scripts/bench.mjs): `npm run bench -- <suite> [options]`.
 *
 *   exact   exact (brute-force) search, k = 10, plus the ingest benchmark
 *
 * Options:
 *   --datasets a,b     datasets (default fashion-mnist,synth-768; known: see datasets/index.ts)
 *   --systems a,b      only these systems (default: all of the suite)
 *   --quick            small subsets (~1 minute): a smoke check; does not touch docs/ unless --write-docs
 *   --json FILE        write the raw points as JSON
 *   --queries N --rounds N --warmup N   timed queries per system per round, rounds, warm-up queries
 *   --ingest N         vectors for the ingest benchmark (0 = skip)
 *   --no-pin           do not pin the search to CPU 0
 *   --write-docs / --no-docs            force / skip updating docs/benchmarks.md
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { datasetSpec } from './datasets/index.js';
import { machineInfo } from './lib/machine.js';
import { renderExact, writeJson, writeSection, BENCHMARKS_MD } from './report.js';
import type { RunResult } from './results.js';
import { runExact } from './suites/exact.js';

const USAGE = 'usage: npm run bench -- exact [--quick] [--json FILE] [--datasets fashion-mnist,synth-768] [--systems ...] [--queries N] [--rounds N] [--warmup N] [--ingest N] [--no-pin] [--write-docs|--no-docs]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    datasets: { type: 'string', default: 'fashion-mnist,synth-768' },
    systems: { type: 'string' },
    queries: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    ingest: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const suite = positionals[0];
if (values.help || suite !== 'exact') {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const int = (s: string | undefined, dflt: number) => {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got '${s}'`);
  return n;
};
const quick = values.quick;
const settings = {
  k: 10,
  queries: int(values.queries, quick ? 20 : 200),
  rounds: int(values.rounds, quick ? 2 : 3),
  warmup: int(values.warmup, quick ? 3 : 10),
  ingestCount: int(values.ingest, quick ? 20_000 : 100_000),
  ingestDataset: 'synth-768',
};
const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);
const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
const started = performance.now();

const datasets = list(values.datasets)!;
let res: Awaited<ReturnType<typeof runExact>>;
try {
  datasets.forEach(datasetSpec); // unknown names fail before anything runs
  res = await runExact({ ...settings, datasets, systems: list(values.systems), pin: !values['no-pin'] });
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
}

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
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
  writeJson(file, run);
  console.log(`raw points: ${file}`);
}
if (values['write-docs'] || (!quick && !values['no-docs'])) {
  writeSection(BENCHMARKS_MD, 'exact', md);
  console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
