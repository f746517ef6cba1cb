/** db.backup(dir): a consistent copy taken while writes continue, opened with Quiver.open. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { Quiver } from '../src/index.js';

const DIM = 16;
const batch = (n: number) => Array.from({ length: 10 }, (_, j) => ({ key: `b${n}-${j}`, vector: Array.from({ length: DIM }, (_, i) => Math.sin(n * 12.9898 + j * 78.233 + i * 37.719)), metadata: { n } }));

for (const source of ['directory', 'in-memory'] as const) {
  it(`a backup of a ${source} database taken during writes is a consistent prefix`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'quiver-backup-'));
    const db = await Quiver.open(source === 'directory' ? { path: join(root, 'db'), segmentBytesMax: 8 * 1024 } : { segmentBytesMax: 8 * 1024 });
    const col = await db.createCollection('c', { dimension: DIM, metric: 'cosine' });
    const other = await db.createCollection('other', { dimension: 3 });
    await other.upsert([{ key: 'x', vector: [1, 2, 3] }]);
    for (let n = 0; n < 30; n++) await col.upsert(batch(n));
    await col.delete(batch(3).map((r) => r.key));
    let stop = false;
    let written = 30;
    const writer = (async () => {
      while (!stop) {
        await new Promise((r) => setImmediate(r)); // in memory, writes never wait on the disk
        await col.upsert(batch(written++));
        if (written % 4 === 0) await col.delete(batch(written - 20).map((r) => r.key));
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    const before = written; // every batch below this was acknowledged before backup() was called
    await db.backup(join(root, 'backup'));
    stop = true;
    await writer;

    const copy = await Quiver.open({ path: join(root, 'backup') });
    const c = copy.collection('c');
    assert.deepEqual((await copy.listCollections()).map((x) => x.name), ['c', 'other']);
    assert.equal((await copy.collection('other').get(['x']))[0]?.key, 'x');
    let present = 0;
    for (let n = 0; n < written; n++) {
      const got = (await c.get(batch(n).map((r) => r.key))).filter((r) => r !== null);
      assert.ok(got.length === 0 || got.length === 10, `batch ${n} half in the backup`);
      present += got.length ? 1 : 0;
      const deletedByWriter = n >= 12 && n % 4 === 0; // maybe before, maybe after the backup
      if (n < before && n !== 3 && !deletedByWriter) assert.equal(got.length, 10, `batch ${n} acknowledged before the backup is missing`);
      if (n === 3) assert.equal(got.length, 0);
    }
    assert.ok(present <= written);
    const hits = await c.query({ vector: batch(7)[2].vector, k: 1 });
    assert.equal(hits[0].key, 'b7-2');
    await copy.close();
    await db.close();
    rmSync(root, { recursive: true });
  });
}

it('backup refuses a non-empty target and changes nothing there', async () => {
  const root = mkdtempSync(join(tmpdir(), 'quiver-backup-'));
  mkdirSync(join(root, 'full'));
  writeFileSync(join(root, 'full', 'keep.txt'), 'mine');
  const db = await Quiver.open();
  await db.createCollection('c', { dimension: 2 });
  await assert.rejects(db.backup(join(root, 'full')), { code: 'INVALID_ARGUMENT', message: /not empty/ });
  await db.close();
  rmSync(root, { recursive: true });
});
