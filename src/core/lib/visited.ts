/**
 * An epoch-tagged visited set over dense slots: clearing is O(1) (bump the epoch) instead of O(n), which
 * matters because a graph search touches a few hundred of a segment's many thousand slots.
 */
export class VisitedSet {
  private tags: Uint16Array;
  private epoch = 1;

  constructor(capacity: number) {
    this.tags = new Uint16Array(Math.max(16, capacity));
  }

  /** Forget every slot; grows to hold `capacity` slots. */
  reset(capacity: number): void {
    if (capacity > this.tags.length) {
      this.tags = new Uint16Array(Math.max(capacity, this.tags.length * 2));
      this.epoch = 1;
      return;
    }
    this.epoch++;
    if (this.epoch === 0x10000) {
      this.tags.fill(0);
      this.epoch = 1;
    }
  }

  has(slot: number): boolean {
    return this.tags[slot] === this.epoch;
  }

  /** Marks `slot`; returns true when it was not marked yet. */
  add(slot: number): boolean {
    if (this.tags[slot] === this.epoch) return false;
    this.tags[slot] = this.epoch;
    return true;
  }
}
