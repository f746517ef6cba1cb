/**
 * Filtered beam search over a proximity graph's base layer (HNSW layer 0, Vamana's one layer) that
 * keeps recall when the filter is selective — the failure it avoids: a search that walks the plain graph
 * and drops non-matching results ends with fewer than k results or the wrong ones.
 *
 * ACORN-1 (Patel et al., "ACORN: Performant and Predicate-Agnostic Search Over Vector Embeddings and
 * Structured Data", 2024) at search time, on the unmodified graph: the beam moves through nodes that
 * pass the filter; expanding a node gathers its passing neighbours, then — through each failing
 * neighbour, as a bridge — the passing neighbours of that neighbour (two hops), up to the list's
 * degree. Only passing nodes are scored, so a selective filter costs no more distances than an
 * unfiltered search, where post-filtering pays for every failing node it walks through.
 *
 * Two additions make it hold for every filter, also when passing nodes are rare or far from the query
 * (attributes correlated with the vectors):
 * - Navigation: a node with no passing node within two hops scores its failing neighbours and keeps
 *   them as candidates (never as results), so the beam crosses regions where nothing passes by distance,
 *   as an unfiltered search would, until it reaches passing nodes again.
 * - Re-seeding: when the candidates run out before `width` results are found, unvisited passing nodes
 *   from the filter's bitset are scored and the beam goes on from them. So the search returns
 *   min(width, live passing nodes) results, however the passing nodes are connected.
 *
 * Deleted nodes (marks[slot] === 1) may be traversed but are never results.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import type { Bitset } from '../lib/bitset.js';
import { CandidateHeap, ResultHeap } from '../lib/heap.js';
import { VisitedSet } from '../lib/visited.js';
import type { ScoringArena } from '../vectors/scoring.js';

/** A graph's base layer: node u's links at links[u * stride, u * stride + counts[u]). */
export interface BaseLayer {
  links: Uint32Array;
  counts: Uint16Array;
  stride: number;
  /** Nodes [0, nodes) are in the graph; links to nodes past it (being inserted) are skipped. */
  nodes: number;
}

/** Unvisited passing nodes scored per re-seed. */
const RESEED_BATCH = 16;

export class FilteredSearcher {
  private readonly visited = new VisitedSet(16);
  private readonly candidates = new CandidateHeap(64);
  readonly results = new ResultHeap(64);
  private gather = new Uint32Array(64);
  private failing = new Uint32Array(64);
  private views: Uint32Array[] = [];
  private seedCursor = 0;
  /** Distances computed by the last search (for measurements). */
  scored = 0;

  /**
   * Searches from `entry` (any node, passing or not) for the `width` nearest live passing nodes; the
   * query is already prepared in the arena. Leaves them in `results` (unordered); returns how many.
   */
  search(arena: ScoringArena, metric: KernelMetric, layer: BaseLayer, entry: number, width: number, allowed: Bitset, marks: Uint8Array): number {
    const { links, counts, stride, nodes } = layer;
    this.reserve(stride);
    const visited = this.visited;
    const candidates = this.candidates;
    const results = this.results;
    const gather = this.gather;
    const failing = this.failing;
    const words = allowed.words;
    visited.reset(nodes);
    candidates.size = 0;
    results.reset(width);
    this.seedCursor = 0;
    this.scored = 0;

    visited.add(entry);
    gather[0] = entry;
    let d = arena.floats[arena.scoreSlots(metric, this.view(1), 1)];
    this.scored++;
    candidates.push(d, entry);
    if ((words[entry >>> 5] & (1 << (entry & 31))) !== 0 && marks[entry] === 0) results.push(d, entry);
    let bound = results.worst;

    for (;;) {
      if (candidates.size === 0 || candidates.distances[0] > bound) {
        if (results.size >= width) break;
        // out of candidates with the results short: go on from passing nodes not reached yet
        const n = this.seeds(allowed, marks, nodes);
        if (n === 0) break;
        bound = this.admit(arena, metric, n, bound, words, marks);
        continue;
      }
      const node = candidates.slots[0];
      candidates.pop();
      const first = node * stride;
      const end = first + counts[node];
      let n = 0;
      let nFailing = 0;
      for (let i = first; i < end; i++) {
        const v = links[i];
        if (v >= nodes || visited.has(v)) continue;
        if ((words[v >>> 5] & (1 << (v & 31))) !== 0) {
          visited.add(v);
          gather[n++] = v;
        } else {
          failing[nFailing++] = v;
        }
      }
      // two hops through failing neighbours, until the list is as long as the graph's degree
      let bridged = 0;
      for (; bridged < nFailing && n < stride; bridged++) {
        const u = failing[bridged];
        const uFirst = u * stride;
        const uEnd = uFirst + counts[u];
        let i = uFirst;
        for (; i < uEnd && n < stride; i++) {
          const w = links[i];
          if (w >= nodes || visited.has(w) || (words[w >>> 5] & (1 << (w & 31))) === 0) continue;
          visited.add(w);
          gather[n++] = w;
        }
        if (i < uEnd) break;
      }
      if (n === 0) {
        // nothing passes within two hops: move on through the failing neighbours, by distance
        for (let f = 0; f < nFailing; f++) {
          const u = failing[f];
          if (visited.add(u)) gather[n++] = u;
        }
        if (n === 0) continue;
      } else {
        // bridges whose lists were read to the end have given all they can
        for (let f = 0; f < bridged; f++) visited.add(failing[f]);
      }
      bound = this.admit(arena, metric, n, bound, words, marks);
    }
    return results.size;
  }

  /** Scores gather[0, n): candidates when under the bound, results when also passing and live. */
  private admit(arena: ScoringArena, metric: KernelMetric, n: number, bound: number, words: Uint32Array, marks: Uint8Array): number {
    const at = arena.scoreSlots(metric, this.view(n), n);
    const floats = arena.floats;
    const gather = this.gather;
    const candidates = this.candidates;
    const results = this.results;
    this.scored += n;
    for (let i = 0; i < n; i++) {
      const d = floats[at + i];
      if (d < bound) {
        const v = gather[i];
        candidates.push(d, v);
        if ((words[v >>> 5] & (1 << (v & 31))) !== 0 && marks[v] === 0) {
          results.push(d, v);
          bound = results.worst;
        }
      }
    }
    return bound;
  }

  /** Up to RESEED_BATCH unvisited live passing nodes into gather (marked visited); returns how many. */
  private seeds(allowed: Bitset, marks: Uint8Array, nodes: number): number {
    const words = allowed.words;
    const gather = this.gather;
    let n = 0;
    const lastWord = Math.min(words.length, (nodes + 31) >>> 5);
    let w = this.seedCursor >>> 5;
    while (n < RESEED_BATCH && w < lastWord) {
      let word = words[w];
      while (word !== 0 && n < RESEED_BATCH) {
        const low = word & -word;
        word ^= low;
        const v = (w << 5) + (31 - Math.clz32(low));
        if (v < nodes && marks[v] === 0 && this.visited.add(v)) gather[n++] = v;
      }
      if (word === 0) w++;
      else break;
    }
    this.seedCursor = w << 5;
    return n;
  }

  private reserve(stride: number): void {
    // passing nodes (at most stride) then, when none passed, the failing neighbours (at most stride)
    const needed = Math.max(2 * stride, RESEED_BATCH) + 1;
    if (this.gather.length >= needed) return;
    this.gather = new Uint32Array(needed);
    this.failing = new Uint32Array(needed);
    this.views = [];
  }

  private view(n: number): Uint32Array {
    let v = this.views[n];
    if (v === undefined) {
      v = this.gather.subarray(0, n);
      this.views[n] = v;
    }
    return v;
  }
}
