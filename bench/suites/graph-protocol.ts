/** Requests and answers between the ANN/scaling suites and their child processes (suites/graph-child.ts). */
import type { DatasetRef } from '../datasets/subset.js';
import type { AnnDatasetSummary, AnnPoint, LoadPoint } from '../results.js';
import type { GraphSpec } from '../systems/index.js';

/** Loads (generating data and computing ground truth when not cached) and describes a dataset. */
export interface PrepareRequest {
  mode: 'prepare';
  dataset: DatasetRef;
  label: string;
}

export type PrepareAnswer = AnnDatasetSummary;

export interface BuildRequest {
  mode: 'build';
  dataset: DatasetRef;
  /** the name the build point carries */
  label: string;
  system: GraphSpec;
  dir: string;
}

export interface SearchRequest {
  mode: 'search';
  dataset: DatasetRef;
  /** the name points carry (the scaling suite names sizes: synth-768/10k) */
  label: string;
  systems: Array<{ spec: GraphSpec; dir: string }>;
  efs: number[];
  k: number;
  rounds: number;
  pin: boolean;
}

export interface SearchAnswer {
  pinned: boolean;
  loads: LoadPoint[];
  points: AnnPoint[];
  skipped: Array<{ system: string; reason: string }>;
}

