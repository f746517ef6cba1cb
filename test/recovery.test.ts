/**
 * Recovery under a seeded fault-injecting disk: power loss at random moments (unsynced writes dropped or
 * torn, directory operations lost), read errors, and group commit counted in fsyncs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quiver, QuiverError } from '../src/index.js';
import { FaultyStorage } from '../src/storage/faulty.js';
import { Prng } from '../src/core/lib/prng.js';

const DIM = 8;
const SEEDS = process.env.QUIVER_LONG ? 2000 : 200;

function batch(n: number): { key: string; vector: number[]; metadata: { n: number } }[] {
  return Array.from({ length: 5 }, (_, j) => ({ key: `b${n}-${j}`, vector: Array.from({ length: DIM }, (_, i) => Math.cos(n * 13 + j * 5 + i)), metadata: { n } }));
}

describe('power loss on a fault-injecting disk', () => {
  it(`every acknowledged write survives, no batch is half applied (${SEEDS} seeds)`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Prng(seed);
      const disk = new FaultyStorage({ seed });
      // tiny thresholds: checkpoints, sealing and compaction happen during the run and get interrupted
      const options = { durability: 'sync' as const, segmentBytesMax: 2048, checkpointWalBytes: 4096 };
      const db = await Quiver.open({ storage: disk, ...options });
      const col = await db.createCollection('c', { dimension: DIM, metric: 'l2' });
      const acked = new Set<number>();
      const ackedDeletes = new Set<number>();
      const issued: Promise<unknown>[] = [];
      const ops = 5 + rng.int(60);
      for (let n = 0; n < ops; n++) {
        const p =
          n % 7 === 6
            ? col.delete(batch(n - 4).map((r) => r.key)).then(() => ackedDeletes.add(n - 4))
            : col.upsert(batch(n)).then(() => acked.add(n));
        issued.push(p.catch(() => undefined));
        if (rng.next() < 0.5) await p.catch(() => undefined); // mix awaited and concurrent writes
      }
      await new Promise((r) => setTimeout(r, rng.int(3)));
      const after = disk.crash();
      const reopened = await Quiver.open({ storage: after, ...options });
      const c = reopened.collection('c');
      for (let n = 0; n < ops; n++) {
        const present = (await c.get(batch(n).map((r) => r.key))).filter((r) => r !== null);
        assert.ok(present.length === 0 || present.length === 5, `seed ${seed}: batch ${n} half applied`);
        const deletable = (n + 4) % 7 === 6 && n + 4 < ops;
        if (ackedDeletes.has(n)) assert.equal(present.length, 0, `seed ${seed}: acknowledged delete of ${n} lost`);
        else if (acked.has(n) && !deletable) assert.equal(present.length, 5, `seed ${seed}: acknowledged batch ${n} lost`);
        for (const r of present) assert.deepEqual(r!.metadata, { n });
      }
      // the recovered database keeps working and survives a clean reopen
      await c.upsert(batch(1000));
      await reopened.close();
      const again = await Quiver.open({ storage: after, ...options });
      assert.equal((await again.collection('c').get(['b1000-0']))[0]?.key, 'b1000-0');
      await again.close();
      await Promise.race([Promise.all(issued), new Promise((r) => setTimeout(r, 10))]);
    }
  });

  it('read errors fail the open with IO_ERROR, never with wrong data', async () => {
    const disk = new FaultyStorage({ seed: 7 });
    const db = await Quiver.open({ storage: disk, segmentBytesMax: 1024 });
    const col = await db.createCollection('c', { dimension: DIM });
    for (let n = 0; n < 20; n++) await col.upsert(batch(n));
    await db.close();
    disk.faults.readErrorRate = 0.5;
    let failures = 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const opened = await Quiver.open({ storage: disk, segmentBytesMax: 1024 });
        assert.equal(await opened.collection('c').count(), 100);
        await opened.close();
      } catch (error) {
        assert.ok(error instanceof QuiverError && error.code === 'IO_ERROR', String(error));
        failures++;
      }
    }
    assert.ok(failures > 0, 'read faults were injected');
    disk.faults.readErrorRate = 0;
    const healthy = await Quiver.open({ storage: disk });
    assert.equal(await healthy.collection('c').count(), 100);
    await healthy.close();
  });

  it('a failed fsync makes the database refuse writes until it is reopened', async () => {
    const disk = new FaultyStorage({ seed: 9 });
    const db = await Quiver.open({ storage: disk });
    const col = await db.createCollection('c', { dimension: DIM });
    await col.upsert(batch(1));
    disk.faults.syncErrorRate = 1;
    await assert.rejects(col.upsert(batch(2)), { code: 'IO_ERROR' });
    await assert.rejects(col.upsert(batch(3)), { code: 'IO_ERROR' });
    disk.faults.syncErrorRate = 0;
    await db.close().catch(() => undefined);
    const reopened = await Quiver.open({ storage: disk.crash() });
    assert.equal((await reopened.collection('c').get(['b1-0']))[0]?.key, 'b1-0');
    await reopened.close();
  });
});

describe('group commit', () => {
  it('N concurrent sync writers share far fewer than N fsyncs', async () => {
    const disk = new FaultyStorage({ seed: 3, syncDelayMs: 2 });
    const db = await Quiver.open({ storage: disk, durability: 'sync' });
    const col = await db.createCollection('c', { dimension: DIM });
    const before = disk.stats.fsyncs;
    const writers = 50;
    await Promise.all(Array.from({ length: writers }, (_, n) => col.upsert(batch(n))));
    const used = disk.stats.fsyncs - before;
    assert.ok(used <= writers / 5, `${writers} concurrent writers used ${used} fsyncs`);
    assert.equal(await col.count(), writers * 5);
    // sequential sync writes each pay their own fsync: the contrast that proves the grouping
    const sequentialBefore = disk.stats.fsyncs;
    for (let n = 0; n < 10; n++) await col.upsert(batch(100 + n));
    assert.ok(disk.stats.fsyncs - sequentialBefore >= 10);
    await db.close();
  });
});
