/**
 * Binary heaps of (distance, slot) pairs in typed arrays, for graph searches: a MinHeap of candidates to
 * expand (closest first) and a bounded MaxHeap of results (farthest on top, so it is cheap to evict).
 */
export class MinHeap {
  private distances: Float64Array;
  private slots: Uint32Array;
  size = 0;

  constructor(capacity = 64) {
    this.distances = new Float64Array(capacity);
    this.slots = new Uint32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  push(distance: number, slot: number): void {
    if (this.size === this.distances.length) this.grow();
    let at = this.size++;
    const d = this.distances;
    const s = this.slots;
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

  get topDistance(): number {
    return this.distances[0];
  }

  get topSlot(): number {
    return this.slots[0];
  }

  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const distance = this.distances[n];
    const slot = this.slots[n];
    const d = this.distances;
    const s = this.slots;
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
    const d = new Float64Array(this.distances.length * 2);
    const s = new Uint32Array(this.slots.length * 2);
    d.set(this.distances);
    s.set(this.slots);
    this.distances = d;
    this.slots = s;
  }
}

/** Keeps the `capacity` closest pairs; the farthest kept is on top. */
export class BoundedMaxHeap {
  private distances: Float64Array;
  private slots: Uint32Array;
  capacity: number;
  size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.distances = new Float64Array(Math.max(1, capacity));
    this.slots = new Uint32Array(Math.max(1, capacity));
  }

  /** Empties the heap, optionally with a new capacity. */
  reset(capacity = this.capacity): void {
    if (capacity > this.distances.length) {
      this.distances = new Float64Array(capacity);
      this.slots = new Uint32Array(capacity);
    }
    this.capacity = capacity;
    this.size = 0;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** +Infinity until full; then the farthest kept distance. */
  get worst(): number {
    return this.size < this.capacity ? Infinity : this.distances[0];
  }

  /** Adds the pair if it is among the closest `capacity`; returns whether it was kept. */
  push(distance: number, slot: number): boolean {
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
      return true;
    }
    if (distance >= d[0]) return false;
    this.replaceTop(distance, slot);
    return true;
  }

  /** Removes the farthest pair. */
  pop(): void {
    const n = --this.size;
    if (n > 0) this.replaceTopWith(this.distances[n], this.slots[n], n);
  }

  /** The kept pairs, closest first (the heap is left intact). */
  sorted(): { distances: Float64Array; slots: Uint32Array } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.distances[a] - this.distances[b] || this.slots[a] - this.slots[b]);
    return {
      distances: Float64Array.from(order, (i) => this.distances[i]),
      slots: Uint32Array.from(order, (i) => this.slots[i]),
    };
  }

  private replaceTop(distance: number, slot: number): void {
    this.replaceTopWith(distance, slot, this.size);
  }

  private replaceTopWith(distance: number, slot: number, n: number): void {
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
