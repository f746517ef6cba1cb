#!/usr/bin/env node
// Measures what a browser downloads for Quiver: src/browser.ts and src/worker.ts bundled and minified by
// esbuild (ES modules, every dependency inside) and gzipped at level 9. The WebAssembly kernels are in the
// bundle as base64, so they are counted; their share is reported on its own. Fails (exit 1) above the
// budget of docs/runtimes.md. `--json` prints the figures as JSON; `--compare <dir>` also bundles the
// package at <dir> (e.g. an installed @orama/orama) the same way, for the comparison in docs/runtimes.md.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUDGET_GZIP_BYTES = 150 * 1024;

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundle(entry, options = {}) {
  const result = await build({ ...(entry ? { entryPoints: [entry] } : {}), bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent', ...options });
  return result.outputFiles[0].contents;
}

/** Sizes in bytes of one entry's bundle, and of the WebAssembly inside it. */
export async function measureEntry(name) {
  const code = await bundle(join(root, 'src', `${name}.ts`));
  const generated = readFileSync(join(root, 'src/wasm/kernels.generated.ts'), 'utf8');
  const modules = [...generated.matchAll(/export const (\w+) = '([^']*)'/g)].map(([, id, base64]) => ({ id, base64, wasm: Buffer.from(base64, 'base64') }));
  return {
    entry: `src/${name}.ts`,
    minified: code.length,
    gzip: gzip(code),
    wasm: {
      modules: modules.map((m) => ({ id: m.id, bytes: m.wasm.length, gzip: gzip(m.wasm) })),
      base64Gzip: gzip(Buffer.from(modules.map((m) => m.base64).join(''))),
    },
  };
}

async function measurePackage(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  // the whole public API, like Quiver's entries: `export *` keeps everything the package exports
  const code = await bundle(undefined, { entryPoints: undefined, stdin: { contents: `export * from ${JSON.stringify(resolve(dir))};`, resolveDir: root, loader: 'js' } });
  return { entry: `${pkg.name}@${pkg.version}`, minified: code.length, gzip: gzip(code) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const results = [await measureEntry('browser'), await measureEntry('worker')];
  // loaded besides, not instead: the page side of openInWorker, and the parallel-build worker (isolated pages only)
  const extras = [await measureEntry('web-client'), await measureEntry('wasm/web-build-worker')];
  const compareAt = args.indexOf('--compare');
  const compare = compareAt >= 0 ? await measurePackage(args[compareAt + 1]) : null;
  if (args.includes('--json')) console.log(JSON.stringify({ budgetGzip: BUDGET_GZIP_BYTES, results, extras, compare }, null, 2));
  else {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const r of results) {
      const wasm = r.wasm.modules.map((m) => `${m.id.replace(/_WASM_BASE64$/, '').toLowerCase()} ${kb(m.bytes)}`).join(', ');
      console.log(`${r.entry}: ${kb(r.minified)} minified, ${kb(r.gzip)} gzip (budget ${kb(BUDGET_GZIP_BYTES)}); WebAssembly inside: ${wasm}; its base64 alone gzips to ${kb(r.wasm.base64Gzip)}`);
    }
    for (const r of extras) console.log(`${r.entry}: ${kb(r.minified)} minified, ${kb(r.gzip)} gzip`);
    if (compare) console.log(`${compare.entry}: ${kb(compare.minified)} minified, ${kb(compare.gzip)} gzip`);
  }
  const over = results.filter((r) => r.gzip > BUDGET_GZIP_BYTES);
  if (over.length > 0) {
    console.error(`bundle-size: over the budget: ${over.map((r) => r.entry).join(', ')}`);
    process.exit(1);
  }
}
