import type { Dataset } from '../datasets/types.js';

/**
 * One system under test (ann-benchmarks' "algorithm" adapter). The runner calls build() once, then
 * query() one query at a time; graph indexes will also take query-time parameters (ef /
 * expansion_search) through setQueryParams() for the recall/QPS sweeps.
 */
export interface System {
  readonly name: string;
  /** Loads or indexes the base vectors; row i must come back as id i. */
  build(ds: Dataset): Promise<void>;
  /** One query; ids of base rows, best first (at most k). */
  query(q: Float32Array, k: number): Promise<ArrayLike<number>> | ArrayLike<number>;
  setQueryParams?(params: Record<string, number>): void;
  /** Facts to report next to the figures (version, threads, kernel, ...). */
  info(): Promise<Record<string, unknown>>;
  close?(): Promise<void>;
}

export interface SystemFactory {
  name: string;
  /** Creates the system, or throws with a message saying why it is unavailable (the runner skips it). */
  create(): Promise<System>;
}
