/**
 * RobustPrune(p, C, alpha, R) of DiskANN: sort the candidates by distance to p; repeatedly take the
 * closest remaining p*, keep it, and drop every remaining p' with alpha * d(p*, p') < d(p, p'), until R
 * are kept or none remain. alpha = 1 gives the relative-neighbourhood-style sparse graph; alpha > 1
 * keeps longer edges (a candidate survives unless p* is alpha times closer to it than p is), which is
 * what bounds the number of hops.
 *
 * Strict "<" (DiskANN's code; the paper writes "<=") only matters for exact ties, and there it handles
 * duplicate vectors gracefully: a copy of p (d(p, p*) = 0) occludes nothing, so a group of identical
 * vectors links to each other instead of collapsing into a dead-end pair, while a copy of a kept p*
 * (d(p*, p') = 0 < d(p, p')) is still dropped as redundant.
 *
 * Each kept p* costs ONE kernel call: the arena's query becomes p*'s row (setQueryFromRow) and the
 * still-alive candidates after it are scored together.
 *
 * The 'dot' metric. Its distances are negated inner products: they can be negative, so "alpha times a
 * distance" has no geometric meaning (scaling a negative distance by alpha > 1 makes it *smaller*). We
 * keep the candidates' ORDER by the search metric (the closest by inner product comes first, which is
 * what a MIPS graph wants), but apply the occlusion test to squared Euclidean distances, computed by the
 * 'l2' kernel on the same rows. For unit vectors (cosine collections, which store normalised rows)
 * ||x - y||^2 = 2 + 2 * dot_distance(x, y): the order is the same and the rule is exactly Vamana's L2
 * rule, so the L2 alpha (1.2) applies unchanged. For vectors of varying norm it is the L2 diversity rule
 * on a candidate set chosen by inner product: a heuristic.
 *
 * Measured against SVS's inner-product rule (prune p' when alpha * <p*, p'> > <p, p'>, first with
 * alpha = 1, then re-admitting with alpha = 0.95) on synth-768 (100k unit vectors, cosine; R=64, L=64):
 * same recall per distance computed at search (ef=16: 0.986 with 518 distances per query here, 0.987
 * with 586 there), but the SVS rule keeps almost every candidate (average degree 56 against 31), so
 * its build computed 4x the distances and took 2.4x the time. On vectors with norms spread over
 * [0.5, 2] (MIPS) both reached recall@10 0.996 at ef=10 with about 400 distances per query.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import { CandidateHeap } from '../../lib/heap.js';
import type { GraphArena } from '../../vectors/scoring.js';
import { SlotList } from './graph.js';

export class Pruner {
  private readonly heap = new CandidateHeap(256);
  private readonly sorted = new SlotList(256);
  private sortedDist = new Float64Array(256);
  private toP = new Float64Array(256);
  private alive = new Uint8Array(256);
  private readonly rest = new SlotList(256);
  private restIndex = new Uint32Array(256);
  /** Distances computed since last cleared (for measurements). */
  distanceCount = 0;

  private reserve(m: number): void {
    if (m <= this.sortedDist.length) return;
    const cap = Math.max(m, this.sortedDist.length * 2);
    this.sorted.reserve(cap);
    this.rest.reserve(cap);
    this.sortedDist = new Float64Array(cap);
    this.toP = new Float64Array(cap);
    this.alive = new Uint8Array(cap);
    this.restIndex = new Uint32Array(cap);
  }

  /**
   * Prunes candidates (slots[at..at+m), their search-metric distances to p in dists) to at most R links
   * written to out[outAt..]; returns how many. Candidates must be distinct; p itself is skipped. Only the
   * `maxCandidates` closest are considered. Overwrites the arena's prepared query.
   */
  prune(
    arena: GraphArena,
    metric: KernelMetric,
    p: number,
    slots: Uint32Array,
    dists: Float32Array | Float64Array,
    at: number,
    m: number,
    alpha: number,
    R: number,
    maxCandidates: number,
    out: Uint32Array,
    outAt: number,
  ): number {
    const count = this.sortCandidates(p, slots, dists, at, m, maxCandidates);
    const sorted = this.sorted.buffer;
    const sortedDist = this.sortedDist;
    if (count <= 1) {
      if (count === 1) out[outAt] = sorted[0];
      return count;
    }
    const toP = this.toP;
    if (metric === 'l2') {
      for (let i = 0; i < count; i++) toP[i] = sortedDist[i];
    } else {
      arena.setQueryFromRow(p);
      const f = arena.scoreSlots('l2', this.sorted.view(count), count);
      const floats = arena.floats;
      for (let i = 0; i < count; i++) toP[i] = floats[f + i];
      this.distanceCount += count;
    }
    // The first scoring call below fetches the memory view; later ones score fewer slots, so they
    // cannot have grown the memory and the view stays valid.
    let floats: Float32Array | null = null;
    const alive = this.alive;
    alive.fill(1, 0, count);
    const rest = this.rest.buffer;
    const restIndex = this.restIndex;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      if (alive[i] === 0) continue;
      const star = sorted[i];
      out[outAt + kept++] = star;
      if (kept >= R) break;
      let n = 0;
      for (let j = i + 1; j < count; j++) {
        if (alive[j] === 1) {
          rest[n] = sorted[j];
          restIndex[n++] = j;
        }
      }
      if (n === 0) break;
      arena.setQueryFromRow(star);
      const f = arena.scoreSlots('l2', this.rest.view(n), n);
      floats ??= arena.floats;
      this.distanceCount += n;
      for (let t = 0; t < n; t++) {
        const j = restIndex[t];
        if (alpha * floats[f + t] < toP[j]) alive[j] = 0;
      }
    }
    return kept;
  }

  /**
   * Candidates (minus p) into sorted/sortedDist, ascending by distance, ties in input order; keeps the
   * closest maxCandidates; returns how many. Search candidates arrive almost sorted (V is recorded in
   * expansion order), so an insertion sort is near-linear for them; badly shuffled input goes
   * through a heap instead.
   */
  private sortCandidates(p: number, slots: Uint32Array, dists: Float32Array | Float64Array, at: number, m: number, maxCandidates: number): number {
    this.reserve(m);
    const sorted = this.sorted.buffer;
    const sortedDist = this.sortedDist;
    let n = 0;
    let descents = 0;
    for (let i = 0; i < m; i++) {
      const s = slots[at + i];
      if (s === p) continue;
      const d = dists[at + i];
      if (n > 0 && d < sortedDist[n - 1]) descents++;
      sorted[n] = s;
      sortedDist[n++] = d;
    }
    if (descents * 8 <= n) {
      for (let i = 1; i < n; i++) {
        const d = sortedDist[i];
        if (d >= sortedDist[i - 1]) continue;
        const s = sorted[i];
        let j = i - 1;
        while (j >= 0 && sortedDist[j] > d) {
          sortedDist[j + 1] = sortedDist[j];
          sorted[j + 1] = sorted[j];
          j--;
        }
        sortedDist[j + 1] = d;
        sorted[j + 1] = s;
      }
    } else {
      const heap = this.heap;
      heap.size = 0;
      for (let i = 0; i < n; i++) heap.push(sortedDist[i], sorted[i]);
      for (let i = 0; i < n; i++) {
        sorted[i] = heap.slots[0];
        sortedDist[i] = heap.distances[0];
        heap.pop();
      }
    }
    return Math.min(n, maxCandidates);
  }
}
