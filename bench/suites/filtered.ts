/**
 * Filtered search (issue 5): recall@10 and QPS at selectivities 0.1%-100% on synth-768 with two
 * attributes (suites/filtered-data.ts), Quiver's filtered queries against hnswlib-node's filter callback
 * (searchKnn(query, k, filter)), each built in its own process, searched in one pinned process with the
 * ef sweep interleaved (suites/filtered-child.ts). Floor of issue 5: at every selectivity from 10% to
 * 100%, Quiver's QPS at recall 0.95 >= hnswlib-node's at the same recall.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runChild } from '../lib/child.js';
import { makeTempDir } from '../lib/files.js';
import { qpsAtRecall } from '../lib/frontier.js';
import type { MachineInfo } from '../lib/machine.js';
import { BENCH_DIR, DATA_DIR } from '../lib/paths.js';
import { ATTRIBUTES, ATTRIBUTE_NAMES, type Attribute, FILTERED_DATASET, loadFilteredData, SELECTIVITIES } from './filtered-data.js';
import type { FilteredBuildPoint, FilteredPoint, FilteredSearchAnswer, FilteredSystemSpec } from './filtered-child.js';

const CHILD = path.join(BENCH_DIR, 'suites', 'filtered-child.ts');
const FLOOR_FROM = 0.1;

export interface FilteredOptions {
  recipes: string[];
  efs: number[];
  rounds: number;
  warmup: number;
  queries: number;
  selectivities: number[];
  attributes: Attribute[];
  systems?: string[];
  pin: boolean;
  freshFilters: boolean;
  /** keep the built indexes under bench/data/tmp/ (filtered-index-NAME) and reuse them in later runs */
  reuseIndexes: boolean;
}

export interface FilteredRunResult {
  suite: 'filtered';
  command: string;
  date: string;
  machine: MachineInfo;
  quick: boolean;
  settings: FilteredOptions;
  builds: FilteredBuildPoint[];
  loads: FilteredSearchAnswer['loads'];
  points: FilteredPoint[];
  pinned: boolean;
}

export function filteredSystems(opts: Pick<FilteredOptions, 'recipes' | 'systems' | 'freshFilters'>): FilteredSystemSpec[] {
  const specs: FilteredSystemSpec[] = [{ name: 'hnswlib', kind: 'hnswlib' }];
  for (const recipe of opts.recipes) {
    const name = /^hnsw/i.test(recipe) ? 'quiver-hnsw' : /^vamana/i.test(recipe) ? 'quiver-vamana' : `quiver-${recipe.toLowerCase()}`;
    specs.push({ name, kind: 'quiver', recipe });
  }
  if (opts.freshFilters) {
    const first = specs.find((s) => s.kind === 'quiver');
    if (first) specs.push({ ...first, name: `${first.name}-fresh`, freshFilters: true });
  }
  return opts.systems ? specs.filter((s) => opts.systems!.includes(s.name)) : specs;
}

export async function runFiltered(opts: FilteredOptions): Promise<Pick<FilteredRunResult, 'builds' | 'loads' | 'points' | 'pinned'>> {
  console.log(`filtered: ${FILTERED_DATASET}, ${opts.queries} queries, data and filtered ground truth ...`);
  await loadFilteredData(opts.queries); // generates and caches attributes and ground truth once
  const specs = filteredSystems(opts);
  const builds: FilteredBuildPoint[] = [];
  const built: Array<{ spec: FilteredSystemSpec; dir: string }> = [];
  const dirs = new Map<string, string>();
  const temporary = new Set<string>();
  try {
    for (const spec of specs) {
      // the -fresh variant searches the same collection as its parent system
      const parent = spec.freshFilters ? specs.find((s) => s.kind === 'quiver' && s.recipe === spec.recipe && !s.freshFilters) : undefined;
      if (parent && dirs.has(parent.name)) {
        built.push({ spec, dir: dirs.get(parent.name)! });
        continue;
      }
      const kept = path.join(DATA_DIR, 'tmp', `filtered-index-${spec.name}-${(spec.recipe ?? 'hnswlib').toLowerCase()}`);
      const marker = path.join(kept, 'built.json');
      if (opts.reuseIndexes && fs.existsSync(marker)) {
        const b = JSON.parse(fs.readFileSync(marker, 'utf8')) as FilteredBuildPoint;
        console.log(`  ${spec.name}: reusing the index built earlier in ${kept} (built in ${b.seconds.toFixed(0)} s)`);
        builds.push(b);
        built.push({ spec, dir: kept });
        dirs.set(spec.name, kept);
        continue;
      }
      let dir: string;
      if (opts.reuseIndexes) {
        fs.rmSync(kept, { recursive: true, force: true });
        fs.mkdirSync(kept, { recursive: true });
        dir = kept;
      } else {
        dir = makeTempDir(`filtered-${spec.name}`);
        temporary.add(dir);
      }
      dirs.set(spec.name, dir);
      const b = await runChild<FilteredBuildPoint>({ mode: 'build', system: spec, dir, queries: opts.queries }, { label: `build ${spec.name}`, script: CHILD });
      console.log(`  ${spec.name}: built in ${b.seconds.toFixed(0)} s (CPU ${b.cpuSeconds.toFixed(0)} s) ${JSON.stringify(b.info)}`);
      if (opts.reuseIndexes) fs.writeFileSync(marker, JSON.stringify(b));
      builds.push(b);
      built.push({ spec, dir });
    }
    const answer = await runChild<FilteredSearchAnswer>(
      {
        mode: 'search',
        systems: built,
        selectivities: opts.selectivities,
        attributes: opts.attributes,
        efs: opts.efs,
        k: 10,
        rounds: opts.rounds,
        warmup: opts.warmup,
        queries: opts.queries,
        pin: opts.pin,
      },
      { label: 'filtered search', script: CHILD },
    );
    return { builds, loads: answer.loads, points: answer.points, pinned: answer.pinned };
  } finally {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmtQps = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '—');

export function renderFiltered(run: FilteredRunResult): string {
  const m = run.machine;
  const s = run.settings;
  const systems = [...new Set(run.points.map((p) => p.system))];
  const lines: string[] = [
    `_Generated by \`${run.command}\` on ${run.date}${run.quick ? ' — **quick run: smoke check only**' : ''}._`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores (${m.simd}), ${m.memoryGiB} GiB, Node ${m.node}. Search ${run.pinned ? 'pinned to one core (taskset)' : '**not pinned**'}; ` +
      `${s.queries} in-distribution queries x ${s.rounds} rounds per point, interleaved, median round; ${s.warmup} warm-up queries per point; k = 10; ` +
      `ef swept over ${s.efs.join(', ')}. QPS per CPU-second; recall@10 against exact filtered search (float64). **The machine is shared with other ` +
      `work: absolute figures are noisy, the same-run ratios less so.**`,
    '',
    ...run.builds.map((b) => `- ${b.system}: built in ${b.seconds.toFixed(0)} s (CPU ${b.cpuSeconds.toFixed(0)} s), ${Object.entries(b.info).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`),
    ...run.loads.map((l) => `- ${l.system} search: ${Object.entries(l.info).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`),
    '',
  ];
  for (const attr of s.attributes) {
    lines.push(`#### ${ATTRIBUTE_NAMES[attr]} attribute`, '');
    lines.push(`QPS at recall@10 = 0.90 / 0.95 / 0.99 (— = not reached; best recall in brackets), and Quiver's strategy.`, '');
    lines.push(`| selectivity | ${systems.join(' | ')} | ${systems.filter((x) => x !== 'hnswlib').map((x) => `${x} / hnswlib at 0.95`).join(' | ')} |`);
    lines.push(`|---:|${systems.map(() => '---').join('|')}|${systems.filter((x) => x !== 'hnswlib').map(() => '---:').join('|')}|`);
    const verdicts: string[] = [];
    for (const selectivity of s.selectivities) {
      const cells: string[] = [];
      const at95 = new Map<string, number>();
      for (const system of systems) {
        const pts = run.points.filter((p) => p.system === system && p.attribute === attr && p.selectivity === selectivity);
        const curve = pts.map((p) => ({ recall: p.recall, qps: p.qpsCpu }));
        const readings = [0.9, 0.95, 0.99].map((t) => qpsAtRecall(curve, t));
        at95.set(system, readings[1].qps);
        const best = Math.max(...pts.map((p) => p.recall));
        const strategies = [...new Set(pts.map((p) => p.strategy).filter(Boolean))];
        cells.push(`${readings.map((r) => (r.how === 'at least' ? `≥${fmtQps(r.qps)}` : fmtQps(r.qps))).join(' / ')} (${best.toFixed(3)})${strategies.length ? ` ${strategies.join('/')}` : ''}`);
      }
      const ratios = systems
        .filter((x) => x !== 'hnswlib')
        .map((x) => {
          const ratio = at95.get(x)! / at95.get('hnswlib')!;
          if (selectivity >= FLOOR_FROM && !x.endsWith('-fresh')) verdicts.push(`${x} ${selectivity * 100}%: ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x${ratio >= 1 ? '' : ' **below the floor**'}` : 'not comparable (a side does not reach 0.95)'}`);
          return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '—';
        });
      lines.push(`| ${selectivity * 100}% | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
    }
    lines.push('', `Floor (issue 5: QPS at recall 0.95 >= hnswlib-node's, selectivities 10%-100%): ${verdicts.join('; ')}.`, '');
  }
  return lines.join('\n');
}

export { ATTRIBUTES, SELECTIVITIES };
