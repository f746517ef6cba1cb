import { hnswlibGraph } from './hnswlib.js';
import { plainLoop } from './plain-loop.js';
import { quiverFlat } from './quiver.js';
import { quiverGraph, quiverSystemNames, type Durability, type QuiverMode } from './quiver-graph.js';
import { usearchExact } from './usearch-exact.js';
import { usearchF16, usearchF32 } from './usearch-hnsw.js';
import type { GraphSystemFactory, SystemFactory } from './types.js';

export type { GraphSystem, GraphSystemFactory, System, SystemFactory } from './types.js';

/** Systems of the exact suite. */
export const SUITE_SYSTEMS: Record<string, SystemFactory[]> = {
  exact: [plainLoop, usearchExact, quiverFlat],
};

/** A graph system as JSON, so a child process can make the same one. */
export interface GraphSpec {
  name: string;
  kind: 'hnswlib' | 'usearch-f32' | 'usearch-f16' | 'quiver';
  recipe?: string;
  mode?: QuiverMode;
  durability?: Durability;
}

export interface QuiverSettings {
  recipes: string[];
  mode: QuiverMode;
  durability: Durability;
}

/** The ANN suite's systems: the peers with the anchors' settings, then one Quiver system per recipe. */
export function graphSpecs(quiver: QuiverSettings, peers: GraphSpec['kind'][] = ['hnswlib', 'usearch-f32', 'usearch-f16']): GraphSpec[] {
  const names = quiverSystemNames(quiver.recipes);
  return [
    ...peers.map((kind) => ({ name: kind, kind })),
    ...quiver.recipes.map((recipe) => ({ name: names.get(recipe)!, kind: 'quiver' as const, recipe, mode: quiver.mode, durability: quiver.durability })),
  ];
}

export function graphFactory(spec: GraphSpec): GraphSystemFactory {
  switch (spec.kind) {
    case 'hnswlib':
      return hnswlibGraph;
    case 'usearch-f32':
      return usearchF32;
    case 'usearch-f16':
      return usearchF16;
    case 'quiver':
      return quiverGraph(spec.name, { recipe: spec.recipe!, mode: spec.mode ?? 'persist', durability: spec.durability ?? 'none' });
  }
}

/** The specs named in `only` (all when undefined); unknown names are an error listing the known ones. */
export function selectSpecs(specs: GraphSpec[], only: string[] | undefined): GraphSpec[] {
  if (!only) return specs;
  const unknown = only.filter((n) => !specs.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown system ${unknown.join(', ')} (known here: ${specs.map((s) => s.name).join(', ')})`);
  return specs.filter((s) => only.includes(s.name));
}
