/**
 * GreedySearch (DiskANN's beam search) over the one-layer graph. The query is already prepared in the
 * arena (arena.setQuery / setQueryFromRow). The L-list is kept sorted by distance, each entry flagged
 * once expanded (DiskANN's NeighborPriorityQueue): from the entry point, repeatedly expand the closest
 * unexpanded entry: gather its unvisited out-neighbours and score them in ONE kernel call
 * (arena.scoreSlots), insert those closer than the list's worst. Stops when every entry is expanded.
 *
 * Deleted slots (marks[slot] === 1) are traversed but never returned: they enter the list and get
 * expanded like any node, but the list's capacity counts live entries only (it holds everything
 * closer than its L-th live entry), so deletions do not shrink the live results; this is hnswlib's
 * rule. A list crowded with deleted entries is capped at 4L + 64 entries so a mostly-deleted graph
 * cannot turn a search into a full scan.
 *
 * During construction the search also records V, the nodes it expanded with their distances: DiskANN
 * prunes over V, which holds the path from the entry point as well as the final neighbourhood, and
 * that is what gives the graph its long-range edges.
 *
 * All scratch is owned by the Searcher and reused: a search allocates nothing.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import { VisitedSet } from '../../lib/visited.js';
import type { GraphArena } from '../../vectors/scoring.js';
import { type Adjacency, SlotList } from './graph.js';

const EXPANDED = 1;
const DELETED = 2;

/**
 * The sorted L-list, interleaved in one Float64Array: entry i is (distance, slot * 4 + flags) at
 * [2i, 2i + 1], ascending by distance, so an insert shifts one array (one memmove). `cursor` is the
 * first unexpanded entry.
 */
export class Beam {
  private data = new Float64Array(128);
  size = 0;
  /** Live entries held. */
  live = 0;
  /** Live capacity (L). */
  capacity = 1;
  private limit = 64;
  cursor = 0;

  reset(L: number): void {
    this.capacity = Math.max(1, L);
    this.limit = 4 * this.capacity + 64;
    if (this.data.length < 2 * (this.limit + 1)) this.data = new Float64Array(2 * (this.limit + 1));
    this.size = 0;
    this.live = 0;
    this.cursor = 0;
  }

  /** Admission threshold: +Infinity until L live entries are held, then the L-th live distance. */
  get worst(): number {
    return this.live < this.capacity ? Infinity : this.data[2 * this.size - 2];
  }

  distanceAt(i: number): number {
    return this.data[2 * i];
  }

  slotAt(i: number): number {
    return Math.floor(this.data[2 * i + 1] / 4);
  }

  isLive(i: number): boolean {
    return (this.data[2 * i + 1] & DELETED) === 0;
  }

  insert(distance: number, slot: number, deleted: boolean): void {
    const data = this.data;
    let size = this.size;
    if (this.live >= this.capacity && distance >= data[2 * size - 2]) return;
    // upper bound: after equal distances, so earlier arrivals win ties
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (data[2 * mid] <= distance) lo = mid + 1;
      else hi = mid;
    }
    if (size - lo > 8) {
      data.copyWithin(2 * lo + 2, 2 * lo, 2 * size);
    } else {
      for (let i = 2 * size + 1; i > 2 * lo + 1; i--) data[i] = data[i - 2];
    }
    data[2 * lo] = distance;
    data[2 * lo + 1] = slot * 4 + (deleted ? DELETED : 0);
    size++;
    if (!deleted) this.live++;
    if (lo < this.cursor) this.cursor = lo;
    if (this.live > this.capacity) {
      // drop the former L-th live entry (the last) and the deleted entries behind the new L-th
      size--;
      this.live--;
      while (size > 0 && (data[2 * size - 1] & DELETED) !== 0) size--;
    } else if (size > this.limit) {
      size--;
      if ((data[2 * size + 1] & DELETED) === 0) this.live--;
    }
    this.size = size;
  }

  /** Marks the closest unexpanded entry expanded and returns its index (cursor < size required). */
  expandNext(): number {
    const data = this.data;
    const at = this.cursor;
    data[2 * at + 1] += EXPANDED;
    let c = at + 1;
    while (c < this.size && (data[2 * c + 1] & EXPANDED) !== 0) c++;
    this.cursor = c;
    return at;
  }
}

/** Where a construction search writes V (expanded nodes and their distances). */
export interface ExpandedSink {
  slots: Uint32Array;
  dists: Float32Array;
  /** First index to write. */
  at: number;
  /** At most this many are recorded (the rest of V, expanded later and so usually farther, is dropped). */
  max: number;
}

export class Searcher {
  private readonly visited = new VisitedSet(16);
  readonly beam = new Beam();
  private readonly neighbours: SlotList;
  /** Distances computed since the counter was last cleared (for measurements). */
  distanceCount = 0;

  constructor(degree: number) {
    this.neighbours = new SlotList(degree);
  }

  /**
   * Beam search with width L from `entry` over nodes [0, nodes) (visited-set capacity). Results are
   * left in `beam`, sorted. Returns how many expanded nodes were written to `sink`.
   */
  search(
    arena: GraphArena,
    metric: KernelMetric,
    graph: Adjacency,
    nodes: number,
    entry: number,
    L: number,
    marks: Uint8Array | null,
    sink: ExpandedSink | null,
  ): number {
    const visited = this.visited;
    const beam = this.beam;
    visited.reset(nodes);
    beam.reset(L);
    const R = graph.degree;
    const links = graph.links;
    const counts = graph.counts;
    const nbuf = this.neighbours.buffer;
    let recorded = 0;
    let scored = 1;

    visited.add(entry);
    nbuf[0] = entry;
    let at = arena.scoreSlots(metric, this.neighbours.view(1), 1);
    let floats = arena.floats;
    let widest = 1;
    beam.insert(floats[at], entry, marks !== null && marks[entry] === 1);

    while (beam.cursor < beam.size) {
      const i = beam.expandNext();
      const u = beam.slotAt(i);
      if (sink !== null && recorded < sink.max) {
        sink.slots[sink.at + recorded] = u;
        sink.dists[sink.at + recorded] = beam.distanceAt(i);
        recorded++;
      }
      const first = u * R;
      const end = first + counts[u];
      let n = 0;
      for (let j = first; j < end; j++) {
        const v = links[j];
        // v >= nodes: a node a parallel build is still inserting (its lists are not done)
        if (v < nodes && visited.add(v)) nbuf[n++] = v;
      }
      if (n === 0) continue;
      at = arena.scoreSlots(metric, this.neighbours.view(n), n);
      if (n > widest) {
        // only a call with more slots than any before it in this search can have grown the memory
        // (the scratch it needs grows with the count), so only then is the view re-fetched
        floats = arena.floats;
        widest = n;
      }
      scored += n;
      let worst = beam.worst;
      for (let j = 0; j < n; j++) {
        const d = floats[at + j];
        if (d < worst) {
          const v = nbuf[j];
          beam.insert(d, v, marks !== null && marks[v] === 1);
          worst = beam.worst;
        }
      }
    }
    this.distanceCount += scored;
    return recorded;
  }
}
