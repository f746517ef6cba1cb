/**
 * Churn without closing: background checkpoints fold the log into segments and compaction reclaims
 * deleted and replaced records, so the directory stays under 2x the live data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { Quiver } from '../src/index.js';
import { Prng } from '../src/core/lib/prng.js';

const DIM = 64;
const LIVE = 4000;

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

it('cycles of upserts and deletes keep the directory under 2x the live data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-churn-'));
  const rng = new Prng(99);
  const vector = () => Float32Array.from({ length: DIM }, () => rng.next() - 0.5);
  const db = await Quiver.open({ path: dir, durability: 'none', segmentBytesMax: 256 * 1024 });
  const col = await db.createCollection('churn', { dimension: DIM, metric: 'l2' });
  for (let i = 0; i < LIVE; i += 500) await col.upsert(Array.from({ length: 500 }, (_, j) => ({ key: `k${i + j}`, vector: vector() })));
  const liveBytes = LIVE * (DIM * 4 + 6); // vectors + keys: what a user stored
  let worst = 0;
  let nextKey = LIVE;
  const live = Array.from({ length: LIVE }, (_, i) => `k${i}`);
  const pick = (n: number) => [...new Set(Array.from({ length: n }, () => live[rng.int(live.length)]))];
  for (let cycle = 0; cycle < 30; cycle++) {
    // replace about a third, delete about a sixth and add as many new keys: the live count stays LIVE
    await col.upsert(pick(LIVE / 3).map((key) => ({ key, vector: vector() })));
    const victims = new Set(pick(LIVE / 6));
    const { count: removed } = await col.delete([...victims]);
    assert.equal(removed, victims.size);
    const fresh = Array.from({ length: removed }, () => `k${nextKey++}`);
    await col.upsert(fresh.map((key) => ({ key, vector: vector() })));
    for (let i = 0, f = 0; i < live.length; i++) if (victims.has(live[i])) live[i] = fresh[f++];
    assert.equal(await col.count(), LIVE);
    await db.idle();
    worst = Math.max(worst, directoryBytes(dir) / liveBytes);
  }
  const stats = await col.stats();
  console.log(`churn: worst directory size ${worst.toFixed(2)}x live data; ${stats.segments} segments, ${stats.storage.checkpoints} checkpoints`);
  assert.ok(worst < 2, `directory reached ${worst.toFixed(2)}x the live data`);
  assert.ok(stats.storage.checkpoints > 5, 'checkpoints ran in the background');
  await db.close();
  rmSync(dir, { recursive: true });
});
