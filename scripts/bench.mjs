#!/usr/bin/env node
// `npm run bench -- <suite> [options]`: installs bench/'s own dependencies (the peers) when missing,
// then runs the TypeScript harness bench/run.ts with the root's tsx, forwarding the arguments.
// See docs/benchmarks.md and `npm run bench -- --help`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const benchDir = path.join(root, 'bench');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

// Suites that need none of bench/'s peers have their own entry and skip the install.
const PEERLESS = { papers: path.join('bench', 'papers-run.ts') };
const entry = PEERLESS[process.argv[2]];

if (entry === undefined && !fs.existsSync(path.join(benchDir, 'node_modules'))) {
  console.log('bench: installing the benchmark dependencies (npm ci in bench/) ...');
  if (run(npm, ['ci', '--no-audit', '--no-fund'], benchDir) !== 0) {
    console.error('bench: `npm ci` in bench/ failed');
    process.exit(1);
  }
}

// Quiver's WASM kernels are build outputs (gitignored); build them as `npm test` does, when the root has the step.
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const wantsQuiver = !args.includes('--help') && !args.includes('-h');
if (wantsQuiver && rootPkg.scripts?.['build:wasm'] && fs.existsSync(path.join(root, 'scripts', 'build-wasm.mjs'))) {
  if (run(npm, ['run', '--silent', 'build:wasm'], root) !== 0) console.warn('bench: build:wasm failed; Quiver may be skipped');
}

const status = run(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', entry ?? path.join('bench', 'run.ts'), ...args], root);
process.exit(status);
