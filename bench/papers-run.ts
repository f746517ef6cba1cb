/**
 * `npm run bench -- papers` (scripts/bench.mjs starts this directly: the suite needs none of bench/'s
 * peers, so it runs without installing them). Options: --json FILE, --write-docs / --no-docs (default:
 * update docs/benchmarks.md).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { papersMain } from './suites/papers.js';

const { values } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'string' }, 'write-docs': { type: 'boolean', default: false }, 'no-docs': { type: 'boolean', default: false } },
});
const started = performance.now();
try {
  await papersMain({
    command: ['npm run bench --', ...process.argv.slice(2)].join(' '),
    json: values.json === undefined ? undefined : path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json),
    writeDocs: values['write-docs'] || !values['no-docs'],
  });
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
