/**
 * npm start: Quiver end to end on a generated clustered dataset — create a collection, upsert in atomic
 * batches, query, reopen from disk, query again, back up — printing what it did and how fast.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Quiver } from '../src/index.js';

const COUNT = 50_000;
const DIMENSION = 384; // the size of all-MiniLM-L6-v2 sentence embeddings
const CLUSTERS = 64;

/** A seeded generator so every run shows the same data (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = random(42);
const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const centres = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIMENSION }, gauss));
const topics = ['vision', 'language', 'graphs', 'audio', 'robotics', 'theory', 'systems', 'biology'];
function point(cluster: number): Float32Array {
  return Float32Array.from(centres[cluster], (c) => c + 0.35 * gauss());
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const dir = mkdtempSync(join(tmpdir(), 'quiver-quickstart-'));
console.log(`Quiver quick start: ${COUNT.toLocaleString()} vectors of ${DIMENSION} dimensions in ${CLUSTERS} clusters, stored in ${dir}\n`);

let db = await Quiver.open({ path: dir }); // durability 'sync': every write is fsynced before it resolves
const docs = await db.createCollection('docs', { dimension: DIMENSION, metric: 'cosine' });

let started = process.hrtime.bigint();
const clusterOf: number[] = [];
for (let start = 0; start < COUNT; start += 1000) {
  const batch = Array.from({ length: Math.min(1000, COUNT - start) }, (_, i) => {
    const id = start + i;
    const cluster = Math.floor(rand() * CLUSTERS);
    clusterOf[id] = cluster;
    return { key: `doc-${id}`, vector: point(cluster), metadata: { cluster, topic: topics[cluster % topics.length] }, document: `Document ${id} about ${topics[cluster % topics.length]}` };
  });
  await docs.upsert(batch); // one atomic, durable batch
}
let took = seconds(started);
console.log(`upserted ${COUNT.toLocaleString()} records in batches of 1,000: ${took.toFixed(2)} s (${Math.round(COUNT / took).toLocaleString()} vectors/s, fsynced)`);

const queries = Array.from({ length: 200 }, (_, i) => ({ cluster: i % CLUSTERS, vector: point(i % CLUSTERS) }));
async function runQueries(label: string): Promise<void> {
  const col = db.collection('docs');
  started = process.hrtime.bigint();
  let sameCluster = 0;
  for (const q of queries) {
    const hits = await col.query({ vector: q.vector, k: 10, include: ['metadata'] });
    sameCluster += hits.filter((h) => h.metadata?.cluster === q.cluster).length;
  }
  took = seconds(started);
  const stats = await col.stats();
  console.log(
    `${label}: ${queries.length} exact 10-NN queries in ${took.toFixed(2)} s = ${Math.round(queries.length / took)} QPS ` +
      `(${stats.kernel} kernels, ${stats.segments} segment(s)); ${((100 * sameCluster) / (queries.length * 10)).toFixed(1)}% of hits from the query's own cluster`,
  );
}
await runQueries('query');

const [example] = await docs.query({ vector: queries[0].vector, k: 3, include: ['metadata', 'document'] });
console.log(`best hit for a query near cluster ${queries[0].cluster}: ${example.key} score ${example.score.toFixed(3)} ${JSON.stringify(example.metadata)} "${example.document}"`);

await docs.update([{ key: example.key, metadata: { starred: true } }]);
const { count: removed } = await docs.delete(['doc-1', 'doc-2', 'doc-3']);
console.log(`updated ${example.key} (metadata merged: ${JSON.stringify((await docs.get([example.key]))[0]?.metadata)}), deleted ${removed} records`);

started = process.hrtime.bigint();
await db.close();
console.log(`closed (checkpointed to segment files) in ${seconds(started).toFixed(2)} s`);
const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
console.log(`on disk: ${(bytes / 1e6).toFixed(1)} MB, ${Math.round(bytes / (COUNT - 3))} bytes per vector (float32 is ${DIMENSION * 4})`);

started = process.hrtime.bigint();
db = await Quiver.open({ path: dir });
console.log(`reopened in ${seconds(started).toFixed(2)} s: ${await db.collection('docs').count()} records`);
await runQueries('query after reopen');

// The same records in a graph index: approximate search, measured against the exact answers above.
const graph = await db.createCollection('docs-hnsw', { dimension: DIMENSION, metric: 'cosine', index: 'HNSW16' });
started = process.hrtime.bigint();
for await (const batch of db.collection('docs').scan({ batchSize: 1000 })) await graph.upsert(batch);
await db.idle(); // the background indexer has put every row into the graph
console.log(`\nHNSW16 collection: copied and indexed ${await graph.count()} records in ${seconds(started).toFixed(1)} s`);
const exact = db.collection('docs');
let agree = 0;
let graphSeconds = 0;
for (const q of queries) {
  const truth = new Set((await exact.query({ vector: q.vector, k: 10 })).map((h) => h.key));
  const t = process.hrtime.bigint();
  const hits = await graph.query({ vector: q.vector, k: 10 });
  graphSeconds += seconds(t);
  agree += hits.filter((h) => truth.has(h.key)).length;
}
const graphStats = await graph.stats();
console.log(
  `HNSW16: ${Math.round(queries.length / graphSeconds).toLocaleString()} QPS, recall@10 ${(agree / (queries.length * 10)).toFixed(3)} against exact search ` +
    `(default ef 64, ${graphStats.segments} segment(s), ${Math.round(graphStats.bytesPerVector.graph)} graph bytes per vector)`,
);

const backupDir = join(dir, '..', `${dir.split('/').pop()}-backup`);
await db.backup(backupDir);
const copy = await Quiver.open({ path: backupDir });
console.log(`backup written to ${backupDir} and opened: ${(await copy.listCollections()).map((c) => `${c.name} ${c.count} records (${c.index})`).join(', ')}`);
await copy.close();
await db.close();
rmSync(dir, { recursive: true });
rmSync(backupDir, { recursive: true });
console.log('\nDone. Next, npm start serves a sample collection over HTTP (examples/serve.ts); see docs/server.md.');
