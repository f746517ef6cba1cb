/**
 * Vamana's adjacency: one layer, a fixed out-degree bound R, every list in one Uint32Array of
 * capacity x R slots (node u's links at [u*R, u*R + counts[u])) plus a count per node. Growing doubles
 * the capacity. Nothing here knows about vectors; the searches and prunes that fill the lists do.
 */
import { assert } from '../../lib/assert.js';

/** The largest R a graph may have: counts are u16 and the codec refuses anything above. */
export const VAMANA_DEGREE_MAX = 4096;

export class Adjacency {
  readonly degree: number;
  links: Uint32Array;
  counts: Uint16Array;
  /** Lists live in SharedArrayBuffers (worker threads of a parallel build read them in place). */
  private shared = false;

  constructor(degree: number, capacity: number) {
    assert(Number.isInteger(degree) && degree >= 1 && degree <= VAMANA_DEGREE_MAX, `Vamana degree must be an integer in [1, ${VAMANA_DEGREE_MAX}]: ${degree}`);
    this.degree = degree;
    const cap = Math.max(1, capacity);
    this.links = new Uint32Array(cap * degree);
    this.counts = new Uint16Array(cap);
  }

  /** An adjacency over existing arrays (a build worker's view of the main thread's shared lists). */
  static over(degree: number, links: Uint32Array, counts: Uint16Array): Adjacency {
    const graph = new Adjacency(degree, 1);
    graph.links = links;
    graph.counts = counts;
    return graph;
  }

  /** Moves the lists into SharedArrayBuffers (a copy, once); later growth stays shared. */
  share(): void {
    if (this.shared) return;
    this.shared = true;
    const links = new Uint32Array(new SharedArrayBuffer(this.links.byteLength));
    links.set(this.links);
    const counts = new Uint16Array(new SharedArrayBuffer(this.counts.byteLength));
    counts.set(this.counts);
    this.links = links;
    this.counts = counts;
  }

  get capacity(): number {
    return this.counts.length;
  }

  get byteLength(): number {
    return this.links.byteLength + this.counts.byteLength;
  }

  /** Room for `nodes` nodes: doubling, so a stream of single inserts costs amortised O(R) each. */
  reserve(nodes: number): void {
    if (nodes <= this.counts.length) return;
    const cap = Math.max(nodes, this.counts.length * 2);
    const links = this.shared ? new Uint32Array(new SharedArrayBuffer(cap * this.degree * 4)) : new Uint32Array(cap * this.degree);
    links.set(this.links);
    const counts = this.shared ? new Uint16Array(new SharedArrayBuffer(cap * 2)) : new Uint16Array(cap);
    counts.set(this.counts);
    this.links = links;
    this.counts = counts;
  }

  /** Whether u links to v (a scan of u's list: at most R entries). */
  hasLink(u: number, v: number): boolean {
    const at = u * this.degree;
    const end = at + this.counts[u];
    const links = this.links;
    for (let i = at; i < end; i++) if (links[i] === v) return true;
    return false;
  }

  /** Replaces u's list with `count` slots of `from` starting at `fromAt`. */
  setList(u: number, from: Uint32Array, fromAt: number, count: number): void {
    assert(count <= this.degree, `Vamana list of ${count} exceeds R=${this.degree}`);
    const at = u * this.degree;
    for (let i = 0; i < count; i++) this.links[at + i] = from[fromAt + i];
    this.counts[u] = count;
  }
}

/**
 * A reusable u32 list whose exact-length views are cached, so passing "the first n slots" to
 * arena.scoreSlots (which copies a subarray unless the array's length is exactly n) allocates nothing.
 */
export class SlotList {
  buffer: Uint32Array;
  private views: (Uint32Array | undefined)[] = [];

  constructor(capacity: number) {
    this.buffer = new Uint32Array(Math.max(16, capacity));
  }

  reserve(capacity: number): void {
    if (capacity <= this.buffer.length) return;
    const grown = new Uint32Array(Math.max(capacity, this.buffer.length * 2));
    grown.set(this.buffer);
    this.buffer = grown;
    this.views = [];
  }

  /** The first n entries as an array of length exactly n (cached; valid until the next reserve). */
  view(n: number): Uint32Array {
    let v = this.views[n];
    if (v === undefined) {
      v = this.buffer.subarray(0, n);
      this.views[n] = v;
    }
    return v;
  }
}
