/**
 * UMAP's fuzzy simplicial set (McInnes, Healy & Melville 2018, section 3): each point's k-NN distances
 * become membership strengths exp(-(d - rho) / sigma), where rho is the distance to its nearest neighbour
 * (so every point is connected to at least one other with strength 1) and sigma is chosen so that the
 * strengths add up to log2(k) (each point sees a neighbourhood of the same effective size, however dense
 * its region). The directed strengths are then combined by the fuzzy union w = a + b - a*b into one
 * weight per undirected edge.
 */
import type { NeighborGraph } from './rows.js';

export interface FuzzyEdges {
  /** Undirected edges (head[e], tail[e]) with weight[e] in (0, 1]. */
  head: Uint32Array;
  tail: Uint32Array;
  weight: Float32Array;
}

const SIGMA_SEARCH_STEPS = 64;
const SIGMA_TOLERANCE = 1e-5;
/** As UMAP: sigma is at least this share of the mean neighbour distance, so ties do not make it zero. */
const MIN_SIGMA_SCALE = 1e-3;

/** Directed membership strengths, aligned with graph.neighbors. */
export function memberships(graph: NeighborGraph): Float32Array {
  const out = new Float32Array(graph.distances.length);
  membershipsOf(graph, 0, graph.count, out);
  return out;
}

/** The strengths of points [from, to) into `out` (aligned with graph.neighbors), so a caller can pause between ranges. */
export function membershipsOf(graph: NeighborGraph, from: number, to: number, out: Float32Array): void {
  const { offsets, distances } = graph;
  for (let i = from; i < to; i++) {
    const start = offsets[i];
    const end = offsets[i + 1];
    const k = end - start;
    if (k === 0) continue;
    let rho = Infinity;
    let mean = 0;
    for (let e = start; e < end; e++) {
      rho = Math.min(rho, distances[e]);
      mean += distances[e];
    }
    mean /= k;
    const target = Math.log2(Math.max(k, 2));
    // binary search sigma: the sum of exp(-(d - rho) / sigma) grows with sigma
    let low = 0;
    let high = Infinity;
    let sigma = 1;
    for (let step = 0; step < SIGMA_SEARCH_STEPS; step++) {
      let sum = 0;
      for (let e = start; e < end; e++) sum += Math.exp(-Math.max(0, distances[e] - rho) / sigma);
      if (Math.abs(sum - target) < SIGMA_TOLERANCE) break;
      if (sum > target) {
        high = sigma;
        sigma = (low + high) / 2;
      } else {
        low = sigma;
        sigma = high === Infinity ? sigma * 2 : (low + high) / 2;
      }
    }
    // relative to the point's own spread of distances (they may be offset, e.g. negated inner products)
    sigma = Math.max(sigma, MIN_SIGMA_SCALE * (mean - rho), 1e-12);
    for (let e = start; e < end; e++) out[e] = Math.exp(-Math.max(0, distances[e] - rho) / sigma);
  }
}

/**
 * The fuzzy union of the directed strengths, one edge per connected pair. A pair listed in both
 * directions (i in j's list and j in i's) becomes one edge of weight a + b - ab.
 */
export function fuzzyUnion(graph: NeighborGraph, strengths: Float32Array): FuzzyEdges {
  const union = new FuzzyUnion(graph, strengths);
  union.add(0, graph.count);
  return union.edges();
}

/** fuzzyUnion over ranges of points, so a caller can pause between them. */
export class FuzzyUnion {
  private readonly head: Uint32Array;
  private readonly tail: Uint32Array;
  private readonly weight: Float32Array;
  private length = 0;

  constructor(
    private readonly graph: NeighborGraph,
    private readonly strengths: Float32Array,
  ) {
    // at most one edge per directed entry
    this.head = new Uint32Array(graph.neighbors.length);
    this.tail = new Uint32Array(graph.neighbors.length);
    this.weight = new Float32Array(graph.neighbors.length);
  }

  /** Adds the edges whose smaller end (or only listing end) is in points [from, to). */
  add(from: number, to: number): void {
    const { offsets, neighbors } = this.graph;
    const strengths = this.strengths;
    for (let i = from; i < to; i++) {
      for (let e = offsets[i]; e < offsets[i + 1]; e++) {
        const j = neighbors[e];
        const a = strengths[e];
        // Is i in j's list? Lists are short (k), so a scan is cheaper than a hash of every pair.
        let b = -1;
        for (let f = offsets[j]; f < offsets[j + 1]; f++) {
          if (neighbors[f] === i) {
            b = strengths[f];
            break;
          }
        }
        if (b >= 0 && j < i) continue; // the mutual pair is emitted once, from its smaller end
        const w = b >= 0 ? a + b - a * b : a;
        if (w <= 0) continue;
        this.head[this.length] = i;
        this.tail[this.length] = j;
        this.weight[this.length++] = w;
      }
    }
  }

  edges(): FuzzyEdges {
    return { head: this.head.slice(0, this.length), tail: this.tail.slice(0, this.length), weight: this.weight.slice(0, this.length) };
  }
}
