/**
 * What the ANN and scaling suites share: build each system's index in its own child process (saved to a
 * temp directory under bench/data/tmp), then load them all in one search process, pinned to CPU 0,
 * which runs the interleaved sweep (suites/graph-child.ts).
 */
import fs from 'node:fs';
import type { DatasetRef } from '../datasets/subset.js';
import { runChild } from '../lib/child.js';
import { makeTempDir } from '../lib/files.js';
import type { AnnRunResult, BuildPoint } from '../results.js';
import { graphFactory, type GraphSpec } from '../systems/index.js';
import type { BuildRequest, SearchAnswer, SearchRequest } from './graph-protocol.js';

export interface SweepOptions {
  efs: number[];
  k: number;
  rounds: number;
  pin: boolean;
  /** keep the saved indexes (their directories are printed) */
  keepIndexes: boolean;
}

export type GraphOut = Pick<AnnRunResult, 'builds' | 'loads' | 'points' | 'skipped' | 'pinned'>;

export function emptyOut(pin: boolean): GraphOut {
  return { builds: [], loads: [], points: [], skipped: [], pinned: pin };
}

const MB = 2 ** 20;

export function printBuild(b: BuildPoint): void {
  console.log(
    `  ${b.system}: built ${b.count} x ${b.dimension} in ${b.buildSeconds.toFixed(1)} s (CPU ${b.buildCpuSeconds.toFixed(1)} s, ` +
      `threads ${b.threads}), index ${(b.indexBytes / MB).toFixed(0)} MB, peak RSS ${(b.peakRssBytes / MB).toFixed(0)} MB ` +
      `(${(b.rssBeforeBytes / MB).toFixed(0)} MB before build), saved in ${b.saveSeconds.toFixed(1)} s${b.notes.length ? `; ${b.notes.join('; ')}` : ''}`,
  );
}

/** Skips (with the reason) the systems whose probe fails; returns the others. */
export async function probeAll(specs: GraphSpec[], dataset: string, out: GraphOut): Promise<GraphSpec[]> {
  const ok: GraphSpec[] = [];
  for (const spec of specs) {
    try {
      await graphFactory(spec).probe();
      ok.push(spec);
    } catch (err) {
      out.skipped.push({ system: spec.name, dataset, reason: (err as Error).message });
      console.log(`  ${spec.name}: skipped: ${(err as Error).message}`);
    }
  }
  return ok;
}

export interface BuildPlan {
  spec: GraphSpec;
  /** kill the build after this long (0 = no limit) */
  timeoutMs?: number;
}

/** Builds each system in its own process, then runs the sweep in one search process. */
export async function buildAndSearch(ref: DatasetRef, label: string, plans: BuildPlan[], opts: SweepOptions, out: GraphOut): Promise<void> {
  const built: Array<{ spec: GraphSpec; dir: string }> = [];
  try {
    for (const { spec, timeoutMs } of plans) {
      const dir = makeTempDir(`${label.replace(/[^a-z0-9-]+/gi, '_')}-${spec.name}`);
      try {
        const req: BuildRequest = { mode: 'build', dataset: ref, label, system: spec, dir };
        const b = await runChild<BuildPoint>(req, { label: `build ${spec.name} on ${label}`, timeoutMs });
        out.builds.push(b);
        printBuild(b);
        built.push({ spec, dir });
      } catch (err) {
        out.skipped.push({ system: spec.name, dataset: label, reason: (err as Error).message });
        console.log(`  ${spec.name}: skipped: ${(err as Error).message}`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    if (!built.length) return;
    const req: SearchRequest = { mode: 'search', dataset: ref, label, systems: built, efs: opts.efs, k: opts.k, rounds: opts.rounds, pin: opts.pin };
    const ans = await runChild<SearchAnswer>(req, { label: `search on ${label}` });
    out.loads.push(...ans.loads);
    out.points.push(...ans.points);
    out.skipped.push(...ans.skipped.map((s) => ({ ...s, dataset: label })));
    out.pinned = out.pinned && ans.pinned;
  } finally {
    for (const { dir } of built) {
      if (opts.keepIndexes) console.log(`  kept ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
