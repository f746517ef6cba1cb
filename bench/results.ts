/** The raw points a run produces (written by --json, rendered by report.ts). */
import type { MachineInfo } from './lib/machine.js';
import type { Timing } from './lib/measure.js';

export interface SearchPoint {
  dataset: string;
  querySet: string;
  system: string;
  /** query-time parameters (ef, ...) for graph sweeps; empty for exact search */
  params: Record<string, number>;
  k: number;
  /** distinct queries timed per round */
  queries: number;
  rounds: Timing[];
  /** medians over rounds */
  qpsCpu: number;
  qpsWall: number;
  /** process CPU seconds per wall second while querying: ~1 means single-threaded */
  cpuPerWall: number;
  /** bytes of base vectors (count x dim x 4) scanned per CPU-second */
  gbPerS: number;
  recall: number;
  buildSeconds: number;
  info: Record<string, unknown>;
}

export interface IngestPoint {
  dataset: string;
  system: string;
  index: string;
  durability: string;
  count: number;
  dimension: number;
  batch: number;
  /** from the first upsert until the last one resolved (durable) */
  seconds: number;
  vectorsPerS: number;
  closeSeconds: number;
  bytesOnDisk: number;
  bytesPerVector: number;
}

export interface DatasetSummary {
  name: string;
  description: string;
  count: number;
  dimension: number;
  metric: string;
}

export interface RunResult {
  suite: string;
  command: string;
  date: string;
  machine: MachineInfo;
  quick: boolean;
  pinned: boolean;
  settings: Record<string, unknown>;
  datasets: DatasetSummary[];
  points: SearchPoint[];
  ingest: IngestPoint[];
  skipped: Array<{ system: string; dataset?: string; reason: string }>;
}

/** One graph index built in its own process (the ANN and scaling suites). */
export interface BuildPoint {
  dataset: string;
  system: string;
  count: number;
  dimension: number;
  /** wall-clock seconds of build() (upserts + waiting for indexing, for Quiver); saving is not included */
  buildSeconds: number;
  /** CPU seconds of the build process (all threads) during build() */
  buildCpuSeconds: number;
  cpuPerWall: number;
  /** threads the build was told to use (or what the system reports) */
  threads: number | string;
  indexBytes: number;
  diskBytes: number;
  saveSeconds: number;
  /** RSS when build() started (data loaded) and the process's peak RSS at the end of build() */
  rssBeforeBytes: number;
  peakRssBytes: number;
  notes: string[];
  info: Record<string, unknown>;
}

/** The search process loading a saved index. */
export interface LoadPoint {
  dataset: string;
  system: string;
  seconds: number;
  notes: string[];
  info: Record<string, unknown>;
}

/** One point of a recall/QPS sweep. */
export interface AnnPoint {
  dataset: string;
  querySet: string;
  system: string;
  params: Record<string, number>;
  k: number;
  queries: number;
  rounds: Timing[];
  /** medians over rounds */
  qpsCpu: number;
  qpsWall: number;
  cpuPerWall: number;
  recall: number;
}

export interface AnnDatasetSummary extends DatasetSummary {
  querySets: Array<{ name: string; queries: number }>;
}

export interface AnnRunResult {
  suite: 'ann' | 'scaling';
  command: string;
  date: string;
  machine: MachineInfo;
  quick: boolean;
  pinned: boolean;
  settings: Record<string, unknown>;
  datasets: AnnDatasetSummary[];
  builds: BuildPoint[];
  loads: LoadPoint[];
  points: AnnPoint[];
  skipped: Array<{ system: string; dataset?: string; reason: string }>;
}
