/**
 * hnswlib-node 3.0.0 (the C++ hnswlib behind N-API): M = 16, efConstruction = 200 (the anchors'
 * settings), 'l2' (squared L2) or 'cosine' (it normalises vectors and queries itself). Its build is one
 * addPoint() call per vector from JS: one thread. Points and queries must be JS arrays (number[]), so
 * queries are converted in prepare(), outside the timed loop. Index size = the file writeIndex() writes.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Hnswlib from 'hnswlib-node';
import type { Dataset } from '../datasets/types.js';
import { packageVersion } from '../lib/paths.js';
import type { GraphSystem, GraphSystemFactory } from './types.js';

export const HNSWLIB_M = 16;
export const HNSWLIB_EF_CONSTRUCTION = 200;
const SEED = 100; // hnswlib's default random seed, explicit

function hnswlib(): typeof Hnswlib {
  return createRequire(import.meta.url)('hnswlib-node') as typeof Hnswlib;
}

class HnswlibSystem implements GraphSystem {
  readonly name = 'hnswlib';
  private index!: Hnswlib.HierarchicalNSW;

  private open(ds: Dataset): Hnswlib.HierarchicalNSW {
    return new (hnswlib().HierarchicalNSW)(ds.metric === 'l2' ? 'l2' : 'cosine', ds.dimension);
  }

  async build(ds: Dataset) {
    const dim = ds.dimension;
    this.index = this.open(ds);
    this.index.initIndex({ maxElements: ds.count, m: HNSWLIB_M, efConstruction: HNSWLIB_EF_CONSTRUCTION, randomSeed: SEED });
    for (let i = 0; i < ds.count; i++) this.index.addPoint(Array.from(ds.base.subarray(i * dim, (i + 1) * dim)), i);
    return { threads: 1 };
  }

  async save(dir: string) {
    const file = path.join(dir, 'index.hnsw');
    this.index.writeIndexSync(file);
    return { diskBytes: fs.statSync(file).size };
  }

  async load(ds: Dataset, dir: string) {
    this.index = this.open(ds);
    this.index.readIndexSync(path.join(dir, 'index.hnsw'));
    if (this.index.getCurrentCount() !== ds.count) throw new Error(`hnswlib: loaded ${this.index.getCurrentCount()} points, expected ${ds.count}`);
    return {};
  }

  setEf(ef: number): void {
    this.index.setEf(ef);
  }

  prepare(q: Float32Array): number[] {
    return Array.from(q);
  }

  query(q: unknown, k: number): number[] {
    return this.index.searchKnn(q as number[], k).neighbors;
  }

  async info() {
    return { version: packageVersion('hnswlib-node'), M: HNSWLIB_M, efConstruction: HNSWLIB_EF_CONSTRUCTION, queryThreads: 1 };
  }

  async close(): Promise<void> {}
}

export const hnswlibGraph: GraphSystemFactory = {
  name: 'hnswlib',
  async probe() {
    hnswlib();
  },
  create: async () => new HnswlibSystem(),
};
