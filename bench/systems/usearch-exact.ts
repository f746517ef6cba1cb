/**
 * usearch's exactSearch (brute force in C++ with SIMD kernels), f32, one query per call, threads = 1
 * (its default 0 means "all cores"). l2sq for 'l2', cos for 'cosine'.
 */
import { exactSearch, MetricKind } from 'usearch';
import type { Dataset } from '../datasets/types.js';
import { whole } from '../lib/arrays.js';
import { packageVersion } from '../lib/paths.js';
import type { System, SystemFactory } from './types.js';

const THREADS = 1;

class UsearchExact implements System {
  readonly name = 'usearch-exact';
  private ds!: Dataset;
  private base!: Float32Array;
  private metric!: MetricKind;

  async build(ds: Dataset): Promise<void> {
    this.ds = ds;
    this.base = whole(ds.base);
    this.metric = ds.metric === 'l2' ? MetricKind.L2sq : MetricKind.Cos;
  }

  query(q: Float32Array, k: number): Float64Array {
    // whole(): usearch ignores a view's byteOffset, so a query that is a view is copied (3 KB: negligible)
    const res = exactSearch(this.base, whole(q), this.ds.dimension, k, this.metric, THREADS);
    return Float64Array.from(res.keys, Number);
  }

  async info() {
    return { version: packageVersion('usearch'), threads: THREADS, metric: this.metric, scalar: 'f32' };
  }
}

export const usearchExact: SystemFactory = { name: 'usearch-exact', create: async () => new UsearchExact() };
