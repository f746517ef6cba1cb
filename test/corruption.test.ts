/**
 * Damaged files are detected and refused with an error naming what is damaged; torn WAL tails are
 * recovered; decoders fed random or truncated bytes throw QuiverError and nothing else.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Quiver, QuiverError } from '../src/index.js';
import { decodeManifest, encodeManifest } from '../src/core/format/manifest.js';
import { decodeOp, encodeOp } from '../src/core/format/ops.js';
import { decodeSegment, encodeSegment } from '../src/core/format/segment.js';
import { decodeWal } from '../src/core/format/wal.js';

const DIM = 6;
const vec = (n: number) => Array.from({ length: DIM }, (_, i) => Math.sin(n + i));

/** A database directory with sealed segments (after a checkpoint) and a WAL holding later batches. */
async function makeStore(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-corrupt-'));
  const db = await Quiver.open({ path: dir, autoCheckpoint: false });
  const col = await db.createCollection('c', { dimension: DIM, metric: 'l2' });
  for (let b = 0; b < 4; b++) await col.upsert(Array.from({ length: 10 }, (_, j) => ({ key: `s${b}-${j}`, vector: vec(b * 10 + j), metadata: { b } })));
  await db.checkpoint();
  for (let b = 0; b < 4; b++) await col.upsert(Array.from({ length: 10 }, (_, j) => ({ key: `w${b}-${j}`, vector: vec(100 + b * 10 + j) })));
  // leave without close(): the WAL is the only copy of the w* batches
  await (db as unknown as { store: { close(): Promise<void> } }).store.close();
  return dir;
}

function fileOf(dir: string, pattern: RegExp): string {
  const name = readdirSync(dir).find((f) => pattern.test(f));
  assert.ok(name, `no file matching ${pattern}`);
  return join(dir, name);
}

function flipByte(path: string, offset: number): void {
  const bytes = readFileSync(path);
  bytes[offset] ^= 0x10;
  writeFileSync(path, bytes);
}

async function openFails(dir: string, code: string, mentions: RegExp): Promise<QuiverError> {
  try {
    const db = await Quiver.open({ path: dir });
    await db.close();
  } catch (error) {
    assert.ok(error instanceof QuiverError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, mentions);
    return error;
  }
  assert.fail(`open should fail with ${code}`);
}

describe('damaged files', () => {
  it('opens intact: segments and WAL both recovered', async () => {
    const dir = await makeStore();
    const db = await Quiver.open({ path: dir });
    assert.equal(await db.collection('c').count(), 80);
    await db.close();
    rmSync(dir, { recursive: true });
  });

  it('a flipped bit anywhere in a segment file is CORRUPTED naming the file', async () => {
    const dir = await makeStore();
    const segment = fileOf(dir, /^seg-.*\.qseg$/);
    const size = statSync(segment).size;
    for (const offset of [0, 9, 22, 40, Math.floor(size / 2), size - 1]) {
      flipByte(segment, offset);
      const error = await openFails(dir, offset === 0 ? 'CORRUPTED' : 'CORRUPTED', /seg-/);
      assert.ok(typeof error.details.file === 'string');
      flipByte(segment, offset); // restore
    }
    rmSync(dir, { recursive: true });
  });

  it('a flipped bit in a WAL record before the tail is CORRUPTED with file and offset', async () => {
    const dir = await makeStore();
    const wal = fileOf(dir, /^wal-.*\.log$/);
    flipByte(wal, 40);
    const error = await openFails(dir, 'CORRUPTED', /wal-/);
    assert.equal(typeof error.details.offset, 'number');
    rmSync(dir, { recursive: true });
  });

  it('a torn WAL tail is truncated: the last batch is gone whole, the rest is there', async () => {
    const dir = await makeStore();
    const wal = fileOf(dir, /^wal-.*\.log$/);
    truncateSync(wal, statSync(wal).size - 7);
    const db = await Quiver.open({ path: dir });
    const col = db.collection('c');
    assert.equal(await col.count(), 70);
    assert.equal((await col.get(['w3-0', 'w3-9'])).filter(Boolean).length, 0);
    assert.equal((await col.get(['w2-9']))[0]?.key, 'w2-9');
    await col.upsert([{ key: 'after', vector: vec(1) }]);
    await db.close();
    const again = await Quiver.open({ path: dir });
    assert.equal(await again.collection('c').count(), 71);
    await again.close();
    rmSync(dir, { recursive: true });
  });

  it('a damaged or missing MANIFEST, or a missing segment, refuses to open', async () => {
    const dir = await makeStore();
    const manifest = join(dir, 'MANIFEST');
    flipByte(manifest, 30);
    await openFails(dir, 'CORRUPTED', /MANIFEST/);
    flipByte(manifest, 30);
    rmSync(fileOf(dir, /^seg-/));
    await openFails(dir, 'CORRUPTED', /seg-.*missing/);
    rmSync(manifest);
    await openFails(dir, 'CORRUPTED', /MANIFEST file is missing/);
    rmSync(dir, { recursive: true });
  });

  it('a newer format version is refused with UNSUPPORTED', async () => {
    const dir = await makeStore();
    const segment = fileOf(dir, /^seg-/);
    const bytes = readFileSync(segment);
    bytes.writeUInt16LE(99, 4);
    writeFileSync(segment, bytes);
    const error = await openFails(dir, 'UNSUPPORTED', /version 99/);
    assert.equal(error.details.version, 99);
    rmSync(dir, { recursive: true });
  });
});

describe('locking', () => {
  it('a second open of the same directory gets LOCKED, in this process and in another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-lock-'));
    const db = await Quiver.open({ path: dir });
    await assert.rejects(Quiver.open({ path: dir }), { code: 'LOCKED' });
    const script = `import('${new URL('../src/index.ts', import.meta.url).href}').then(({ Quiver }) => Quiver.open({ path: ${JSON.stringify(dir)} })).then(() => console.log('opened'), (e) => console.log(e.code))`;
    const output = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script]);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', () => resolve(out.trim()));
    });
    assert.equal(output, 'LOCKED');
    await db.close();
    const reopened = await Quiver.open({ path: dir });
    await reopened.close();
    rmSync(dir, { recursive: true });
  });
});

describe('decoders against random and truncated bytes', () => {
  const segmentBytes = encodeSegment({
    id: 3,
    dimension: 3,
    keys: ['a', 'b'],
    vectors: Float32Array.from([1, 2, 3, 4, 5, 6]),
    metadata: [{ x: 1 }, undefined],
    documents: [undefined, 'doc'],
  });
  const manifestBytes = encodeManifest({
    checkpoint: 2,
    walStart: 5,
    lastLsn: 9,
    nextSegmentId: 4,
    nextCollectionId: 2,
    collections: [{ definition: { name: 'c', id: 1, dimension: 3, metric: 'l2', index: { type: 'flat' } }, segments: [{ id: 3, count: 2, deleted: Uint32Array.from([1]) }] }],
  });
  const opBytes = encodeOp({ type: 'upsert', lsn: 4, name: 'c', id: 1, dimension: 3, records: [{ key: 'a', vector: Float32Array.from([1, 2, 3]), metadata: { m: [1] }, document: 'd' }] });
  const decoders: [string, (b: Uint8Array) => unknown, Uint8Array][] = [
    ['segment', (b) => decodeSegment(b, 'seg'), segmentBytes],
    ['manifest', (b) => decodeManifest(b, 'MANIFEST'), manifestBytes],
    ['log operation', (b) => decodeOp(b, 'wal'), opBytes],
    ['wal', (b) => decodeWal(b, 'wal-0000000001.log'), new Uint8Array(0)],
  ];

  for (const [name, decode, valid] of decoders) {
    it(`${name}: random bytes, truncations and bit flips throw QuiverError or decode`, () => {
      const onlyQuiverErrors = (bytes: Uint8Array) => {
        try {
          decode(bytes);
        } catch (error) {
          if (!(error instanceof QuiverError)) throw error;
        }
      };
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), onlyQuiverErrors), { numRuns: 2000 });
      for (let cut = 0; cut < valid.length; cut++) onlyQuiverErrors(valid.subarray(0, cut));
      fc.assert(
        fc.property(fc.nat(Math.max(valid.length - 1, 0)), fc.integer({ min: 1, max: 255 }), (at, mask) => {
          const copy = valid.slice();
          if (copy.length) copy[at] ^= mask;
          onlyQuiverErrors(copy);
        }),
        { numRuns: 1000 },
      );
      if (valid.length) {
        for (let cut = 0; cut < valid.length; cut++) {
          if (name === 'wal') continue;
          assert.throws(() => decode(valid.subarray(0, cut)), QuiverError, `a ${name} cut at ${cut} must not decode`);
        }
      }
    });
  }
});

describe('damaged graph sections', () => {
  for (const index of ['HNSW8', 'Vamana16']) {
    it(`${index}: a flipped bit in a segment's graph is CORRUPTED, never a wrong answer`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'quiver-corrupt-graph-'));
      const db = await Quiver.open({ path: dir });
      const col = await db.createCollection('c', { dimension: DIM, metric: 'l2', index });
      await col.upsert(Array.from({ length: 300 }, (_, j) => ({ key: `k${j}`, vector: vec(j * 1.7) })));
      await db.idle();
      await db.close();
      const segment = fileOf(dir, /^seg-.*\.qseg$/);
      const size = statSync(segment).size;
      for (const back of [1, 17, 200]) {
        flipByte(segment, size - back);
        await openFails(dir, 'CORRUPTED', /seg-/);
        flipByte(segment, size - back);
      }
      const ok = await Quiver.open({ path: dir });
      assert.equal(await ok.collection('c').count(), 300);
      await ok.close();
      rmSync(dir, { recursive: true });
    });
  }
});
