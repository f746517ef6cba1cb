/**
 * The `quiver` binary, run as a user runs it (node bin/quiver.mjs in a child process): collections,
 * import of every format and export compared with the input, an import killed with SIGKILL and resumed
 * without re-sending completed batches, query, stats, backup, verify on a healthy and on a damaged store,
 * --help for every command, the exit codes of docs/cli.md for bad arguments, and the same commands
 * through `quiver serve` with --url and API keys.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parquetWriteFile } from 'hyparquet-writer';
import { Quiver } from '../src/index.js';
import { Prng } from '../src/core/lib/prng.js';
import { bruteForce, clusteredVectors } from './support/data.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'quiver.mjs');
const root = mkdtempSync(join(tmpdir(), 'quiver-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QUIVER_DATA_DIR: '', QUIVER_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiver(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = start(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[], env?: Record<string, string>): Promise<Run> {
  const run = await quiver(args, env);
  assert.equal(run.code, 0, `quiver ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  return run;
}

async function fails(args: string[], code: number, pattern: RegExp): Promise<Run> {
  const run = await quiver(args);
  assert.equal(run.code, code, `quiver ${args.join(' ')}: expected exit ${code}, got ${run.code}:\n${run.stderr}`);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at .*\(/, 'no stack trace without --verbose');
  return run;
}

function dir(name: string): string {
  return join(root, name);
}

interface Fixture {
  key: string;
  vector: Float32Array;
  document?: string;
  metadata?: Record<string, unknown>;
}

function fixtures(count: number, dimension: number, seed: number): Fixture[] {
  const rng = new Prng(seed);
  return clusteredVectors(count, dimension, seed).map((vector, i) => ({
    key: `doc-${i}`,
    vector,
    document: i % 3 === 0 ? `text of document ${i}, "quoted", with a comma` : undefined,
    metadata: { year: 2000 + rng.int(25), tag: ['a', 'b', 'c'][i % 3] },
  }));
}

function writeJsonl(path: string, records: Fixture[]): void {
  writeFileSync(path, records.map((r) => JSON.stringify({ key: r.key, vector: Array.from(r.vector), document: r.document, metadata: r.metadata })).join('\n') + '\n');
}

/** What `quiver export` wrote, by key. */
function readExport(path: string): Map<string, { vector: number[]; document?: string; metadata?: Record<string, unknown> }> {
  const out = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { key: string; vector: number[]; document?: string; metadata?: Record<string, unknown> };
    assert.ok(!out.has(r.key), `key ${r.key} exported twice`);
    out.set(r.key, r);
  }
  return out;
}

/** Every record exported exactly as it went in (float32 vectors bit for bit; l2 stores them as given). */
function assertSameRecords(exported: ReturnType<typeof readExport>, records: Fixture[]): void {
  assert.equal(exported.size, records.length);
  for (const r of records) {
    const e = exported.get(r.key);
    assert.ok(e, `${r.key} is missing from the export`);
    assert.deepEqual(Float32Array.from(e.vector), r.vector, `${r.key}: vector`);
    assert.equal(e.document, r.document, `${r.key}: document`);
    assert.deepEqual(e.metadata, r.metadata, `${r.key}: metadata`);
  }
}

function writeNpy(path: string, vectors: Float32Array[]): void {
  const dimension = vectors[0].length;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${vectors.length}, ${dimension}), }`;
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(headerLength, 0x20);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header.writeUInt16LE(headerLength - 10, 8);
  header.write(dict, 10, 'latin1');
  header[headerLength - 1] = 0x0a;
  const data = new Float32Array(vectors.length * dimension);
  vectors.forEach((v, i) => data.set(v, i * dimension));
  writeFileSync(path, Buffer.concat([header, Buffer.from(data.buffer)]));
}

function writeFvecs(path: string, vectors: Float32Array[]): void {
  writeFileSync(
    path,
    Buffer.concat(
      vectors.map((v) => {
        const row = Buffer.alloc(4 + 4 * v.length);
        row.writeInt32LE(v.length, 0);
        Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(row, 4);
        return row;
      }),
    ),
  );
}

function hashes(path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).map((f) => [f, createHash('sha256').update(readFileSync(join(path, f))).digest('hex')]));
}

describe('quiver CLI', { concurrency: 3 }, () => {
  it('--help works for every command', async () => {
    const commands = ['', 'serve', 'collections', 'collections create', 'collections list', 'collections drop', 'import', 'export', 'query', 'stats', 'verify', 'backup', 'bench'];
    const runs = await Promise.all(commands.map((c) => ok([...c.split(' ').filter(Boolean), '--help'])));
    runs.forEach((run, i) => {
      assert.match(run.stdout, new RegExp(`^Usage: quiver ${commands[i]}`.trimEnd()), commands[i]);
      assert.match(run.stdout, /--data <dir>/, `${commands[i]} --help shows the global options`);
    });
    assert.match(runs[0].stdout, /Exit codes/);
    assert.match((await ok(['help', 'import'])).stdout, /--batch-size/);
    assert.match((await ok(['--version'])).stdout, /^\d+\.\d+\.\d+/);
  });

  it('collections create, list and drop', async () => {
    const data = dir('collections');
    const created = await ok(['--data', data, 'collections', 'create', 'papers', '--dimension', '4', '--metric', 'dot', '--index', 'HNSW8']);
    assert.match(created.stdout, /created collection "papers" \(dimension 4, dot, HNSW8\)/);
    await fails(['--data', data, 'collections', 'create', 'papers', '--dimension', '4'], 4, /COLLECTION_EXISTS/);
    await fails(['--data', data, 'collections', 'create', 'bad name', '--dimension', '4'], 2, /INVALID_ARGUMENT: Collection names/);
    await fails(['--data', data, 'collections', 'create', 'x', '--dimension', '4', '--index', 'HNSW'], 2, /INVALID_ARGUMENT/);
    await ok(['collections', 'create', 'notes', '--dimension', '2', '--data', data]);
    const listed = JSON.parse((await ok(['--data', data, 'collections', 'list', '--json'])).stdout) as { name: string; dimension: number; metric: string; index: string; count: number }[];
    assert.deepEqual(listed, [
      { name: 'notes', dimension: 2, metric: 'cosine', index: 'Flat', count: 0 },
      { name: 'papers', dimension: 4, metric: 'dot', index: 'HNSW8', count: 0 },
    ]);
    assert.match((await ok(['--data', data, 'collections', 'list'])).stdout, /^name\s+dimension\s+metric\s+index\s+count\npapers|notes/m);
    await fails(['--data', data, 'collections', 'drop', 'papers'], 2, /confirm with --yes/);
    await ok(['--data', data, 'collections', 'drop', 'papers', '--yes']);
    await fails(['--data', data, 'collections', 'drop', 'papers', '--yes'], 3, /COLLECTION_NOT_FOUND/);
    assert.deepEqual(JSON.parse((await ok(['--data', data, 'collections', 'list', '--json'])).stdout).map((c: { name: string }) => c.name), ['notes']);
  });

  it('imports JSONL and exports it back unchanged; query, stats and backup', async () => {
    const data = dir('jsonl');
    const input = dir('in.jsonl');
    const records = fixtures(700, 12, 7);
    writeJsonl(input, records);
    const imported = JSON.parse((await ok(['--data', data, 'import', input, '-c', 'docs', '--create', '--metric', 'l2', '--batch-size', '128', '--json'])).stdout);
    assert.equal(imported.imported, 700);
    assert.equal(imported.batches, 6);
    assert.equal(imported.count, 700);
    assert.ok(!existsSync(`${input}.quiver-import.json`), 'a finished import removes its checkpoint');

    await ok(['--data', data, 'export', '-c', 'docs', '-o', dir('out.jsonl')]);
    assertSameRecords(readExport(dir('out.jsonl')), records);
    const stdoutExport = await ok(['--data', data, 'export', '-c', 'docs', '--no-vectors']);
    assert.equal(stdoutExport.stdout.split('\n').filter(Boolean).length, 700);
    assert.doesNotMatch(stdoutExport.stdout, /"vector"/);

    const query = records[3].vector;
    const truth = bruteForce(new Map(records.map((r) => [r.key, r.vector])), query, 'l2', 5);
    const hits = JSON.parse((await ok(['--data', data, 'query', '-c', 'docs', '--vector', JSON.stringify(Array.from(query)), '-k', '5', '--json'])).stdout).hits as {
      key: string;
      metadata: unknown;
    }[];
    assert.deepEqual(hits.map((h) => h.key), truth.map((t) => t.key));
    assert.deepEqual(hits[0].metadata, records[3].metadata);
    const table = (await ok(['--data', data, 'query', '-c', 'docs', '--key', 'doc-3', '-k', '3'])).stdout;
    assert.match(table, /^rank\s+key\s+score\s+distance/);
    assert.match(table.split('\n')[1], /^\s*1\s+doc-3\s/);
    writeFileSync(dir('queries.json'), JSON.stringify([Array.from(records[1].vector), Array.from(records[2].vector)]));
    const many = JSON.parse((await ok(['--data', data, 'query', '-c', 'docs', '--vector-file', dir('queries.json'), '-k', '1', '--include', 'none', '--json'])).stdout);
    assert.deepEqual(many.results.map((r: { hits: { key: string }[] }) => r.hits[0].key), ['doc-1', 'doc-2']);

    // a filter, keyword search and hybrid search
    const filtered = JSON.parse((await ok(['--data', data, 'query', '-c', 'docs', '--key', 'doc-3', '-k', '50', '--filter', '{"tag": "b", "year": {"$gte": 2010}}', '--json'])).stdout).hits as { key: string; metadata: { tag: string; year: number } }[];
    const matching = records.filter((r) => r.metadata.tag === 'b' && r.metadata.year >= 2010);
    assert.equal(filtered.length, Math.min(50, matching.length));
    for (const h of filtered) assert.ok(h.metadata.tag === 'b' && h.metadata.year >= 2010);
    const keyword = JSON.parse((await ok(['--data', data, 'query', '-c', 'docs', '--text', 'quoted document', '-k', '1000', '--json'])).stdout).hits as { key: string; distance?: number }[];
    assert.equal(keyword.length, records.filter((r) => r.document !== undefined).length, 'every record with a document holds "document"');
    assert.equal(keyword[0].distance, undefined);
    const keywordTable = (await ok(['--data', data, 'query', '-c', 'docs', '--text', 'document 42', '-k', '3'])).stdout;
    assert.match(keywordTable.split('\n')[1], /^\s*1\s+doc-42\s.*—/);
    const hybrid = JSON.parse((await ok(['--data', data, 'query', '-c', 'docs', '--key', 'doc-3', '--text', 'document 3', '-k', '3', '--json'])).stdout).hits as { key: string }[];
    assert.equal(hybrid[0].key, 'doc-3', 'first by vector and by keywords');
    await fails(['--data', data, 'query', '-c', 'docs', '--key', 'doc-3', '--filter', '{"year": {"$gte": "2010"}}'], 2, /INVALID_FILTER.*filter\.year\.\$gte: expected number|filter\.year\.\$gte: expected number/);
    await fails(['--data', data, 'query', '-c', 'docs', '--key', 'doc-3', '--filter', '{year}'], 2, /--filter is a JSON filter/);

    const stats = JSON.parse((await ok(['--data', data, 'stats', '-c', 'docs', '--json'])).stdout);
    assert.equal(stats.count, 700);
    assert.equal(stats.dimension, 12);
    assert.equal(stats.metric, 'l2');
    assert.match((await ok(['--data', data, 'stats'])).stdout, /records\s+700/);

    const backup = dir('jsonl-backup');
    await ok(['--data', data, 'backup', backup]);
    assert.equal(JSON.parse((await ok(['--data', backup, 'collections', 'list', '--json'])).stdout)[0].count, 700);
    await fails(['--data', data, 'backup', backup], 2, /not empty/);
  });

  it('imports CSV with field mapping', async () => {
    const data = dir('csv');
    const input = dir('in.csv');
    const records = fixtures(300, 6, 11);
    const cell = (text: string) => `"${text.replaceAll('"', '""')}"`;
    const lines = ['id,embedding,title,year,tag', ...records.map((r) => [r.key, cell(JSON.stringify(Array.from(r.vector))), r.document ? cell(r.document) : '', r.metadata!.year, r.metadata!.tag].join(','))];
    writeFileSync(input, lines.join('\r\n') + '\r\n');
    await ok(['--data', data, 'import', input, '-c', 'csv', '--create', '--metric', 'l2', '--key-field', 'id', '--vector-field', 'embedding', '--document-field', 'title', '--batch-size', '100']);
    await ok(['--data', data, 'export', '-c', 'csv', '-o', dir('csv.jsonl')]);
    // CSV cells are text: numeric metadata columns come back as numbers
    assertSameRecords(readExport(dir('csv.jsonl')), records);
  });

  it('imports Parquet (list vector column, several row groups)', async () => {
    const data = dir('parquet');
    const input = dir('in.parquet');
    const records = fixtures(2500, 5, 13);
    parquetWriteFile({
      filename: input,
      columnData: [
        { name: 'id', data: records.map((r) => r.key) },
        { name: 'embedding', data: records.map((r) => Array.from(r.vector)) },
        { name: 'year', data: records.map((r) => BigInt(r.metadata!.year as number)) },
        { name: 'tag', data: records.map((r) => r.metadata!.tag as string) },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
        { name: 'year', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'tag', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      ],
      rowGroupSize: 1000,
    });
    await ok(['--data', data, 'import', input, '-c', 'pq', '--create', '--metric', 'l2', '--key-field', 'id', '--vector-field', 'embedding', '--batch-size', '700']);
    await ok(['--data', data, 'export', '-c', 'pq', '-o', dir('pq.jsonl')]);
    assertSameRecords(
      readExport(dir('pq.jsonl')),
      records.map((r) => ({ ...r, document: undefined })),
    );
  });

  it('imports .npy and .fvecs, exports both back with their keys', async () => {
    const data = dir('binary');
    const vectors = clusteredVectors(400, 10, 17);
    writeNpy(dir('in.npy'), vectors);
    await ok(['--data', data, 'import', dir('in.npy'), '-c', 'npy', '--create', '--metric', 'l2', '--key-prefix', 'row-', '--batch-size', '64']);
    await ok(['--data', data, 'export', '-c', 'npy', '-o', dir('out.npy')]);
    // rows come back in insertion order, so the export is the input byte for byte
    assert.deepEqual(readFileSync(dir('out.npy')).subarray(128), readFileSync(dir('in.npy')).subarray(128));
    const keys = readFileSync(dir('out.npy.keys.jsonl'), 'utf8').trim().split('\n').map((k) => JSON.parse(k) as string);
    assert.deepEqual(keys, vectors.map((_, i) => `row-${i}`));
    // the exported .npy imports again (its padded header included)
    await ok(['--data', data, 'import', dir('out.npy'), '-c', 'npy2', '--create', '--metric', 'l2', '--keys-file', dir('out.npy.keys.jsonl')]);

    writeFvecs(dir('in.fvecs'), vectors);
    writeFileSync(dir('in.keys'), vectors.map((_, i) => `v${i}`).join('\n') + '\n');
    await ok(['--data', data, 'import', dir('in.fvecs'), '-c', 'fv', '--create', '--metric', 'l2', '--keys-file', dir('in.keys')]);
    await ok(['--data', data, 'export', '-c', 'fv', '-o', dir('out.fvecs')]);
    assert.deepEqual(readFileSync(dir('out.fvecs')), readFileSync(dir('in.fvecs')));
    const npy2 = JSON.parse((await ok(['--data', data, 'stats', '-c', 'npy2', '--json'])).stdout);
    assert.equal(npy2.count, 400);
    const hit = JSON.parse((await ok(['--data', data, 'query', '-c', 'fv', '--vector-file', dir('in.fvecs'), '-k', '1', '--json'])).stdout);
    assert.deepEqual(hit.results.slice(0, 3).map((r: { hits: { key: string }[] }) => r.hits[0].key), ['v0', 'v1', 'v2']);
  });

  it('an interrupted import (SIGINT, then SIGKILL) resumes from its checkpoint without re-sending completed batches', { timeout: 180_000 }, async () => {
    const data = dir('resume');
    const input = dir('resume.jsonl');
    const records = fixtures(6000, 16, 23);
    writeJsonl(input, records);
    const BATCH = 25;
    const args = ['--data', data, 'import', input, '-c', 'big', '--create', '--metric', 'l2', '--batch-size', String(BATCH), '--no-wait-index'];
    const checkpointFile = `${input}.quiver-import.json`;
    type Line = { kind: string; first: number; count: number };
    const trace = (path: string): Line[] =>
      existsSync(path)
        ? readFileSync(path, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [kind, first, count] = l.split(' ');
              return { kind, first: Number(first), count: Number(count) };
            })
        : [];
    const saved = () => JSON.parse(readFileSync(checkpointFile, 'utf8')) as { records: number; position: { row: number } };

    /** Runs the import until `durableBatches` batches are acknowledged, then sends `signal`. */
    const interrupt = async (tracePath: string, durableBatches: number, signal: NodeJS.Signals) => {
      const child = start(args, { QUIVER_IMPORT_TRACE: tracePath });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
      while (trace(tracePath).filter((l) => l.kind === 'durable').length < durableBatches) {
        if (child.exitCode !== null) assert.fail(`the import ended before it could be interrupted:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      child.kill(signal);
      return { ...(await exited), stderr: () => stderr };
    };

    /** What a resumed run sent, checked against the checkpoint it started from. */
    const assertResumedAt = (lines: Line[], from: number) => {
      const sends = lines.filter((l) => l.kind === 'send');
      assert.equal(sends[0].first, from, 'the resumed import starts right after the last durable batch');
      assert.ok(sends.every((l) => l.first >= from), 'no completed batch is sent again');
      for (let i = 1; i < sends.length; i++) assert.equal(sends[i].first, sends[i - 1].first + sends[i - 1].count, 'batches follow each other');
    };

    // run 1: Ctrl-C stops after the batch in flight, with the checkpoint written
    const first = await interrupt(dir('trace-1'), 6, 'SIGINT');
    assert.equal(first.code, 130);
    assert.match(first.stderr(), /import stopped by SIGINT after [\d,]+ records; .* run the same command again to resume/);
    const afterInt = saved();
    const run1 = trace(dir('trace-1'));
    assert.equal(afterInt.records, run1.filter((l) => l.kind === 'durable').length * BATCH, 'a graceful stop checkpoints every acknowledged batch');
    assert.equal(run1.filter((l) => l.kind === 'send').length, run1.filter((l) => l.kind === 'durable').length, 'nothing was left in flight');

    // run 2: resumed, then killed outright
    const second = await interrupt(dir('trace-2'), 8, 'SIGKILL');
    assert.equal(second.signal, 'SIGKILL');
    const run2 = trace(dir('trace-2'));
    assertResumedAt(run2, afterInt.records);
    const afterKill = saved();
    assert.equal(afterKill.position.row, afterKill.records);
    assert.ok(afterKill.records >= afterInt.records + run2.filter((l) => l.kind === 'durable').length * BATCH, 'the checkpoint covers every batch reported durable');
    assert.ok(afterKill.records < records.length, 'killed before the end');
    // one batch at most is in flight: past the checkpoint, run 2 sent at most one batch (sent again below: upserts are idempotent)
    assert.ok(run2.filter((l) => l.kind === 'send' && l.first >= afterKill.records).length <= 1);

    // run 3: resumes at the checkpoint and finishes
    const third = await ok(args, { QUIVER_IMPORT_TRACE: dir('trace-3') });
    assert.match(third.stderr, new RegExp(`resumed after ${afterKill.records.toLocaleString('en-US')}`));
    const run3 = trace(dir('trace-3'));
    assertResumedAt(run3, afterKill.records);
    assert.equal(run3.filter((l) => l.kind === 'send').reduce((n, l) => n + l.count, 0), records.length - afterKill.records, 'every remaining row is sent once');
    assert.ok(!existsSync(checkpointFile), 'a finished import removes its checkpoint');

    await ok(['--data', data, 'export', '-c', 'big', '-o', dir('resume-out.jsonl')]);
    assertSameRecords(readExport(dir('resume-out.jsonl')), records);
  });

  it('a failed import keeps its checkpoint; a changed file is CHECKPOINT_MISMATCH until --restart', async () => {
    const data = dir('mismatch');
    const input = dir('broken.jsonl');
    const records = fixtures(100, 4, 29);
    const lines = records.map((r) => JSON.stringify({ key: r.key, vector: Array.from(r.vector) }));
    lines[57] = '{"key": "doc-57", "vector": [1, 2, 3]}';
    writeFileSync(input, lines.join('\n') + '\n');
    const failed = await fails(['--data', data, 'import', input, '-c', 'm', '--create', '--metric', 'l2', '--batch-size', '10'], 2, /broken\.jsonl, line 58: .*3 dimensions/);
    assert.match(failed.stderr, /DIMENSION_MISMATCH/);
    assert.equal(JSON.parse(readFileSync(`${input}.quiver-import.json`, 'utf8')).records, 50);
    lines[57] = JSON.stringify({ key: 'doc-57', vector: Array.from(records[57].vector) });
    writeFileSync(input, lines.join('\n') + '\n');
    await fails(['--data', data, 'import', input, '-c', 'm', '--batch-size', '10'], 4, /CHECKPOINT_MISMATCH: .*changed since.*--restart/);
    await ok(['--data', data, 'import', input, '-c', 'm', '--batch-size', '10', '--restart']);
    assert.equal(JSON.parse((await ok(['--data', data, 'stats', '-c', 'm', '--json'])).stdout).count, 100);
  });

  it('verify passes a healthy store (graphs included) and names the damaged file of a broken one, changing nothing', async () => {
    const data = dir('verify');
    const input = dir('verify.jsonl');
    writeJsonl(input, fixtures(1500, 8, 31));
    await ok(['--data', data, 'import', input, '-c', 'v', '--create', '--index', 'HNSW8']);
    const healthy = await ok(['--data', data, 'verify']);
    assert.match(healthy.stdout, /^ok: /m);
    assert.match(healthy.stdout, /v: HNSW8, dimension 8, 1 segments, 1,500 records, 1 graphs checked/);
    const report = JSON.parse((await ok(['--data', data, 'verify', '--json'])).stdout);
    assert.equal(report.healthy, true);

    const segment = readdirSync(data).find((f) => f.endsWith('.qseg'))!;
    const bytes = readFileSync(join(data, segment));
    bytes[Math.floor(bytes.length / 3)] ^= 0x04;
    writeFileSync(join(data, segment), bytes);
    const before = hashes(data);
    const damaged = await fails(['--data', data, 'verify'], 5, new RegExp(`CORRUPTED: .* is damaged: ${segment.replace('.', '\\.')}`));
    assert.match(damaged.stdout, new RegExp(`^DAMAGED ${segment.replace('.', '\\.')}: .*checksum`, 'm'));
    assert.deepEqual(hashes(data), before, 'verify modified the store');
    // opening the damaged store is refused with the same diagnosis
    await fails(['--data', data, 'stats'], 5, /CORRUPTED/);
  });

  it('bench measures recall against exact search', async () => {
    const run = JSON.parse((await ok(['bench', '--count', '800', '--queries', '20', '--dimension', '16', '--index', 'HNSW8', '--ef', '16,64', '--json'])).stdout);
    assert.equal(run.count, 800);
    assert.equal(run.results.length, 2);
    for (const r of run.results) assert.ok(r.qps > 0 && r.recall > 0.8, JSON.stringify(r));
    assert.ok(run.results[1].recall >= run.results[0].recall - 0.05);
  });

  it('bad arguments give one clear line and the documented exit code', async () => {
    const data = dir('bad');
    await ok(['--data', data, 'collections', 'create', 'c', '--dimension', '3']);
    writeFileSync(dir('bad.jsonl'), '{"key": "a", "vector": [1, 2, 3]}\n{"key": "b", "vector": [1, 2,\n');
    // checks that fail before the store is opened run side by side
    await Promise.all([
      fails(['nope'], 2, /unknown command 'nope'/),
      fails(['--data', data, 'collections', 'list', '--frobnicate'], 2, /unknown option '--frobnicate'/),
      fails(['--data', data, 'import', dir('bad.jsonl')], 2, /required option '-c, --collection <name>'/),
      fails(['--data', data, 'import', dir('bad.jsonl'), '-c', 'c', '--batch-size', '0'], 2, /--batch-size is a whole number from 1 to 10,000; got "0"/),
      fails(['--data', data, 'import', dir('missing.jsonl'), '-c', 'c'], 3, /FILE_NOT_FOUND/),
      fails(['--data', data, 'import', dir('bad.jsonl'), '-c', 'c', '--format', 'xml'], 2, /argument 'xml' is invalid/),
      fails(['--data', dir('absent'), 'stats'], 3, /STORE_NOT_FOUND/),
      fails(['--data', data, 'query', '-c', 'c', '--vector', '[1, "x"]'], 2, /--vector is a JSON array of numbers/),
      fails(['--data', data, 'query', '-c', 'c'], 2, /Give exactly one query/),
      fails(['--data', data, '--url', 'http://localhost:1', 'stats'], 2, /either --data DIR .* or --url URL/),
      fails(['stats'], 2, /Say which store/),
      fails(['--url', 'http://127.0.0.1:1', 'verify'], 10, /verify works on a local directory/),
      fails(['--data', data, 'export', '-c', 'c', '--format', 'npy'], 2, /pass --output FILE/),
    ]);
    // one process at a time holds a store
    await fails(['--data', data, 'import', dir('bad.jsonl'), '-c', 'nope'], 3, /COLLECTION_NOT_FOUND: .*--create/);
    await fails(['--data', data, 'import', dir('bad.jsonl'), '-c', 'c', '--checkpoint', dir('bad.ckpt')], 2, /bad\.jsonl, line 2: not valid JSON/);
    await fails(['--data', data, 'query', '-c', 'c', '--vector', '[1, 2]'], 2, /DIMENSION_MISMATCH/);
    const holder = await Quiver.open({ path: data });
    try {
      const locked = await fails(['--data', data, 'stats'], 4, new RegExp(`LOCKED: .*process ${process.pid}`));
      assert.match(locked.stderr, /talk to it with --url/);
    } finally {
      await holder.close();
    }
  });

  it('quiver serve, then collections, import, export, query, stats and backup through the HTTP client; API keys', { timeout: 120_000 }, async () => {
    const data = dir('served');
    const server = start(['--data', data, 'serve', '--port', '0'], { QUIVER_API_KEYS: 'admin-key:admin,reader-key:read-only', QUIVER_LOG_LEVEL: 'warn' });
    let log = '';
    server.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const found = /serving .* at (http:\/\/\S+)/.exec(log);
          if (found) {
            clearInterval(poll);
            resolve(found[1]);
          } else if (server.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`quiver serve exited ${server.exitCode}:\n${log}`));
          }
        }, 20);
      });
      const admin = ['--url', url, '--api-key', 'admin-key'];
      const reader = ['--url', url, '--api-key', 'reader-key'];
      await ok([...admin, 'collections', 'create', 'remote', '--dimension', '12', '--metric', 'l2']);
      const records = fixtures(400, 12, 37);
      writeJsonl(dir('remote.jsonl'), records);
      const imported = JSON.parse((await ok([...admin, 'import', dir('remote.jsonl'), '-c', 'remote', '--batch-size', '150', '--json'])).stdout);
      assert.equal(imported.count, 400);
      await ok([...reader, 'export', '-c', 'remote', '-o', dir('remote-out.jsonl')]);
      assertSameRecords(readExport(dir('remote-out.jsonl')), records);
      const hits = JSON.parse((await ok([...reader, 'query', '-c', 'remote', '--key', 'doc-9', '-k', '2', '--json'])).stdout).hits;
      assert.equal(hits[0].key, 'doc-9');
      assert.equal(JSON.parse((await ok([...reader, 'stats', '-c', 'remote', '--json'])).stdout).count, 400);
      assert.match((await ok([...admin, 'backup', 'nightly'])).stdout, /the server wrote backup "nightly"/);
      await fails(['--url', url, 'collections', 'list'], 8, /UNAUTHORIZED/);
      await fails([...reader, 'collections', 'drop', 'remote', '--yes'], 8, /FORBIDDEN/);
      await fails([...admin, 'query', '-c', 'nope', '--vector', '[1]'], 3, /COLLECTION_NOT_FOUND/);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exited, 0, `quiver serve did not shut down cleanly:\n${log}`);
    // the server closed the store cleanly: it opens locally with everything in it
    assert.equal(JSON.parse((await ok(['--data', data, 'stats', '-c', 'remote', '--json'])).stdout).count, 400);
    await fails(['--url', 'http://127.0.0.1:9', 'collections', 'list'], 7, /UNAVAILABLE/);
  });
});

describe('multi-vector collections from the CLI', () => {
  it('collections create --multivector --pooling, import of "vectors" rows, query --multivector, JSONL export round trip', async () => {
    const data = dir('multivector');
    const rand = new Prng(91);
    const rows = Array.from({ length: 120 }, (_, i) => ({
      key: `d${i}`,
      vectors: Array.from({ length: 3 + (i % 6) }, () => Array.from({ length: 8 }, () => Number((rand.next() * 2 - 1).toFixed(4)))),
      metadata: { i },
    }));
    writeFileSync(dir('mv.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(dir('mv-query.json'), JSON.stringify(rows[17].vectors));
    await ok(['--data', data, 'collections', 'create', 'tokens', '--dimension', '8', '--multivector', '--index', 'HNSW8']);
    assert.equal(JSON.parse((await ok(['--data', data, 'import', dir('mv.jsonl'), '-c', 'tokens', '--json'])).stdout).count, 120);
    const hits = JSON.parse((await ok(['--data', data, 'query', '-c', 'tokens', '--multivector', dir('mv-query.json'), '-k', '3', '--json'])).stdout).hits;
    assert.equal(hits[0].key, 'd17', 'a document is its own best MaxSim match');

    await ok(['--data', data, 'export', '-c', 'tokens', '-o', dir('mv-out.jsonl')]);
    const exported = readFileSync(dir('mv-out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(exported.length, 120);
    const byKey = new Map(exported.map((r) => [r.key, r]));
    for (const r of rows) {
      const out = byKey.get(r.key)!;
      assert.deepEqual(out.metadata, r.metadata);
      assert.equal(out.vectors.length, r.vectors.length);
      out.vectors.forEach((v: number[], t: number) => v.forEach((x, j) => assert.ok(Math.abs(x - r.vectors[t][j]) < 1e-6)));
    }
    // import --create --multivector --pooling 2 makes a pooled collection from the export
    assert.equal(JSON.parse((await ok(['--data', data, 'import', dir('mv-out.jsonl'), '-c', 'pooled', '--create', '--multivector', '--pooling', '2', '--json'])).stdout).count, 120);
    const [pooled] = await (async () => {
      const db = await Quiver.open({ path: data });
      try {
        return [(await db.collection('pooled').get(['d5']))[0]];
      } finally {
        await db.close();
      }
    })();
    assert.equal(pooled!.vectors!.length, Math.ceil(rows[5].vectors.length / 2));
    await fails(['--data', data, 'export', '-c', 'tokens', '-o', dir('mv.npy')], 2, /only JSONL/);
    await fails(['--data', data, 'collections', 'create', 'flat', '--dimension', '8', '--pooling', '2'], 2, /add --multivector/);
  });
});
