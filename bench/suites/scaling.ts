/**
 * The scaling suite, "how cost grows": build time, bytes per vector and QPS at recall 0.95 for 10k, 100k
 * and 1M vectors of the 768-d synthetic set, for Quiver's recipes and hnswlib-node as the reference.
 *
 * Sizes up to 100,000 are prefixes of synth-768; 1M is synth-768-1m (the same generator and seed, so its
 * first 100,000 rows and its queries are synth-768's; generated on first use and cached, 3 GB). Every
 * size is timed on the same 300 in-distribution queries (ground truth for 1M: usearch exactSearch on all
 * cores, 2 here, cached). Each size is built and searched like the ANN suite (own build processes, one
 * pinned search process, the full ef sweep).
 *
 * Time and memory: before a reference peer is built at the next size, its build time is projected from
 * the previous size (n log n); when that exceeds --max-build-minutes (default 20) it is skipped with the
 * projection as the reason, and a build that runs past the limit is stopped. Quiver is always built.
 */
import os from 'node:os';
import type { DatasetRef } from '../datasets/subset.js';
import { graphSpecs, selectSpecs, type GraphSpec, type QuiverSettings } from '../systems/index.js';
import { summarise, type AnnOut } from './ann.js';
import { buildAndSearch, emptyOut, probeAll, type BuildPlan, type SweepOptions } from './graph-runner.js';

export const SCALING_SIZES = [10_000, 100_000, 1_000_000];
export const QUICK_SCALING_SIZES = [2_000, 5_000, 20_000];
/** queries timed at every size (the 1M set has ground truth for these 300 only) */
export const SCALING_QUERIES = 300;
const BIG = 'synth-768-1m';
/** peers the scaling suite knows; by default only hnswlib-node runs (name usearch-f32/f16 in --systems to add them) */
const SCALING_PEERS: GraphSpec['kind'][] = ['hnswlib', 'usearch-f32', 'usearch-f16'];
const DEFAULT_PEERS: string[] = ['hnswlib'];
const SMALL = 'synth-768';
const SMALL_COUNT = 100_000;

export interface ScalingOptions extends SweepOptions {
  sizes: number[];
  systems?: string[];
  quiver: QuiverSettings;
  queries: number;
  warmup: number;
  maxBuildMinutes: number;
}

export function sizeLabel(n: number): string {
  return `${SMALL}/${n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n % 1000 === 0 ? `${n / 1000}k` : n}`;
}

export async function runScaling(opts: ScalingOptions): Promise<AnnOut> {
  const out: AnnOut = { datasets: [], ...emptyOut(opts.pin) };
  const all = graphSpecs(opts.quiver, SCALING_PEERS);
  const specs = selectSpecs(all, opts.systems ?? all.filter((s) => s.kind === 'quiver' || DEFAULT_PEERS.includes(s.name)).map((s) => s.name));
  if (!specs.length) throw new Error('no systems selected');
  const available = await probeAll(specs, SMALL, out);
  const sizes = [...opts.sizes].sort((a, b) => a - b);
  const last = new Map<string, { n: number; seconds: number }>();
  for (const n of sizes) {
    const label = sizeLabel(n);
    console.log(`\n== ${label}`);
    const ref: DatasetRef =
      n <= SMALL_COUNT
        ? { name: SMALL, base: n, querySets: ['in-dist'], queries: Math.min(opts.queries, SCALING_QUERIES), warmup: opts.warmup }
        : { name: BIG, base: n, querySets: ['in-dist'], queries: Math.min(opts.queries, SCALING_QUERIES), warmup: opts.warmup };
    const summary = await summarise(ref, label);
    if (summary.count < n) throw new Error(`${label}: the dataset has only ${summary.count} vectors`);
    out.datasets.push(summary);
    const plans: BuildPlan[] = [];
    for (const spec of available) {
      const reason = spec.kind === 'quiver' ? null : overBudget(n, summary.dimension, last.get(spec.name), opts.maxBuildMinutes);
      if (reason) {
        out.skipped.push({ system: spec.name, dataset: label, reason });
        console.log(`  ${spec.name}: skipped: ${reason}`);
      } else {
        plans.push({ spec, timeoutMs: spec.kind === 'quiver' ? 0 : opts.maxBuildMinutes * 60_000 });
      }
    }
    try {
      await buildAndSearch(ref, label, plans, opts, out);
    } catch (err) {
      const reason = (err as Error).message;
      for (const p of plans) out.skipped.push({ system: p.spec.name, dataset: label, reason });
      console.log(`  ${label}: ${reason}`);
    }
    for (const b of out.builds.filter((b) => b.dataset === label)) last.set(b.system, { n, seconds: b.buildSeconds });
  }
  return out;
}

/** Why a reference peer is not built at size n (projected time or memory), or null. */
function overBudget(n: number, dim: number, prev: { n: number; seconds: number } | undefined, maxMinutes: number): string | null {
  if (prev) {
    const projected = prev.seconds * (n / prev.n) * (Math.log(n) / Math.log(prev.n));
    if (projected > maxMinutes * 60) {
      return (
        `projected build time ${(projected / 60).toFixed(0)} min (from ${prev.seconds.toFixed(0)} s at ${prev.n.toLocaleString('en-US')}, ` +
        `scaled by n log n) exceeds the ${maxMinutes}-minute limit (--max-build-minutes)`
      );
    }
  }
  // the build process holds the vectors (JS) and the index (vectors + links); the search process holds
  // the vectors and every index
  const need = n * dim * 4 * 2.3;
  if (need > os.freemem()) {
    return `needs about ${(need / 2 ** 30).toFixed(1)} GiB to build; ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`;
  }
  return null;
}
