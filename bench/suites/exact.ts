/**
 * The exact (brute-force) suite: every system answers the same queries one at a time, k = 10, in one
 * process pinned to one core, interleaved round by round (the order rotates each round), after a
 * warm-up; the median round is reported. Then the ingest benchmark on synth-768.
 */
import { datasetSpec, type Dataset } from '../datasets/index.js';
import { pinToCpu } from '../lib/machine.js';
import { median, recallAtK, spreadIds, timeQueries, type Timing } from '../lib/measure.js';
import type { IngestPoint, RunResult, SearchPoint } from '../results.js';
import { SUITE_SYSTEMS, type System } from '../systems/index.js';
import { DURABILITIES, runIngest } from './ingest.js';

export interface ExactOptions {
  datasets: string[];
  systems?: string[];
  k: number;
  queries: number;
  rounds: number;
  warmup: number;
  ingestCount: number; // 0 = no ingest benchmark
  ingestDataset: string;
  pin: boolean;
}

type Out = Pick<RunResult, 'points' | 'ingest' | 'skipped' | 'datasets'> & { pinned: boolean };

export async function runExact(opts: ExactOptions): Promise<Out> {
  const out: Out = { points: [], ingest: [], skipped: [], datasets: [], pinned: opts.pin };
  const factories = SUITE_SYSTEMS.exact.filter((f) => !opts.systems || opts.systems.includes(f.name));
  const names = [...opts.datasets];
  if (opts.ingestCount > 0 && !names.includes(opts.ingestDataset)) names.push(opts.ingestDataset);

  for (const name of names) {
    console.log(`\n== ${name}`);
    const ds = await datasetSpec(name).load();
    if (opts.datasets.includes(name)) {
      out.datasets.push({ name, description: ds.description, count: ds.count, dimension: ds.dimension, metric: ds.metric });
      out.pinned = (await searchDataset(ds, factories, opts, out)) && out.pinned;
    }
    if (opts.ingestCount > 0 && name === opts.ingestDataset) {
      for (const durability of DURABILITIES) {
        try {
          const p = await runIngest(ds, opts.ingestCount, durability);
          out.ingest.push(p);
          printIngest(p);
        } catch (err) {
          const reason = (err as Error).message;
          out.skipped.push({ system: `quiver ingest (${durability})`, dataset: name, reason });
          console.log(`  ingest ${durability}: skipped: ${reason}`);
        }
      }
    }
  }
  return out;
}

/** Returns whether the timed part ran pinned. */
async function searchDataset(ds: Dataset, factories: typeof SUITE_SYSTEMS.exact, opts: ExactOptions, out: Out): Promise<boolean> {
  const qs = ds.querySets[0];
  const ids = spreadIds(qs.count, opts.queries);
  const warmIds = spreadIds(qs.count, opts.warmup).map((q) => (q + 1) % qs.count);
  const systems: Array<{ sys: System; buildSeconds: number; rounds: Timing[]; ids?: Int32Array }> = [];

  for (const f of factories) {
    try {
      const sys = await f.create();
      const t0 = performance.now();
      await sys.build(ds);
      const buildSeconds = (performance.now() - t0) / 1000;
      console.log(`  ${f.name}: loaded in ${buildSeconds.toFixed(1)} s`);
      systems.push({ sys, buildSeconds, rounds: [] });
    } catch (err) {
      const reason = (err as Error).message;
      out.skipped.push({ system: f.name, dataset: ds.name, reason });
      console.log(`  ${f.name}: skipped: ${reason}`);
    }
  }

  const unpin = opts.pin ? pinToCpu(0) : null;
  if (opts.pin && !unpin) console.log('  (taskset not available: not pinned)');
  try {
    for (const s of systems) await timeQueries(s.sys, qs, warmIds, ds.dimension, opts.k);
    for (let round = 0; round < opts.rounds; round++) {
      const order = systems.map((_, i) => systems[(i + round) % systems.length]);
      for (const s of order) {
        const { timing, ids: got } = await timeQueries(s.sys, qs, ids, ds.dimension, opts.k);
        s.rounds.push(timing);
        s.ids ??= got;
        const qps = timing.queries / timing.cpuSeconds;
        console.log(`  round ${round + 1}/${opts.rounds} ${s.sys.name}: ${qps.toFixed(1)} QPS (CPU)`);
      }
    }
  } finally {
    unpin?.();
  }

  const bytesPerQuery = ds.count * ds.dimension * 4;
  for (const s of systems) {
    const qpsCpu = median(s.rounds.map((t) => t.queries / t.cpuSeconds));
    const point: SearchPoint = {
      dataset: ds.name,
      querySet: qs.name,
      system: s.sys.name,
      params: {},
      k: opts.k,
      queries: ids.length,
      rounds: s.rounds,
      qpsCpu,
      qpsWall: median(s.rounds.map((t) => t.queries / t.wallSeconds)),
      cpuPerWall: median(s.rounds.map((t) => t.cpuSeconds / t.wallSeconds)),
      gbPerS: (qpsCpu * bytesPerQuery) / 1e9,
      recall: recallAtK(ds, qs, ids, s.ids!, opts.k),
      buildSeconds: s.buildSeconds,
      info: await s.sys.info(),
    };
    out.points.push(point);
    await s.sys.close?.();
    console.log(
      `  ${point.system.padEnd(14)} ${point.qpsCpu.toFixed(1).padStart(7)} QPS (CPU) ${point.qpsWall.toFixed(1).padStart(7)} QPS (wall)` +
        `  cpu/wall ${point.cpuPerWall.toFixed(2)}  ${point.gbPerS.toFixed(2)} GB/s  recall@${opts.k} ${point.recall.toFixed(4)}  ${JSON.stringify(point.info)}`,
    );
  }
  return unpin !== null;
}

function printIngest(p: IngestPoint): void {
  console.log(
    `  ingest ${p.durability.padEnd(8)} ${p.count} x ${p.dimension}: ${Math.round(p.vectorsPerS)} vectors/s` +
      ` (close ${p.closeSeconds.toFixed(2)} s), ${Math.round(p.bytesPerVector)} bytes/vector on disk`,
  );
}
