/**
 * The two heaps of graph searches (HNSW, Vamana's pruning), specialised for them: float32 distances (the kernel's own
 * precision, so nothing is lost) beside u32 slots in typed arrays, fields public so the search loop and
 * the build read them without copies or allocation. Capacity is fixed per graph (the beam width bounds
 * both), grown only when a caller asks for a wider beam.
 */

/** Candidates still to expand: the closest on top. */
export class CandidateHeap {
  distances: Float32Array;
  slots: Uint32Array;
  size = 0;

  constructor(capacity: number) {
    this.distances = new Float32Array(Math.max(16, capacity));
    this.slots = new Uint32Array(Math.max(16, capacity));
  }

  get bytes(): number {
    return this.distances.byteLength + this.slots.byteLength;
  }

  push(distance: number, slot: number): void {
    if (this.size === this.distances.length) this.grow();
    const d = this.distances;
    const s = this.slots;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (d[parent] <= distance) break;
      d[at] = d[parent];
      s[at] = s[parent];
      at = parent;
    }
    d[at] = distance;
    s[at] = slot;
  }

  /** Removes the closest pair (read it first from distances[0] / slots[0]). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const d = this.distances;
    const s = this.slots;
    const distance = d[n];
    const slot = s[n];
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && d[child + 1] < d[child]) child++;
      if (d[child] >= distance) break;
      d[at] = d[child];
      s[at] = s[child];
      at = child;
    }
    d[at] = distance;
    s[at] = slot;
  }

  private grow(): void {
    const d = new Float32Array(this.distances.length * 2);
    const s = new Uint32Array(this.slots.length * 2);
    d.set(this.distances);
    s.set(this.slots);
    this.distances = d;
    this.slots = s;
  }
}

/** The best `capacity` pairs found so far: the farthest on top, so admission and eviction are O(log n). */
export class ResultHeap {
  distances: Float32Array;
  slots: Uint32Array;
  capacity = 1;
  size = 0;

  constructor(capacity: number) {
    this.distances = new Float32Array(Math.max(16, capacity));
    this.slots = new Uint32Array(Math.max(16, capacity));
  }

  get bytes(): number {
    return this.distances.byteLength + this.slots.byteLength;
  }

  /** Empties the heap and sets how many pairs it keeps. */
  reset(capacity: number): void {
    if (capacity > this.distances.length) {
      this.distances = new Float32Array(capacity);
      this.slots = new Uint32Array(capacity);
    }
    this.capacity = capacity;
    this.size = 0;
  }

  /** +Infinity until full, then the farthest kept distance: a pair must beat it to enter. */
  get worst(): number {
    return this.size < this.capacity ? Infinity : this.distances[0];
  }

  /** Adds a pair the caller has checked is below `worst`; evicts the farthest when full. */
  push(distance: number, slot: number): void {
    const d = this.distances;
    const s = this.slots;
    if (this.size < this.capacity) {
      let at = this.size++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (d[parent] >= distance) break;
        d[at] = d[parent];
        s[at] = s[parent];
        at = parent;
      }
      d[at] = distance;
      s[at] = slot;
      return;
    }
    this.siftDown(distance, slot, this.size);
  }

  /** Removes the farthest pair (read it first from distances[0] / slots[0]). */
  pop(): void {
    const n = --this.size;
    if (n > 0) this.siftDown(this.distances[n], this.slots[n], n);
  }

  /**
   * Moves the pairs into slots/distances closest first and empties the heap; returns how many. The
   * outputs may be any arrays long enough (the heap's own storage is not reused for them).
   */
  drainAscending(slotsOut: Uint32Array, distancesOut: Float32Array): number {
    const n = this.size;
    for (let i = n - 1; i >= 0; i--) {
      slotsOut[i] = this.slots[0];
      distancesOut[i] = this.distances[0];
      this.pop();
    }
    return n;
  }

  private siftDown(distance: number, slot: number, n: number): void {
    const d = this.distances;
    const s = this.slots;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && d[child + 1] > d[child]) child++;
      if (d[child] <= distance) break;
      d[at] = d[child];
      s[at] = s[child];
      at = child;
    }
    d[at] = distance;
    s[at] = slot;
  }
}

/**
 * Sorts pairs[0, n) by (distance, slot) ascending in place: a total order, so the result does not
 * depend on the input order (determinism). Insertion sort for short lists, heapsort above.
 */
export function sortPairs(slots: Uint32Array, distances: Float32Array, n: number): void {
  if (n <= 24) {
    for (let i = 1; i < n; i++) {
      const d = distances[i];
      const s = slots[i];
      let j = i - 1;
      while (j >= 0 && (distances[j] > d || (distances[j] === d && slots[j] > s))) {
        distances[j + 1] = distances[j];
        slots[j + 1] = slots[j];
        j--;
      }
      distances[j + 1] = d;
      slots[j + 1] = s;
    }
    return;
  }
  for (let i = (n >> 1) - 1; i >= 0; i--) siftPair(slots, distances, i, n);
  for (let end = n - 1; end > 0; end--) {
    const d = distances[0];
    const s = slots[0];
    distances[0] = distances[end];
    slots[0] = slots[end];
    distances[end] = d;
    slots[end] = s;
    siftPair(slots, distances, 0, end);
  }
}

function siftPair(slots: Uint32Array, distances: Float32Array, at: number, n: number): void {
  const d = distances[at];
  const s = slots[at];
  for (;;) {
    let child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && (distances[child + 1] > distances[child] || (distances[child + 1] === distances[child] && slots[child + 1] > slots[child]))) child++;
    if (distances[child] < d || (distances[child] === d && slots[child] < s)) break;
    distances[at] = distances[child];
    slots[at] = slots[child];
    at = child;
  }
  distances[at] = d;
  slots[at] = s;
}
