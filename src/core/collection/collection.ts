/**
 * A collection's in-memory state and the operations on it: keys <-> (segment, slot), segments, and the
 * query path. Everything here is synchronous and deterministic; the db layer logs each operation to the
 * write-ahead log and persists segments at checkpoints. Scores are made here, at the API edge of core:
 * inside, everything is a distance (lower is better).
 */
import { QuiverError } from '../errors.js';
import { type FilterNode, type PayloadType, filterFields, filterKey } from '../filter/ast.js';
import { decodePayloadIndex } from '../filter/codec.js';
import { compile, estimate } from '../filter/compile.js';
import { FlatIndex, scanRange } from '../index/flat/flat.js';
import { hnswFactory } from '../index/hnsw/hnsw.js';
import type { GraphConfig, GraphFactory, SearchParams, VectorIndex } from '../index/index.js';
import { LidEstimator, orderByLid } from '../index/lid.js';
import { vamanaFactory } from '../index/vamana/vamana.js';
import type { KernelBackend, KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import type { Bitset } from '../lib/bitset.js';
import { LIMITS } from '../lib/limits.js';
import { TopK } from '../lib/topk.js';
import { Analyzer, DEFAULT_TEXT_OPTIONS, type TextOptions } from '../text/analyzer.js';
import { TextIndex } from '../text/bm25.js';
import { decodeTextIndex, textIndexSignature } from '../text/codec.js';
import type { ArenaOptions } from '../vectors/arena.js';
import { type Codebook, codebookFits, decodeCodebook, isCompressed, minimumTrainingRows, trainCodebook } from './codebook.js';
import { DriftMonitor } from './drift.js';
import { GRAPH_DEFAULTS, graphConfigOf } from './index-config.js';
import { type EnginePlan, FLAT_RERANK_PER_K, type SearchRequest, runSearch } from './planner.js';
import { RecallSampler } from './recall.js';
import { type IndexConfig, printRecipe, reranksOnSecondLevel } from './recipe.js';
import { CodeArena } from '../quant/code-arena.js';
import type { Metadata, Metric, StoredRecord } from './records.js';
import { Segment, type SegmentContents } from './segment.js';
import type { MultivectorSetting } from '../multivector/config.js';
import type { TokenFileTable } from '../multivector/token-column.js';
/**
 * When a quantized collection trains by itself, and on how much (docs/quantization.md, "Training"):
 * rows before training are float32 (searched exactly or over a float32 graph) and are encoded when it runs.
 */
export const TRAINING = {
  /** A quantized collection trains once it holds this many vectors (or on col.optimize()). */
  threshold: 10_000,
  /** Vectors a training sample holds at most, spread evenly over the collection. */
  sampleMax: 10_000,
} as const;


/** A row to read for a training sample or an exact re-run: (segment, slot). */
export interface RowRef {
  segment: Segment;
  slot: number;
}



export interface CollectionDefinition {
  name: string;
  /** Distinguishes incarnations of the same name (drop, then create again). */
  id: number;
  dimension: number;
  metric: Metric;
  index: IndexConfig;
  /** Fields declared with payloadIndexes at creation, and their types. */
  payloadIndexes?: Record<string, PayloadType>;
  /** Fields indexed because filters named them (recorded at checkpoints; see indexedFields). */
  autoIndexes?: string[];
  /** The text analyzer's options (absent: the defaults). */
  text?: TextOptions;
  /** The embedding function that turns documents and query text into vectors (db/ loads it). */
  embedding?: EmbeddingSetting;
  /** How documents are cut into chunks before they are embedded (db/ does it). */
  chunking?: ChunkingSetting;
  /**
   * Multi-vector collections: records hold sets of token vectors of multivector.dimension; the rows
   * (`dimension`) are their MUVERA encodings, which the index searches for MaxSim re-ranking.
   */
  multivector?: MultivectorSetting;
}

/**
 * api.md's EmbeddingConfig as stored (never a secret: the openai provider names its key's environment
 * variable) and the model's name when the collection was created, to refuse another model later.
 */
export interface EmbeddingSetting {
  config: 'builtin' | { provider: string; [field: string]: string | boolean };
  model: string;
}

export interface ChunkingSetting {
  by: 'tokens' | 'sentences';
  size: number;
  overlap: number;
}

/** A filter ready to run: its AST, its cache key and the fields it reads. */
export interface PreparedFilter {
  node: FilterNode;
  key: string;
}

/** Compiled filters kept per segment (most recently used last). */
const FILTER_CACHE_ENTRIES = 16;

export interface EngineContext {
  backend: KernelBackend;
  segmentBytesMax: number;
  /**
   * Threads a parallel graph build uses (the db's buildThreads): above 1, segments of collections whose
   * graph can build in parallel get a shared memory with a lane per thread. Absent or 1: single-threaded.
   */
  buildThreads?: number;
  /**
   * Segment files keep every row's float32 values (a store is attached): sealed quantized segments drop
   * them from memory once written, unless they are the re-rank data. Without a store they stay (counted).
   */
  vectorsOnDisk?: boolean;
  /** Share of approximate queries re-run exactly for stats().estimatedRecall (default 0.01; 0: off). */
  recallSampleRate?: number;
  nextSegmentId(): number;
}

export interface Hit {
  key: string;
  score: number;
  /** Vector queries only (keyword and hybrid scores are not distances). */
  distance?: number;
  metadata?: Metadata;
  document?: string;
  vector?: Float32Array;
}

export type IncludeField = 'metadata' | 'document' | 'vector';

/** What a vector search did, summed over the segments (explain's plan, recall sampling). */
export interface SearchSummary {
  /** Rows scored one by one: exact scans, and rows not in a graph yet. */
  scanned: number;
  /** Candidates taken from codes for re-ranking (or as results, without re-rank data). */
  candidates: number;
  /** Candidates re-scored on re-rank data. */
  reranked: number;
  /** Some scores are code distances (no re-rank data): estimates, not exact. */
  estimates: boolean;
  /** A graph or codes answered part of the query: the answer may differ from the exact one. */
  approximate: boolean;
}



export interface EngineQuery {
  vector: Float32Array;
  k: number;
  include: ReadonlySet<IncludeField>;
  minScore?: number;
  search: SearchParams;
}

/** A location packs (segment id, slot) into one safe integer. */
const SLOT_SPAN = 2 ** 32;

export class CollectionEngine {
  /** Replaced by reindex (changeIndex); everything else about the collection is fixed. */
  private currentDefinition: CollectionDefinition;
  readonly kernelMetric: KernelMetric;
  private readonly context: EngineContext;
  private readonly flat: VectorIndex = new FlatIndex();
  /** Null for exact ('flat') collections. */
  private currentFactory: GraphFactory | null;
  /** Sealed segments in creation order, then the growing one last. */
  private sealedSegments: Segment[] = [];
  private growingSegment: Segment;
  private readonly segmentsById = new Map<number, Segment>();
  private readonly locations = new Map<string, number>();
  /** Fields with a payload index in every segment: declared ones, then those filters asked for. */
  private readonly indexedFields = new Set<string>();
  /** Tokenizer, stop words and stemming of the BM25 indexes. */
  readonly analyzer: Analyzer;
  /** The trained compression new rows are encoded with; null before training (or without a quantizer). */
  private currentCodebook: Codebook | null = null;
  /** Highest codebook generation seen (trainings number their codebooks from it). */
  private generation = 0;
  private driftMonitor: DriftMonitor | null = null;
  /** The LID estimate an optimize() with insertionOrder 'lid' is running (its segments keep their float32 rows). */
  private lidEstimate: LidEstimator<Segment> | null = null;
  /** Live approximate queries sampled for an exact re-run (stats().estimatedRecall). */
  readonly recall: RecallSampler;

  constructor(definition: CollectionDefinition, context: EngineContext) {
    this.currentDefinition = definition;
    this.context = context;
    this.kernelMetric = definition.metric === 'l2' ? 'l2' : 'dot';
    this.currentFactory = factoryOf(definition.index);
    this.recall = new RecallSampler(context.recallSampleRate);
    this.analyzer = new Analyzer(definition.text ?? DEFAULT_TEXT_OPTIONS);
    for (const field of Object.keys(definition.payloadIndexes ?? {})) this.indexedFields.add(field);
    for (const field of definition.autoIndexes ?? []) this.indexedFields.add(field);
    this.growingSegment = this.newSegment(64);
  }

  get definition(): CollectionDefinition {
    return this.currentDefinition;
  }

  /** The graph of the collection's index (null for exact 'flat' collections). */
  get graphFactory(): GraphFactory | null {
    return this.currentFactory;
  }

  get name(): string {
    return this.definition.name;
  }

  get recipe(): string {
    return printRecipe(this.definition.index);
  }

  get count(): number {
    return this.locations.size;
  }

  get segments(): readonly Segment[] {
    return this.growingSegment.count > 0 ? [...this.sealedSegments, this.growingSegment] : this.sealedSegments;
  }

  get growing(): Segment {
    return this.growingSegment;
  }

  get sealed(): readonly Segment[] {
    return this.sealedSegments;
  }

  // ---- writes (already validated; applied whole) ----

  upsert(records: readonly StoredRecord[]): void {
    for (const record of records) {
      if (this.growingSegment.roomRows === 0) this.freeze();
      const previous = this.locations.get(record.key);
      if (previous !== undefined) this.markDeleted(previous);
      const slot = this.growingSegment.append(record.key, record.vector, record.metadata, record.document, record.tokens);
      this.locations.set(record.key, this.growingSegment.id * SLOT_SPAN + slot);
      this.driftMonitor?.observe(record.vector);
    }
  }

  /** Deletes the keys that exist; returns how many did. */
  delete(keys: readonly string[]): number {
    let count = 0;
    for (const key of keys) {
      const location = this.locations.get(key);
      if (location === undefined) continue;
      this.markDeleted(location);
      this.locations.delete(key);
      count++;
    }
    return count;
  }

  // ---- reads ----

  has(key: string): boolean {
    return this.locations.has(key);
  }

  /**
   * The record of `key`, or null. Its vector is missing when the segment's float32 rows are not in
   * memory: `locate(key)` says where to read it (the db reads it from the segment file).
   */
  get(key: string): StoredRecord | null {
    const location = this.locations.get(key);
    if (location === undefined) return null;
    const { segment, slot } = this.resolve(location);
    const record = { key, vector: segment.vectorRow(slot) } as StoredRecord;
    if (record.vector === null) delete (record as Partial<StoredRecord>).vector;

    const metadata = segment.metadata[slot];
    const document = segment.documents[slot];
    const tokens = segment.tokens?.rows(slot);
    if (tokens) record.tokens = { rows: tokens, count: segment.tokens!.count(slot), received: segment.tokens!.received(slot) };
    if (metadata !== undefined) record.metadata = structuredClone(metadata);
    if (document !== undefined) record.document = document;
    return record;
  }

  keys(): string[] {
    return [...this.locations.keys()];
  }

  /** Where a live key's row is: its segment and slot. */
  locate(key: string): RowRef | null {
    const location = this.locations.get(key);
    return location === undefined ? null : this.resolve(location);
  }



  query(request: EngineQuery): Hit[] {
    return this.queryWithPlan(request).hits;
  }

  /** The hits, and what the search did per segment (explain, recall sampling). */
  queryWithPlan(request: EngineQuery): { hits: Hit[]; plan: SearchSummary } {
    const segments = this.segments;
    const k = Math.min(request.k, this.count);
    const top = new TopK(k);
    const summary: SearchSummary = { scanned: 0, reranked: 0, candidates: 0, estimates: false, approximate: false };
    segments.forEach((segment, ordinal) => this.searchSegment(segment, request.vector, k, request.search.ef, top, ordinal * SLOT_SPAN, summary));
    const { distances, ids } = top.drain();
    const hits: Hit[] = [];
    for (let i = 0; i < ids.length; i++) {
      const segment = segments[Math.floor(ids[i] / SLOT_SPAN)];
      const slot = ids[i] % SLOT_SPAN;
      const hit = this.hit(segment, slot, distances[i], request.include);
      if (request.minScore !== undefined && hit.score < request.minScore) break;
      hits.push(hit);
    }
    return { hits, plan: summary };
  }

  /**
   * One segment's best k, pushed into `top` as (distance, base + slot). Float32 segments: the graph's
   * beam plus an exact scan of the rows it does not cover yet (or an exact scan of all rows). Segments
   * with codes: the same over the codes into a candidate list — the graph's whole beam (ef), or for an
   * exact scan FLAT_RERANK_PER_K · k (or search.ef) — which is then re-ranked on the segment's re-rank
   * data (float32 rows, a two-level LVQ's second level, LVQ-8 rows); with no re-rank data the code
   * distances are the scores.
   */
  searchSegment(segment: Segment, vector: Float32Array, k: number, requestedEf: number | undefined, top: TopK, base: number, summary?: SearchSummary): void {
    if (segment.count === 0 || k === 0) return;
    const graph = segment.graph !== null && segment.graph.size > 0 ? segment.graph : null;
    const arena = segment.arena;
    arena.setQuery(vector);
    const indexed = graph?.size ?? 0;
    if (summary) {
      summary.scanned += segment.count - indexed;
      if (graph || segment.codes) summary.approximate = true;
    }
    if (segment.codes === null) {
      if (graph) graph.search(segment.marks, top, base, this.effectiveEf(requestedEf, segment.index));
      scanRange(arena, segment.marks, this.kernelMetric, top, base, indexed, segment.count);
      return;
    }
    const width = graph ? Math.max(k, this.effectiveEf(requestedEf, segment.index)) : Math.max(k, requestedEf ?? FLAT_RERANK_PER_K * k);
    const candidates = new TopK(width);
    if (graph) graph.search(segment.marks, candidates, 0, width);
    scanRange(arena, segment.marks, this.kernelMetric, candidates, 0, indexed, segment.count);
    this.rerank(segment, vector, candidates, top, base, summary);
  }

  /** Scores the candidates (slots) on the segment's re-rank data and offers them to `top`. */
  rerank(segment: Segment, vector: Float32Array, candidates: TopK, top: TopK, base: number, summary?: SearchSummary): void {
    const { distances, ids } = candidates.drain();
    const n = ids.length;
    if (summary) summary.candidates += n;
    const rerank = segment.index.rerank ?? 'none';
    let scores: ArrayLike<number> = distances;
    if (rerank === 'float32') {
      const floats = segment.vectors;
      assert(floats !== null, `segment ${segment.id} re-ranks on float32 rows it does not hold`);
      floats.setQuery(vector);
      scores = floats.distancesOf(this.kernelMetric, ids);
    } else if (rerank === 'lvq8' && reranksOnSecondLevel(segment.index)) {
      const codes = segment.codes;
      assert(codes instanceof CodeArena, `segment ${segment.id} re-ranks on a second level it does not hold`);
      scores = codes.rerankOf(this.kernelMetric, ids);
    } else if (rerank === 'lvq8') {
      const rows = segment.rerankCodes;
      assert(rows !== null, `segment ${segment.id} re-ranks on LVQ-8 rows it does not hold`);
      rows.setQuery(vector);
      scores = rows.distancesOf(this.kernelMetric, ids);
    } else if (summary) {
      summary.estimates = true;
    }
    if (summary && scores !== distances) summary.reranked += n;
    let worst = top.worst;
    for (let i = 0; i < n; i++) {
      if (scores[i] < worst) {
        top.push(scores[i], base + ids[i]);
        worst = top.worst;
      }
    }
  }

  /** The beam width a graph search uses: the request's, else the index's default (never below k: callers). */
  effectiveEf(requested: number | undefined, index: IndexConfig = this.definition.index): number {
    return requested ?? (index.type === 'vamana' ? GRAPH_DEFAULTS.vamana.ef : GRAPH_DEFAULTS.hnsw.ef);
  }

  /** Rows stored but not yet in their segment's graph. */
  get unindexed(): number {
    let n = this.growingSegment.unindexed;
    for (const s of this.sealedSegments) n += s.unindexed;
    return n;
  }

  /**
   * Adds up to `budget` pending rows to their segments' graphs (sealed segments first: they are final).
   * Returns how many rows are still pending. The db layer calls this in slices in the background.
   */
  indexPending(budget: number): number {
    let pending = 0;
    for (const segment of [...this.sealedSegments, this.growingSegment]) {
      const graph = segment.graph;
      if (!graph || graph.building === true || graph.size >= segment.count) continue;
      if (budget > 0) {
        const upTo = Math.min(segment.count, graph.size + budget);
        budget -= upTo - graph.size;
        graph.insertUpTo(upTo);
      }
      pending += segment.unindexed;
    }
    return pending;
  }

  /**
   * A segment with at least `minRows` pending rows whose graph can build on several threads (its arena
   * is shared), sealed ones first; null if none. The caller runs graph.insertUpToParallel on it;
   * meanwhile indexPending and compact leave it alone.
   */
  parallelCandidate(minRows: number): Segment | null {
    for (const segment of [...this.sealedSegments, this.growingSegment]) {
      const graph = segment.graph;
      if (!graph || graph.building === true || graph.insertUpToParallel === undefined || segment.arena.shareable === undefined) continue;
      if (segment.count - graph.size >= minRows) return segment;
    }
    return null;
  }

  // ---- segments: sealing, recovery, compaction ----

  /** Seals the growing segment (if it holds anything) and starts a new one. Returns the sealed one. */
  freeze(): Segment | null {
    const segment = this.growingSegment;
    if (segment.count === 0) return null;
    segment.sealed = true;
    this.sealedSegments.push(segment);
    this.growingSegment = this.newSegment(64);
    return segment;
  }

  /**
   * Recovery: rebuilds a sealed segment from its file's contents (graph and codes included) and installs
   * it. A segment whose file names another index (a reindex was converting it) keeps that index until the
   * conversion, which resumes in the background, replaces it.
   */
  restoreSegment(contents: SegmentContents, deletedSlots: Uint32Array, file: string, tokens?: TokenFileTable): void {
    const { id, keys } = contents;
    const tokenDimension = this.definition.multivector?.dimension;
    if (tokenDimension !== undefined && (tokens === undefined || tokens.counts.length !== keys.length || tokens.dimension !== tokenDimension || tokens.id !== id)) {
      throw new QuiverError('CORRUPTED', `${file}: its token file does not match it (${tokens ? `${tokens.counts.length} records of dimension ${tokens.dimension}, id ${tokens.id}` : 'missing'}; expected ${keys.length} of dimension ${tokenDimension}).`, { file });
    }
    const index = contents.index ?? this.definition.index;
    const codebook = contents.codebook ? this.codebookOf(contents.codebook, file) : null;
    if ((codebook === null) !== (contents.codes === undefined) || (codebook !== null && !codebookFits(codebook, index, this.definition.dimension))) {
      throw new QuiverError('CORRUPTED', `${file}: its codes do not match its index ${printRecipe(index)}.`, { file });
    }
    if (codebook !== null) {
      const n = keys.length;
      const { codes, residuals, rerank } = contents.codes!;
      // traversal rows: codes, or under a reducer without a quantizer the reduced vectors as float32
      const traversal = codebook.quantizer?.codeBytes ?? codebook.reducer!.dimension * 4;
      const expected = [n * traversal, n * (codebook.quantizer?.residualBytes ?? 0), n * (codebook.rerank?.codeBytes ?? 0)];
      if (codes.length !== expected[0] || residuals.length !== expected[1] || rerank.length !== expected[2]) {
        throw new QuiverError('CORRUPTED', `${file}: its code runs hold ${codes.length}, ${residuals.length} and ${rerank.length} bytes, not ${expected.join(', ')} for ${n} rows. Restore the file from a backup.`, { file });
      }
    }
    // float32 rows stay in memory unless the file keeps them for us and they are not the re-rank data
    const keepVectors = !(this.context.vectorsOnDisk && contents.rows && codebook && index.rerank !== 'float32');
    const segment = new Segment(this.context.backend, id, this.definition.dimension, keys.length, 0, index, { arena: this.arenaOptions(index), vectors: keepVectors, tokenDimension });
    segment.load(keys, contents.vectors, contents.metadata, contents.documents, codebook ? { codebook, ...contents.codes! } : undefined);
    if (tokens !== undefined) segment.tokens!.load(id, tokens.counts, tokens.received, tokens.offsets, tokens.checksums);
    segment.file = contents.rows ?? null;
    // indexes come from the file when it has them (version 2), else they are rebuilt from the records
    if (contents.payloadIndex) segment.payload = decodePayloadIndex(contents.payloadIndex, keys.length, file);
    for (const field of this.indexedFields) segment.payload.ensure(field, segment.metadata);
    if (contents.textIndex && textIndexSignature(contents.textIndex, file) === this.analyzer.signature) {
      segment.text = decodeTextIndex(contents.textIndex, keys.length, this.analyzer, file);
    } else {
      segment.text = new TextIndex(this.analyzer);
      for (let slot = 0; slot < keys.length; slot++) segment.text.add(slot, contents.documents[slot]);
    }
    const factory = factoryOf(index);
    if (factory) {
      if (contents.graph && contents.graph.kind !== index.type) {
        throw new QuiverError('CORRUPTED', `${file} holds a ${contents.graph.kind} graph but its index is ${printRecipe(index)}.`, { file });
      }
      const config = graphConfigOf(index, id);
      segment.graph = contents.graph ? factory.decode(contents.graph.bytes, file, segment.arena, this.kernelMetric, config) : factory.create(segment.arena, this.kernelMetric, config);
      if (segment.graph.size > keys.length) throw new QuiverError('CORRUPTED', `${file}: its graph covers ${segment.graph.size} rows of ${keys.length}.`, { file });
      segment.graphPersistedSize = segment.graph.size;
    } else if (contents.graph) {
      throw new QuiverError('CORRUPTED', `${file} holds a ${contents.graph.kind} graph but its index is ${printRecipe(index)}.`, { file });
    }
    this.adoptSealed(segment, deletedSlots);
  }

  /** Codebooks read from segment files, by generation: segments of one training share one. */
  private readonly codebooks = new Map<number, { bytes: Uint8Array; codebook: Codebook }>();

  private codebookOf(bytes: Uint8Array, file: string): Codebook {
    const codebook = decodeCodebook(bytes, `${file} (codebook)`, this.context.backend);
    const known = this.codebooks.get(codebook.generation);
    if (known) {
      if (known.bytes.length !== bytes.length || known.bytes.some((b, i) => b !== bytes[i])) {
        throw new QuiverError('CORRUPTED', `${file}: codebook generation ${codebook.generation} differs from the one another segment holds.`, { file });
      }
      return known.codebook;
    }
    this.codebooks.set(codebook.generation, { bytes, codebook });
    this.generation = Math.max(this.generation, codebook.generation);
    return codebook;
  }

  /**
   * Recovery, after every segment is restored and before the log is replayed: the newest codebook that
   * serves the collection's index becomes the one new rows are encoded with (no retraining).
   */
  finishRestore(): void {
    let newest: Codebook | null = null;
    for (const { codebook } of this.codebooks.values()) {
      if (codebookFits(codebook, this.definition.index, this.definition.dimension) && (newest === null || codebook.generation > newest.generation)) newest = codebook;
    }
    this.codebooks.clear();
    if (newest !== null) this.useCodebook(newest);
  }

  /** Recovery: installs a sealed segment loaded from its file; later segments win for the same key. */
  private adoptSealed(segment: Segment, deletedSlots: Uint32Array): void {
    assert(this.growingSegment.count === 0, 'segments are adopted before the WAL is replayed');
    for (const slot of deletedSlots) {
      if (slot >= segment.count) {
        throw new QuiverError('CORRUPTED', `The manifest marks slot ${slot} deleted in segment ${segment.id}, which holds ${segment.count} records.`, { segment: segment.id, slot });
      }
      segment.markDeleted(slot);
    }
    segment.sealed = true;
    segment.persisted = true;
    this.segmentsById.set(segment.id, segment);
    this.sealedSegments.push(segment);
    for (let slot = 0; slot < segment.count; slot++) {
      if (segment.isDeleted(slot)) continue;
      const key = segment.keys[slot];
      const previous = this.locations.get(key);
      if (previous !== undefined) {
        throw new QuiverError('CORRUPTED', `Key ${JSON.stringify(key)} is live in two segments (${this.resolve(previous).segment.id} and ${segment.id}).`, { key, segment: segment.id });
      }
      this.locations.set(key, segment.id * SLOT_SPAN + slot);
    }
  }

  /**
   * Rewrites the sealed segments chosen by `pick` into one segment holding only their live records,
   * and swaps it in. Synchronous, so no write can interleave. Returns the new segment, or null. Only
   * segments that follow the collection's index and have their float32 rows at hand (in memory, or read
   * back into loadedVectors by the db) are offered to `pick`.
   */
  compact(pick: (segments: readonly Segment[]) => Segment[]): { replaced: Segment[]; segment: Segment } | null {
    // a segment whose graph a parallel build is still writing is not compacted until it is done
    const picked = pick(this.sealedSegments.filter((s) => s.graph?.building !== true && s.hasVectors && !this.isStale(s)));
    if (picked.length === 0) return null;
    // The segment with the largest graph goes first: its graph is kept, so the fewest rows are re-inserted.
    const largest = picked.reduce((a, b) => ((b.graph?.size ?? 0) > (a.graph?.size ?? 0) ? b : a));
    const chosen = [largest, ...picked.filter((s) => s !== largest)];
    const live = chosen.reduce((n, s) => n + s.liveCount, 0);
    const merged = this.newSegment(Math.max(1, live));
    // The first segment's graph is repaired around its deleted nodes and renumbered; the rows of the
    // other segments join as pending rows that the background indexer inserts.
    const first = chosen[0];
    let firstGraph = null;
    if (first.graph && first.graph.size > 0) {
      first.graph.consolidate(first.marks);
      const oldToNew = new Int32Array(first.count).fill(-1);
      for (let slot = 0, next = 0; slot < first.count; slot++) if (!first.isDeleted(slot)) oldToNew[slot] = next++;
      firstGraph = { graph: first.graph, oldToNew };
    }
    for (const source of chosen) {
      for (let slot = 0; slot < source.count; slot++) {
        if (source.isDeleted(slot)) continue;
        const newSlot = merged.appendFrom(source, slot, source.vectorRow(slot)!);
        this.locations.set(source.keys[slot], merged.id * SLOT_SPAN + newSlot);
      }
    }
    if (firstGraph) merged.graph = firstGraph.graph.remap(firstGraph.oldToNew, first.liveCount, merged.arena);
    // renumbering keeps the slot order, so one LID-ordered segment stays LID-ordered; joined rows break it
    merged.lidOrdered = chosen.length === 1 && first.lidOrdered;
    return this.install(chosen, merged);
  }

  /**
   * The sealed segments an LID-ordered rewrite (optimize() with insertionOrder 'lid') takes: every one
   * with rows, unless they already are a single LID-ordered segment (then there is nothing to reorder
   * and plain compaction keeps its order).
   */
  lidRewriteCandidates(): Segment[] {
    const segments = this.sealedSegments.filter((s) => s.count > 0);
    return segments.length === 0 || (segments.length === 1 && segments[0].lidOrdered) ? [] : segments;
  }

  /**
   * Starts the LID estimate of the live rows of `segments` (see core/index/lid.ts). Their graphs should
   * cover their rows first: rows a graph does not cover are scanned exactly for every estimate.
   */
  lidEstimator(segments: readonly Segment[]): LidEstimator<Segment> {
    for (const s of segments) assert(s.vectors !== null, `lidEstimator: segment ${s.id} needs its float32 rows in memory (restoreVectors)`);
    this.lidEstimate = new LidEstimator(segments, this.kernelMetric);
    return this.lidEstimate;
  }

  /**
   * Rewrites the estimator's segments into one segment whose rows are their live records in descending
   * LID order, with an empty graph: the background indexer builds it in slot order, which is that order
   * (bulk builds see the hardest neighbourhoods first, while the graph is sparse). Rows deleted since
   * the estimate are left out. Synchronous, like compact(); the rows are searched exactly until indexed.
   */
  rewriteInLidOrder(estimator: LidEstimator<Segment>): { replaced: Segment[]; segment: Segment } | null {
    const chosen = [...estimator.sources];
    if (this.lidEstimate === estimator) this.lidEstimate = null;
    assert(estimator.done === estimator.rows, 'rewriteInLidOrder: the LID estimate is not finished');
    for (const s of chosen) assert(s.graph?.building !== true, `rewriteInLidOrder: segment ${s.id} is building its graph`);
    // a reindex may have replaced a segment during the estimate: then the order is left alone
    if (chosen.length === 0 || chosen.some((s) => !this.sealedSegments.includes(s))) return null;
    const live = chosen.reduce((n, s) => n + s.liveCount, 0);
    // Vamana's builds visit rows in a seeded random order unless told to follow the slots. Only this
    // segment's build is: if a reopen finds its graph unfinished, the rest is built in Vamana's default
    // order, which costs the ordering's gain, nothing else.
    const merged = this.newSegment(Math.max(1, live), { buildOrder: 'slots' });
    for (const row of orderByLid(estimator.lid, 'descending')) {
      const source = chosen[estimator.sourceOf[row]];
      const slot = estimator.slotOf[row];
      if (source.isDeleted(slot)) continue;
      // codes are copied (or encoded with the current codebook): the rewritten segment is searched as before
      const newSlot = merged.appendFrom(source, slot, source.vectorRow(slot)!);
      this.locations.set(source.keys[slot], merged.id * SLOT_SPAN + newSlot);
    }
    assert(merged.count === live, `rewriteInLidOrder: ${merged.count} rows written, ${live} live`);
    merged.lidOrdered = true;
    return this.install(chosen, merged);
  }

  /** Swaps `merged` in for the `chosen` sealed segments, at the place of the earliest (if it holds rows). */
  private install(chosen: Segment[], merged: Segment): { replaced: Segment[]; segment: Segment } {
    merged.sealed = true;
    const position = Math.min(...chosen.map((s) => this.sealedSegments.indexOf(s)));
    const chosenSet = new Set(chosen);
    const rest = this.sealedSegments.filter((s) => !chosenSet.has(s));
    rest.splice(Math.min(position, rest.length), 0, merged);
    this.sealedSegments = merged.count > 0 ? rest : rest.filter((s) => s !== merged);
    for (const s of chosen) this.segmentsById.delete(s.id);
    if (merged.count === 0) this.segmentsById.delete(merged.id);
    return { replaced: chosen, segment: merged };
  }

  /** Bytes held in memory, by part, over all segments (stats() divides by the live count). */
  memory(): { vectors: number; codes: number; rerank: number; metadata: number; graph: number; payloadIndexes: number; textIndex: number; tokens: number; segments: number } {
    const out = { vectors: 0, codes: 0, rerank: 0, metadata: 0, graph: 0, payloadIndexes: 0, textIndex: 0, tokens: 0, segments: this.segments.length };
    for (const s of this.segments) {
      const floats = s.vectors?.rowBytes ?? 0;
      // float32 rows a trained segment re-ranks on are its re-rank data; otherwise they are just resident
      if (s.codes !== null && s.index.rerank === 'float32') out.rerank += floats;
      else out.vectors += floats;
      out.codes += s.codes?.rowBytes ?? 0;
      out.rerank += (s.codes?.residualBytes ?? 0) + (s.rerankCodes?.rowBytes ?? 0);
      out.metadata += s.payloadBytes;
      out.graph += s.graph?.memoryBytes ?? 0;
      out.payloadIndexes += s.payload.bytes;
      out.textIndex += s.text?.bytes ?? 0;
      out.tokens += (s.tokens?.residentRows ?? 0) * (s.tokens?.dimension ?? 0) * 4;
    }
    return out;
  }

  // ---- compression: training, codebooks, float32 rows in memory ----

  /** The collection's index has something to train: a quantizer or a reducer. */
  get quantized(): boolean {
    return isCompressed(this.definition.index);
  }

  /**
   * LeanVec-OOD's sample queries (packed, normalised for cosine), held in memory only: from the
   * IndexConfig's reduce.trainQueries or col.optimize({ trainQueries }). Null when none were given since
   * the collection was opened.
   */
  get trainQueries(): Float32Array | null {
    return this.queries;
  }

  setTrainQueries(queries: Float32Array | null): void {
    this.queries = queries;
  }

  private queries: Float32Array | null = null;

  /** The codebook new rows are encoded with (null: untrained, or no quantizer). */
  get codebook(): Codebook | null {
    return this.currentCodebook;
  }

  get drift(): DriftMonitor | null {
    return this.driftMonitor;
  }

  /** A quantized collection past the training threshold that has not trained yet. */
  get wantsTraining(): boolean {
    return this.quantized && this.currentCodebook === null && this.count >= Math.max(TRAINING.threshold, this.minimumTrainingRows);
  }

  get minimumTrainingRows(): number {
    return minimumTrainingRows(this.definition.index, this.definition.dimension);
  }

  /**
   * The rows of a training sample: up to TRAINING.sampleMax live rows, spread evenly over the collection
   * in segment order (deterministic). The db reads their float32 values (memory or segment files).
   */
  trainingRows(max: number = TRAINING.sampleMax): RowRef[] {
    const live: RowRef[] = [];
    const total = this.count;
    const want = Math.min(max, total);
    if (want === 0) return live;
    let seen = 0;
    let next = 0;
    for (const segment of this.segments) {
      for (let slot = 0; slot < segment.count && live.length < want; slot++) {
        if (segment.isDeleted(slot)) continue;
        if (seen++ === Math.floor((next * total) / want)) {
          live.push({ segment, slot });
          next++;
        }
      }
    }
    return live;
  }

  /**
   * Trains a new codebook generation on `rows` vectors packed in `sample` and makes it the one new rows
   * are encoded with: the growing segment is sealed first, so every existing row sits in a sealed segment
   * that staleSegments() then lists for encoding.
   */
  train(sample: Float32Array, rows: number): Codebook {
    const index = this.definition.index;
    // LeanVec-OOD: its queries when the collection has them; without, a re-training keeps the LeanVec-OOD
    // maps it has (queries are not persisted) and a first training fits LeanVec-ID
    const keep = index.reduce?.method === 'leanvec-ood' && this.queries === null && this.currentCodebook?.reducer?.method === 'leanvec-ood' ? this.currentCodebook.reducer : null;
    const codebook = trainCodebook(index, this.definition.dimension, sample, rows, this.generation + 1, {
      metric: this.definition.metric,
      backend: this.context.backend,
      trainQueries: this.queries,
      reducer: keep,
    });
    this.generation = codebook.generation;
    this.freeze();
    this.useCodebook(codebook);
    return codebook;
  }

  private useCodebook(codebook: Codebook): void {
    this.currentCodebook = codebook;
    this.generation = Math.max(this.generation, codebook.generation);
    this.driftMonitor = new DriftMonitor(codebook);
    const growing = this.growingSegment;
    if (growing.codebook !== codebook) growing.installCodes(codebook, growing.encodeWith(codebook));
  }

  /** A segment whose graph or codes do not follow the collection's current index and codebook. */
  isStale(segment: Segment): boolean {
    const index = this.definition.index;
    if (!sameGraph(segment.index, index) || !sameReduce(segment.index, index) || segment.index.quantize !== index.quantize || segment.index.rerank !== index.rerank) return true;
    return this.currentCodebook !== null && segment.codebook !== this.currentCodebook;
  }

  /** Sealed segments to bring up to date (encode with the current codebook, or rebuild for a new index). */
  staleSegments(): Segment[] {
    return this.sealedSegments.filter((s) => this.isStale(s) && s.graph?.building !== true);
  }

  /** Whether a stale segment needs a new graph (its index's graph differs), not just new codes. */
  needsRebuild(segment: Segment): boolean {
    return !sameGraph(segment.index, this.definition.index);
  }

  /**
   * Installs codes encoded (segment.encodeWith) for a sealed segment with the current codebook. False
   * when the work is moot: the segment was replaced meanwhile, or another training made a newer codebook.
   */
  installCodes(segment: Segment, codebook: Codebook, codes: ReturnType<Segment['encodeWith']>, rows?: Float32Array): boolean {
    if (this.segmentsById.get(segment.id) !== segment || codebook !== this.currentCodebook || codes.codes.count !== segment.count) return false;
    // float32 re-ranking needs the rows in memory again
    if (this.definition.index.rerank === 'float32' && segment.vectors === null) segment.restoreVectors(rows);
    segment.installCodes(codebook, codes);
    segment.index = this.definition.index;
    // the file no longer matches: it is written again at the next checkpoint
    segment.persisted = false;
    return true;
  }

  /**
   * Goes back to float32 rows for a stale segment while the collection has no codebook (its index lost
   * the quantizer, or has one not trained yet). `rows` are the packed rows when not in memory.
   */
  dropCodes(segment: Segment, rows?: Float32Array): boolean {
    if (this.segmentsById.get(segment.id) !== segment || this.currentCodebook !== null || this.needsRebuild(segment)) return false;
    segment.dropCodes(rows);
    segment.index = this.definition.index;
    segment.persisted = false;
    return true;
  }

  /**
   * A replacement for a segment whose graph follows another index (reindex): the same rows in the same
   * slots (deleted ones too, so slots and marks carry over), encoded with the current codebook, and an
   * empty graph of the collection's index for the caller to build (graph.insertUpTo, in slices).
   * Nothing changes until installRebuild.
   */
  startRebuild(segment: Segment, rows: Float32Array): Segment {
    const shadow = this.newSegment(Math.max(1, segment.count), { register: false, maximumRowBytes: 0, buildOrder: segment.lidOrdered ? 'slots' : undefined });
    const d = this.definition.dimension;
    for (let slot = 0; slot < segment.count; slot++) shadow.appendFrom(segment, slot, rows.subarray(slot * d, (slot + 1) * d));
    shadow.lidOrdered = segment.lidOrdered;
    return shadow;
  }

  /**
   * Swaps a built replacement in for `segment`: its deletion marks as they are now, and the keys still
   * living there. False when the work is moot (the segment was replaced, or the index changed again).
   */
  installRebuild(segment: Segment, shadow: Segment): boolean {
    const at = this.sealedSegments.indexOf(segment);
    if (at < 0 || this.segmentsById.get(segment.id) !== segment || shadow.index !== this.definition.index) return false;
    for (let slot = 0; slot < segment.count; slot++) {
      if (segment.isDeleted(slot)) shadow.markDeleted(slot);
      else this.locations.set(segment.keys[slot], shadow.id * SLOT_SPAN + slot);
    }
    shadow.sealed = true;
    this.sealedSegments[at] = shadow;
    this.segmentsById.delete(segment.id);
    this.segmentsById.set(shadow.id, shadow);
    return true;
  }

  /**
   * Changes the collection's index (reindex). New rows follow it at once (the growing segment is sealed
   * first); existing segments become stale and keep serving queries with their old graph and codes
   * until the db converts them (staleSegments). A new quantizer starts untrained.
   */
  changeIndex(index: IndexConfig): void {
    this.freeze();
    this.currentDefinition = { ...this.definition, index };
    this.currentFactory = factoryOf(index);
    // sample queries train LeanVec-OOD only
    if (index.reduce?.method !== 'leanvec-ood') this.queries = null;
    // a codebook of the same quantizers serves the new index as it is (only the re-rank or graph changed)
    if (this.currentCodebook !== null && !codebookFits(this.currentCodebook, index, this.definition.dimension)) {
      this.currentCodebook = null;
      this.driftMonitor = null;
    }
    // the empty growing segment was made for the old index
    this.segmentsById.delete(this.growingSegment.id);
    this.growingSegment = this.newSegment(64);
  }

  /**
   * Whether a sealed segment's float32 rows can leave memory: a store keeps them in the segment's file,
   * codes serve its searches, they are not its re-rank data, and no graph build needs them any more.
   */
  canReleaseVectors(segment: Segment): boolean {
    return (
      this.context.vectorsOnDisk === true &&
      segment.sealed &&
      segment.vectors !== null &&
      segment.file !== null &&
      segment.codes !== null &&
      segment.index.rerank !== 'float32' &&
      !this.isStale(segment) &&
      // an LID estimate reads them as its queries
      !(this.lidEstimate?.sources.includes(segment) ?? false) &&
      (segment.graph === null || (segment.graph.size === segment.count && segment.graph.building !== true))
    );
  }

  /** Releases every float32 row set canReleaseVectors allows; returns how many segments did. */
  releaseVectors(): number {
    let released = 0;
    for (const segment of this.sealedSegments) {
      if (!this.canReleaseVectors(segment)) continue;
      segment.releaseVectors();
      released++;
    }
    return released;
  }

  /** Shared memory with a lane per build thread for graph segments (HNSW, Vamana) when parallel builds are on. */
  private arenaOptions(index: IndexConfig = this.definition.index): ArenaOptions | undefined {
    const threads = this.context.buildThreads ?? 1;
    if (threads <= 1 || index.type === 'flat' || this.context.backend.sharedMemory !== true) return undefined;
    return { shared: true, lanes: threads };
  }

  private newSegment(initialCapacity: number, options: { buildOrder?: GraphConfig['buildOrder']; register?: boolean; maximumRowBytes?: number } = {}): Segment {
    const { buildOrder, register = true, maximumRowBytes = this.context.segmentBytesMax } = options;
    const id = this.context.nextSegmentId();
    const index = this.definition.index;
    const segment = new Segment(this.context.backend, id, this.definition.dimension, initialCapacity, maximumRowBytes, index, {
      arena: this.arenaOptions(),
      codebook: this.currentCodebook,
      tokenDimension: this.definition.multivector?.dimension,
    });
    for (const field of this.indexedFields) segment.payload.ensure(field, segment.metadata);
    segment.text = new TextIndex(this.analyzer);
    if (this.graphFactory) segment.graph = this.graphFactory.create(segment.arena, this.kernelMetric, { ...graphConfigOf(index, id), buildOrder });
    if (register) this.segmentsById.set(id, segment);
    return segment;
  }

  private resolve(location: number): { segment: Segment; slot: number } {
    const segment = this.segmentsById.get(Math.floor(location / SLOT_SPAN));
    assert(segment !== undefined, `location ${location} names a segment the collection does not hold`);
    return { segment, slot: location % SLOT_SPAN };
  }

  private markDeleted(location: number): void {
    const { segment, slot } = this.resolve(location);
    segment.markDeleted(slot);
  }

  // ---- filters, keyword and hybrid queries (the planner: planner.ts) ----

  /** Answers a query that has a filter, text, or an explicit mode; with `explain`, also how. */
  search(request: SearchRequest, explain: boolean): { hits: Hit[]; plan?: EnginePlan } {
    return runSearch(this, request, explain);
  }

  /** Makes sure every field the filter reads has a payload index (created on first use, within the limit). */
  prepareFilter(node: FilterNode): PreparedFilter {
    for (const field of filterFields(node)) {
      if (this.indexedFields.has(field) || this.indexedFields.size >= LIMITS.payloadIndexesMax) continue;
      this.indexedFields.add(field);
      (this.definition.autoIndexes ??= []).push(field);
      for (const segment of this.segments) segment.payload.ensure(field, segment.metadata);
      if (this.growingSegment.count === 0) this.growingSegment.payload.ensure(field, this.growingSegment.metadata);
    }
    return { node, key: filterKey(node) };
  }

  /** The segment's slots matching the filter (deleted slots included: mask them with deletedBits). */
  matching(segment: Segment, filter: PreparedFilter): Bitset {
    const cache = segment.filterCache;
    const cached = cache.get(filter.key);
    if (cached !== undefined && cached.rows === segment.count) {
      cache.delete(filter.key);
      cache.set(filter.key, cached);
      return cached.matching;
    }
    const matching = compile(filter.node, segment, segment.count);
    if (cache.size >= FILTER_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(filter.key, { rows: segment.count, matching });
    return matching;
  }

  /** The payload indexes' estimate of the segment's live rows matching the filter (deletions assumed independent of it). */
  estimateMatches(segment: Segment, filter: PreparedFilter): number {
    if (segment.count === 0) return 0;
    return (estimate(filter.node, segment.payload, segment.count) * segment.liveCount) / segment.count;
  }

  /** Live records matching the filter. */
  countMatching(node: FilterNode): number {
    const filter = this.prepareFilter(node);
    let n = 0;
    for (const segment of this.segments) n += this.matching(segment, filter).countAndNot(segment.deletedBits);
    return n;
  }

  /** Keys of the live records matching the filter, in storage order. */
  keysMatching(node: FilterNode): string[] {
    const filter = this.prepareFilter(node);
    const keys: string[] = [];
    for (const segment of this.segments) {
      const live = this.matching(segment, filter).clone().andNot(segment.deletedBits);
      live.forEach((slot) => keys.push(segment.keys[slot]));
    }
    return keys;
  }

  /** The fields with payload indexes: declared first, then those created for filters. */
  get payloadIndexFields(): string[] {
    return [...this.indexedFields];
  }

  /** Higher-is-better score of a kernel distance. */
  scoreOf(kernelDistance: number): number {
    return toScore(this.definition.metric, kernelDistance).score;
  }

  /** A hit for a slot: scored from its kernel distance, or given `score` (keyword, fused) and no distance. */
  hit(segment: Segment, slot: number, kernelDistance: number | null, include: ReadonlySet<IncludeField>, fusedScore?: number): Hit {
    let hit: Hit;
    if (kernelDistance === null) {
      hit = { key: segment.keys[slot], score: fusedScore ?? 0 };
    } else {
      const { score, distance } = toScore(this.definition.metric, kernelDistance);
      hit = { key: segment.keys[slot], score, distance };
    }
    if (include.has('metadata') && segment.metadata[slot] !== undefined) hit.metadata = structuredClone(segment.metadata[slot]);
    if (include.has('document') && segment.documents[slot] !== undefined) hit.document = segment.documents[slot];
    if (include.has('vector')) {
      // without float32 rows in memory the db reads the vector from the segment file
      const vector = segment.vectorRow(slot);
      if (vector !== null) hit.vector = vector;
    }
    return hit;
  }
}

function factoryOf(index: IndexConfig): GraphFactory | null {
  return index.type === 'hnsw' ? hnswFactory : index.type === 'vamana' ? vamanaFactory : null;
}

/** Whether two configs reduce the same way (the same method and reduced dimension, or no reducer). */
function sameReduce(a: IndexConfig, b: IndexConfig): boolean {
  return a.reduce?.method === b.reduce?.method && a.reduce?.dimension === b.reduce?.dimension;
}

/** Whether two configs make the same graph (the same kind and parameters). */
export function sameGraph(a: IndexConfig, b: IndexConfig): boolean {
  return a.type === b.type && a.connectivity === b.connectivity && a.expansionAdd === b.expansionAdd && a.graphDegree === b.graphDegree && a.buildWindowSize === b.buildWindowSize && a.alpha === b.alpha;
}

/** The API's two views of a kernel distance: score higher-is-better, distance lower-is-better. */
export function toScore(metric: Metric, kernelDistance: number): { score: number; distance: number } {
  if (metric === 'cosine') return { score: -kernelDistance, distance: 1 + kernelDistance };
  return { score: -kernelDistance, distance: kernelDistance };
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new QuiverError('INVALID_ARGUMENT', `k is a whole number of at least 1; got ${String(k)}.`, { field: 'k', received: String(k) });
  }
  if (k > LIMITS.kMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `k is ${k}; the limit is ${LIMITS.kMax}. Page with scan() to read more records.`, { limit: 'kMax', received: k, maximum: LIMITS.kMax });
  }
  return k;
}
