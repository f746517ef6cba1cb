/**
 * Local intrinsic dimensionality (LID) of each vector, and the insertion order it gives a graph build.
 *
 * "The Impacts of Data, Ordering, and Intrinsic Dimensionality on Recall in Hierarchical Navigable Small
 * Worlds" (Elliott & Clark, 2024) found that HNSW's recall falls as the LID of the data rises and that
 * inserting the vectors in order of descending LID raised it. The estimator is the maximum-likelihood
 * one (Levina & Bickel 2004; Amsaleg et al. 2015) over the distances d_1 <= ... <= d_k from a vector to
 * its k nearest neighbours (plain Euclidean distances, not squared):
 *
 *   LID(x) = -( (1/k) * sum_{i=1..k} ln(d_i / d_k) )^-1
 *
 * The neighbours come from the graphs the rows already have (LidEstimator): one beam search of width
 * LID_SEARCH_EF per row in each source's graph, plus an exact scan of the rows a graph does not cover yet,
 * so estimating costs about one query per row (per source), far less than the build it orders.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import { TopK } from '../lib/topk.js';
import type { VectorArena } from '../vectors/arena.js';
import type { ScoringArena } from '../vectors/scoring.js';
import { scanRange } from './flat/flat.js';
import type { GraphIndex } from './index.js';

/** k of the estimate: Amsaleg et al. found the MLE stable from about 20 neighbours. */
export const LID_NEIGHBOURS = 20;
/** Beam width of the neighbour searches. */
export const LID_SEARCH_EF = 64;

/** Ids of the merged top-k pack (source, slot) as in the collection's query path. */
const SOURCE_SPAN = 2 ** 32;

/**
 * The MLE of LID from `count` Euclidean distances to a vector's nearest neighbours (any order). Zero
 * distances (duplicates of the vector) say nothing about how the neighbourhood grows and are left out;
 * with fewer than two positive distances the estimate is 0 (a point mass). When every positive distance
 * is the same the MLE diverges: +Infinity.
 */
export function lidMle(distances: ArrayLike<number>, count = distances.length): number {
  let farthest = 0;
  let positive = 0;
  for (let i = 0; i < count; i++) {
    const d = distances[i];
    assert(d >= 0, `LID: distances are non-negative, got ${d}`);
    if (d > 0) {
      positive++;
      if (d > farthest) farthest = d;
    }
  }
  if (positive < 2) return 0;
  let sum = 0;
  for (let i = 0; i < count; i++) if (distances[i] > 0) sum += Math.log(distances[i] / farthest);
  return sum === 0 ? Infinity : -positive / sum;
}

/**
 * A permutation of [0, lid.length): indices by LID, highest first ('descending') or lowest first; ties
 * keep their index order, so the result is deterministic.
 */
export function orderByLid(lid: ArrayLike<number>, direction: 'descending' | 'ascending' = 'descending'): Uint32Array {
  const sign = direction === 'descending' ? -1 : 1;
  const order = Array.from({ length: lid.length }, (_, i) => i);
  order.sort((a, b) => (lid[a] < lid[b] ? -sign : lid[a] > lid[b] ? sign : a - b));
  return Uint32Array.from(order);
}

/** Rows the neighbours are searched among: a segment's arena, deletion marks and graph (if any). */
export interface LidSource {
  /** What the graph and the scan score through: float32 rows, or a quantized segment's codes. */
  readonly arena: ScoringArena;
  /**
   * The float32 rows, in memory for the estimate: each row's own query, and the Euclidean distances to
   * the neighbours found (over codes, the search only proposes them).
   */
  readonly vectors: VectorArena | null;
  /** 1 where the slot is deleted: never a neighbour, never estimated. */
  readonly marks: Uint8Array;
  readonly count: number;
  /** Covers slots [0, graph.size); the rest are scanned exactly. */
  readonly graph: GraphIndex | null;
}

/**
 * Estimates the LID of every live row of `sources`, a step at a time (so a caller can yield between
 * steps). Each row's k nearest neighbours are searched among the live rows of every source, by the
 * kernel metric the graphs are searched with, and their distances re-scored as Euclidean ones ('l2' and
 * cosine: the true k nearest up to the search's recall; 'dot' over vectors of different norms: the
 * nearest by inner product, a rougher estimate).
 *
 * The rows are those live when the estimator is made, in source order (`sourceOf`, `slotOf`); a row
 * deleted later is still estimated (its LID is simply not used), and sources must not gain rows.
 */
export class LidEstimator<Source extends LidSource = LidSource> {
  readonly sources: readonly Source[];
  readonly sourceOf: Uint32Array;
  readonly slotOf: Uint32Array;
  /** LID by row (in the order above); valid for rows [0, done). */
  readonly lid: Float64Array;
  private readonly metric: KernelMetric;
  private readonly k: number;
  private readonly ef: number;
  private next = 0;
  private readonly distances: Float64Array;

  constructor(sources: readonly Source[], metric: KernelMetric, k = LID_NEIGHBOURS, ef = LID_SEARCH_EF) {
    assert(Number.isInteger(k) && k >= 2, `LID needs at least 2 neighbours: ${k}`);
    this.sources = sources;
    this.metric = metric;
    this.k = k;
    this.ef = Math.max(ef, k + 1);
    let live = 0;
    for (const s of sources) for (let slot = 0; slot < s.count; slot++) if (s.marks[slot] === 0) live++;
    this.sourceOf = new Uint32Array(live);
    this.slotOf = new Uint32Array(live);
    let row = 0;
    sources.forEach((s, ordinal) => {
      for (let slot = 0; slot < s.count; slot++) {
        if (s.marks[slot] !== 0) continue;
        this.sourceOf[row] = ordinal;
        this.slotOf[row++] = slot;
      }
    });
    this.lid = new Float64Array(live);
    this.distances = new Float64Array(k);
  }

  get rows(): number {
    return this.lid.length;
  }

  /** Rows estimated so far. */
  get done(): number {
    return this.next;
  }

  /** Estimates up to `budget` more rows; returns how many are left. */
  step(budget: number): number {
    const end = Math.min(this.rows, this.next + Math.max(1, budget));
    for (; this.next < end; this.next++) this.lid[this.next] = this.estimate(this.sourceOf[this.next], this.slotOf[this.next]);
    return this.rows - this.next;
  }

  /** Runs every remaining step. */
  run(): Float64Array {
    this.step(this.rows);
    return this.lid;
  }

  private estimate(ordinal: number, slot: number): number {
    const rows = this.sources[ordinal].vectors;
    assert(rows !== null, 'LID estimates need the float32 rows in memory');
    const query = rows.row(slot);
    const self = ordinal * SOURCE_SPAN + slot;
    const top = new TopK(this.k + 1);
    this.sources.forEach((s, t) => {
      if (s.count === 0) return;
      s.arena.setQuery(query);
      const indexed = s.graph === null ? 0 : s.graph.size;
      if (indexed > 0) s.graph!.search(s.marks, top, t * SOURCE_SPAN, this.ef);
      scanRange(s.arena, s.marks, this.metric, top, t * SOURCE_SPAN, indexed, s.count);
    });
    const { ids } = top.drain();
    // The row itself is (almost always) among the results: drop it, keep the k others.
    const neighbours: number[] = [];
    for (let i = 0; i < ids.length && neighbours.length < this.k; i++) if (ids[i] !== self) neighbours.push(ids[i]);
    return lidMle(this.euclidean(query, neighbours), neighbours.length);
  }

  /** Euclidean distances from `query` to the neighbours (ids as above), into this.distances. */
  private euclidean(query: Float32Array, ids: number[]): Float64Array {
    const out = this.distances;
    for (let t = 0; t < this.sources.length; t++) {
      const at: number[] = [];
      const slots: number[] = [];
      ids.forEach((id, i) => {
        if (Math.floor(id / SOURCE_SPAN) !== t) return;
        at.push(i);
        slots.push(id % SOURCE_SPAN);
      });
      if (slots.length === 0) continue;
      const arena = this.sources[t].vectors;
      assert(arena !== null, 'LID estimates need the float32 rows in memory');
      arena.setQuery(query);
      const squared = arena.distancesOf('l2', slots);
      for (let i = 0; i < slots.length; i++) out[at[i]] = Math.sqrt(Math.max(0, squared[i]));
    }
    return out;
  }
}
