/**
 * Fuzzing every route of a real server with malformed bodies, wrong types, huge numbers, deep
 * nesting, invalid UTF-8, odd content types and odd collection names: the server never answers a 5xx
 * (other than api.md's 501 UNSUPPORTED), never crashes, answers every error as a documented JSON error
 * body, and the stored data is intact afterwards, also after reopening the directory.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { Quiver } from '../src/index.js';
import { KEYS, type TestServer, startTestServer } from './support/server.js';

const RUNS = process.env.QUIVER_LONG ? 5000 : 400;
const DIM = 4;

const ROUTES: { method: string; template: string; mutates: boolean; skeleton: unknown }[] = [
  { method: 'POST', template: '/v1/collections', mutates: true, skeleton: { name: 'made', dimension: DIM, metric: 'l2', index: 'Flat' } },
  { method: 'GET', template: '/v1/collections', mutates: false, skeleton: undefined },
  { method: 'GET', template: '/v1/collections/{name}', mutates: false, skeleton: undefined },
  { method: 'DELETE', template: '/v1/collections/{name}', mutates: true, skeleton: undefined },
  { method: 'POST', template: '/v1/collections/{name}/upsert', mutates: true, skeleton: { records: [{ key: 'a', vector: [1, 2, 3, 4], metadata: { m: 1 }, document: 'd' }] } },
  { method: 'POST', template: '/v1/collections/{name}/update', mutates: true, skeleton: { records: [{ key: 'a', metadata: { m: 2 }, document: null }] } },
  { method: 'POST', template: '/v1/collections/{name}/get', mutates: false, skeleton: { keys: ['a', 'b'] } },
  { method: 'POST', template: '/v1/collections/{name}/delete', mutates: true, skeleton: { keys: ['a'] } },
  { method: 'POST', template: '/v1/collections/{name}/count', mutates: false, skeleton: {} },
  { method: 'POST', template: '/v1/collections/{name}/scan', mutates: false, skeleton: { batchSize: 10 } },
  { method: 'POST', template: '/v1/collections/{name}/query', mutates: false, skeleton: { vector: [1, 2, 3, 4], k: 3, include: ['metadata'], search: { ef: 10 }, minScore: 0 } },
  { method: 'POST', template: '/v1/collections/{name}/query-many', mutates: false, skeleton: { queries: [{ vector: [1, 2, 3, 4], k: 2 }] } },
  { method: 'POST', template: '/v1/collections/{name}/explain', mutates: false, skeleton: { vector: { f32: 'AACAPwAAAEAAAEBAAACAQA==' }, k: 2 } },
  { method: 'GET', template: '/v1/collections/{name}/stats', mutates: false, skeleton: undefined },
  { method: 'POST', template: '/v1/collections/{name}/map', mutates: false, skeleton: { k: 3, sample: 50, seed: 1, epochs: 20, include: ['metadata'] } },
  { method: 'POST', template: '/v1/collections/{name}/optimize', mutates: false, skeleton: {} },
  { method: 'POST', template: '/v1/collections/{name}/reindex', mutates: true, skeleton: { index: 'HNSW8' } },
  { method: 'POST', template: '/v1/backup', mutates: false, skeleton: { name: 'b' } },
  { method: 'POST', template: '/v1/embeddings', mutates: false, skeleton: { input: 'hello' } },
  { method: 'GET', template: '/healthz', mutates: false, skeleton: undefined },
  { method: 'GET', template: '/readyz', mutates: false, skeleton: undefined },
  { method: 'GET', template: '/metrics', mutates: false, skeleton: undefined },
];

const HUGE = ['1e308', '-1e308', '1e999', '-1e999', '5e-324', '9007199254740993', '-0', '1' + '0'.repeat(400), '0.' + '0'.repeat(400) + '1'];

/**
 * The skeleton (a valid body) as JSON text with the value at the end of `path` replaced by `valueText`
 * (an empty path replaces the whole body), or with an unknown field added.
 */
function mutate(skeleton: unknown, path: number[], valueText: string, addField: boolean): string {
  const MARK = '__FUZZ_MARKER__';
  const clone = JSON.parse(JSON.stringify(skeleton ?? {}));
  if (addField && clone !== null && typeof clone === 'object' && !Array.isArray(clone)) {
    clone.__fuzz = MARK;
    return JSON.stringify(clone).replace(JSON.stringify(MARK), valueText);
  }
  let parent: any = null;
  let key: string | number = '';
  let node: any = clone;
  for (const step of path) {
    if (node === null || typeof node !== 'object') break;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_: unknown, i: number) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[step % keys.length];
    node = node[key];
  }
  if (parent === null) return valueText;
  parent[key] = MARK;
  return JSON.stringify(clone).replace(JSON.stringify(MARK), valueText);
}

const deepText = fc.record({ depth: fc.integer({ min: 1, max: 60_000 }), kind: fc.constantFrom('[', '{"a":') }).map(({ depth, kind }) =>
  kind === '[' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
);

const valueText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom(...HUGE),
  deepText,
  fc.string({ minLength: 2000, maxLength: 20_000 }).map((s) => JSON.stringify(s)),
  fc.array(fc.double(), { maxLength: 40 }).map((a) => `[${a.map((x) => (Number.isFinite(x) ? String(x) : '1e999')).join(',')}]`),
  fc.constantFrom('{"f32":"@@@@"}', '{"f32":"AAAA"}', '{"f32":5}', '{"f32":""}', '{"f32":"AACAPwAAAEAAAEBAAACAfw=="}', '{"$gt":1}', '"__proto__"', '{"constructor":{"prototype":{}}}'),
);

/** A body that no route accepts: not JSON, not UTF-8, not an object, or an object with an unknown field. */
const garbageBody = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Uint8Array.from([...b, 0xff, 0xfe])),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)?.slice(0, -1) + '\u0000'),
  deepText,
  fc.constantFrom(...HUGE),
  fc.jsonValue({ maxDepth: 3 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.string({ minLength: 1 }).map((k) => `x-${k}`), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }).map((o) => JSON.stringify(o)),
);

const name = fc.oneof(
  { weight: 6, arbitrary: fc.constant('fuzz') },
  { weight: 1, arbitrary: fc.constant('ghost') },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom('..', '%2e%2e', 'a'.repeat(65), 'a'.repeat(101), 'b'.repeat(300), '%ZZ', '%', '\u0000', 'ä/ö', ' ') },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/octet-stream') },
);

const request = fc.record({
  route: fc.integer({ min: 0, max: ROUTES.length - 1 }),
  target: name,
  keep: fc.nat(3).map((n) => n === 0),
  body: fc.oneof(
    { weight: 3, arbitrary: fc.record({ path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), value: valueText, addField: fc.nat(9).map((n) => n === 0) }) },
    { weight: 1, arbitrary: garbageBody.map((garbage) => ({ garbage })) },
  ),
  contentType,
  vectors: fc.option(fc.constantFrom('json', 'f32', 'F32', '', 'x'.repeat(100)), { nil: undefined }),
});

let t: TestServer;
let kept: unknown;
const KEEP = Array.from({ length: 30 }, (_, i) => ({ key: `keep-${i}`, vector: [i, i + 1, -i, 0.5], metadata: { i, tags: ['k'] }, document: `kept ${i}` }));

async function seed(n: string): Promise<void> {
  await t.call('POST', '/v1/collections', { body: { name: n, dimension: DIM, metric: 'l2', index: n === 'keep' ? 'HNSW8' : 'Flat' } });
  await t.call('POST', '/v1/collections/{name}/upsert', { params: { name: n }, body: { records: KEEP } });
}

before(async () => {
  t = await startTestServer({ apiKeys: KEYS, limits: { bodyBytesMax: 1024 * 1024 } });
  for (const n of ['keep', 'fuzz']) await seed(n);
  kept = (await t.call('POST', '/v1/collections/{name}/get', { params: { name: 'keep' }, body: { keys: KEEP.map((r) => r.key) } })).body;
});
after(async () => t?.close());

it(`${RUNS} malformed requests over every route: no 5xx, documented JSON errors, the data intact`, async () => {
  let answered = 0;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const route = ROUTES[r.route];
      // The kept collection only ever sees bodies no route accepts; the others take mutated valid ones.
      const keep = r.keep && route.template.includes('{name}');
      const target = keep ? 'keep' : r.target;
      let raw: string | Uint8Array | undefined;
      if (route.method !== 'GET' && route.method !== 'DELETE') {
        raw = 'garbage' in r.body ? r.body.garbage : keep ? JSON.stringify({ __fuzz: 1 }) : mutate(route.skeleton, r.body.path, r.body.value, r.body.addField);
      }
      if (keep && route.mutates && raw === undefined) return; // DELETE on the kept collection would drop it
      const response = await t.call(route.method, route.template, {
        params: { name: target },
        raw,
        headers: raw !== undefined && r.contentType !== '' ? { 'content-type': r.contentType } : {},
        query: r.vectors !== undefined ? { vectors: r.vectors } : undefined,
      });
      answered++;
      if (route.method === 'DELETE' && response.status === 200 && target === 'fuzz') await seed('fuzz'); // keep a target to fuzz
      if (response.status >= 400) {
        assert.equal(typeof response.body?.error?.code, 'string', response.text.slice(0, 300));
        if (keep) assert.notEqual(response.body.error.code, 'INTERNAL');
      } else if (keep) {
        assert.ok(!route.mutates, `${route.method} ${route.template} accepted ${String(raw).slice(0, 200)} on the kept collection`);
      }
    }),
    { numRuns: RUNS, seed: Number(process.env.QUIVER_FUZZ_SEED ?? 20250101) },
  );
  assert.equal(answered > RUNS / 2, true);

  assert.deepEqual((await t.call('GET', '/healthz', { key: null })).body, { status: 'ok' });
  const now = await t.call('POST', '/v1/collections/{name}/get', { params: { name: 'keep' }, body: { keys: KEEP.map((r) => r.key) } });
  assert.deepEqual(now.body, kept, 'the kept collection is unchanged');
  assert.equal((await t.call('POST', '/v1/collections/{name}/count', { params: { name: 'keep' } })).body.count, KEEP.length);
  const hits = await t.call('POST', '/v1/collections/{name}/query', { params: { name: 'keep' }, body: { vector: [3, 4, -3, 0.5], k: 1 } });
  assert.equal(hits.body.hits[0].key, 'keep-3');

  // The other collections: whatever the fuzz wrote is consistent (count = what a scan reads).
  for (const { name: n } of (await t.call('GET', '/v1/collections')).body.collections as { name: string }[]) {
    let count = 0;
    let page = await t.call('POST', '/v1/collections/{name}/scan', { params: { name: n }, body: { batchSize: 1000 } });
    while (true) {
      count += page.body.records.length;
      if (page.body.cursor === null) break;
      page = await t.call('POST', '/v1/collections/{name}/scan', { params: { name: n }, body: { cursor: page.body.cursor } });
    }
    assert.equal(count, (await t.call('POST', '/v1/collections/{name}/count', { params: { name: n } })).body.count, n);
  }

  // And on disk: the directory reopens (checksums verified) with the kept records as they were.
  const dataDir = t.server.config.dataDir;
  await t.server.close();
  const db = await Quiver.open({ path: dataDir });
  try {
    const records = await db.collection('keep').get(KEEP.map((r) => r.key));
    assert.deepEqual(
      records.map((r) => r && { ...r, vector: Array.from(r.vector) }),
      (kept as { records: unknown[] }).records,
    );
  } finally {
    await db.close();
  }
  assert.ok(join(dataDir).length > 0);
});
