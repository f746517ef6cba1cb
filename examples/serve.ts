/**
 * npm start, second half: the HTTP server with its console, a small sample collection, and the Quiver
 * Papers app (docs/papers.md: the `papers` collection, built from examples/papers/papers.jsonl with the
 * built-in embedder on the first run), running until Ctrl-C (which shuts it down gracefully). PORT
 * (default 6333) and every QUIVER_* setting of docs/server.md apply; the data lives in QUIVER_DATA_DIR or
 * a directory under the system's temp dir, reused across runs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/server/index.js';

const COUNT = 5_000;
const DIMENSION = 64;
const TOPICS = ['vision', 'language', 'graphs', 'audio', 'robotics', 'theory', 'systems', 'biology'];

/** A seeded generator, so every run builds the same sample (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const port = process.env.PORT !== undefined ? Number(process.env.PORT) : undefined;
const server = await startServer({
  config: {
    ...(port !== undefined ? { port } : {}),
    ...(process.env.QUIVER_DATA_DIR ? {} : { dataDir: join(tmpdir(), 'quiver-sample') }),
    papers: { enabled: process.env.QUIVER_PAPERS_ENABLED !== 'false' },
  },
  handleSignals: true,
});

if (!(await server.db.listCollections()).some((c) => c.name === 'sample')) {
  // Topics as clusters in 64 dimensions, with metadata and a short text per record.
  const rand = random(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = TOPICS.map(() => Float32Array.from({ length: DIMENSION }, gauss));
  const sample = await server.db.createCollection('sample', { dimension: DIMENSION, metric: 'cosine', index: 'HNSW16' });
  for (let start = 0; start < COUNT; start += 1000) {
    await sample.upsert(
      Array.from({ length: 1000 }, (_, i) => {
        const topic = Math.floor(rand() * TOPICS.length);
        const id = start + i;
        return {
          key: `item-${id}`,
          vector: Float32Array.from(centres[topic], (c) => c + 0.6 * gauss()),
          metadata: { topic: TOPICS[topic], year: 2015 + (id % 10) },
          document: `Sample item ${id} about ${TOPICS[topic]}`,
        };
      }),
    );
  }
  server.app.log.info({ collection: 'sample', records: COUNT, dimension: DIMENSION }, 'created the sample collection');
}

const { url } = server;
const auth = server.config.apiKeys.length > 0 ? ' -H "Authorization: Bearer $KEY"' : '';
console.log(`
Quiver is serving ${server.config.dataDir} at ${url}  (Ctrl-C stops it gracefully)
  Papers:      ${url}/#/papers  (Quiver Papers: hybrid search over ${await server.db.collection('papers').count().catch(() => 0)} papers, related papers, a topic map)
  digest:      ${url}/#/subscribe  (daily emails of new papers; sending needs QUIVER_SMTP_URL and QUIVER_DIGEST_SECRET: docs/papers.md)
  console:     ${url}/#/collections  (collections, search, records, and a 2-D map of any collection)
  API docs:    ${url}/docs  ·  OpenAPI: ${url}/openapi.json  ·  metrics: ${url}/metrics
  try:         curl${auth} ${url}/v1/collections
               curl${auth} -X POST ${url}/v1/collections/sample/query -H 'content-type: application/json' \\
                 -d '{"vector": [${Array.from({ length: DIMENSION }, (_, i) => (i === 0 ? 1 : 0)).join(',')}], "k": 3, "include": ["metadata"]}'
  client:      import { QuiverClient } from 'quiverdb/client'; new QuiverClient({ url: '${url}' })
`);
