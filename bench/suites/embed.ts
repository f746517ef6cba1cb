/**
 * Embeddings (issue 7): throughput of each provider at batch sizes 1, 8, 32 and 128, and end-to-end ingest
 * of the paper corpus into a collection that embeds its documents.
 *
 * - builtin: the Universal Sentence Encoder lite in this process;
 * - transformers: transformers.js on the generated test model (scripts/make-test-embedder.mjs: an
 *   embedding-table lookup, so this measures the tokenizer, ONNX runtime and pooling overhead, not a real
 *   transformer's compute);
 * - openai: the OpenAI-compatible provider against `quiver serve` (a child process serving its builtin
 *   model on POST /v1/embeddings): the built-in model plus HTTP and JSON.
 * Texts are the corpus's titles (short, 23-142 characters); each point embeds the same 128 titles after
 * one warm-up batch. Ingest: every paper as `{ key, document: title + abstract }` (documents only) into
 * a persisted collection with { embedding: 'builtin' }, upserted in batches of 32, then the same with
 * chunking by sentences; records/s counts papers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { MachineInfo } from '../lib/machine.js';
import { ROOT_DIR } from '../lib/paths.js';
import { findPapers } from './keyword.js';

export interface EmbedThroughputPoint {
  provider: string;
  model: string;
  dimension: number;
  batchSize: number;
  texts: number;
  seconds: number;
  textsPerSecond: number;
}

export interface EmbedIngestPoint {
  setting: string;
  papers: number;
  records: number;
  seconds: number;
  papersPerSecond: number;
}

export interface EmbedRunResult {
  suite: 'embed';
  command: string;
  date: string;
  machine: MachineInfo;
  corpus: string;
  throughput: EmbedThroughputPoint[];
  ingest: EmbedIngestPoint[];
}

export const EMBED_BATCH_SIZES = [1, 8, 32, 128];
const TEXTS_PER_POINT = 128;
const INGEST_BATCH = 32;

interface Paper {
  id: string;
  title: string;
  abstract: string;
}

interface EmbeddingFunctionLike {
  name: string;
  dimension: number;
  embed(texts: readonly string[], options?: { batchSize?: number }): Promise<Float32Array[]>;
  close(): Promise<void>;
}

async function throughput(provider: string, fn: EmbeddingFunctionLike, texts: string[], batchSizes: number[]): Promise<EmbedThroughputPoint[]> {
  const points: EmbedThroughputPoint[] = [];
  await fn.embed(texts.slice(0, 8)); // warm-up: model graphs, kernels, HTTP connections
  for (const batchSize of batchSizes) {
    const t0 = performance.now();
    await fn.embed(texts, { batchSize });
    const seconds = (performance.now() - t0) / 1000;
    const point = { provider, model: fn.name, dimension: fn.dimension, batchSize, texts: texts.length, seconds, textsPerSecond: texts.length / seconds };
    points.push(point);
    console.log(`  ${provider} batch ${batchSize}: ${point.textsPerSecond.toFixed(1)} texts/s (${texts.length} in ${seconds.toFixed(2)} s)`);
  }
  return points;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startServe(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT_DIR, 'bin', 'quiver.mjs'), 'serve', '--data', dataDir, '--port', String(port)], {
    env: { ...process.env, QUIVER_API_KEYS: '', QUIVER_EMBEDDING: 'builtin', QUIVER_URL: '', QUIVER_DATA_DIR: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`quiver serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('quiver serve did not become ready within 60 s');
}

export async function runEmbed(options: { quick: boolean }): Promise<Pick<EmbedRunResult, 'corpus' | 'throughput' | 'ingest'>> {
  const file = findPapers();
  const papers = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Paper);
  const titles = papers.slice(0, options.quick ? 32 : TEXTS_PER_POINT).map((p) => p.title);
  const batchSizes = options.quick ? [1, 32] : EMBED_BATCH_SIZES;
  const embed = await import('../../src/embed/index.js');
  const { Quiver } = await import('../../src/index.js');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'quiver-bench-embed-'));
  const points: EmbedThroughputPoint[] = [];
  const ingest: EmbedIngestPoint[] = [];
  try {
    console.log('throughput (texts: paper titles)');
    const builtin = await embed.builtinEmbedding();
    points.push(...(await throughput('builtin', builtin, titles, batchSizes)));
    await builtin.close();

    // @ts-expect-error: a plain .mjs script without type declarations
    const { makeTinyEmbedder } = await import('../../scripts/make-test-embedder.mjs');
    const modelDir = path.join(scratch, 'tiny-embedder');
    makeTinyEmbedder(modelDir);
    const tiny = await embed.transformersEmbedding({ model: 'quiver/tiny-embedder', localPath: modelDir });
    points.push(...(await throughput('transformers.js (test model)', tiny, titles, batchSizes)));
    await tiny.close();

    const { url, child } = await startServe(path.join(scratch, 'serve'));
    try {
      const remote = await embed.openaiEmbedding({ baseURL: url, model: 'builtin' });
      points.push(...(await throughput('openai-compatible (quiver serve, builtin)', remote, titles, batchSizes)));
      await remote.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }

    const corpus = options.quick ? papers.slice(0, 24) : papers;
    const settings = [
      { setting: "{ embedding: 'builtin' }", config: { embedding: 'builtin' as const } },
      { setting: "{ embedding: 'builtin', chunking: { by: 'sentences', size: 64, overlap: 1 } }", config: { embedding: 'builtin' as const, chunking: { by: 'sentences' as const, size: 64, overlap: 1 } } },
    ];
    console.log(`ingest (${corpus.length} papers, documents only, batches of ${INGEST_BATCH})`);
    for (const [i, { setting, config }] of settings.entries()) {
      const db = await Quiver.open({ path: path.join(scratch, `ingest-${i}`) });
      const col = await db.createCollection('papers', config);
      const t0 = performance.now();
      for (let start = 0; start < corpus.length; start += INGEST_BATCH) {
        await col.upsert(corpus.slice(start, start + INGEST_BATCH).map((p) => ({ key: p.id, document: `${p.title}\n\n${p.abstract}` })));
      }
      const seconds = (performance.now() - t0) / 1000;
      const records = await col.count();
      await db.close();
      ingest.push({ setting, papers: corpus.length, records, seconds, papersPerSecond: corpus.length / seconds });
      console.log(`  ${setting}: ${corpus.length} papers (${records} records) in ${seconds.toFixed(1)} s, ${(corpus.length / seconds).toFixed(2)} papers/s`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { corpus: `${path.basename(file)} (${papers.length} papers)`, throughput: points, ingest };
}

export function renderEmbed(run: EmbedRunResult): string {
  const providers = [...new Set(run.throughput.map((p) => p.provider))];
  const sizes = [...new Set(run.throughput.map((p) => p.batchSize))];
  const cell = (provider: string, size: number) => {
    const point = run.throughput.find((p) => p.provider === provider && p.batchSize === size);
    return point ? point.textsPerSecond.toFixed(1) : '–';
  };
  return [
    `_Generated by \`${run.command}\` on ${run.date}._`,
    '',
    `Machine: ${run.machine.cpu}, Node ${run.machine.node}, **shared with other jobs while this ran: the figures are indicative** (the same run on an idle machine is faster). Corpus: ${run.corpus}.`,
    '',
    `Throughput, texts/s: the first ${run.throughput[0]?.texts ?? 0} paper titles (23-142 characters) embedded at each batch size after a warm-up batch. The transformers.js row is the generated test model (an embedding-table lookup: tokenizer + ONNX runtime + pooling overhead, no transformer layers), not a real model's speed; the OpenAI-compatible row is the provider against a local \`quiver serve\` (child process) serving the built-in model, so it is the built-in model plus HTTP and JSON.`,
    '',
    `| provider | model | dimension | ${sizes.map((s) => `batch ${s}`).join(' | ')} |`,
    `|---|---|---:|${sizes.map(() => '---:').join('|')}|`,
    ...providers.map((provider) => {
      const first = run.throughput.find((p) => p.provider === provider)!;
      return `| ${provider} | \`${first.model}\` | ${first.dimension} | ${sizes.map((s) => cell(provider, s)).join(' | ')} |`;
    }),
    '',
    `End-to-end ingest: every paper upserted as \`{ key, document: title + abstract }\` (no vectors: the collection embeds them) in batches of ${INGEST_BATCH} into a persisted collection (durability 'sync'), timed from the first upsert to the last acknowledgement.`,
    '',
    '| collection | papers | records stored | total s | papers/s |',
    '|---|---:|---:|---:|---:|',
    ...run.ingest.map((p) => `| \`${p.setting}\` | ${p.papers} | ${p.records} | ${p.seconds.toFixed(1)} | ${p.papersPerSecond.toFixed(2)} |`),
  ].join('\n');
}
