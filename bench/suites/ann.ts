/**
 * The ANN suite (ann-benchmarks style): for each dataset, each graph index is built in its own process
 * (build wall/CPU time, threads, index size, peak RSS), saved, and loaded by one search process pinned to
 * CPU 0, which sweeps ef over the anchors' values with every system interleaved round by round; recall@10
 * and QPS per CPU-second (median of the rounds) per point. Reported as QPS at recall 0.90/0.95/0.99 read
 * off each Pareto frontier, with plots (report-graph.ts).
 */
import type { DatasetRef } from '../datasets/subset.js';
import { runChild } from '../lib/child.js';
import type { AnnDatasetSummary, AnnRunResult } from '../results.js';
import { graphSpecs, selectSpecs, type QuiverSettings } from '../systems/index.js';
import type { PrepareAnswer, PrepareRequest } from './graph-protocol.js';
import { buildAndSearch, emptyOut, probeAll, type SweepOptions } from './graph-runner.js';

/** The anchors' sweep (ef for hnswlib and Quiver, expansion_search for usearch). */
export const EF_SWEEP = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

export const ANN_DATASETS = ['fashion-mnist', 'synth-768', 'glove-100'];

/** --quick: base rows per dataset (a prefix; exact ground truth of the prefix is computed and cached). */
export const QUICK_BASE: Record<string, number> = { 'fashion-mnist': 5_000, 'synth-768': 5_000, 'glove-100': 10_000 };

export interface AnnOptions extends SweepOptions {
  datasets: string[];
  /** only these systems (names) */
  systems?: string[];
  quiver: QuiverSettings;
  /** timed queries per query set (spread evenly over it) */
  queries: number;
  warmup: number;
  /** base rows per dataset (undefined: all) */
  base?: Record<string, number>;
}

export type AnnOut = Pick<AnnRunResult, 'datasets' | 'builds' | 'loads' | 'points' | 'skipped' | 'pinned'>;

export async function runAnn(opts: AnnOptions): Promise<AnnOut> {
  const out: AnnOut = { datasets: [], ...emptyOut(opts.pin) };
  const specs = selectSpecs(graphSpecs(opts.quiver), opts.systems);
  if (!specs.length) throw new Error('no systems selected');
  for (const name of opts.datasets) {
    console.log(`\n== ${name}`);
    const ref: DatasetRef = { name, base: opts.base?.[name], queries: opts.queries, warmup: opts.warmup };
    out.datasets.push(await summarise(ref)); // also computes and caches any ground truth the children need
    const available = await probeAll(specs, name, out);
    try {
      await buildAndSearch(ref, name, available.map((spec) => ({ spec })), opts, out);
    } catch (err) {
      const reason = (err as Error).message;
      for (const s of available) out.skipped.push({ system: s.name, dataset: name, reason });
      console.log(`  ${name}: ${reason}`);
    }
  }
  return out;
}

/** Loads the dataset in a child process (which generates and caches data and ground truth as needed). */
export async function summarise(ref: DatasetRef, label = ref.name): Promise<AnnDatasetSummary> {
  const req: PrepareRequest = { mode: 'prepare', dataset: ref, label };
  return runChild<PrepareAnswer>(req, { label: `prepare ${label}` });
}
