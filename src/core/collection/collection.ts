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
import { GRAPH_DEFAULTS, graphConfigOf } from './index-config.js';
import { type IndexConfig, printRecipe } from './recipe.js';
import type { Metadata, Metric, StoredRecord } from './records.js';
import type { ArenaOptions } from '../vectors/arena.js';
import { type EnginePlan, type SearchRequest, runSearch } from './planner.js';
import { Segment, type SegmentContents } from './segment.js';

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
  readonly definition: CollectionDefinition;
  readonly kernelMetric: KernelMetric;
  private readonly context: EngineContext;
  private readonly flat: VectorIndex = new FlatIndex();
  /** Null for exact ('flat') collections. */
  readonly graphFactory: GraphFactory | null;
  /** Sealed segments in creation order, then the growing one last. */
  private sealedSegments: Segment[] = [];
  private growingSegment: Segment;
  private readonly segmentsById = new Map<number, Segment>();
  private readonly locations = new Map<string, number>();
  /** Fields with a payload index in every segment: declared ones, then those filters asked for. */
  private readonly indexedFields = new Set<string>();
  /** Tokenizer, stop words and stemming of the BM25 indexes. */
  readonly analyzer: Analyzer;

  constructor(definition: CollectionDefinition, context: EngineContext) {
    this.definition = definition;
    this.context = context;
    this.kernelMetric = definition.metric === 'l2' ? 'l2' : 'dot';
    this.graphFactory = definition.index.type === 'hnsw' ? hnswFactory : definition.index.type === 'vamana' ? vamanaFactory : null;
    this.analyzer = new Analyzer(definition.text ?? DEFAULT_TEXT_OPTIONS);
    for (const field of Object.keys(definition.payloadIndexes ?? {})) this.indexedFields.add(field);
    for (const field of definition.autoIndexes ?? []) this.indexedFields.add(field);
    this.growingSegment = this.newSegment(64);
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
      const slot = this.growingSegment.append(record.key, record.vector, record.metadata, record.document);
      this.locations.set(record.key, this.growingSegment.id * SLOT_SPAN + slot);
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

  get(key: string): StoredRecord | null {
    const location = this.locations.get(key);
    if (location === undefined) return null;
    const { segment, slot } = this.resolve(location);
    const record: StoredRecord = { key, vector: segment.arena.row(slot) };
    const metadata = segment.metadata[slot];
    const document = segment.documents[slot];
    if (metadata !== undefined) record.metadata = structuredClone(metadata);
    if (document !== undefined) record.document = document;
    return record;
  }

  keys(): string[] {
    return [...this.locations.keys()];
  }

  query(request: EngineQuery): Hit[] {
    const segments = this.segments;
    const k = Math.min(request.k, this.count);
    const top = new TopK(k);
    const ef = this.effectiveEf(request.search.ef);
    segments.forEach((segment, ordinal) => {
      const base = ordinal * SLOT_SPAN;
      const graph = segment.graph;
      if (!graph || graph.size === 0) {
        this.flat.search(segment, this.kernelMetric, request.vector, top, base, request.search);
        return;
      }
      segment.arena.setQuery(request.vector);
      graph.search(segment.marks, top, base, ef);
      // rows the graph does not cover yet are searchable at once: scanned exactly
      scanRange(segment.arena, segment.marks, this.kernelMetric, top, base, graph.size, segment.count);
    });
    const { distances, ids } = top.drain();
    const hits: Hit[] = [];
    for (let i = 0; i < ids.length; i++) {
      const segment = segments[Math.floor(ids[i] / SLOT_SPAN)];
      const slot = ids[i] % SLOT_SPAN;
      const hit = this.hit(segment, slot, distances[i], request.include);
      if (request.minScore !== undefined && hit.score < request.minScore) break;
      hits.push(hit);
    }
    return hits;
  }

  /** The beam width a graph search uses: the request's, else the index's default, never below k. */
  effectiveEf(requested: number | undefined): number {
    return requested ?? (this.definition.index.type === 'vamana' ? GRAPH_DEFAULTS.vamana.ef : GRAPH_DEFAULTS.hnsw.ef);
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

  /** Recovery: rebuilds a sealed segment from its file's contents (graph included) and installs it. */
  restoreSegment(contents: SegmentContents, deletedSlots: Uint32Array, file: string): void {
    const { id, keys } = contents;
    const segment = new Segment(this.context.backend, id, this.definition.dimension, keys.length, 0, this.arenaOptions());
    segment.load(keys, contents.vectors, contents.metadata, contents.documents);
    // indexes come from the file when it has them (version 2), else they are rebuilt from the records
    if (contents.payloadIndex) segment.payload = decodePayloadIndex(contents.payloadIndex, keys.length, file);
    for (const field of this.indexedFields) segment.payload.ensure(field, segment.metadata);
    if (contents.textIndex && textIndexSignature(contents.textIndex, file) === this.analyzer.signature) {
      segment.text = decodeTextIndex(contents.textIndex, keys.length, this.analyzer, file);
    } else {
      segment.text = new TextIndex(this.analyzer);
      for (let slot = 0; slot < keys.length; slot++) segment.text.add(slot, contents.documents[slot]);
    }
    if (this.graphFactory) {
      const config = graphConfigOf(this.definition.index, id);
      if (contents.graph && contents.graph.kind !== this.definition.index.type) {
        throw new QuiverError('CORRUPTED', `${file} holds a ${contents.graph.kind} graph but collection "${this.name}" uses ${this.definition.index.type}.`, { file });
      }
      segment.graph = contents.graph
        ? this.graphFactory.decode(contents.graph.bytes, file, segment.arena, this.kernelMetric, config)
        : this.graphFactory.create(segment.arena, this.kernelMetric, config);
      if (segment.graph.size > keys.length) throw new QuiverError('CORRUPTED', `${file}: its graph covers ${segment.graph.size} rows of ${keys.length}.`, { file });
      segment.graphPersistedSize = segment.graph.size;
    }
    this.adoptSealed(segment, deletedSlots);
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
   * and swaps it in. Synchronous, so no write can interleave. Returns the new segment, or null.
   */
  compact(pick: (segments: readonly Segment[]) => Segment[]): { replaced: Segment[]; segment: Segment } | null {
    // a segment whose graph a parallel build is still writing is not compacted until it is done
    const picked = pick(this.sealedSegments.filter((s) => s.graph?.building !== true));
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
        const key = source.keys[slot];
        const newSlot = merged.append(key, source.arena.row(slot), source.metadata[slot], source.documents[slot]);
        this.locations.set(key, merged.id * SLOT_SPAN + newSlot);
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
    return new LidEstimator(segments, this.kernelMetric);
  }

  /**
   * Rewrites the estimator's segments into one segment whose rows are their live records in descending
   * LID order, with an empty graph: the background indexer builds it in slot order, which is that order
   * (bulk builds see the hardest neighbourhoods first, while the graph is sparse). Rows deleted since
   * the estimate are left out. Synchronous, like compact(); the rows are searched exactly until indexed.
   */
  rewriteInLidOrder(estimator: LidEstimator<Segment>): { replaced: Segment[]; segment: Segment } | null {
    const chosen = [...estimator.sources];
    assert(estimator.done === estimator.rows, 'rewriteInLidOrder: the LID estimate is not finished');
    for (const s of chosen) assert(this.sealedSegments.includes(s) && s.graph?.building !== true, `rewriteInLidOrder: segment ${s.id} changed during the estimate`);
    if (chosen.length === 0) return null;
    const live = chosen.reduce((n, s) => n + s.liveCount, 0);
    // Vamana's builds visit rows in a seeded random order unless told to follow the slots. Only this
    // segment's build is: if a reopen finds its graph unfinished, the rest is built in Vamana's default
    // order, which costs the ordering's gain, nothing else.
    const merged = this.newSegment(Math.max(1, live), 'slots');
    for (const row of orderByLid(estimator.lid, 'descending')) {
      const source = chosen[estimator.sourceOf[row]];
      const slot = estimator.slotOf[row];
      if (source.isDeleted(slot)) continue;
      const key = source.keys[slot];
      const newSlot = merged.append(key, source.arena.row(slot), source.metadata[slot], source.documents[slot]);
      this.locations.set(key, merged.id * SLOT_SPAN + newSlot);
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

  /** Bytes per live vector by part, as stats() reports them. */
  memory(): { vectors: number; metadata: number; graph: number; payloadIndexes: number; textIndex: number; segments: number } {
    let vectorBytes = 0;
    let payloadBytes = 0;
    let graphBytes = 0;
    let payloadIndexBytes = 0;
    let textBytes = 0;
    for (const s of this.segments) {
      vectorBytes += s.arena.rowBytes;
      payloadBytes += s.payloadBytes;
      graphBytes += s.graph?.memoryBytes ?? 0;
      payloadIndexBytes += s.payload.bytes;
      textBytes += s.text?.bytes ?? 0;
    }
    return { vectors: vectorBytes, metadata: payloadBytes, graph: graphBytes, payloadIndexes: payloadIndexBytes, textIndex: textBytes, segments: this.segments.length };
  }

  /** Shared memory with a lane per build thread for graph segments (HNSW, Vamana) when parallel builds are on. */
  private arenaOptions(): ArenaOptions | undefined {
    const threads = this.context.buildThreads ?? 1;
    if (threads <= 1 || this.definition.index.type === 'flat' || this.context.backend.sharedMemory !== true) return undefined;
    return { shared: true, lanes: threads };
  }

  private newSegment(initialCapacity: number, buildOrder?: GraphConfig['buildOrder']): Segment {
    const id = this.context.nextSegmentId();
    const segment = new Segment(this.context.backend, id, this.definition.dimension, initialCapacity, this.context.segmentBytesMax, this.arenaOptions());
    for (const field of this.indexedFields) segment.payload.ensure(field, segment.metadata);
    segment.text = new TextIndex(this.analyzer);
    if (this.graphFactory) segment.graph = this.graphFactory.create(segment.arena, this.kernelMetric, { ...graphConfigOf(this.definition.index, id), buildOrder });
    this.segmentsById.set(id, segment);
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
    if (include.has('vector')) hit.vector = segment.arena.row(slot);
    return hit;
  }
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
