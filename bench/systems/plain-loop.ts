/**
 * What a user would write: a scalar loop over every row of one Float32Array, keeping the k best in a
 * max-heap. Squared L2 for 'l2'; for 'cosine' the cosine similarity with both norms, as usually written.
 */
import type { Dataset } from '../datasets/types.js';
import type { System, SystemFactory } from './types.js';

class PlainLoop implements System {
  readonly name = 'plain-loop';
  private ds!: Dataset;

  async build(ds: Dataset): Promise<void> {
    this.ds = ds;
  }

  query(q: Float32Array, k: number): Int32Array {
    const { base, count, dimension: dim, metric } = this.ds;
    const heap = new TopK(k);
    if (metric === 'l2') {
      for (let row = 0; row < count; row++) {
        const off = row * dim;
        let sum = 0;
        for (let i = 0; i < dim; i++) {
          const d = q[i] - base[off + i];
          sum += d * d;
        }
        heap.push(row, sum);
      }
    } else {
      let qq = 0;
      for (let i = 0; i < dim; i++) qq += q[i] * q[i];
      for (let row = 0; row < count; row++) {
        const off = row * dim;
        let dot = 0;
        let xx = 0;
        for (let i = 0; i < dim; i++) {
          const x = base[off + i];
          dot += q[i] * x;
          xx += x * x;
        }
        heap.push(row, 1 - dot / Math.sqrt(qq * xx));
      }
    }
    return heap.sortedIds();
  }

  async info() {
    return { implementation: 'scalar JS loop + max-heap', threads: 1 };
  }
}

/** The k smallest distances seen so far, in a binary max-heap (root = worst kept). */
export class TopK {
  private ids: Int32Array;
  private dist: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.ids = new Int32Array(k);
    this.dist = new Float64Array(k);
  }

  push(id: number, d: number): void {
    const { ids, dist } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (dist[p] >= d) break;
        ids[i] = ids[p];
        dist[i] = dist[p];
        i = p;
      }
      ids[i] = id;
      dist[i] = d;
    } else if (d < dist[0]) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= this.size) break;
        const c = l + 1 < this.size && dist[l + 1] > dist[l] ? l + 1 : l;
        if (dist[c] <= d) break;
        ids[i] = ids[c];
        dist[i] = dist[c];
        i = c;
      }
      ids[i] = id;
      dist[i] = d;
    }
  }

  sortedIds(): Int32Array {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) => this.dist[a] - this.dist[b]);
    return Int32Array.from(order, (i) => this.ids[i]);
  }
}

export const plainLoop: SystemFactory = { name: 'plain-loop', create: async () => new PlainLoop() };
