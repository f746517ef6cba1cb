/**
 * Model-based test: random sequences of upsert / update / delete / query / reopen / checkpoint /
 * optimize against a Map plus float64 brute force. Small segments force sealing and compaction.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { MemoryStorage, Quiver } from '../src/index.js';
import { bruteForce, distance64, tolerance } from './support/data.js';

const DIM = 5;
const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`);
const vectorArb = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: DIM, maxLength: DIM }).map((v) => (v.every((x) => x === 0) ? [1, ...v.slice(1)] : v));

type Command =
  | { kind: 'upsert'; records: { key: string; vector: number[]; tag: number }[] }
  | { kind: 'update'; key: string; tag: number }
  | { kind: 'delete'; keys: string[] }
  | { kind: 'query'; vector: number[]; k: number }
  | { kind: 'reopen' }
  | { kind: 'checkpoint' }
  | { kind: 'optimize' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('upsert' as const), records: fc.array(fc.record({ key: keyArb, vector: vectorArb, tag: fc.nat(9) }), { minLength: 1, maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), key: keyArb, tag: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), keys: fc.array(keyArb, { minLength: 1, maxLength: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('query' as const), vector: vectorArb, k: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'optimize' as const }) },
);

// Graph indexes answer exactly here: collections stay below the default beam width (64), so a search
// reaches every connected node. After every command the graph checkers must find nothing wrong.
const CASES = [
  ...(['l2', 'cosine', 'dot'] as const).map((metric) => ({ metric, index: 'Flat' })),
  { metric: 'l2' as const, index: 'HNSW4' },
  { metric: 'cosine' as const, index: 'HNSW4' },
  { metric: 'l2' as const, index: 'Vamana8' },
  { metric: 'dot' as const, index: 'Vamana8' },
];

function graphProblems(db: Quiver): string[] {
  return db.engine('m').segments.flatMap((s) => (s.graph ? s.graph.check(s.marks).map((p) => `segment ${s.id}: ${p}`) : []));
}

for (const { metric, index } of CASES) {
  it(`a ${index} collection behaves like a Map plus brute force (${metric})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 40 }), async (commands) => {
        const storage = new MemoryStorage();
        // 16 rows of 32 bytes per segment: sealing and compaction happen within a few commands
        const open = () => Quiver.open({ storage, segmentBytesMax: 512, durability: 'none' });
        let db = await open();
        await db.createCollection('m', { dimension: DIM, metric, index });
        const model = new Map<string, { vector: number[]; tag: number }>();
        try {
          for (const command of commands) {
            const col = db.collection('m');
            switch (command.kind) {
              case 'upsert':
                await col.upsert(command.records.map((r) => ({ key: r.key, vector: r.vector, metadata: { tag: r.tag } })));
                for (const r of command.records) model.set(r.key, { vector: r.vector, tag: r.tag });
                break;
              case 'update':
                if (model.has(command.key)) {
                  await col.update([{ key: command.key, metadata: { tag: command.tag } }]);
                  model.get(command.key)!.tag = command.tag;
                } else {
                  await assert.rejects(col.update([{ key: command.key, metadata: { tag: 1 } }]), { code: 'KEY_NOT_FOUND' });
                }
                break;
              case 'delete': {
                const existing = new Set(command.keys.filter((k) => model.has(k)));
                const result = await col.delete(command.keys);
                assert.equal(result.count, existing.size);
                for (const k of command.keys) model.delete(k);
                break;
              }
              case 'query': {
                const hits = await col.query({ vector: command.vector, k: command.k, include: ['metadata'] });
                const reference = new Map([...model].map(([k, v]) => [k, v.vector]));
                const truth = bruteForce(reference, command.vector, metric, command.k);
                assert.equal(hits.length, truth.length);
                const tol = tolerance(metric, command.vector, 400);
                hits.forEach((hit, i) => {
                  assert.ok(Math.abs(hit.distance - truth[i].distance) <= tol, `rank ${i}: ${hit.distance} vs ${truth[i].distance}`);
                  assert.ok(Math.abs(distance64(metric, command.vector, model.get(hit.key)!.vector) - truth[i].distance) <= tol);
                  assert.deepEqual(hit.metadata, { tag: model.get(hit.key)!.tag });
                });
                break;
              }
              case 'reopen':
                await db.close();
                db = await open();
                break;
              case 'checkpoint':
                await db.checkpoint();
                break;
              case 'optimize':
                await col.optimize();
                break;
            }
            assert.equal(await db.collection('m').count(), model.size);
            if (index !== 'Flat' && command.kind !== 'query') {
              await db.idle();
              assert.deepEqual(graphProblems(db), []);
            }
          }
          const col = db.collection('m');
          const stored = await col.get([...model.keys()]);
          stored.forEach((record, i) => {
            const expected = [...model.values()][i];
            assert.ok(record, 'every model key is stored');
            assert.deepEqual(record.metadata, { tag: expected.tag });
          });
          let scanned = 0;
          for await (const batch of col.scan({ batchSize: 7 })) scanned += batch.length;
          assert.equal(scanned, model.size);
        } finally {
          await db.close();
        }
      }),
      { numRuns: index === 'Flat' ? 60 : 40, seed: 4242 + metric.length + index.length },
    );
  });
}
