/**
 * The filter language (issue 5): parsing and its errors, the payload indexes and the bitset compiler
 * checked against the naive evaluator on random metadata and random filters (fast-check), the codec's
 * round trip and its refusal of damaged bytes, and filters through the public API (count, scan,
 * delete, query) against a plain Map, across updates, deletes, reopening and compaction.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Quiver, isQuiverError } from '../src/index.js';
import { decodePayloadIndex, encodePayloadIndex } from '../src/core/filter/codec.js';
import { compile, estimate } from '../src/core/filter/compile.js';
import { type MetadataObject, matches } from '../src/core/filter/evaluate.js';
import { parseFilter } from '../src/core/filter/parse.js';
import { SegmentPayloadIndex } from '../src/core/filter/payload-index.js';
import { filterFields } from '../src/core/filter/ast.js';
import { LIMITS } from '../src/core/lib/limits.js';
import { Prng } from '../src/core/lib/prng.js';
import { filterDocument, metadata as metadataArb } from './support/filters.js';

function indexOf(rows: (MetadataObject | undefined)[], fields: Iterable<string>): SegmentPayloadIndex {
  const index = new SegmentPayloadIndex();
  for (const field of fields) index.ensure(field, []);
  rows.forEach((m, slot) => index.add(slot, m));
  return index;
}

function expectInvalid(raw: unknown, code: string, message: RegExp, declared?: Record<string, 'keyword' | 'number' | 'boolean'>): void {
  assert.throws(
    () => parseFilter(raw, { declared }),
    (error: unknown) => {
      assert.ok(isQuiverError(error), `not a QuiverError: ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('filter language', () => {
  it('parses every form of api.md', () => {
    assert.deepEqual(parseFilter({}), { kind: 'all' });
    assert.deepEqual(parseFilter({ year: 2024 }), { kind: 'eq', field: 'year', value: 2024 });
    assert.deepEqual(parseFilter({ year: { $not: { $gt: 2020 } } }), { kind: 'not', child: { kind: 'range', field: 'year', op: 'gt', value: 2020 } });
    assert.deepEqual(parseFilter({ tag: { $nin: ['a'] } }), { kind: 'not', child: { kind: 'in', field: 'tag', values: ['a'] } });
    assert.deepEqual(parseFilter({ $nor: [{ a: 1 }, { b: 2 }] }), {
      kind: 'not',
      child: { kind: 'or', children: [{ kind: 'eq', field: 'a', value: 1 }, { kind: 'eq', field: 'b', value: 2 }] },
    });
    assert.deepEqual(parseFilter({ 'author.name': { $prefix: 'Va', $exists: true } }), {
      kind: 'and',
      children: [{ kind: 'prefix', field: 'author.name', value: 'Va' }, { kind: 'exists', field: 'author.name' }],
    });
    assert.deepEqual(parseFilter({ a: { $exists: false }, $or: [{ b: null }] }), {
      kind: 'and',
      children: [{ kind: 'not', child: { kind: 'exists', field: 'a' } }, { kind: 'eq', field: 'b', value: null }],
    });
    assert.deepEqual([...filterFields(parseFilter({ a: 1, $or: [{ 'b.c': 2 }, { a: 3 }] }))], ['a', 'b.c']);
  });

  it('rejects malformed filters with INVALID_FILTER naming the path', () => {
    expectInvalid({ year: { $gte: '2024' } }, 'INVALID_FILTER', /^filter\.year\.\$gte: expected number, got "2024"/);
    expectInvalid({ $or: [{ a: 1 }, { tag: { $in: [1, { x: 1 }] } }] }, 'INVALID_FILTER', /^filter\.\$or\[1\]\.tag\.\$in\[1\]: expected a string, number, boolean or null, got an object/);
    expectInvalid({ a: [1, 2] }, 'INVALID_FILTER', /^filter\.a: .*\$in/);
    expectInvalid({ a: { b: 1 } }, 'INVALID_FILTER', /^filter\.a: .*dotted path such as "a\.b"/);
    expectInvalid({ a: { $regex: 'x' } }, 'INVALID_FILTER', /^filter\.a\.\$regex: unknown operator/);
    expectInvalid({ a: { $gt: 1, b: 2 } }, 'INVALID_FILTER', /^filter\.a\.b: .*mixed with operators/);
    expectInvalid({ a: { $or: [] } }, 'INVALID_FILTER', /^filter\.a\.\$or: \$or belongs at a filter's top level/);
    expectInvalid({ $not: { a: 1 } }, 'INVALID_FILTER', /^filter\.\$not: .*\$nor/);
    expectInvalid({ $and: [] }, 'INVALID_FILTER', /^filter\.\$and: expected a non-empty array/);
    expectInvalid({ $or: [1] }, 'INVALID_FILTER', /^filter\.\$or\[0\]: expected a filter object/);
    expectInvalid({ a: { $exists: 1 } }, 'INVALID_FILTER', /^filter\.a\.\$exists: expected true or false, got 1/);
    expectInvalid({ a: { $not: 3 } }, 'INVALID_FILTER', /^filter\.a\.\$not: expected an operator object/);
    expectInvalid({ a: { $in: 'x' } }, 'INVALID_FILTER', /^filter\.a\.\$in: expected an array/);
    expectInvalid({ a: { $prefix: 1 } }, 'INVALID_FILTER', /^filter\.a\.\$prefix: expected string, got 1/);
    expectInvalid({ a: {} }, 'INVALID_FILTER', /^filter\.a: an empty object/);
    expectInvalid({ 'a..b': 1 }, 'INVALID_FILTER', /not a field path/);
    expectInvalid({ a: NaN }, 'INVALID_FILTER', /finite number, got NaN/);
    expectInvalid('year', 'INVALID_FILTER', /^filter: expected a filter object/);
    expectInvalid(null, 'INVALID_FILTER', /^filter: expected a filter object.*got null/);
    expectInvalid({ a: new Date(0) }, 'INVALID_FILTER', /got a Date/);
    // declared payload index types
    const declared = { year: 'number', tag: 'keyword', ok: 'boolean' } as const;
    expectInvalid({ year: '2024' }, 'INVALID_FILTER', /^filter\.year: expected number, got "2024" \(payloadIndexes declares "year" as number\)/, declared);
    expectInvalid({ tag: { $in: ['a', 2] } }, 'INVALID_FILTER', /^filter\.tag\.\$in\[1\]: expected string, got 2/, declared);
    expectInvalid({ tag: { $gt: 1 } }, 'INVALID_FILTER', /^filter\.tag\.\$gt: "tag" is declared keyword/, declared);
    expectInvalid({ year: { $prefix: '20' } }, 'INVALID_FILTER', /^filter\.year\.\$prefix: "year" is declared number/, declared);
    assert.doesNotThrow(() => parseFilter({ year: null, tag: { $in: ['a', null] }, ok: true }, { declared }));
  });

  it('enforces the depth, condition and value limits', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i <= LIMITS.filterDepthMax; i++) deep = { $and: [deep] };
    expectInvalid(deep, 'LIMIT_EXCEEDED', /deeper than/);
    const wide = { $or: Array.from({ length: LIMITS.filterConditionsMax + 1 }, (_, i) => ({ a: i })) };
    expectInvalid(wide, 'LIMIT_EXCEEDED', /more than 1024 conditions/);
    expectInvalid({ a: { $in: Array.from({ length: LIMITS.filterValuesMax + 1 }, (_, i) => i) } }, 'LIMIT_EXCEEDED', /\$in\/\$nin lists/);
    expectInvalid({ [Array.from({ length: LIMITS.filterPathSegmentsMax + 1 }, () => 'x').join('.')]: 1 }, 'LIMIT_EXCEEDED', /path/);
    let ok: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < LIMITS.filterDepthMax; i++) ok = { $and: [ok] };
    assert.doesNotThrow(() => parseFilter(ok));
  });
});

describe('payload indexes and the bitset compiler', () => {
  it('agree with the naive evaluator on random metadata and random filters', () => {
    fc.assert(
      fc.property(fc.array(metadataArb, { maxLength: 60 }), fc.array(filterDocument(2), { minLength: 1, maxLength: 8 }), (rows, raws) => {
        const rowsAsMetadata = rows as (MetadataObject | undefined)[];
        const nodes = raws.map((raw) => parseFilter(raw));
        const fields = new Set<string>();
        for (const node of nodes) filterFields(node, fields);
        const index = indexOf(rowsAsMetadata, fields);
        for (const node of nodes) {
          const bits = compile(node, { payload: index, metadata: rowsAsMetadata }, rows.length);
          for (let slot = 0; slot < rows.length; slot++) {
            assert.equal(bits.has(slot), matches(node, rowsAsMetadata[slot]), `slot ${slot} ${JSON.stringify(rows[slot])}`);
          }
          assert.equal(bits.count(), rowsAsMetadata.filter((m) => matches(node, m)).length, 'no bits beyond the rows');
          const guess = estimate(node, index, rows.length);
          assert.ok(guess >= 0 && guess <= rows.length, `estimate ${guess} of ${rows.length}`);
          // a field without an index is answered row by row, the same way
          const unindexed = compile(node, { payload: new SegmentPayloadIndex(), metadata: rowsAsMetadata }, rows.length);
          assert.deepEqual(Array.from(unindexed.words), Array.from(bits.words));
        }
        // the codec round trip answers the same
        const decoded = decodePayloadIndex(encodePayloadIndex(index, rows.length), rows.length, 'test');
        for (const node of nodes) {
          const a = compile(node, { payload: index, metadata: rowsAsMetadata }, rows.length);
          const b = compile(node, { payload: decoded, metadata: [] }, rows.length);
          assert.deepEqual(Array.from(b.words), Array.from(a.words));
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('dense values turn into bitmaps; ranges over sorted runs and unsorted tails are exact', () => {
    const rng = new Prng(9);
    const rows: MetadataObject[] = [];
    const index = indexOf([], ['color', 'score', 'flag']);
    const filters = [
      { color: 'red' },
      { color: { $in: ['red', 'blue'] } },
      { flag: true },
      { flag: { $ne: true } },
      { score: { $gte: 10, $lt: 40 } },
      { score: 50 },
      { $or: [{ score: { $lt: 5 } }, { color: { $prefix: 'gr' } }] },
      { $nor: [{ flag: false }, { score: { $gt: 90 } }] },
    ].map((raw) => parseFilter(raw));
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 1500; i++) {
        const m: MetadataObject = { color: ['red', 'green', 'blue', 'grey'][rng.int(4)], score: rng.int(100), flag: rng.next() < 0.7 };
        if (rng.next() < 0.1) delete m.color;
        index.add(rows.length, m);
        rows.push(m);
      }
      for (const node of filters) {
        const bits = compile(node, { payload: index, metadata: [] }, rows.length);
        let expected = 0;
        for (let slot = 0; slot < rows.length; slot++) {
          const want = matches(node, rows[slot]);
          if (want) expected++;
          if (bits.has(slot) !== want) assert.fail(`round ${round} slot ${slot}: ${JSON.stringify(rows[slot])}`);
        }
        assert.equal(bits.count(), expected);
      }
    }
    const color = index.fields.get('color')!;
    assert.ok(color.strings.get('red')!.isBitmap, 'a value on a quarter of the rows is a bitmap');
    assert.ok(index.fields.get('flag')!.trues.isBitmap);
    const decoded = decodePayloadIndex(encodePayloadIndex(index, rows.length), rows.length, 'test');
    assert.ok(decoded.fields.get('color')!.strings.get('red')!.isBitmap);
    for (const node of filters) {
      assert.deepEqual(Array.from(compile(node, { payload: decoded, metadata: [] }, rows.length).words), Array.from(compile(node, { payload: index, metadata: [] }, rows.length).words));
    }
  });

  it('the codec refuses damaged bytes with CORRUPTED', () => {
    const rows: MetadataObject[] = Array.from({ length: 40 }, (_, i) => ({ a: i % 3, t: ['x', 'y'][i % 2], f: i % 5 === 0 }));
    const index = indexOf(rows, ['a', 't', 'f']);
    const bytes = encodePayloadIndex(index, rows.length);
    assert.throws(() => decodePayloadIndex(bytes, rows.length + 1, 'seg'), (e: unknown) => isQuiverError(e, 'CORRUPTED'));
    const rng = new Prng(3);
    let refused = 0;
    for (let trial = 0; trial < 400; trial++) {
      const damaged = bytes.slice(0, trial % 2 === 0 ? rng.int(bytes.length) : bytes.length);
      if (trial % 2 === 1) damaged[rng.int(damaged.length)] ^= 1 << rng.int(8);
      try {
        decodePayloadIndex(damaged, rows.length, 'seg');
      } catch (error) {
        assert.ok(isQuiverError(error, 'CORRUPTED'), String(error));
        refused++;
      }
    }
    assert.ok(refused > 250, `most damage is noticed by the structure alone (${refused}/400; the section checksum catches the rest)`);
  });
});

describe('filters through the API', () => {
  it('count, scan, delete and query agree with a Map across updates, deletes, reopening and compaction', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-filter-'));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 59 }), metadataArb), { minLength: 20, maxLength: 120 }),
          fc.array(filterDocument(1), { minLength: 3, maxLength: 6 }),
          fc.integer({ min: 0, max: 2 }),
          async (writes, raws, recipeIndex) => {
           let db: Quiver | null = null;
           try {
            rmSync(dir, { recursive: true, force: true });
            const recipe = ['Flat', 'HNSW8', 'Vamana16'][recipeIndex];
            db = await Quiver.open({ path: dir, durability: 'none', segmentBytesMax: 64 * 16 * 4 });
            // 'year' indexed from the start (declared), the others when a filter first names them
            const col = await db.createCollection('c', { dimension: 4, metric: 'l2', index: recipe, payloadIndexes: { year: 'number' } });
            const model = new Map<string, { vector: number[]; metadata?: MetadataObject }>();
            const rng = new Prng(writes.length);
            for (const [i, [keyNumber, metadata]] of writes.entries()) {
              const key = `k${keyNumber}`;
              const vector = [rng.next(), rng.next(), rng.next(), rng.next()];
              const record = { key, vector, ...(metadata === undefined ? {} : { metadata: metadata as MetadataObject }) };
              // JSON normalises -0 and drops nothing else: the model stores what the collection stores
              const stored = JSON.parse(JSON.stringify(record)) as { vector: number[]; metadata?: MetadataObject };
              await col.upsert([record]);
              model.set(key, { vector, metadata: stored.metadata });
              if (i % 17 === 5) {
                await col.delete([key]);
                model.delete(key);
              }
              if (i % 23 === 7 && model.has(`k${(keyNumber + 1) % 60}`)) {
                const other = `k${(keyNumber + 1) % 60}`;
                await col.update([{ key: other, metadata: { b: 'green', a: i } }]);
                const m = model.get(other)!;
                m.metadata = { ...(m.metadata ?? {}), b: 'green', a: i };
              }
              if (i === 40) await db.checkpoint();
              if (i === 60) assert.equal(await col.count({ filter: { year: { $gte: 0 } } }), 0);
            }
            const check = async (when: string): Promise<void> => {
              const c = db!.collection('c');
              assert.equal(await c.count(), model.size);
              for (const raw of raws) {
                const node = parseFilter(raw);
                const want = [...model.entries()].filter(([, r]) => matches(node, r.metadata)).map(([k]) => k).sort();
                assert.equal(await c.count({ filter: raw }), want.length, `${when} count ${JSON.stringify(raw)}`);
                const scanned: string[] = [];
                for await (const batch of c.scan({ filter: raw, batchSize: 7 })) scanned.push(...batch.map((r) => r.key));
                assert.deepEqual(scanned.sort(), want, `${when} scan ${JSON.stringify(raw)}`);
                const hits = await c.query({ vector: [0.5, 0.5, 0.5, 0.5], k: 10, filter: raw });
                assert.equal(hits.length, Math.min(10, want.length), `${when} query count ${JSON.stringify(raw)}`);
                for (const h of hits) assert.ok(want.includes(h.key), `${when}: ${h.key} does not match ${JSON.stringify(raw)}`);
              }
            };
            await check('live');
            const stats = await col.stats();
            assert.equal(stats.payloadIndexes[0], 'year', 'declared fields first');
            assert.ok(stats.bytesPerVector.payloadIndexes >= 0 && stats.bytesPerVector.total >= stats.bytesPerVector.vectors);
            await db.close();
            db = await Quiver.open({ path: dir, durability: 'none' });
            await check('reopened');
            await db.collection('c').optimize();
            await check('compacted');
            const victim = raws[0];
            const node = parseFilter(victim);
            const doomed = [...model.entries()].filter(([, r]) => matches(node, r.metadata)).map(([k]) => k);
            assert.equal((await db.collection('c').delete({ filter: victim })).count, doomed.length);
            for (const key of doomed) model.delete(key);
            await check('after delete by filter');
            await db.close();
            db = await Quiver.open({ path: dir, durability: 'none' });
            await check('reopened after delete by filter');
           } finally {
            await db?.close();
           }
          },
        ),
        { numRuns: 25, seed: 11 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
