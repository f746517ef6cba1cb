import type { Metric } from '../lib/distance.js';
export type { Metric };

/** Exact neighbours of each query: ids and float64 distances, row-major [query][rank], best first. */
export interface GroundTruth {
  k: number;
  ids: Int32Array;
  distances: Float64Array;
}

export interface QuerySet {
  /** e.g. 'test', 'in-dist', 'ood' */
  name: string;
  vectors: Float32Array;
  count: number;
  gt: GroundTruth;
  /** warm-up queries (not timed, no ground truth), when the set was cut with datasets/subset.ts */
  warmup?: Float32Array;
}

export interface Dataset {
  name: string;
  description: string;
  metric: Metric;
  dimension: number;
  /** Row-major base vectors; row i has id i. */
  base: Float32Array;
  count: number;
  /** The first set is the primary one (the one suites time by default). */
  querySets: QuerySet[];
}

export interface DatasetSpec {
  name: string;
  load(): Promise<Dataset>;
}
