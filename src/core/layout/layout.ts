/**
 * The 2-D map of a set of vectors, from their k-NN graph: UMAP's fuzzy graph, a PCA start and the
 * negative-sampling SGD (fuzzy.ts, pca.ts, optimize.ts). The pieces here are pure and deterministic
 * given the seed; the collection's map job (core/collection/map.ts) feeds them from Quiver's index and
 * runs the epochs in slices.
 */
import { Prng } from '../lib/prng.js';
import { fuzzyUnion, memberships, type FuzzyEdges } from './fuzzy.js';
import { LayoutOptimizer, type OptimizeOptions } from './optimize.js';
import type { NeighborGraph } from './rows.js';

/** As UMAP: the starting coordinates are scaled so the largest is this, plus a little noise. */
const START_EXTENT = 10;
const START_NOISE = 1e-4;

/**
 * Edge samples the default epoch count aims at. UMAP runs 500 epochs up to 10,000 points and 200 above;
 * at 50,000 points that is ~30 million edge samples (each with 10 negative samples), tens of seconds in
 * JavaScript. Quiver spends a fixed budget instead, within [EPOCHS_MIN, EPOCHS_MAX]: small maps get
 * UMAP's 500 epochs, large ones fewer (docs/console.md measures what that costs in preservation).
 */
export const LAYOUT_SAMPLE_BUDGET = 10_000_000;
const EPOCHS_MIN = 50;
const EPOCHS_MAX = 500;

/** The epochs the budget buys for these edges (each edge is sampled weight / max weight times per epoch). */
export function defaultEpochs(edges: FuzzyEdges): number {
  let max = 0;
  let sum = 0;
  for (const w of edges.weight) {
    max = Math.max(max, w);
    sum += w;
  }
  const perEpoch = max > 0 ? sum / max : 0;
  return perEpoch === 0 ? EPOCHS_MIN : Math.max(EPOCHS_MIN, Math.min(EPOCHS_MAX, Math.round(LAYOUT_SAMPLE_BUDGET / perEpoch)));
}

export function fuzzyGraph(graph: NeighborGraph): FuzzyEdges {
  return fuzzyUnion(graph, memberships(graph));
}

/** The optimiser's starting point: `projection` (x, y pairs) scaled to +-10, jittered so no two points coincide. */
export function startingCoordinates(projection: Float32Array, seed: number): Float32Array {
  let extent = 0;
  for (const c of projection) extent = Math.max(extent, Math.abs(c));
  const scale = extent > 0 ? START_EXTENT / extent : 1;
  const rng = new Prng(seed);
  return Float32Array.from(projection, (c) => c * scale + (rng.next() * 2 - 1) * START_NOISE);
}

/** An optimiser over the fuzzy graph's `edges` starting from `projection`; call run(epochs) until done. */
export function createLayout(edges: FuzzyEdges, projection: Float32Array, options: Partial<OptimizeOptions> & { seed: number }): LayoutOptimizer {
  const start = startingCoordinates(projection, options.seed);
  return new LayoutOptimizer(start, edges, { ...options, epochs: options.epochs ?? defaultEpochs(edges), seed: options.seed + 1 });
}

/** Points with coordinates scaled into [-1, 1] on their longer side, centred: what a client draws. */
export function normaliseCoordinates(coordinates: Float32Array): Float32Array {
  const count = coordinates.length / 2;
  if (count === 0) return new Float32Array(0);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < count; i++) {
    minX = Math.min(minX, coordinates[2 * i]);
    maxX = Math.max(maxX, coordinates[2 * i]);
    minY = Math.min(minY, coordinates[2 * i + 1]);
    maxY = Math.max(maxY, coordinates[2 * i + 1]);
  }
  const half = Math.max(maxX - minX, maxY - minY) / 2 || 1;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return Float32Array.from(coordinates, (c, i) => (i % 2 === 0 ? (c - cx) / half : (c - cy) / half));
}
