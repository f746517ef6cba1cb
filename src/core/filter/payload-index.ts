/**
 * Payload indexes: per segment, per indexed field, the slots holding each value.
 *
 * - Keyword values (strings, true, false, null) and field presence: posting lists of slots. A list starts
 *   as a sorted slot array and turns into a bitmap once it is dense (a slot in 32 or more, and 1,024+
 *   slots): then it is smaller than the array and ORs into a filter's bitset word by word.
 * - Numbers: (value, slot) pairs sorted by value, binary-searched for ranges and equality. Appends go to
 *   an unsorted tail, scanned linearly until it is worth merging into the sorted run.
 *
 * Slots only ever grow within a segment (an update appends a new row and marks the old one deleted), so
 * indexes are append-only; deletions are masked when a filter runs. Arrays index every element; objects
 * and nested arrays count only towards presence (filters never compare them).
 */
import { Bitset } from '../lib/bitset.js';
import { type MetadataObject, fieldValues, splitPath } from './evaluate.js';

/** Lists switch to a bitmap at this density (a bitmap costs 1 bit per slot, an array 32 bits per entry). */
const BITMAP_DENSITY = 32;
const BITMAP_MIN_ENTRIES = 1024;

export class Postings {
  private slots: Uint32Array;
  private bitmap: Bitset | null = null;
  /** Distinct slots held. */
  count = 0;

  constructor(capacity = 4) {
    this.slots = new Uint32Array(capacity);
  }

  static fromSlots(slots: Uint32Array): Postings {
    const p = new Postings(0);
    p.slots = slots;
    p.count = slots.length;
    return p;
  }

  static fromBitmap(bitmap: Bitset): Postings {
    const p = new Postings(0);
    p.bitmap = bitmap;
    p.count = bitmap.count();
    return p;
  }

  get isBitmap(): boolean {
    return this.bitmap !== null;
  }

  /** Adds a slot no smaller than every slot added before (a repeat of the last one is ignored). */
  add(slot: number): void {
    if (this.bitmap !== null) {
      if (slot >= this.bitmap.size) this.bitmap.resize(slot + 1);
      if (this.bitmap.has(slot)) return;
      this.bitmap.add(slot);
      this.count++;
      return;
    }
    if (this.count > 0 && this.slots[this.count - 1] === slot) return;
    if (this.count === this.slots.length) {
      const grown = new Uint32Array(Math.max(4, this.slots.length * 2));
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[this.count++] = slot;
    if (this.count >= BITMAP_MIN_ENTRIES && this.count * BITMAP_DENSITY >= slot + 1) this.toBitmap(slot + 1);
  }

  /** target |= this. */
  orInto(target: Bitset): void {
    if (this.bitmap !== null) target.or(this.bitmap);
    else target.addAll(this.slots, this.count);
  }

  /** Sorted slots (copied out of a bitmap). */
  toSlots(): Uint32Array {
    if (this.bitmap === null) return this.slots.subarray(0, this.count);
    const out = new Uint32Array(this.count);
    this.bitmap.collect(out);
    return out;
  }

  /** The bitmap's words, when the list is one (the codec writes them as they are). */
  get bitmapView(): Bitset | null {
    return this.bitmap;
  }

  get bytes(): number {
    return this.bitmap !== null ? this.bitmap.bytes : this.slots.byteLength;
  }

  private toBitmap(size: number): void {
    const bitmap = new Bitset(size);
    bitmap.addAll(this.slots, this.count);
    this.bitmap = bitmap;
    this.slots = new Uint32Array(0);
  }
}

export class NumericIndex {
  values: Float64Array;
  slots: Uint32Array;
  /** Pairs [0, sorted) are ordered by (value, slot); [sorted, length) is the unsorted tail. */
  sorted = 0;
  length = 0;

  constructor(capacity = 4) {
    this.values = new Float64Array(capacity);
    this.slots = new Uint32Array(capacity);
  }

  static fromSorted(values: Float64Array, slots: Uint32Array): NumericIndex {
    const index = new NumericIndex(0);
    index.values = values;
    index.slots = slots;
    index.sorted = index.length = values.length;
    return index;
  }

  add(value: number, slot: number): void {
    if (this.length === this.values.length) {
      const capacity = Math.max(4, this.values.length * 2);
      const values = new Float64Array(capacity);
      const slots = new Uint32Array(capacity);
      values.set(this.values);
      slots.set(this.slots);
      this.values = values;
      this.slots = slots;
    }
    this.values[this.length] = value === 0 ? 0 : value;
    this.slots[this.length++] = slot;
  }

  /** Sets the slots whose value lies between the bounds; returns how many pairs matched. */
  range(lo: number, loInclusive: boolean, hi: number, hiInclusive: boolean, target: Bitset): number {
    this.settle();
    const values = this.values;
    const slots = this.slots;
    const from = loInclusive ? lowerBound(values, this.sorted, lo) : upperBound(values, this.sorted, lo);
    const to = hiInclusive ? upperBound(values, this.sorted, hi) : lowerBound(values, this.sorted, hi);
    let matched = 0;
    if (to > from) {
      target.addAll(slots.subarray(from, to));
      matched = to - from;
    }
    for (let i = this.sorted; i < this.length; i++) {
      const v = values[i];
      if ((loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi)) {
        target.add(slots[i]);
        matched++;
      }
    }
    return matched;
  }

  /** Pairs in the range, without materialising them (the selectivity estimate). */
  countRange(lo: number, loInclusive: boolean, hi: number, hiInclusive: boolean): number {
    this.settle();
    const from = loInclusive ? lowerBound(this.values, this.sorted, lo) : upperBound(this.values, this.sorted, lo);
    const to = hiInclusive ? upperBound(this.values, this.sorted, hi) : lowerBound(this.values, this.sorted, hi);
    let n = Math.max(0, to - from);
    for (let i = this.sorted; i < this.length; i++) {
      const v = this.values[i];
      if ((loInclusive ? v >= lo : v > lo) && (hiInclusive ? v <= hi : v < hi)) n++;
    }
    return n;
  }

  /** Every pair sorted (what the codec writes). */
  sortedPairs(): { values: Float64Array; slots: Uint32Array } {
    this.merge();
    return { values: this.values.subarray(0, this.length), slots: this.slots.subarray(0, this.length) };
  }

  get bytes(): number {
    return this.values.byteLength + this.slots.byteLength;
  }

  /** Merges the tail once it is long enough that scanning it costs more than sorting it in. */
  private settle(): void {
    const tail = this.length - this.sorted;
    if (tail > 256 && tail * 16 > this.sorted) this.merge();
  }

  private merge(): void {
    const tail = this.length - this.sorted;
    if (tail === 0) return;
    const order = new Uint32Array(tail);
    for (let i = 0; i < tail; i++) order[i] = this.sorted + i;
    const values = this.values;
    const slots = this.slots;
    order.sort((a, b) => values[a] - values[b] || slots[a] - slots[b]);
    const n = this.length;
    const mergedValues = new Float64Array(Math.max(n, this.values.length));
    const mergedSlots = new Uint32Array(Math.max(n, this.values.length));
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.sorted || j < tail) {
      const takeHead = j >= tail || (i < this.sorted && (values[i] < values[order[j]] || (values[i] === values[order[j]] && slots[i] <= slots[order[j]])));
      const from = takeHead ? i++ : order[j++];
      mergedValues[k] = values[from];
      mergedSlots[k++] = slots[from];
    }
    this.values = mergedValues;
    this.slots = mergedSlots;
    this.sorted = n;
  }
}

/** First index in values[0, n) whose value is >= x. */
function lowerBound(values: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in values[0, n) whose value is > x. */
function upperBound(values: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One field's index over one segment. */
export class FieldIndex {
  readonly field: string;
  private readonly segments: string[];
  /** Slots where the path exists (any value, null and [] included). */
  present = new Postings();
  strings = new Map<string, Postings>();
  trues = new Postings();
  falses = new Postings();
  nulls = new Postings();
  numbers = new NumericIndex();
  /** Distinct strings sorted, for $prefix; rebuilt when a new string arrives. */
  private sortedStrings: string[] | null = null;

  constructor(field: string) {
    this.field = field;
    this.segments = splitPath(field);
  }

  add(slot: number, metadata: MetadataObject | undefined): void {
    if (metadata === undefined) return;
    const { present, values } = fieldValues(metadata, this.segments);
    if (!present) return;
    this.present.add(slot);
    let numbersSeen: number[] | null = null;
    for (const v of values) {
      if (typeof v === 'string') {
        let p = this.strings.get(v);
        if (p === undefined) {
          p = new Postings();
          this.strings.set(v, p);
          this.sortedStrings = null;
        }
        p.add(slot);
      } else if (typeof v === 'number') {
        // an array repeating a number indexes it once (pairs stay distinct)
        if (numbersSeen !== null && numbersSeen.includes(v)) continue;
        (numbersSeen ??= []).push(v);
        this.numbers.add(v, slot);
      } else if (v === true) {
        this.trues.add(slot);
      } else if (v === false) {
        this.falses.add(slot);
      } else if (v === null) {
        this.nulls.add(slot);
      }
    }
  }

  /** Postings of a keyword value (null when no row holds it); numbers are not here. */
  keyword(value: string | boolean | null): Postings | null {
    if (typeof value === 'string') return this.strings.get(value) ?? null;
    return value === true ? this.trues : value === false ? this.falses : this.nulls;
  }

  /** Distinct strings starting with `prefix`, in order. */
  stringsWithPrefix(prefix: string): string[] {
    const sorted = (this.sortedStrings ??= [...this.strings.keys()].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < sorted.length && sorted[i].startsWith(prefix); i++) out.push(sorted[i]);
    return out;
  }

  get bytes(): number {
    let total = this.present.bytes + this.trues.bytes + this.falses.bytes + this.nulls.bytes + this.numbers.bytes;
    for (const [value, p] of this.strings) total += p.bytes + value.length * 2 + 48;
    return total;
  }
}

/** The payload indexes of one segment: one FieldIndex per indexed field. */
export class SegmentPayloadIndex {
  readonly fields = new Map<string, FieldIndex>();

  /** Indexes a new row in every field. */
  add(slot: number, metadata: MetadataObject | undefined): void {
    if (metadata === undefined) return;
    for (const index of this.fields.values()) index.add(slot, metadata);
  }

  /** Builds the field's index over the segment's rows if it has none (a field filtered on for the first time). */
  ensure(field: string, metadata: readonly (MetadataObject | undefined)[]): FieldIndex {
    let index = this.fields.get(field);
    if (index === undefined) {
      index = new FieldIndex(field);
      for (let slot = 0; slot < metadata.length; slot++) index.add(slot, metadata[slot]);
      this.fields.set(field, index);
    }
    return index;
  }

  get bytes(): number {
    let total = 0;
    for (const index of this.fields.values()) total += index.bytes;
    return total;
  }
}
