#!/usr/bin/env node
// Builds the web console (console/, Vite) into console/dist, the static files the server serves at /.
// Runs before tests, `npm start` and builds, so it skips work when console/dist/index.html is newer than
// every input: the console's sources, the client and protocol it bundles, and the build config and this
// script. `--force` rebuilds regardless.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'console/dist/index.html');
const inputs = ['console/src', 'console/index.html', 'console/vite.config.ts', 'src/client', 'src/protocol', 'src/core/errors.ts', 'src/core/lib/limits.ts', 'package-lock.json', 'scripts/build-console.mjs'];

function newest(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return -Infinity;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = newest(output);
if (!process.argv.includes('--force') && inputs.every((input) => newest(join(root, input)) <= built)) process.exit(0);

const vite = join(root, 'node_modules/vite/bin/vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--config', join(root, 'console/vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
