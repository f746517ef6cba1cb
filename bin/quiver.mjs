#!/usr/bin/env node
// The `quiver` command. In a checkout (src/ and the tsx dev dependency present) it runs the TypeScript
// sources through tsx, compiling the WebAssembly kernels first if they have not been built yet, so
// `npx quiver` works right after `npm install` and never runs a stale build. An installed package has no
// src/: it runs the compiled dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const built = join(root, 'dist', 'src', 'cli', 'main.js');

function resolvable(name) {
  try {
    createRequire(join(root, 'package.json')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

let entry;
if (existsSync(source) && resolvable('tsx/esm/api')) {
  if (!existsSync(join(root, 'src', 'wasm', 'kernels.generated.ts'))) {
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs')], { stdio: ['ignore', 2, 2] });
    if (build.status !== 0) {
      process.stderr.write('quiver: building the WebAssembly kernels failed (npm run build:wasm)\n');
      process.exit(1);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
} else if (existsSync(built)) {
  entry = built;
} else {
  process.stderr.write('quiver: no compiled CLI in dist/ and no TypeScript sources to run: run `npm run build`.\n');
  process.exit(1);
}

const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv);
