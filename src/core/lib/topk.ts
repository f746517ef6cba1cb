/**
 * The k smallest (distance, id) pairs seen so far: a bounded max-heap in typed arrays, so the hot loop
 * that feeds it allocates nothing. `worst` is the admission threshold: a candidate at or above it when
 * the heap is full cannot enter, which lets callers skip work early.
 */
export class TopK {
  readonly k: number;
  private readonly distances: Float64Array;
  private readonly ids: Float64Array;
  private length = 0;

  constructor(k: number) {
    this.k = k;
    this.distances = new Float64Array(Math.max(k, 1));
    this.ids = new Float64Array(Math.max(k, 1));
  }

  get size(): number {
    return this.length;
  }

  /** Admission threshold: +Infinity until the heap is full. */
  get worst(): number {
    return this.length < this.k ? Infinity : this.distances[0];
  }

  push(distance: number, id: number): void {
    if (this.k === 0) return;
    if (this.length < this.k) {
      this.siftUp(this.length++, distance, id);
    } else if (distance < this.distances[0]) {
      this.siftDown(0, distance, id);
    }
  }

  /**
   * Pairs sorted by ascending distance (ties by ascending id, so results are deterministic). Empties
   * the heap: pops the farthest into the back of the output, so no comparator sort and no closures.
   */
  drain(): { distances: Float64Array; ids: Float64Array } {
    const n = this.length;
    const out = { distances: new Float64Array(n), ids: new Float64Array(n) };
    for (let i = n - 1; i >= 0; i--) {
      out.distances[i] = this.distances[0];
      out.ids[i] = this.ids[0];
      const last = --this.length;
      if (last > 0) this.siftDown(0, this.distances[last], this.ids[last]);
    }
    // equal distances may leave the heap in any order: order them by id
    for (let i = 1; i < n; i++) {
      const d = out.distances[i];
      const id = out.ids[i];
      let j = i - 1;
      while (j >= 0 && out.distances[j] === d && out.ids[j] > id) {
        out.ids[j + 1] = out.ids[j];
        j--;
      }
      out.ids[j + 1] = id;
    }
    return out;
  }

  private siftUp(at: number, distance: number, id: number): void {
    const d = this.distances;
    const ids = this.ids;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (d[parent] >= distance) break;
      d[at] = d[parent];
      ids[at] = ids[parent];
      at = parent;
    }
    d[at] = distance;
    ids[at] = id;
  }

  private siftDown(at: number, distance: number, id: number): void {
    const d = this.distances;
    const ids = this.ids;
    const n = this.length;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      if (child + 1 < n && d[child + 1] > d[child]) child++;
      if (d[child] <= distance) break;
      d[at] = d[child];
      ids[at] = ids[child];
      at = child;
    }
    d[at] = distance;
    ids[at] = id;
  }
}
