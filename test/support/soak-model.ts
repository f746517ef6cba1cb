/**
 * What the soak expects the server to hold: one partition per worker (keys `w<i>-<n>`, metadata
 * `owner: 'w<i>'`), written only by that worker and only after the server acknowledged the write, so at
 * any moment between the worker's own requests its partition is exactly what the server must return.
 * Also the seeded generators of the records (clustered vectors, documents over a skewed vocabulary).
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/core/lib/prng.js';
import type { StoredRecord } from '../../src/client/index.js';
import { gaussian } from './data.js';

export interface SoakMetadata {
  owner: string;
  group: string;
  n: number;
  flag: boolean;
  [field: string]: string | number | boolean;
}

export interface Expected {
  vector: Float32Array;
  metadata: SoakMetadata;
  document: string | null;
}

export class Partition {
  readonly owner: string;
  private readonly records = new Map<string, Expected>();
  /** The live keys, for uniform picks; `slot` finds a key's place for swap-removal. */
  private readonly keys: string[] = [];
  private readonly slot = new Map<string, number>();
  /** Recently deleted keys (never reused), to check that get answers null for them. */
  readonly deleted: string[] = [];
  private nextId = 0;

  constructor(owner: string) {
    this.owner = owner;
  }

  get size(): number {
    return this.keys.length;
  }

  newKey(): string {
    return `${this.owner}-${this.nextId++}`;
  }

  get(key: string): Expected | undefined {
    return this.records.get(key);
  }

  set(key: string, record: Expected): void {
    if (!this.records.has(key)) {
      this.slot.set(key, this.keys.length);
      this.keys.push(key);
    }
    this.records.set(key, record);
  }

  remove(key: string): void {
    const at = this.slot.get(key);
    if (at === undefined) return;
    const last = this.keys.pop()!;
    if (last !== key) {
      this.keys[at] = last;
      this.slot.set(last, at);
    }
    this.slot.delete(key);
    this.records.delete(key);
    this.deleted.push(key);
    if (this.deleted.length > 1000) this.deleted.splice(0, this.deleted.length - 1000);
  }

  /** Up to n distinct live keys, uniformly. */
  pick(n: number, rng: Prng): string[] {
    const picked = new Set<string>();
    const want = Math.min(n, this.keys.length);
    while (picked.size < want) picked.add(this.keys[rng.int(this.keys.length)]);
    return [...picked];
  }

  entries(): IterableIterator<[string, Expected]> {
    return this.records.entries();
  }
}

/** Checks a record the server returned against the expected one; the message names what differs. */
export function recordDifference(key: string, got: StoredRecord | null, want: Expected | undefined): string | null {
  if (want === undefined) return got === null ? null : `${key}: expected no record, got one`;
  if (got === null) return `${key}: expected a record, got null`;
  if (got.key !== key) return `${key}: got the record of ${got.key}`;
  try {
    assert.deepEqual(got.metadata ?? null, want.metadata);
  } catch {
    return `${key}: metadata ${JSON.stringify(got.metadata)} != ${JSON.stringify(want.metadata)}`;
  }
  if ((got.document ?? null) !== want.document) return `${key}: document ${JSON.stringify(got.document)} != ${JSON.stringify(want.document)}`;
  // cosine collections store the unit vector
  const unit = normalise(want.vector);
  if (got.vector.length !== unit.length) return `${key}: vector of length ${got.vector.length}`;
  for (let i = 0; i < unit.length; i++) {
    if (Math.abs(got.vector[i] - unit[i]) > 1e-5) return `${key}: vector[${i}] ${got.vector[i]} != ${unit[i]}`;
  }
  return null;
}

export function normalise(v: Float32Array): Float64Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  const s = 1 / Math.sqrt(norm);
  return Float64Array.from(v, (x) => x * s);
}

export function cosineDistance(unitA: Float64Array, b: Float32Array): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    dot += unitA[i] * b[i];
    norm += b[i] * b[i];
  }
  return 1 - dot / Math.sqrt(norm);
}

/** Seeded records: vectors around fixed cluster centres, metadata, documents over a skewed vocabulary. */
export class RecordSource {
  readonly rng: Prng;
  readonly vocabulary: string[];
  private readonly centres: Float32Array[];
  private readonly dimension: number;

  constructor(seed: number, dimension: number, centresSeed = 1) {
    this.rng = new Prng(seed);
    this.dimension = dimension;
    // the same centres and vocabulary for every worker: the partitions overlap in space and in words
    const shared = new Prng(centresSeed);
    this.centres = Array.from({ length: 24 }, () => Float32Array.from({ length: dimension }, () => gaussian(shared)));
    const syllables = ['ba', 'ko', 'ri', 'mu', 'te', 'sa', 'no', 'vi', 'la', 'pe', 'zu', 'go', 'da', 'fi'];
    const words = new Set<string>();
    while (words.size < 400) words.add(Array.from({ length: 2 + shared.int(2) }, () => syllables[shared.int(syllables.length)]).join(''));
    this.vocabulary = [...words];
  }

  vector(): Float32Array {
    const centre = this.centres[this.rng.int(this.centres.length)];
    return Float32Array.from({ length: this.dimension }, (_, i) => centre[i] + 0.35 * gaussian(this.rng));
  }

  /** A word, the first ones far more often (u² skew). */
  word(): string {
    const u = this.rng.next();
    return this.vocabulary[Math.floor(this.vocabulary.length * u * u)];
  }

  document(): string | null {
    if (this.rng.next() < 0.1) return null;
    return Array.from({ length: 3 + this.rng.int(10) }, () => this.word()).join(' ');
  }

  metadata(owner: string): SoakMetadata {
    return { owner, group: `g${this.rng.int(8)}`, n: this.rng.int(1000), flag: this.rng.next() < 0.5 };
  }

  record(owner: string): Expected {
    return { vector: this.vector(), metadata: this.metadata(owner), document: this.document() };
  }
}

export function hasWord(document: string | null | undefined, word: string): boolean {
  return document != null && document.split(' ').includes(word);
}
