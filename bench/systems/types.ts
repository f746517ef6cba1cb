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

/** What a graph index's build() reports (the build process measures wall time, CPU and RSS itself). */
export interface GraphBuildInfo {
  /** threads the build was told to use, or a description when the system does not say */
  threads: number | string;
  /** bytes the index holds in memory (Quiver: stats().bytesPerVector.total x count); undefined = the size save() wrote */
  indexBytes?: number;
  /** facts worth reporting (fallbacks taken, settings) */
  notes?: string[];
  /** seconds at the end of build() spent only confirming that nothing more happens (not counted) */
  excludeSeconds?: number;
}

/**
 * A graph index for the ANN and scaling suites. The build process calls build() then save(); the
 * search process calls load() then, per point of the sweep, setEf() and query() one query at a time.
 */
export interface GraphSystem {
  readonly name: string;
  /** Indexes ds.base (row i comes back as id i). `dir` is this system's empty temp directory. */
  build(ds: Dataset, dir: string): Promise<GraphBuildInfo>;
  /** After build(): persists the index into `dir` (timed separately); returns its bytes on disk. */
  save(dir: string): Promise<{ diskBytes: number; notes?: string[] }>;
  /** In the search process: loads what save() wrote, ready for every ef in `efs`. */
  load(ds: Dataset, dir: string, efs: number[]): Promise<{ notes?: string[]; excludeSeconds?: number }>;
  setEf(ef: number): void;
  /** The query in the system's native input form; called before the timed loop. */
  prepare(q: Float32Array): unknown;
  /** One query (a prepare()d vector); ids of base rows, best first. */
  query(q: unknown, k: number): ArrayLike<number> | Promise<ArrayLike<number>>;
  info(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface GraphSystemFactory {
  name: string;
  /** Throws with the reason when the system cannot run here (the suite skips it and says why). */
  probe(): Promise<void>;
  create(): Promise<GraphSystem>;
}
