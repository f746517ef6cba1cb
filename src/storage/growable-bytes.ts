/** A byte buffer that grows by doubling, so appending to an in-memory file is amortised O(bytes). */
import { assert } from '../core/lib/assert.js';

export class GrowableBytes {
  private buffer: Uint8Array;
  private used = 0;

  constructor(initial?: Uint8Array) {
    this.buffer = new Uint8Array(Math.max(64, initial?.length ?? 0));
    if (initial !== undefined) this.append(initial);
  }

  get length(): number {
    return this.used;
  }

  /** A view of the current contents; invalidated by the next mutation. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.used);
  }

  /** A copy of the current contents. */
  copy(): Uint8Array {
    return this.buffer.slice(0, this.used);
  }

  append(bytes: Uint8Array): void {
    const needed = this.used + bytes.length;
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.used);
    this.used = needed;
  }

  truncate(size: number): void {
    assert(Number.isInteger(size) && size >= 0 && size <= this.used, `truncate size out of range: ${size} (length ${this.used})`);
    // Zero the cut bytes so a later append cannot expose them through a stale view.
    this.buffer.fill(0, size, this.used);
    this.used = size;
  }

  replace(bytes: Uint8Array): void {
    this.truncate(0);
    this.append(bytes);
  }
}
