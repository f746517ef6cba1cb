/**
 * The arrows of docs/architecture.md, read from the import statements: a wrong arrow fails CI.
 * Above all, src/core does no I/O: it imports nothing outside core and touches no process, timers,
 * clock, randomness or console.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'assembly' ? [] : files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** [file relative to src, import specifier, resolved target relative to src or the bare specifier] */
function imports(): { file: string; spec: string; target: string }[] {
  const out: { file: string; spec: string; target: string }[] = [];
  for (const path of files(src)) {
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/(?:^|[\n;])\s*(?:import|export)[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      const target = spec.startsWith('.') ? relative(src, resolve(dirname(path), spec)).replace(/\.js$/, '.ts') : spec;
      out.push({ file: relative(src, path), spec, target });
    }
  }
  return out;
}

/** The top folder a src-relative path belongs to; core is split into its layers. */
function layer(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'core') return parts.length > 2 ? `core/${parts[1]}` : `core/${parts[1].replace(/\.ts$/, '')}`;
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

const CORE_BASE = ['core/errors', 'core/lib'];
const ALLOWED: Record<string, string[]> = {
  'core/errors': [],
  'core/lib': ['core/errors'],
  'core/kernels': CORE_BASE,
  'core/vectors': [...CORE_BASE, 'core/kernels'],
  'core/quant': [...CORE_BASE, 'core/kernels', 'core/vectors'],
  'core/reduce': [...CORE_BASE, 'core/kernels', 'core/vectors'],
  'core/index': [...CORE_BASE, 'core/kernels', 'core/vectors', 'core/quant', 'core/reduce'],
  'core/filter': [...CORE_BASE],
  'core/text': [...CORE_BASE],
  'core/multivector': [...CORE_BASE, 'core/kernels', 'core/vectors'],
  'core/layout': CORE_BASE,
  'core/collection': [...CORE_BASE, 'core/kernels', 'core/vectors', 'core/quant', 'core/reduce', 'core/index', 'core/filter', 'core/text', 'core/multivector', 'core/layout'],
  'core/format': [...CORE_BASE, 'core/collection'],
  wasm: ['core/*'],
  storage: ['core/*'],
  embed: ['core/*'],
  db: ['core/*', 'storage/adapter', 'storage/store', 'storage/wal-writer', 'embed'],
  // adapters: framework adapters (quiverdb/langchain, /llamaindex, /ai) over collections they see
  // structurally, so they load neither the engine nor the client; embed for the embedding functions
  adapters: ['core/errors', 'embed'],
  // protocol: the wire shared by server and client; of the engine only its error type and limit constants
  protocol: ['core/errors', 'core/lib/limits'],
  // client: the protocol only (it reaches QuiverError through protocol/errors)
  client: ['protocol'],
  // papers: the Quiver Papers app (docs/papers.md) over the embedded API's types; no I/O of its own
  papers: ['db', 'core/errors'],
  // server: the database through the package's entry point (which wires storage and kernels), the
  // protocol, and the papers app it can serve
  server: ['index', 'db', 'protocol', 'papers'],
  // the CLI works over the public entry (index: the embedded database, verifyStore) or the HTTP client,
  // and starts the server for `quiver serve`; of core it uses only the error type and the limits
  cli: ['db', 'client', 'protocol', 'server', 'index', 'papers', 'cluster', 'core/errors', 'core/lib/limits'],
  // cluster (docs/cluster.md): nodes hold local databases (index) behind the ordinary server, and the
  // router validates writes with the engine's own checks (core) before publishing them to NATS
  cluster: ['index', 'db', 'protocol', 'server', 'core/*'],
  index: ['*'],
  // the public API every entry point re-exports: the database and its types, the memory adapter
  api: ['db', 'core/*', 'storage/adapter', 'storage/memory'],
  // runtime wiring (storage adapter + kernels + workers) that the entry points hand to setRuntime
  runtimes: ['db/runtime', 'core/*', 'storage', 'wasm'],
  // the other runtimes' entry points (docs/runtimes.md): wiring, the API, their own adapter
  bun: ['db/runtime', 'runtimes', 'api', 'api-embed', 'storage', 'wasm'],
  deno: ['db/runtime', 'runtimes', 'api', 'api-embed', 'storage', 'wasm'],
  'api-embed': ['embed'],
  browser: ['db/runtime', 'runtimes', 'api', 'storage', 'wasm', 'web'],
  worker: ['db/runtime', 'runtimes', 'api', 'storage', 'wasm', 'web'],
  // a database in a Web Worker: the host runs db in the worker; the client (page side) reaches the engine
  // for types only (checked below: its value imports are core/errors and the protocol)
  web: ['db', 'core/errors'],
  'web-client': ['web', 'core/errors'],
};

function allowed(from: string, file: string, target: string): boolean {
  const rules = ALLOWED[from];
  if (!rules) return false;
  const to = layer(target);
  const targetModule = target.replace(/\.ts$/, '');
  return (
    to === from ||
    rules.some((rule) => rule === '*' || rule === to || rule === targetModule || (rule.endsWith('/*') && to.startsWith(rule.slice(0, -1))))
  );
}

it('every import follows an arrow of architecture.md', () => {
  const wrong = imports()
    .filter(({ target, spec }) => spec.startsWith('.'))
    .filter(({ file, target }) => !allowed(layer(file), file, target))
    .map(({ file, spec }) => `${file} imports ${spec}`);
  assert.deepEqual(wrong, []);
});

it('nothing imports the CLI: it is a leaf', () => {
  const wrong = imports()
    .filter(({ file, target }) => layer(target) === 'cli' && layer(file) !== 'cli')
    .map(({ file, spec }) => `${file} imports ${spec}`);
  assert.deepEqual(wrong, []);
});

it('index implementations never import each other', () => {
  const wrong = imports()
    .filter(({ file, target }) => /^core\/index\/[^/]+\//.test(file) && /^core\/index\/[^/]+\//.test(target))
    .filter(({ file, target }) => file.split('/')[2] !== target.split('/')[2])
    .map(({ file, spec }) => `${file} imports ${spec}`);
  assert.deepEqual(wrong, []);
});

it('src/core imports no packages and does no I/O', () => {
  const coreFiles = files(join(src, 'core'));
  const bare = imports().filter(({ file, spec }) => file.startsWith('core/') && !spec.startsWith('.'));
  assert.deepEqual(bare.map(({ file, spec }) => `${file} imports ${spec}`), []);
  const forbidden = /\b(process\.|setTimeout|setInterval|setImmediate|Date\.now|new Date\(|Math\.random|console\.|require\(|fetch\()/;
  const offenders = coreFiles.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line, i) => ({ line: line.replace(/\/\/.*$|^\s*\*.*$/, ''), i }))
      .filter(({ line }) => forbidden.test(line))
      .map(({ line, i }) => `${relative(src, path)}:${i + 1}: ${line.trim()}`),
  );
  assert.deepEqual(offenders, []);
});

it('only entry points import a specific storage adapter', () => {
  const adapters = ['storage/node-fs.ts', 'storage/memory.ts', 'storage/faulty.ts', 'storage/opfs.ts'];
  const entries = ['index.ts', 'bun.ts', 'deno.ts', 'browser.ts', 'worker.ts', 'api.ts', 'web-client.ts'];
  const wrong = imports()
    .filter(({ target }) => adapters.includes(target))
    .filter(({ file }) => !file.startsWith('storage/') && !file.startsWith('runtimes/') && !entries.includes(file))
    .map(({ file, spec }) => `${file} imports ${spec}`);
  assert.deepEqual(wrong, []);
});

/** Bare (package) imports a folder may use; relative imports are checked by the arrows above. */
const PACKAGES: Record<string, RegExp> = {
  protocol: /^@sinclair\/typebox(\/|$)/,
  client: /^$/,
};

it('the client and the protocol import no node:* module and only their packages', () => {
  const wrong = imports()
    .filter(({ file, spec }) => (file.startsWith('client/') || file.startsWith('protocol/')) && !spec.startsWith('.'))
    .filter(({ file, spec }) => !PACKAGES[file.split('/')[0]].test(spec))
    .map(({ file, spec }) => `${file} imports ${spec}`);
  assert.deepEqual(wrong, []);
});

/** Value imports (not `import type`) of a file, resolved to src-relative paths or left bare. */
function valueImports(path: string): string[] {
  const text = readFileSync(join(src, path), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[\n;])\s*(import|export)(\s+type\b)?[^'";]*?from\s*['"]([^'"]+)['"]/g)) {
    if (m[2]) continue;
    const spec = m[3];
    out.push(spec.startsWith('.') ? relative(src, resolve(dirname(join(src, path)), spec)).replace(/\.js$/, '.ts') : spec);
  }
  return out;
}

it('what the client runs (its value imports, transitively) is free of packages and node:*: a browser loads it as is', () => {
  const seen = new Set<string>();
  const bare: string[] = [];
  const queue = ['client/index.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const target of valueImports(file)) {
      if (target.endsWith('.ts')) queue.push(target);
      else bare.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(bare, []);
  assert.ok(!seen.has('protocol/schemas.ts'), 'the client must import the schemas for their types only');
  assert.ok(!seen.has('index.ts'), 'the client must not load the engine');
});

it('the web client (page side of openInWorker) runs no engine: its value imports are the protocol and the error type', () => {
  const seen = new Set<string>();
  const queue = ['web-client.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const target of valueImports(file)) if (target.endsWith('.ts')) queue.push(target);
  }
  assert.deepEqual([...seen].sort(), ['core/errors.ts', 'web-client.ts', 'web/worker-client.ts']);
});

it('every error code is documented in docs/errors.md', async () => {
  const { ERROR_CODES } = await import('../src/core/errors.js');
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const missing = Object.entries(ERROR_CODES).filter(([code, category]) => !new RegExp(`\\| \`${code}\` \\| ${category} \\|`).test(doc));
  assert.deepEqual(missing, []);
});

it('the console uses the client only (and its UI library)', () => {
  const consoleSrc = join(root, 'console', 'src');
  const sources = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return /\.tsx?$/.test(name) ? [path] : [];
    });
  })(consoleSrc);
  const wrong: string[] = [];
  for (const path of sources) {
    for (const m of readFileSync(path, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2];
      const inside = spec.startsWith('.') && resolve(dirname(path), spec).startsWith(consoleSrc);
      if (!inside && !['quiverdb/client', 'preact', 'preact/hooks'].includes(spec)) wrong.push(`${relative(root, path)} imports ${spec}`);
    }
  }
  assert.ok(sources.length > 0);
  assert.deepEqual(wrong, []);
});
