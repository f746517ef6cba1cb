/**
 * usearch 2.26 HNSW, f32 or f16 storage: connectivity 16, expansion_add 128 (the anchors' settings),
 * 'l2sq' or 'cos'. The build adds every vector in one add() call with threads = the machine's cores (2
 * here, as in the anchors); searches run with threads = 1.
 *
 * The JS binding fixes expansion_search when the index is constructed (it does not expose
 * change_expansion_search, and load() keeps the constructed value), so the search process loads the
 * saved file once per ef of the sweep: memory grows by the index size per ef, the speed does not change.
 * The binding also ignores a typed array's byteOffset: every array handed to it is whole (lib/arrays.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import type { Dataset } from '../datasets/types.js';
import { whole } from '../lib/arrays.js';
import { packageVersion } from '../lib/paths.js';
import type { GraphSystem, GraphSystemFactory } from './types.js';

export const USEARCH_CONNECTIVITY = 16;
export const USEARCH_EXPANSION_ADD = 128;
const SEARCH_THREADS = 1;

class UsearchSystem implements GraphSystem {
  private index!: Index;
  private byEf = new Map<number, Index>();
  private buildThreads = 0;

  constructor(
    readonly name: string,
    private readonly scalar: ScalarKind,
  ) {}

  private create(ds: Dataset, expansionSearch: number): Index {
    return new Index({
      dimensions: ds.dimension,
      metric: ds.metric === 'l2' ? MetricKind.L2sq : MetricKind.Cos,
      quantization: this.scalar,
      connectivity: USEARCH_CONNECTIVITY,
      expansion_add: USEARCH_EXPANSION_ADD,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  async build(ds: Dataset) {
    this.buildThreads = os.availableParallelism();
    this.index = this.create(ds, 64);
    const keys = new BigUint64Array(ds.count);
    for (let i = 0; i < ds.count; i++) keys[i] = BigInt(i);
    this.index.add(keys, whole(ds.base), this.buildThreads);
    return { threads: this.buildThreads };
  }

  async save(dir: string) {
    const file = path.join(dir, 'index.usearch');
    this.index.save(file);
    return { diskBytes: fs.statSync(file).size };
  }

  async load(ds: Dataset, dir: string, efs: number[]) {
    const file = path.join(dir, 'index.usearch');
    for (const ef of efs) {
      const index = this.create(ds, ef);
      index.load(file);
      if (index.size() !== ds.count) throw new Error(`${this.name}: loaded ${index.size()} vectors, expected ${ds.count}`);
      this.byEf.set(ef, index);
    }
    this.index = this.byEf.get(efs[0])!;
    return { notes: [`loaded once per ef (${efs.length} copies): the binding fixes expansion_search at construction`] };
  }

  setEf(ef: number): void {
    const index = this.byEf.get(ef);
    if (!index) throw new Error(`${this.name}: ef ${ef} was not loaded`);
    this.index = index;
  }

  prepare(q: Float32Array): Float32Array {
    return q.byteOffset === 0 && q.byteLength === q.buffer.byteLength ? q : q.slice();
  }

  query(q: unknown, k: number): number[] {
    const keys = this.index.search(q as Float32Array, k, SEARCH_THREADS).keys;
    const out = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = Number(keys[i]);
    return out;
  }

  async info() {
    return {
      version: packageVersion('usearch'),
      scalar: this.scalar,
      connectivity: USEARCH_CONNECTIVITY,
      expansionAdd: USEARCH_EXPANSION_ADD,
      queryThreads: SEARCH_THREADS,
    };
  }

  async close(): Promise<void> {
    this.byEf.clear();
  }
}

function factory(name: string, scalar: ScalarKind): GraphSystemFactory {
  return { name, probe: async () => undefined, create: async () => new UsearchSystem(name, scalar) };
}

export const usearchF32 = factory('usearch-f32', ScalarKind.F32);
export const usearchF16 = factory('usearch-f16', ScalarKind.F16);
