/**
 * A real crash: a child process writing with durability 'sync' is killed with SIGKILL at a random
 * moment; reopening must show every acknowledged write exact, every acknowledged delete deleted, and
 * no batch half applied. CI runs 20 trials; `npm run test:long` runs 300.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { Quiver } from '../src/index.js';
import { Prng } from '../src/core/lib/prng.js';
import { BATCH, batchKeys, vectorFor } from './support/crash-data.js';

// 20 trials in CI across the three index kinds; 300 in npm run test:long
const PLAN = process.env.QUIVER_LONG ? { Flat: 100, HNSW8: 100, Vamana16: 100 } : { Flat: 10, HNSW8: 5, Vamana16: 5 };
const writerScript = join(import.meta.dirname, 'support', 'crash-writer.ts');

interface Acks {
  upserts: Set<number>;
  deletes: Set<number>;
}

function runAndKill(dir: string, killAfterMs: number, firstBatch: number, index: string): Promise<Acks> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dir, '3', String(firstBatch), index], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Acks = { upserts: new Set(), deletes: new Set() };
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        const [kind, n] = line.split(' ');
        if (kind === 'upsert') acks.upserts.add(Number(n));
        if (kind === 'delete') acks.deletes.add(Number(n));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

for (const [index, TRIALS] of Object.entries(PLAN)) it(`${index}: every acknowledged write survives SIGKILL (${TRIALS} trials)`, { timeout: TRIALS * 20_000 }, async () => {
  const rng = new Prng(2024);
  const dir = mkdtempSync(join(tmpdir(), 'quiver-crash-'));
  try {
    const acked: Acks = { upserts: new Set(), deletes: new Set() };
    let firstBatch = 0;
    let checkedTrials = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const acks = await runAndKill(dir, 5 + rng.int(400), firstBatch, index);
      for (const b of acks.upserts) acked.upserts.add(b);
      for (const b of acks.deletes) acked.deletes.add(b);
      const db = await Quiver.open({ path: dir });
      const col = db.collection('crash');
      assert.equal((await db.listCollections())[0].index, index);
      const attempted = Math.max(firstBatch, ...acked.upserts, ...acked.deletes, 0) + 8;
      for (let batch = 0; batch < attempted; batch++) {
        const records = await col.get(batchKeys(batch));
        const present = records.filter((r) => r !== null).length;
        assert.ok(present === 0 || present === BATCH, `trial ${trial}: batch ${batch} is half applied (${present} of ${BATCH})`);
        if (acked.deletes.has(batch)) assert.equal(present, 0, `trial ${trial}: acknowledged delete of batch ${batch} was lost`);
        else if (acked.upserts.has(batch)) {
          // the index finds what is stored: each present record is its own nearest neighbour
          if (present === BATCH && batch % 7 === 0) {
            const hits = await col.query({ vector: vectorFor(batch, 3), k: 10 });
            assert.ok(hits.some((h) => h.key === `b${batch}-3` && h.distance === 0), `trial ${trial}: ${index} does not find b${batch}-3`);
          }
          // a delete of this batch (issued by batch + 3) may have reached the disk unacknowledged
          const deletable = (batch + 3) % 5 === 4;
          if (!deletable) assert.equal(present, BATCH, `trial ${trial}: acknowledged upsert of batch ${batch} was lost`);
          if (present) records.forEach((r, j) => assert.deepEqual(Array.from(r!.vector), Array.from(vectorFor(batch, j))));
        }
      }
      await db.close();
      checkedTrials += acks.upserts.size > 0 ? 1 : 0;
      // the next writer starts after every batch number that may have been issued
      firstBatch = attempted + 1;
    }
    // most kills must land while writes were being acknowledged, or the test proves nothing
    assert.ok(checkedTrials >= TRIALS / 2, `only ${checkedTrials} of ${TRIALS} trials were killed mid-write`);
    console.log(`crash ${index}: ${TRIALS} trials, ${acked.upserts.size} acknowledged upserts, ${acked.deletes.size} acknowledged deletes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
