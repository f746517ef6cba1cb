/**
 * A segment's per-record token vectors (multi-vector collections): what MaxSim re-ranks on. Each slot's
 * set is either resident (a packed Float32Array, until the segment's token file is durable) or a
 * reference into a token file (core/format/tokens.ts): file id, byte offset and CRC-32C of its rows, which
 * the db reads for re-rank candidates only, through a bounded cache (ESPN's idea: re-rank data off the
 * heap). Compaction and rebuilds copy entries, references included, so merging segments reads no token
 * rows; the merged segment's own file is written from them at the next checkpoint, before the files they
 * point into are removed, and then its entries are pointed at that file (adoptFile).
 */
import { assert } from '../lib/assert.js';

/** A stored record's token vectors: `count` rows packed, `received` how many it had before pooling. */
export interface StoredTokens {
  rows: Float32Array;
  count: number;
  received: number;
}

/** A token file's table (core/format/tokens.ts decodes it): what a segment loaded from files keeps. */
export interface TokenFileTable {
  id: number;
  dimension: number;
  counts: Uint32Array;
  received: Uint32Array;
  checksums: Uint32Array;
  /** Byte offset of each slot's rows in the file. */
  offsets: number[];
  /** Bytes of the whole file. */
  bytes: number;
}

/** Where one slot's rows are in a token file. */
export interface TokenFileRef {
  file: number;
  offset: number;
  checksum: number;
}

export class TokenColumn {
  readonly dimension: number;
  private readonly counts: number[] = [];
  private readonly receivedCounts: number[] = [];
  private readonly resident: (Float32Array | null)[] = [];
  private readonly files: number[] = [];
  private readonly offsets: number[] = [];
  private readonly checksums: number[] = [];
  /** Token rows held in memory (for stats). */
  residentRows = 0;
  /** The id of the token file holding every slot's rows (null until written). */
  ownFile: number | null = null;

  constructor(dimension: number) {
    this.dimension = dimension;
  }

  get size(): number {
    return this.counts.length;
  }

  append(tokens: StoredTokens): void {
    assert(tokens.rows.length === tokens.count * this.dimension, `token rows ${tokens.rows.length} for ${tokens.count} x ${this.dimension}`);
    this.counts.push(tokens.count);
    this.receivedCounts.push(tokens.received);
    this.resident.push(tokens.rows);
    this.files.push(-1);
    this.offsets.push(0);
    this.checksums.push(0);
    this.residentRows += tokens.count;
  }

  /** Copies `source`'s entry for `slot` (its rows, or its reference into a file). */
  appendFrom(source: TokenColumn, slot: number): void {
    assert(source.dimension === this.dimension, 'token columns of different dimensions');
    const rows = source.resident[slot];
    this.counts.push(source.counts[slot]);
    this.receivedCounts.push(source.receivedCounts[slot]);
    this.resident.push(rows);
    this.files.push(source.files[slot]);
    this.offsets.push(source.offsets[slot]);
    this.checksums.push(source.checksums[slot]);
    if (rows !== null) this.residentRows += source.counts[slot];
  }

  /** A segment loaded from files: every slot refers to the token file `file` (layout from its table). */
  load(file: number, counts: Uint32Array, received: Uint32Array, offsets: readonly number[], checksums: Uint32Array): void {
    assert(this.size === 0, 'TokenColumn.load needs an empty column');
    for (let slot = 0; slot < counts.length; slot++) {
      this.counts.push(counts[slot]);
      this.receivedCounts.push(received[slot]);
      this.resident.push(null);
      this.files.push(file);
      this.offsets.push(offsets[slot]);
      this.checksums.push(checksums[slot]);
    }
    this.ownFile = file;
  }

  count(slot: number): number {
    return this.counts[slot];
  }

  received(slot: number): number {
    return this.receivedCounts[slot];
  }

  /** The slot's rows when they are in memory, else null (read them through ref()). */
  rows(slot: number): Float32Array | null {
    return this.resident[slot];
  }

  /** Where the slot's rows are in a file (null: only in memory). */
  ref(slot: number): TokenFileRef | null {
    return this.files[slot] < 0 ? null : { file: this.files[slot], offset: this.offsets[slot], checksum: this.checksums[slot] };
  }

  /**
   * The column's rows are now in token file `file` at `offsets` with `checksums` (the encoder's layout):
   * every slot refers there, and with `release` the resident rows leave memory.
   */
  adoptFile(file: number, offsets: readonly number[], checksums: Uint32Array, release: boolean): void {
    assert(offsets.length === this.size && checksums.length === this.size, 'token file layout does not cover the column');
    for (let slot = 0; slot < this.size; slot++) {
      this.files[slot] = file;
      this.offsets[slot] = offsets[slot];
      this.checksums[slot] = checksums[slot];
      if (release && this.resident[slot] !== null) {
        this.residentRows -= this.counts[slot];
        this.resident[slot] = null;
      }
    }
    this.ownFile = file;
  }
}
