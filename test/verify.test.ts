/**
 * verifyStore (behind `quiver verify`): a healthy store passes with its graphs checked and its log
 * decoded; every kind of damage is named by file, including a graph that breaks its invariants under
 * valid checksums (which Quiver.open would load); what recovery cleans up itself is a notice; and the
 * check never changes a byte of the store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Quiver, verifyStore } from '../src/index.js';
import { decodeSegment, encodeSegment } from '../src/core/format/segment.js';
import { decodeHnsw, encodeHnsw } from '../src/core/index/hnsw/codec.js';
import { clusteredVectors } from './support/data.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-verify-'));
after(() => rmSync(root, { recursive: true, force: true }));
let stores = 0;

async function store(index: string, count: number, options: { close?: boolean; logged?: number } = {}): Promise<{ path: string; db: Quiver }> {
  const path = join(root, `store-${stores++}`);
  const db = await Quiver.open({ path });
  const col = await db.createCollection('c', { dimension: 8, metric: 'l2', index });
  const vectors = clusteredVectors(count + (options.logged ?? 0), 8, stores);
  await col.upsert(vectors.slice(0, count).map((vector, i) => ({ key: `k${i}`, vector, metadata: { i } })));
  await db.idle();
  await db.checkpoint();
  for (let i = count; i < count + (options.logged ?? 0); i++) await col.upsert([{ key: `k${i}`, vector: vectors[i] }]);
  if (options.close !== false) await db.close();
  return { path, db };
}

function fingerprint(path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).map((f) => [f, createHash('sha256').update(readFileSync(join(path, f))).digest('hex')]));
}

const segmentOf = (path: string) => readdirSync(path).find((f) => f.endsWith('.qseg'))!;
const walOf = (path: string) => readdirSync(path).filter((f) => f.endsWith('.log')).sort().at(-1)!;

it('a healthy store passes: graphs checked, log records decoded, nothing changed', async () => {
  const hnsw = await store('HNSW8', 600, { logged: 5, close: false });
  const before = fingerprint(hnsw.path);
  const report = await verifyStore(hnsw.path);
  assert.equal(report.healthy, true, JSON.stringify(report.findings));
  assert.deepEqual(report.collections, [{ name: 'c', index: 'HNSW8', dimension: 8, segments: 1, records: 600, graphsChecked: 1 }]);
  assert.equal(report.walRecords, 5);
  assert.deepEqual(fingerprint(hnsw.path), before);
  await hnsw.db.close();

  const vamana = await store('Vamana16', 500);
  const progress: number[] = [];
  const checked = await verifyStore(vamana.path, { onFile: ({ filesDone }) => progress.push(filesDone) });
  assert.equal(checked.healthy, true, JSON.stringify(checked.findings));
  assert.equal(checked.collections[0].graphsChecked, 1);
  assert.deepEqual(progress, checked.files.map((_, i) => i + 1));
});

it('a graph that breaks its invariants under valid checksums is damage in its segment file', async () => {
  const { path } = await store('HNSW8', 400);
  const file = segmentOf(path);
  const contents = decodeSegment(new Uint8Array(readFileSync(join(path, file))), file);
  const graph = decodeHnsw(contents.graph!.bytes, file, contents.keys.length, 8);
  // cut every layer-0 link to one node: it stays in the graph, unreachable from the entry point
  const lost = graph.entry === 7 ? 8 : 7;
  const degree0 = 2 * graph.degree;
  for (let node = 0; node < graph.size; node++) {
    const list = graph.links0.subarray(node * degree0, node * degree0 + graph.counts0[node]);
    const kept = Array.from(list).filter((to) => to !== lost);
    graph.links0.set(kept, node * degree0);
    graph.counts0[node] = kept.length;
  }
  writeFileSync(join(path, file), encodeSegment({ ...contents, graph: { kind: 'hnsw', bytes: encodeHnsw(graph) } }));
  const report = await verifyStore(path);
  assert.equal(report.healthy, false);
  const damage = report.findings.filter((f) => f.severity === 'damage');
  assert.equal(damage.length, 1);
  assert.equal(damage[0].file, file);
  assert.match(damage[0].message, new RegExp(`hnsw graph: 1 live nodes are unreachable from the entry point on layer 0 \\(${lost}\\)`));
});

it('damage is named by file: manifest, segment and log checksums, a missing segment', async () => {
  const flip = (path: string, file: string, at: (length: number) => number) => {
    const bytes = readFileSync(join(path, file));
    bytes[at(bytes.length)] ^= 0x20;
    writeFileSync(join(path, file), bytes);
  };

  const manifest = await store('Flat', 50);
  flip(manifest.path, 'MANIFEST', (n) => n - 3);
  const m = await verifyStore(manifest.path);
  assert.deepEqual(m.findings.filter((f) => f.severity === 'damage').map((f) => [f.file, f.code]), [['MANIFEST', 'CORRUPTED']]);

  const segment = await store('Flat', 50);
  const file = segmentOf(segment.path);
  flip(segment.path, file, (n) => n - 10);
  const s = await verifyStore(segment.path);
  assert.deepEqual(s.files.filter((f) => f.status === 'damaged').map((f) => f.file), [file]);
  assert.match(s.findings[0].message, /section's checksum does not match/); // the last section: the text index since format v2

  const missing = await store('Flat', 50);
  unlinkSync(join(missing.path, segmentOf(missing.path)));
  const gone = await verifyStore(missing.path);
  assert.match(gone.findings.find((f) => f.severity === 'damage')!.message, /named by the manifest \(collection "c"\) but missing/);

  // damage in the middle of the log is damage; a torn tail is what recovery truncates: a notice
  const { path, db } = await store('Flat', 10, { logged: 3, close: false });
  const wal = walOf(path);
  const before = readFileSync(join(path, wal));
  flip(path, wal, () => 16 + 8 + 3);
  const middle = await verifyStore(path);
  assert.equal(middle.healthy, false);
  assert.equal(middle.findings[0].file, wal);
  assert.match(middle.findings[0].message, /record checksum does not match and more data follows/);
  writeFileSync(join(path, wal), before);
  appendFileSync(join(path, wal), Uint8Array.of(1, 2, 3));
  const torn = await verifyStore(path);
  assert.equal(torn.healthy, true);
  assert.deepEqual(torn.findings.map((f) => [f.file, f.severity]), [[wal, 'notice']]);
  assert.match(torn.findings[0].message, /torn tail/);
  await db.close().catch(() => undefined);
});

it("a multi-vector collection's token files are checked: row checksums, a missing file, a left-over", async () => {
  const path = join(root, `store-${stores++}`);
  const db = await Quiver.open({ path });
  const col = await db.createCollection('mv', { dimension: 8, multivector: true, metric: 'dot', index: 'Flat' });
  const vectors = clusteredVectors(300, 8, 77);
  await col.upsert(Array.from({ length: 60 }, (_, i) => ({ key: `d${i}`, vectors: vectors.slice(i * 5, i * 5 + 2 + (i % 4)) })));
  await db.checkpoint();
  await db.close();
  const token = readdirSync(path).find((f) => f.endsWith('.qtok'))!;
  assert.ok(token, 'the checkpoint wrote a token file');
  const healthy = await verifyStore(path);
  assert.ok(healthy.healthy, JSON.stringify(healthy.findings));
  assert.equal(healthy.files.find((f) => f.file === token)?.kind, 'tokens');

  const before = fingerprint(path);
  const bytes = readFileSync(join(path, token));
  const damaged = Uint8Array.from(bytes);
  damaged[damaged.length - 3] ^= 0x40; // inside the last slot's rows
  writeFileSync(join(path, token), damaged);
  const rows = await verifyStore(path);
  assert.equal(rows.healthy, false);
  assert.ok(rows.findings.some((f) => f.file === token && f.severity === 'damage' && /slot 59 do not match their checksum/.test(f.message)), JSON.stringify(rows.findings));

  writeFileSync(join(path, 'tok-99999999.qtok'), bytes);
  unlinkSync(join(path, token));
  const missing = await verifyStore(path);
  assert.ok(missing.findings.some((f) => f.file === token && f.severity === 'damage' && /are missing/.test(f.message)), JSON.stringify(missing.findings));
  assert.ok(missing.findings.some((f) => f.file === 'tok-99999999.qtok' && f.severity === 'notice'));
  writeFileSync(join(path, token), bytes);
  unlinkSync(join(path, 'tok-99999999.qtok'));
  assert.deepEqual(fingerprint(path), before, 'restored as it was');
  assert.ok((await verifyStore(path)).healthy);
});
