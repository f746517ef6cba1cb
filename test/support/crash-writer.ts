/**
 * The child process of the crash test: writes to a database with durability 'sync' until it is killed,
 * printing a line for every write the database acknowledged. Three writers run concurrently, so
 * acknowledgements come from shared (group-committed) fsyncs.
 *   upsert B: batch B's keys b<B>-0..b<B>-(n-1) with vectors from vectorFor(B, j)
 *   delete B: every key of the earlier batch B
 */
import { Quiver } from '../../src/index.js';
import { batchKeys, vectorFor, DIM } from './crash-data.js';

const [dir, writerCount, , index] = [process.argv[2], Number(process.argv[3] ?? 3), process.argv[4], process.argv[5] ?? 'Flat'];
const db = await Quiver.open({ path: dir, durability: 'sync', segmentBytesMax: 64 * 1024, checkpointWalBytes: 256 * 1024 });
const existing = await db.listCollections();
if (!existing.some((c) => c.name === 'crash')) await db.createCollection('crash', { dimension: DIM, metric: 'l2', index });
const col = db.collection('crash');
process.stdout.write('ready\n');

let next = Number(process.argv[4] ?? 0);
async function writer(): Promise<void> {
  for (;;) {
    const batch = next++;
    if (batch % 5 === 4) {
      const victim = batch - 3;
      await col.delete(batchKeys(victim));
      process.stdout.write(`delete ${victim}\n`);
    } else {
      await col.upsert(batchKeys(batch).map((key, j) => ({ key, vector: vectorFor(batch, j), metadata: { batch } })));
      process.stdout.write(`upsert ${batch}\n`);
    }
  }
}
await Promise.all(Array.from({ length: writerCount }, writer));
