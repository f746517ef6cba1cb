/**
 * A segment: a run of records whose vectors share one arena (one linear memory). The growing segment
 * takes new writes; once sealed a segment's rows never change, only its deletion marks do, until
 * compaction rewrites it. Slots are dense u32s, never reused within a segment.
 */
import { SegmentPayloadIndex } from '../filter/payload-index.js';
import type { GraphIndex } from '../index/index.js';
import type { KernelBackend } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import { Bitset } from '../lib/bitset.js';
import type { TextIndex } from '../text/bm25.js';
import { type ArenaOptions, VectorArena } from '../vectors/arena.js';
import type { Metadata } from './records.js';

const utf8 = new TextEncoder();

export class Segment {
  readonly id: number;
  readonly arena: VectorArena;
  readonly keys: string[] = [];
  readonly metadata: (Metadata | undefined)[] = [];
  readonly documents: (string | undefined)[] = [];
  /** 1 where the slot's record was deleted or replaced. */
  private deletedMarks: Uint8Array;
  /** The same marks as bits, so a filter's matches are counted and masked word by word. */
  readonly deletedBits: Bitset;
  private deletedCount = 0;
  /** Payload indexes of the collection's indexed fields over this segment's rows (kept in step by append). */
  payload = new SegmentPayloadIndex();
  /** BM25 index of the documents (set by the collection; kept in step by append and markDeleted). */
  text: TextIndex | null = null;
  /** Compiled filters by filter key: valid while `rows` equals the segment's count (rows never change). */
  readonly filterCache = new Map<string, { rows: number; matching: Bitset }>();
  /** UTF-8 bytes of keys, metadata JSON and documents: the memory report's "metadata" part. */
  payloadBytes = 0;
  sealed = false;
  /** Written to a segment file that the current manifest names. */
  persisted = false;
  /** The proximity graph of graph-indexed collections; it covers slots [0, graph.size). */
  graph: GraphIndex | null = null;
  /** How many slots the graph in the segment's file covers (a file is rewritten once its graph completes). */
  graphPersistedSize = 0;
  /** How many slots the graph covered when the segment was last encoded for a file. */
  graphEncodedSize = 0;
  /**
   * Written by an LID-ordered rewrite (its rows in descending LID order, its graph built in that order),
   * so optimize() need not rewrite it again. Kept in memory only: after a reopen it is false.
   */
  lidOrdered = false;

  constructor(backend: KernelBackend, id: number, dimension: number, initialCapacity: number, maximumRowBytes: number, arenaOptions?: ArenaOptions) {
    this.id = id;
    this.arena = new VectorArena(backend, dimension, initialCapacity, maximumRowBytes, arenaOptions);
    this.deletedMarks = new Uint8Array(Math.max(16, initialCapacity));
    this.deletedBits = new Bitset(0);
  }

  get count(): number {
    return this.keys.length;
  }

  get liveCount(): number {
    return this.keys.length - this.deletedCount;
  }

  get deleted(): number {
    return this.deletedCount;
  }

  /** Rows that are stored but not yet in the graph (scanned exactly until they are). */
  get unindexed(): number {
    return this.graph ? this.keys.length - this.graph.size : 0;
  }

  /** Room left before the segment reaches its byte cap. */
  get roomRows(): number {
    return this.arena.roomRows;
  }

  append(key: string, vector: ArrayLike<number>, metadata: Metadata | undefined, document: string | undefined): number {
    const slot = this.arena.append(vector);
    this.keys.push(key);
    this.metadata.push(metadata);
    this.documents.push(document);
    this.payloadBytes += recordPayloadBytes(key, metadata, document);
    if (slot >= this.deletedMarks.length) {
      const grown = new Uint8Array(this.deletedMarks.length * 2);
      grown.set(this.deletedMarks);
      this.deletedMarks = grown;
    }
    this.deletedBits.resize(slot + 1);
    this.payload.add(slot, metadata);
    this.text?.add(slot, document);
    return slot;
  }

  /**
   * Fills an empty segment from a segment file's columns (vectors packed without padding). The payload
   * and text indexes are the caller's to install (decoded from the file or rebuilt).
   */
  load(keys: string[], vectors: Float32Array, metadata: (Metadata | undefined)[], documents: (string | undefined)[]): void {
    assert(this.keys.length === 0, 'Segment.load needs an empty segment');
    this.arena.appendPacked(vectors, keys.length);
    if (this.deletedMarks.length < keys.length) this.deletedMarks = new Uint8Array(keys.length);
    for (let slot = 0; slot < keys.length; slot++) {
      this.keys.push(keys[slot]);
      this.metadata.push(metadata[slot]);
      this.documents.push(documents[slot]);
      this.payloadBytes += recordPayloadBytes(keys[slot], metadata[slot], documents[slot]);
    }
    this.deletedBits.resize(keys.length);
  }

  isDeleted(slot: number): boolean {
    return this.deletedMarks[slot] === 1;
  }

  markDeleted(slot: number): void {
    if (this.deletedMarks[slot] === 1) return;
    this.deletedMarks[slot] = 1;
    this.deletedBits.add(slot);
    this.deletedCount++;
    this.text?.remove(slot);
  }

  /** The deletion marks as a sorted slot list (what checkpoints persist). */
  deletedSlots(): Uint32Array {
    const out = new Uint32Array(this.deletedCount);
    let n = 0;
    for (let slot = 0; slot < this.keys.length; slot++) if (this.deletedMarks[slot] === 1) out[n++] = slot;
    return out;
  }

  /** Direct view of the marks for the scan loop: index by slot, 1 means skip. */
  get marks(): Uint8Array {
    return this.deletedMarks;
  }
}

export function recordPayloadBytes(key: string, metadata: Metadata | undefined, document: string | undefined): number {
  let bytes = utf8.encode(key).length;
  if (metadata !== undefined) bytes += utf8.encode(JSON.stringify(metadata)).length;
  if (document !== undefined) bytes += utf8.encode(document).length;
  return bytes;
}

/** A segment's columns as its file holds them (core/format/segment.ts encodes and decodes this). */
export interface SegmentContents {
  id: number;
  dimension: number;
  keys: string[];
  /** N x dimension floats, packed. */
  vectors: Float32Array;
  metadata: (Metadata | undefined)[];
  documents: (string | undefined)[];
  /** The graph's own encoding, covering a prefix of the rows. */
  graph?: { kind: 'hnsw' | 'vamana'; bytes: Uint8Array };
  /** The payload indexes' encoding (core/filter/codec.ts); absent in files written before them. */
  payloadIndex?: Uint8Array;
  /** The text index's encoding (core/text/codec.ts); absent in files written before it. */
  textIndex?: Uint8Array;
}
