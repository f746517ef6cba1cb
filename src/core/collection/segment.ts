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
import { CodeArena } from '../quant/code-arena.js';
import type { Quantizer } from '../quant/quantizer.js';
import type { TextIndex } from '../text/bm25.js';
import { type ArenaOptions, VectorArena } from '../vectors/arena.js';
import type { Codebook } from './codebook.js';
import type { IndexConfig } from './recipe.js';
import type { Metadata } from './records.js';
import { ReducedRows, type TraversalRows } from './reduced-rows.js';
import { SegmentArena } from './segment-arena.js';
import { type StoredTokens, TokenColumn } from '../multivector/token-column.js';

export type { TokenFileTable } from '../multivector/token-column.js';

const utf8 = new TextEncoder();

/** Where a segment file keeps the float32 rows and their checksums (format 3), for reading rows back. */
export interface SegmentFileRows {
  /** File offset of row 0 (rows are dimension float32s, packed). */
  rowsOffset: number;
  /** File offset of the rows' CRC-32C list (u32 per row). */
  checksumsOffset: number;
}

/**
 * A segment's compressed rows: the traversal rows (codes with a two-level LVQ's second level, or under a
 * reducer the reduced vectors, as float32 or codes) and LVQ-8 re-rank rows of the full vectors.
 */
export interface SegmentCodes {
  codes: TraversalRows;
  rerank: CodeArena | null;
}

export class Segment {
  readonly id: number;
  readonly dimension: number;
  private readonly backend: KernelBackend;
  /** The segment's cap on float32 row bytes (0: it holds what it was made with and no more). */
  private readonly maximumRowBytes: number;
  /**
   * The index its graph and codes follow: the collection's, or (while a reindex converts the segments)
   * the one it had before.
   */
  index: IndexConfig;
  /**
   * The float32 rows in memory. Null once released: a sealed segment of a quantized collection whose rows
   * are in its file (and are not the re-rank data) reads them back from there.
   */
  private floats: VectorArena | null;
  /** Traversal codes of a trained quantized collection, the LVQ-8 re-rank rows, and what encoded them. */
  private quantized: SegmentCodes | null = null;
  private codebookUsed: Codebook | null = null;
  /** What graphs score through: codes for searches, float32 rows (while in memory) for builds. */
  readonly arena: SegmentArena;
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
  /** Multi-vector collections: every record's token vectors (resident, or where they are in a token file). */
  readonly tokens: TokenColumn | null;
  /** BM25 index of the documents (set by the collection; kept in step by append and markDeleted). */
  text: TextIndex | null = null;
  /** Compiled filters by filter key: valid while `rows` equals the segment's count (rows never change). */
  readonly filterCache = new Map<string, { rows: number; matching: Bitset }>();
  /** UTF-8 bytes of keys, metadata JSON and documents: the memory report's "metadata" part. */
  payloadBytes = 0;
  sealed = false;
  /** Written to a segment file that the current manifest names, as it is now (graph aside). */
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
  /** Where a file with this segment's float32 rows and row checksums keeps them (null: no such file yet). */
  file: SegmentFileRows | null = null;
  /**
   * Float32 rows read back from the file for work that needs them (compaction, encoding with a new
   * codebook); dropped when that work is done.
   */
  loadedVectors: Float32Array | null = null;

  constructor(
    backend: KernelBackend,
    id: number,
    dimension: number,
    initialCapacity: number,
    maximumRowBytes: number,
    index: IndexConfig,
    options: { arena?: ArenaOptions; codebook?: Codebook | null; vectors?: boolean; tokenDimension?: number } = {},
  ) {
    this.id = id;
    this.dimension = dimension;
    this.backend = backend;
    this.maximumRowBytes = maximumRowBytes;
    this.index = index;
    const vectors = options.vectors ?? true;
    this.floats = vectors ? new VectorArena(backend, dimension, initialCapacity, maximumRowBytes, options.arena) : null;
    if (options.codebook) this.quantized = this.newCodes(options.codebook, initialCapacity, maximumRowBytes);
    this.codebookUsed = options.codebook ?? null;
    this.arena = new SegmentArena(dimension, this.floats, this.quantized?.codes ?? null, () => this.loadedVectors);
    this.deletedMarks = new Uint8Array(Math.max(16, initialCapacity));
    this.deletedBits = new Bitset(0);
    this.tokens = options.tokenDimension === undefined ? null : new TokenColumn(options.tokenDimension);
  }

  /** Code arenas for `codebook` with room for the rows a float32 arena of `maximumRowBytes` holds. */
  private newCodes(codebook: Codebook, initialCapacity: number, maximumRowBytes: number): SegmentCodes {
    const rowsMax = Math.max(initialCapacity, Math.floor(maximumRowBytes / (Math.ceil((this.dimension * 4) / 16) * 16)));
    const arena = (q: Quantizer) => new CodeArena(this.backend, q, initialCapacity, rowsMax * (q.codeBytes + q.residualBytes));
    const { reducer, quantizer } = codebook;
    let codes: TraversalRows;
    if (reducer !== null) {
      const rowBytes = quantizer ? quantizer.codeBytes + quantizer.residualBytes : Math.ceil((reducer.dimension * 4) / 16) * 16;
      codes = new ReducedRows(this.backend, reducer, quantizer, initialCapacity, rowsMax * rowBytes);
    } else {
      codes = arena(quantizer!);
    }
    return { codes, rerank: codebook.rerank ? arena(codebook.rerank) : null };
  }

  /** The float32 rows in memory, or null (released: read them from the file). */
  get vectors(): VectorArena | null {
    return this.floats;
  }

  get codes(): TraversalRows | null {
    return this.quantized?.codes ?? null;
  }

  /** LVQ-8 re-rank rows (Rerank:LVQ8 beside a one-level quantizer). */
  get rerankCodes(): CodeArena | null {
    return this.quantized?.rerank ?? null;
  }

  /** The codebook that encoded the codes (null: not quantized, or not trained yet). */
  get codebook(): Codebook | null {
    return this.codebookUsed;
  }

  /** One float32 row, if the segment has it in memory (resident or read back); null otherwise. */
  vectorRow(slot: number): Float32Array | null {
    if (this.floats) return this.floats.row(slot);
    if (this.loadedVectors) return this.loadedVectors.slice(slot * this.dimension, (slot + 1) * this.dimension);
    return null;
  }

  /**
   * One row's float32 values or, when they are not in memory, a reconstruction of the full vector from
   * its LVQ-8 re-rank rows or its codes; null when neither is full-dimensional (reduced rows only).
   */
  approximateRow(slot: number): Float32Array | null {
    const row = this.vectorRow(slot);
    if (row !== null) return row;
    if (this.quantized?.rerank) return this.quantized.rerank.packed(slot, 1);
    const codes = this.quantized?.codes;
    return codes instanceof CodeArena ? codes.packed(slot, 1) : null;
  }

  /** Whether every row's float32 values are at hand (in memory or read back). */
  get hasVectors(): boolean {
    return this.floats !== null || this.loadedVectors !== null;
  }

  /**
   * An encoder of this segment's rows with `codebook`, run in steps (so a large segment is encoded in
   * slices between which queries run). `rows` are the packed float32 rows, when not in memory.
   */
  encoder(codebook: Codebook, rows?: Float32Array): SegmentEncoder {
    const codes = this.newCodes(codebook, Math.max(1, this.count), this.maximumRowBytes);
    return new SegmentEncoder(this, codebook, codes, rows ?? this.loadedVectors ?? this.floats?.packed() ?? null);
  }

  /** Encodes every row with `codebook` at once (float32 rows at hand). */
  encodeWith(codebook: Codebook, rows?: Float32Array): SegmentCodes {
    const encoder = this.encoder(codebook, rows);
    encoder.step(this.count);
    return encoder.codes;
  }

  /** Makes `codes` (encoded by `codebook`, one row per slot) the segment's codes. */
  installCodes(codebook: Codebook, codes: SegmentCodes): void {
    assert(codes.codes.count === this.count && (codes.rerank === null || codes.rerank.count === this.count), `segment ${this.id}: codes for ${codes.codes.count} of ${this.count} rows`);
    this.quantized = codes;
    this.codebookUsed = codebook;
    this.arena.setRepresentations(this.floats, codes.codes);
  }

  /** Brings the float32 rows back into memory (`rows` packed, when not loaded already). */
  restoreVectors(rows?: Float32Array): void {
    if (this.floats !== null) return;
    const packed = rows ?? this.loadedVectors;
    assert(packed !== null, `segment ${this.id}: restoring its float32 rows needs them`);
    const floats = new VectorArena(this.backend, this.dimension, Math.max(1, this.count), 0);
    floats.appendPacked(packed, this.count);
    this.floats = floats;
    this.arena.setRepresentations(floats, this.quantized?.codes ?? null);
  }

  /**
   * Goes back to float32 rows only (the collection's index lost its quantizer, or has a new one not
   * trained yet): `rows` are the packed rows when they are not in memory.
   */
  dropCodes(rows?: Float32Array): void {
    this.restoreVectors(rows);
    this.quantized = null;
    this.codebookUsed = null;
    this.arena.setRepresentations(this.floats, null);
  }

  /** Drops the float32 rows from memory (they are in the segment file; the codes serve searches). */
  releaseVectors(): void {
    assert(this.quantized !== null && this.file !== null, `segment ${this.id}: float32 rows are released only beside codes and a file holding them`);
    this.floats = null;
    this.arena.setRepresentations(null, this.quantized.codes);
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
    assert(this.floats !== null, 'only segments with their float32 rows in memory take new rows');
    return this.floats.roomRows;
  }

  append(key: string, vector: ArrayLike<number>, metadata: Metadata | undefined, document: string | undefined, tokens?: StoredTokens): number {
    assert(this.floats !== null, 'only segments with their float32 rows in memory take new rows');
    assert((this.tokens === null) === (tokens === undefined), `segment ${this.id}: a record's token vectors and its collection disagree`);
    if (tokens !== undefined) this.tokens!.append(tokens);
    const slot = this.floats.append(vector);
    this.quantized?.codes.append(vector);
    this.quantized?.rerank?.append(vector);
    return this.addRecord(slot, key, metadata, document);
  }

  /**
   * Compaction: appends `source`'s row `slot` with its float32 values; its codes are copied when both
   * segments use the same codebook, encoded again otherwise.
   */
  appendFrom(source: Segment, slot: number, vector: ArrayLike<number>): number {
    assert(this.floats !== null, 'only segments with their float32 rows in memory take new rows');
    const at = this.floats.append(vector);
    if (this.tokens !== null) this.tokens.appendFrom(source.tokens!, slot);
    const codes = this.quantized;
    if (codes !== null) {
      if (source.codebookUsed === this.codebookUsed && source.quantized !== null) {
        codes.codes.appendFrom(source.quantized.codes, slot);
        if (codes.rerank) codes.rerank.appendFrom(source.quantized.rerank!, slot);
      } else {
        codes.codes.append(vector);
        codes.rerank?.append(vector);
      }
    }
    return this.addRecord(at, source.keys[slot], source.metadata[slot], source.documents[slot]);
  }

  private addRecord(slot: number, key: string, metadata: Metadata | undefined, document: string | undefined): number {
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
   * Fills an empty segment from a segment file's columns (vectors packed without padding) and, for a
   * quantized segment, its code rows (as the codebook encoded them). The payload and text indexes are the
   * caller's to install (decoded from the file or rebuilt).
   */
  load(
    keys: string[],
    vectors: Float32Array,
    metadata: (Metadata | undefined)[],
    documents: (string | undefined)[],
    codes?: { codebook: Codebook; codes: Uint8Array; residuals: Uint8Array; rerank: Uint8Array },
  ): void {
    assert(this.keys.length === 0, 'Segment.load needs an empty segment');
    this.floats?.appendPacked(vectors, keys.length);
    if (codes) {
      const arenas = this.newCodes(codes.codebook, Math.max(1, keys.length), 0);
      arenas.codes.appendEncoded(codes.codes, keys.length, codes.residuals);
      arenas.rerank?.appendEncoded(codes.rerank, keys.length);
      this.quantized = arenas;
      this.codebookUsed = codes.codebook;
      this.arena.setRepresentations(this.floats, arenas.codes);
    }
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

/** Encodes a segment's rows with a codebook, a slice at a time. */
export class SegmentEncoder {
  private next = 0;

  constructor(
    private readonly segment: Segment,
    readonly codebook: Codebook,
    readonly codes: SegmentCodes,
    private readonly rows: Float32Array | null,
  ) {
    assert(rows !== null, `segment ${segment.id}: encoding needs its float32 rows`);
  }

  get done(): boolean {
    return this.next >= this.segment.count;
  }

  /** Encodes up to `budget` more rows. */
  step(budget: number): void {
    const d = this.segment.dimension;
    const end = Math.min(this.segment.count, this.next + budget);
    for (; this.next < end; this.next++) {
      const row = this.rows!.subarray(this.next * d, (this.next + 1) * d);
      this.codes.codes.append(row);
      this.codes.rerank?.append(row);
    }
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
  /** The index the segment's graph and codes follow, when the file says (else the collection's). */
  index?: IndexConfig;
  /** A quantized segment's codebook (codebook.ts layout) and code rows, as the codebook encoded them. */
  codebook?: Uint8Array;
  codes?: { codes: Uint8Array; residuals: Uint8Array; rerank: Uint8Array };
  /** Where the file keeps the float32 rows and their checksums (files that have row checksums). */
  rows?: SegmentFileRows;
}
