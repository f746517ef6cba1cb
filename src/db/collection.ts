/**
 * A collection handle: the public record and query API of api.md. It holds only a name, so a handle
 * made before the collection exists (or after it is dropped) fails at use with COLLECTION_NOT_FOUND.
 * Every method validates its whole input before touching the collection.
 */
import { type CollectionDefinition, type CollectionEngine, type Hit, type IncludeField, TRAINING, checkK } from '../core/collection/collection.js';
import { DRIFT } from '../core/collection/drift.js';
import {
  type Metadata,
  type RecordInput as VectorRecordInput,
  type StoredRecord,
  type UpdateInput,
  checkBatch,
  checkDocument,
  checkKey,
  checkMetadata,
  describe,
  isPlainObject,
  toStoredVector,
  utf8Bytes,
} from '../core/collection/records.js';
import { checkIndexForDimension, indexTrainQueries, resolveIndexConfig } from '../core/collection/index-config.js';
import { type IndexConfig, printRecipe } from '../core/collection/recipe.js';
import { type MapResult, mapCollection } from '../core/collection/map.js';
import type { SegmentPlan } from '../core/collection/planner.js';
import { QuiverError } from '../core/errors.js';
import type { FilterNode } from '../core/filter/ast.js';
import { matches } from '../core/filter/evaluate.js';
import { parseFilter } from '../core/filter/parse.js';
import { LIMITS } from '../core/lib/limits.js';
import { type Fusion, defaultFusion } from '../core/text/fusion.js';
import type { EmbeddingConfig } from '../embed/types.js';
import type { Quiver } from './database.js';
import { yieldToEventLoop } from './yield.js';
import type { MultivectorSetting } from '../core/multivector/config.js';
import { DEFAULT_RERANK_CANDIDATES, publicRecord, readTokenSets, rerankByMaxSim, runtimeOf, toTokenSet } from './multivector.js';
import { CHUNKS_PER_HIT_MAX, DEFAULT_CHUNKS_PER_HIT, type DocumentHit, chunksOf, documentChunks, groupByDocument } from './documents.js';

/**
 * A record to upsert: the vector may be left out when the collection embeds the document itself. Records
 * of a multi-vector collection carry `vectors` (a set of token vectors) instead of `vector`.
 */
export type RecordInput = Omit<VectorRecordInput, 'vector'> & { vector?: VectorRecordInput['vector']; vectors?: (Float32Array | number[])[] };

export interface QueryRequest {
  /** The query vector; optional when `text` is given (keyword search, or embedded: see `text`). */
  vector?: Float32Array | number[];
  /** Multi-vector collections: the query's set of token vectors, scored by MaxSim. */
  multivector?: (Float32Array | number[])[];
  /**
   * Keyword text: BM25 over the documents; with a vector too, hybrid search. In a collection with an
   * embedding function, text without a vector is embedded and the search is hybrid (unless `mode`).
   */
  text?: string;
  k?: number;
  filter?: unknown;
  include?: IncludeField[];
  /** ef: the graph's beam width; candidates (multi-vector collections): how many are re-ranked by MaxSim. */
  search?: { ef?: number; candidates?: number };
  minScore?: number;
  signal?: AbortSignal;
  consistency?: 'eventual' | 'read-your-writes';
  /** read-your-writes in a cluster: the write token to wait for; a single node always reads its writes. */
  sequence?: string;
  /** Default: 'hybrid' with both vector and text, 'keyword' with text only, else 'vector'. */
  mode?: 'vector' | 'keyword' | 'hybrid';
  /** How hybrid queries combine the rankings (default: 'rrf'; weighted 0.13 vector / 0.87 keyword in collections embedded by the built-in model; docs/text.md). */
  fusion?: 'rrf' | { weights: { vector: number; keyword: number } };
  /** Chunked collections: false returns the chunk records themselves instead of one hit per document. */
  group?: boolean;
  /** Chunked collections: best chunks per document hit (default 3, 0 for none). */
  chunks?: number;
}

export interface QueryPlan {
  strategy: 'exact' | 'graph' | 'filtered-graph' | 'keyword' | 'hybrid';
  segments: number;
  /**
   * Rows scored one by one rather than through a graph: all of them for 'exact'; for 'graph', rows not
   * yet in a graph; matching rows scanned for filters. In a quantized collection they are scored on
   * their codes, then re-ranked.
   */
  scanned: number;
  /** Beam width used by graph searches. */
  ef?: number;
  /** With a filter: live records matching it (exact, counted on the compiled filter). */
  matches?: number;
  /** With a filter: the payload indexes' estimate of the matching records, before compiling the filter. */
  estimatedMatches?: number;
  /** Keyword and hybrid queries: the query's terms after analysis. */
  terms?: string[];
  /** Hybrid queries: how the rankings were fused. */
  fusion?: QueryRequest['fusion'];
  /** Filtered, keyword and hybrid queries: what each segment did. */
  perSegment?: SegmentPlan[];
  /** True when some scores are code distances (a quantized index with no re-rank data). */
  scoresAreEstimates: boolean;
  /** Collections with a reducer: the recipe token of the reducer whose reduced rows the graph traversed ('PCA192'). */
  reducer?: string;
  /** Quantized collections: the quantizer of the codes searched (rows before training are float32); 'none' for reduced float32 rows. */
  quantizer?: string;
  /** ... what candidates are re-ranked on ('float32', 'lvq8': LVQ-8 rows or a two-level LVQ's second level, 'none'). */
  rerank?: string;
  /** ... candidates taken from the codes over all segments (a graph's beam, or FLAT_RERANK_PER_K · k for exact scans). */
  candidates?: number;
  /** ... of which re-scored on the re-rank data. */
  reranked?: number;
  kernel: string;
  index: string;
  /** Chunked collections: chunk hits searched to find the documents. */
  chunksSearched?: number;
  /** Multi-vector collections: the MUVERA first stage and the exact MaxSim re-rank. */
  multivector?: {
    /** Dimensions of the encodings the index searched. */
    encodingDimension: number;
    /** Query vectors scored. */
    queryVectors: number;
    /** Candidates asked of the index (search.candidates, at least k). */
    candidates: number;
    /** Candidates re-ranked by exact MaxSim (fewer when the collection holds fewer records). */
    reranked: number;
    /** Bytes of token vectors read from token files for this query (0: all from memory or the cache). */
    tokenBytesRead: number;
    /** Candidates whose token vectors came from the read cache. */
    cacheHits: number;
  };
}

export interface CollectionStats {
  name: string;
  count: number;
  dimension: number;
  metric: string;
  index: string;
  segments: number;
  deletedRecords: number;
  /** Rows stored but not yet in a graph (indexed in the background; scanned exactly meanwhile). */
  unindexed: number;
  /**
   * Bytes held in memory per live vector, by part: `vectors` float32 rows that are not re-rank data
   * (unquantized collections, rows before training, segments not yet written or still being indexed, and
   * every row of an in-memory database, which has no files to keep them in); `codes` the traversal codes;
   * `graph` the graph's links and scratch; `rerank` what candidates are re-ranked on (float32 rows, a
   * two-level LVQ's second level, LVQ-8 rows); `metadata` keys, metadata JSON and documents;
   * payloadIndexes and textIndex: the filter and BM25 indexes in memory (extensions of api.md's list).
   */
  bytesPerVector: { vectors: number; codes: number; graph: number; rerank: number; metadata: number; payloadIndexes: number; textIndex: number; total: number };
  /** Fields with a payload index: declared with payloadIndexes, then those created for filters. */
  payloadIndexes: string[];
  /** Recall@10 of a sample of live approximate queries re-run exactly in the background; null until the first is checked (and for exact collections). */
  estimatedRecall: { recallAt10: number; sampleSize: number } | null;
  /** Segments still following an older index or codebook: the background is converting them. */
  staleSegments: number;
  /** Quantized collections: the quantizer, whether it is trained, and the drift measure; null otherwise. */
  compression: {
    quantizer: string;
    rerank: string;
    trained: boolean;
    /** Trainings so far (a re-training makes a new generation). */
    generation: number;
    /** Vectors the current codebook was trained on. */
    trainingRows: number;
    /** The collection trains by itself once it holds this many vectors. */
    trainingThreshold: number;
    /** Mean reconstruction error of recent inserts over the training sample's; null until measured. */
    driftRatio: number | null;
    /** driftRatio above this re-trains in the background. */
    driftThreshold: number;
    /** Collections with a reducer (docs/reduction.md, "In collections"). */
    reducer?: {
      /** The index's reducer: 'pca', 'leanvec', 'leanvec-ood', 'fft' or 'matryoshka'. */
      method: string;
      dimension: number;
      /** The method the trained maps are: 'leanvec' for LeanVec-OOD trained without queries; null before training. */
      fitted: string | null;
      /** The share of the training sample's energy (variance for PCA) the map keeps; null when not measured. */
      retained: number | null;
      /** Training queries the maps were fitted with (LeanVec-OOD), else 0. */
      trainQueries: number;
      /** Training queries held in memory for the next (re-)training (they are not persisted). */
      queriesHeld: number;
    };
  } | null;
  kernel: string;
  /** Threads graph builds use (Quiver.open's buildThreads, or 1 where builds cannot run in parallel). */
  buildThreads: number;
  storage: { durability: string; persistent: boolean; walBytes: number; checkpoints: number };
  /** The embedding function: api.md's EmbeddingConfig (no secrets in it), the model's name and dimension. */
  embedding?: EmbeddingInfo;
  /** How documents are chunked before they are embedded. */
  chunking?: { by: 'tokens' | 'sentences'; size: number; overlap: number };
  /** Multi-vector collections (the top-level dimension is the token vectors'; bytesPerVector is per record). */
  multivector?: MultivectorStats;
}

export interface MultivectorStats {
  /** Token vector dimension. */
  dimension: number;
  /** Dimensions of the MUVERA encodings the index holds. */
  encodingDimension: number;
  muvera: MultivectorSetting['muvera'];
  pooling: number;
  /** Token vectors received in live records, before pooling. */
  vectorsReceived: number;
  /** Token vectors stored (after pooling) in live records. */
  vectorsStored: number;
  /** Bytes pooling saved: (received - stored) x dimension x 4. */
  bytesSavedByPooling: number;
  /** Token vector bytes of live records (stored in token files; in memory until written). */
  tokenBytes: number;
  /** Of which held in memory now. */
  tokenBytesInMemory: number;
  /** Token bytes read from token files since open, and what the read cache holds. */
  tokenBytesRead: number;
  tokenCacheBytes: number;
}

export interface EmbeddingInfo {
  config: EmbeddingConfig;
  model: string;
  dimension: number;
}

export interface MapRequest {
  /** Neighbours per point in the k-NN graph the layout is computed from; default 15, at most LIMITS.mapNeighborsMax. */
  k?: number;
  /** Points at most: larger collections are sampled (seeded, uniform); default and maximum LIMITS.mapPointsMax. */
  sample?: number;
  /** Seed of the sample, the graph and the layout: the same seed over the same records gives the same map. */
  seed?: number;
  /** SGD epochs; by default chosen from the graph's size (docs/console.md). */
  epochs?: number;
  /** ['metadata'] returns each point's metadata (for colouring). */
  include?: 'metadata'[];
  /** Clusters to find (k-means on the vectors) and label with their documents' distinctive terms; default none. */
  topics?: number;
  signal?: AbortSignal;
}

export type { MapResult };

export interface WriteResult {
  count: number;
  sequence: string;
}

const INCLUDE_FIELDS = new Set<IncludeField>(['metadata', 'document', 'vector']);
const DEFAULT_K = 10;
/** A grouped query searches this many times k chunks at first, and this many times more while short. */
const CHUNK_OVERSAMPLING = 4;
const MAP_DEFAULT_K = 15;
const MAP_DEFAULT_SEED = 1;
/** A map job computes for about this long before it hands the event loop back. */
const MAP_SLICE_MS = 20;

export class Collection {
  readonly name: string;
  private readonly db: Quiver;

  constructor(db: Quiver, name: string) {
    this.db = db;
    this.name = name;
  }

  /**
   * Inserts or replaces whole records; the batch is atomic. Later duplicates of a key in one batch win.
   * In a collection with an embedding function, records with a document and no vector are embedded
   * first (a record with both keeps its vector); with chunking, such a document is stored as chunks.
   */
  async upsert(records: RecordInput[]): Promise<WriteResult> {
    const engine = this.db.engine(this.name);
    checkBatch(records, 'upsert');
    const { dimension, metric, embedding, chunking } = engine.definition;
    const last = new Map<string, number>();
    const toEmbed: { text: string; record: StoredRecord; where: Record<string, unknown> }[] = [];
    /** The records to write, with the index of the input record each comes from. */
    const stored: { record: StoredRecord; index: number }[] = [];
    records.forEach((record, index) => {
      if (!isPlainObject(record)) throw new QuiverError('INVALID_ARGUMENT', `Record ${index} is ${describe(record)}; records are objects { key, vector, document?, metadata? }.`, { index });
      const where = { index, key: record.key };
      checkKey(record.key, where);
      rejectUnknown(record, ['key', 'vector', 'vectors', 'document', 'metadata'], where);
      const metadata = checkMetadata(record.metadata, where);
      const document = checkDocument(record.document, where);
      last.set(record.key, index);
      if (engine.definition.multivector !== undefined || record.vectors !== undefined) {
        stored.push({ record: this.multivectorRecord(engine, record, where, metadata, document), index });
        return;
      }
      if (record.vector === undefined && document !== undefined && embedding !== undefined) {
        const parts = chunking === undefined ? [{ key: record.key, document, metadata }] : documentChunks(record.key, document, metadata, chunking, where);
        for (const part of parts) {
          // the vector comes from the embedder below, before anything is written
          const out = { key: part.key, document: part.document } as StoredRecord;
          const partMetadata = checkMetadata(part.metadata, where);
          if (partMetadata !== undefined) out.metadata = partMetadata;
          toEmbed.push({ text: part.document, record: out, where });
          stored.push({ record: out, index });
        }
        return;
      }
      if (record.vector === undefined && embedding !== undefined) {
        throw new QuiverError('INVALID_VECTOR', `Record ${index} (key ${JSON.stringify(record.key)}) has neither a vector nor a document: give a document for the collection's model to embed, or a vector.`, { ...where, field: 'vector' });
      }
      if (record.vector === undefined && embedding === undefined && document !== undefined) {
        throw new QuiverError('INVALID_VECTOR', `Record ${index} (key ${JSON.stringify(record.key)}) has a document but no vector, and collection "${this.name}" has no embedding function to embed it: give the vector, or create the collection with { embedding: 'builtin' }.`, { ...where, field: 'vector' });
      }
      const out: StoredRecord = { key: record.key, vector: toStoredVector(record.vector, dimension, metric, where) };
      if (metadata !== undefined) out.metadata = metadata;
      if (document !== undefined) out.document = document;
      stored.push({ record: out, index });
    });
    if (toEmbed.length > 0) {
      const embedder = await this.db.embedderOf(engine);
      const vectors = await embedder.embed(toEmbed.map((t) => t.text));
      toEmbed.forEach(({ record, where }, i) => {
        record.vector = toStoredVector(vectors[i], dimension, metric, where);
      });
      if (this.db.engine(this.name) !== engine) throw new QuiverError('COLLECTION_NOT_FOUND', `Collection "${this.name}" was dropped while its documents were embedded.`, { collection: this.name });
    }
    // in a chunked collection a key's earlier duplicates in the batch would leave their extra chunks
    const written = (chunking === undefined ? stored : stored.filter(({ index }) => last.get(records[index].key) === index)).map(({ record }) => record);
    if (chunking === undefined) return { count: records.length, sequence: await this.db.writeUpsert(engine, written) };
    // the chunks a document's previous version had beyond its new ones, and a plain record it replaces
    const fresh = new Set(written.map((r) => r.key));
    const get = (key: string) => engine.get(key);
    const stale: string[] = [];
    for (const key of last.keys()) {
      for (const chunk of chunksOf(key, get)) if (!fresh.has(chunk)) stale.push(chunk);
      if (!fresh.has(key) && engine.get(key) !== null) stale.push(key);
    }
    // both are applied in this turn of the event loop, so no other write comes between them
    const upserted = this.db.writeUpsert(engine, written);
    const deleted = stale.length > 0 ? this.db.writeDelete(engine, stale) : null;
    const sequence = await upserted;
    return { count: records.length, sequence: deleted === null ? sequence : (await deleted).sequence };
  }

  /** A multi-vector collection's record: its vectors validated, pooled and encoded. */
  private multivectorRecord(engine: CollectionEngine, record: RecordInput, where: Record<string, unknown>, metadata: Metadata | undefined, document: string | undefined): StoredRecord {
    const setting = engine.definition.multivector;
    if (setting === undefined) {
      throw new QuiverError('MULTIVECTOR_MISMATCH', `Record ${String(where.index)} has vectors (a set of vectors), but collection "${this.name}" holds one vector per record: give vector, or create the collection with multivector: true.`, { ...where, field: 'vectors' });
    }
    if (record.vector !== undefined) {
      throw new QuiverError('MULTIVECTOR_MISMATCH', `Record ${String(where.index)} has vector, but collection "${this.name}" is a multi-vector collection: give vectors (an array of ${setting.dimension}-d vectors) instead.`, { ...where, field: 'vector' });
    }
    if (record.vectors === undefined) {
      throw new QuiverError('INVALID_VECTOR', `Record ${String(where.index)} has no vectors; a multi-vector collection's records carry vectors: an array of ${setting.dimension}-d vectors.`, { ...where, field: 'vectors' });
    }
    const set = toTokenSet(record.vectors, setting.dimension, 'vectors', where);
    const { vector, tokens } = runtimeOf(engine, this.db.kernels).ingest(set);
    const out: StoredRecord = { key: record.key, vector, tokens };
    if (metadata !== undefined) out.metadata = metadata;
    if (document !== undefined) out.document = document;
    return out;
  }

  /**
   * Changes parts of existing records: metadata is shallow-merged, a given vector or document replaces
   * the old one (document: null removes it). Every key must exist (KEY_NOT_FOUND otherwise).
   */
  async update(updates: UpdateInput[]): Promise<WriteResult> {
    let engine = this.db.engine(this.name);
    checkBatch(updates, 'update');
    if (engine.definition.multivector !== undefined) return this.updateMultivector(engine, updates as (UpdateInput & { vectors?: unknown })[]);
    // Every update is logged as the whole resulting record, so records whose float32 rows are only in a
    // segment file (quantized collections) have them read first; the merge below is synchronous and
    // redone should a record move meanwhile.
    for (let attempt = 0; ; attempt++) {
      const needed = updates.filter((u) => isPlainObject(u) && u.vector === undefined && typeof u.key === 'string').map((u) => u.key as string);
      const fetched = new Map<string, { vector: Float32Array; at: unknown }>();
      const missing = needed.filter((key) => {
        const ref = engine.locate(key);
        return ref !== null && ref.segment.vectorRow(ref.slot) === null;
      });
      if (missing.length > 0) {
        const rows = await this.db.readVectors(engine, missing);
        engine = this.db.engine(this.name);
        missing.forEach((key, i) => {
          const ref = engine.locate(key);
          if (rows[i] !== null && ref !== null) fetched.set(key, { vector: rows[i]!, at: ref.segment.id * 2 ** 32 + ref.slot });
        });
      }
      const stale = [...fetched].some(([key, { at }]) => {
        const ref = engine.locate(key);
        return ref === null || ref.segment.id * 2 ** 32 + ref.slot !== at;
      });
      if (!stale || attempt >= 3) return this.applyUpdate(engine, updates, fetched);
    }
  }

  /**
   * update() in a multi-vector collection: records keep their token vectors (read from the token files
   * when not in memory, and encoded again: the same encoding) unless the update gives `vectors`.
   */
  private async updateMultivector(engine: CollectionEngine, updates: (UpdateInput & { vectors?: unknown })[]): Promise<WriteResult> {
    const setting = engine.definition.multivector!;
    const runtime = runtimeOf(engine, this.db.kernels);
    updates.forEach((update, index) => {
      if (!isPlainObject(update)) throw new QuiverError('INVALID_ARGUMENT', `Update ${index} is ${describe(update)}; updates are objects { key, metadata?, document?, vectors? }.`, { index });
      const where = { index, key: update.key };
      checkKey(update.key, where);
      rejectUnknown(update, ['key', 'vector', 'vectors', 'document', 'metadata'], where);
      if (update.vector !== undefined) {
        throw new QuiverError('MULTIVECTOR_MISMATCH', `Update ${index} has vector, but collection "${this.name}" is a multi-vector collection: give vectors (an array of ${setting.dimension}-d vectors) instead.`, { ...where, field: 'vector' });
      }
    });
    for (let attempt = 0; ; attempt++) {
      const keys = updates.filter((u) => u.vectors === undefined).map((u) => u.key);
      const sets = await readTokenSets(engine, this.db.tokens, keys, () => this.db.engine(this.name));
      engine = this.db.engine(this.name);
      const moved = [...sets].some(([key, set]) => {
        const ref = engine.locate(key);
        return ref === null || `${ref.segment.id}:${ref.slot}` !== set.location;
      });
      if (moved && attempt < 3) continue;
      if (moved) throw new QuiverError('UNAVAILABLE', 'update raced with compaction three times; try again.', { collection: this.name });
      const pending = new Map<string, StoredRecord>();
      const missing: string[] = [];
      updates.forEach((update, index) => {
        const where = { index, key: update.key };
        const current = pending.get(update.key) ?? engine.get(update.key);
        if (current === null) {
          missing.push(update.key);
          return;
        }
        const next: StoredRecord = { ...current };
        if (update.vectors !== undefined) Object.assign(next, runtime.ingest(toTokenSet(update.vectors, setting.dimension, 'vectors', where)));
        else if (next.tokens === undefined) {
          const set = sets.get(update.key)!;
          next.tokens = { rows: set.tokens, count: set.count, received: set.received };
        }
        // the encoding of the stored (pooled) vectors: what ingest made of them
        if (update.vectors === undefined) next.vector = runtime.encoder.encodeDocument(next.tokens!.rows, next.tokens!.count);
        if (update.metadata !== undefined) {
          const patch = checkMetadata(update.metadata, where) as Metadata;
          next.metadata = checkMetadata({ ...(current.metadata ?? {}), ...patch }, where);
        }
        if (update.document === null) delete next.document;
        else if (update.document !== undefined) next.document = checkDocument(update.document, where);
        pending.set(update.key, next);
      });
      if (missing.length > 0) {
        throw new QuiverError('KEY_NOT_FOUND', `update names ${missing.length} key(s) that do not exist (${missing.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')}); use upsert to create records.`, { keys: missing.slice(0, 100) });
      }
      return { count: updates.length, sequence: await this.db.writeUpsert(engine, [...pending.values()]) };
    }
  }

  /** Validates and applies an update batch synchronously; `fetched` holds vectors read from files. */
  private async applyUpdate(engine: CollectionEngine, updates: UpdateInput[], fetched: Map<string, { vector: Float32Array }>): Promise<WriteResult> {
    const { dimension, metric } = engine.definition;
    const { embedding, chunking } = engine.definition;
    const pending = new Map<string, StoredRecord>();
    const missing: string[] = [];
    /** Records whose new document is embedded before they are written (collections with an embedding function). */
    const toEmbed = new Map<string, Record<string, unknown>>();
    updates.forEach((update, index) => {
      if (!isPlainObject(update)) throw new QuiverError('INVALID_ARGUMENT', `Update ${index} is ${describe(update)}; updates are objects { key, metadata?, document?, vector? }.`, { index });
      const where = { index, key: update.key };
      checkKey(update.key, where);
      rejectUnknown(update, ['key', 'vector', 'document', 'metadata'], where);
      const current = pending.get(update.key) ?? engine.get(update.key);
      if (current === null) {
        if (chunking !== undefined && chunksOf(update.key, (key) => engine.get(key)).length > 0) {
          throw new QuiverError('INVALID_ARGUMENT', `"${update.key}" is a chunked document: upsert it whole ({ key, document, metadata }) to change it.`, { ...where, field: 'key' });
        }
        missing.push(update.key);
        return;
      }
      const next: StoredRecord = { ...current };
      if (next.vector === undefined) {
        const row = fetched.get(update.key);
        if (row) next.vector = row.vector;
      }
      if (update.vector !== undefined) next.vector = toStoredVector(update.vector, dimension, metric, where);
      if (update.metadata !== undefined) {
        const patch = checkMetadata(update.metadata, where) as Metadata;
        next.metadata = checkMetadata({ ...(current.metadata ?? {}), ...patch }, where);
      }
      if (update.document === null) delete next.document;
      else if (update.document !== undefined) next.document = checkDocument(update.document, where);
      // a new document gets a new vector from the collection's model unless the update brings one
      if (typeof update.document === 'string' && update.vector === undefined && embedding !== undefined && chunking === undefined) toEmbed.set(update.key, where);
      else if (update.vector !== undefined) toEmbed.delete(update.key);
      pending.set(update.key, next);
    });
    if (missing.length > 0) {
      throw new QuiverError('KEY_NOT_FOUND', `update names ${missing.length} key(s) that do not exist (${missing.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')}); use upsert to create records.`, { keys: missing.slice(0, 100) });
    }
    if (toEmbed.size > 0) {
      const embedder = await this.db.embedderOf(engine);
      const keys = [...toEmbed.keys()];
      const vectors = await embedder.embed(keys.map((key) => pending.get(key)!.document!));
      keys.forEach((key, i) => {
        pending.get(key)!.vector = toStoredVector(vectors[i], engine.definition.dimension, engine.definition.metric, toEmbed.get(key)!);
      });
      if (this.db.engine(this.name) !== engine) throw new QuiverError('COLLECTION_NOT_FOUND', `Collection "${this.name}" was dropped while its documents were embedded.`, { collection: this.name });
    }
    const records = [...pending.values()];
    // a record moved between the read and now (it could not be re-read in three tries): refuse, change nothing
    if (records.some((r) => r.vector === undefined)) {
      throw new QuiverError('UNAVAILABLE', 'update raced with compaction three times; try again.', { collection: this.name });
    }
    const sequence = await this.db.writeUpsert(engine, records);
    return { count: updates.length, sequence };
  }

  /** Records aligned with `keys`: the record, or null where the key does not exist. */
  async get(keys: string[]): Promise<(StoredRecord | null)[]> {
    const engine = this.db.engine(this.name);
    checkBatch(keys, 'get');
    keys.forEach((key, index) => checkKey(key, { index }));
    if (engine.definition.multivector !== undefined) return this.withTokens(engine, keys.map((key) => engine.get(key)));
    return this.withVectors(engine, keys.map((key) => engine.get(key)));
  }

  /**
   * Multi-vector records as the API returns them: `vectors` (the stored token vectors, read from the token
   * files when not in memory) instead of the encoding. A record deleted during the read becomes null.
   */
  private async withTokens(engine: CollectionEngine, records: (StoredRecord | null)[]): Promise<(StoredRecord | null)[]> {
    const dimension = engine.definition.multivector!.dimension;
    const missing = records.filter((r): r is StoredRecord => r !== null && r.tokens === undefined).map((r) => r.key);
    const sets = missing.length > 0 ? await readTokenSets(engine, this.db.tokens, missing, () => this.db.engine(this.name)) : new Map();
    return records.map((record) => {
      if (record === null) return null;
      if (record.tokens === undefined) {
        const set = sets.get(record.key);
        if (set === undefined) return null;
        record.tokens = { rows: set.tokens, count: set.count, received: set.received };
      }
      return publicRecord(record, dimension);
    });
  }

  /**
   * Fills in the vectors of records whose float32 rows are only in a segment file (quantized
   * collections); a record deleted while its row was read becomes null.
   */
  private async withVectors<T extends { key: string; vector?: Float32Array } | null>(engine: CollectionEngine, records: T[]): Promise<T[]> {
    const missing = records.filter((r): r is NonNullable<T> => r !== null && r.vector === undefined);
    if (missing.length === 0) return records;
    const rows = await this.db.readVectors(engine, missing.map((r) => r.key));
    const gone = new Set<NonNullable<T>>();
    missing.forEach((record, i) => {
      if (rows[i] === null) gone.add(record);
      else record.vector = rows[i]!;
    });
    return records.map((r) => (r !== null && gone.has(r as NonNullable<T>) ? null : r)) as T[];
  }

  /** Deletes the records with these keys (missing keys are ignored); `count` says how many existed. */
  async delete(keysOrFilter: string[] | { filter: unknown }): Promise<WriteResult> {
    const engine = this.db.engine(this.name);
    if (!Array.isArray(keysOrFilter)) {
      if (isPlainObject(keysOrFilter) && 'filter' in keysOrFilter) {
        rejectUnknown(keysOrFilter, ['filter'], {});
        const filter = this.filterOf(keysOrFilter.filter);
        // resolved to keys now and logged as one delete, so replay does not depend on filter semantics
        return this.db.writeDelete(engine, engine.keysMatching(filter));
      }
      throw new QuiverError('INVALID_ARGUMENT', `delete takes an array of keys or { filter }; got ${describe(keysOrFilter)}.`, {});
    }
    checkBatch(keysOrFilter, 'delete');
    keysOrFilter.forEach((key, index) => checkKey(key, { index }));
    if (engine.definition.chunking === undefined) return this.db.writeDelete(engine, [...(keysOrFilter as string[])]);
    // a document's key deletes its chunks; `count` counts documents and records, not chunks
    const get = (key: string) => engine.get(key);
    const keys = new Set<string>();
    let count = 0;
    for (const key of keysOrFilter as string[]) {
      const chunks = chunksOf(key, get);
      if (chunks.length > 0 && !keys.has(chunks[0])) count++;
      else if (engine.get(key) !== null && !keys.has(key)) count++;
      keys.add(key);
      for (const chunk of chunks) keys.add(chunk);
    }
    const { sequence } = await this.db.writeDelete(engine, [...keys]);
    return { count, sequence };
  }

  async count(options?: { filter?: unknown }): Promise<number> {
    const engine = this.db.engine(this.name);
    if (options === undefined) return engine.count;
    if (!isPlainObject(options)) throw new QuiverError('INVALID_ARGUMENT', `count takes { filter } or nothing; got ${describe(options)}.`, {});
    rejectUnknown(options, ['filter'], {});
    if (options.filter === undefined) return engine.count;
    return engine.countMatching(this.filterOf(options.filter));
  }

  /** Every record, in batches. Records written during the scan may or may not appear; none appears twice. */
  /**
   * Every record (matching `filter`, when given), in batches. Records written during the scan may or may
   * not appear; none appears twice, and with a filter every record yielded matches it when yielded.
   */
  async *scan(options: { filter?: unknown; batchSize?: number } = {}): AsyncGenerator<StoredRecord[]> {
    const engine = this.db.engine(this.name);
    if (!isPlainObject(options)) throw new QuiverError('INVALID_ARGUMENT', `scan takes { filter?, batchSize? }; got ${describe(options)}.`, {});
    rejectUnknown(options, ['filter', 'batchSize'], {});
    const filter = options.filter === undefined ? null : this.filterOf(options.filter);
    const batchSize = options.batchSize ?? 1000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > LIMITS.scanBatchMax) {
      throw new QuiverError('INVALID_ARGUMENT', `batchSize is a whole number from 1 to ${LIMITS.scanBatchMax}; got ${describe(batchSize)}.`, { field: 'batchSize' });
    }
    const keys = filter === null ? engine.keys() : engine.keysMatching(filter);
    for (let start = 0; start < keys.length; start += batchSize) {
      const current = this.db.engine(this.name);
      if (current !== engine) throw new QuiverError('COLLECTION_NOT_FOUND', `Collection "${this.name}" was dropped during the scan.`, { collection: this.name });
      const page = keys.slice(start, start + batchSize).map((key) => engine.get(key));
      const records = engine.definition.multivector !== undefined ? await this.withTokens(engine, page) : await this.withVectors(engine, page);
      const batch = records.filter((r): r is StoredRecord => r !== null && (filter === null || matches(filter, r.metadata)));
      if (batch.length > 0) yield batch;
    }
  }

  /** The k nearest records to `vector`, best first (in a chunked collection, documents with their best chunks). */
  async query(request: QueryRequest): Promise<DocumentHit[]> {
    const [embedded] = await this.embedQueryText([request]);
    return (await this.answer(embedded, false)).hits;
  }

  /** include: ['vector'] where the rows are only in segment files: read them (a hit deleted meanwhile is dropped). */
  private async hitVectors(engine: CollectionEngine, hits: Hit[]): Promise<Hit[]> {
    const filled = await this.withVectors(engine, hits as (Hit & { key: string })[]);
    return filled.filter((h): h is Hit => h !== null);
  }

  /** Several queries; results in order. */
  async queryMany(requests: QueryRequest[]): Promise<DocumentHit[][]> {
    this.db.engine(this.name);
    if (!Array.isArray(requests)) throw new QuiverError('INVALID_ARGUMENT', `queryMany takes an array of query requests; got ${describe(requests)}.`, {});
    if (requests.length > LIMITS.queryManyMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `queryMany got ${requests.length} queries; the limit is ${LIMITS.queryManyMax}.`, { limit: 'queryManyMax', received: requests.length, maximum: LIMITS.queryManyMax });
    }
    const embedded = await this.embedQueryText(requests);
    const results: DocumentHit[][] = [];
    for (const request of embedded) results.push((await this.answer(request, false)).hits);
    return results;
  }

  /** The hits and how they were found. */
  async explain(request: QueryRequest): Promise<{ plan: QueryPlan; hits: DocumentHit[] }> {
    const [embedded] = await this.embedQueryText([request]);
    const { plan, hits } = await this.answer(embedded, true);
    return { plan: plan!, hits };
  }

  /**
   * The requests with their text embedded where api.md says so: the collection has an embedding
   * function, the request has text and no vector, and its mode is not 'keyword'. All texts go to the
   * model in one call. Anything else is passed on unchanged for run() to check.
   */
  private async embedQueryText(requests: QueryRequest[]): Promise<QueryRequest[]> {
    const engine = this.db.engine(this.name);
    if (engine.definition.embedding === undefined) return requests;
    const wanted = requests.flatMap((request, index) =>
      isPlainObject(request as unknown) && typeof request.text === 'string' && request.vector === undefined && request.mode !== 'keyword' ? [index] : [],
    );
    if (wanted.length === 0) return requests;
    for (const index of wanted) checkText(requests[index].text);
    const signals = wanted.map((index) => requests[index].signal).filter((signal) => signal !== undefined);
    for (const signal of signals) throwIfAborted(signal);
    const embedder = await this.db.embedderOf(engine);
    const vectors = await embedder.embed(
      wanted.map((index) => requests[index].text!),
      signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : undefined,
    );
    const out = [...requests];
    wanted.forEach((index, i) => {
      out[index] = { ...requests[index], vector: vectors[i] };
    });
    return out;
  }

  /**
   * run(), with vectors read from segment files where include asks for them, and the chunk hits of a
   * chunked collection grouped into documents.
   */
  private async answer(request: QueryRequest, explain: boolean): Promise<{ plan?: QueryPlan; hits: DocumentHit[] }> {
    const engine = this.db.engine(this.name);
    if (engine.definition.multivector !== undefined || (isPlainObject(request as unknown) && request.multivector !== undefined)) return this.answerMultivector(engine, request, explain);
    if (engine.definition.chunking === undefined || !isPlainObject(request as unknown) || request.group === false) {
      const { plan, hits, engine: ran, include } = this.run(request, explain);
      return { plan, hits: include ? await this.hitVectors(ran, hits) : hits };
    }
    if (request.group !== undefined && request.group !== true) throw new QuiverError('INVALID_ARGUMENT', `group is a boolean; got ${describe(request.group)}.`, { field: 'group' });
    const k = checkK(request.k ?? DEFAULT_K);
    const perHit = checkWhole(request.chunks ?? DEFAULT_CHUNKS_PER_HIT, 'chunks', 0, CHUNKS_PER_HIT_MAX);
    const include = checkInclude(request.include);
    // chunk metadata and texts are needed to group; what the caller did not ask for is left out after
    const internal: IncludeField[] = include.has('vector') ? ['metadata', 'document', 'vector'] : ['metadata', 'document'];
    // documents have several chunks among the best: search more chunks until k documents are found
    for (let searched = Math.min(LIMITS.kMax, k * CHUNK_OVERSAMPLING); ; searched = Math.min(LIMITS.kMax, searched * CHUNK_OVERSAMPLING)) {
      const result = this.run({ ...request, k: searched, include: internal }, explain);
      const chunkHits = result.include ? await this.hitVectors(result.engine, result.hits) : result.hits;
      const hits = groupByDocument(chunkHits, k, perHit, include, (key) => result.engine.get(key));
      if (hits.length >= k || result.hits.length < searched || searched === LIMITS.kMax) {
        return { hits, ...(result.plan ? { plan: { ...result.plan, chunksSearched: searched } } : {}) };
      }
    }
  }

  /**
   * A multi-vector query: the query's MUVERA encoding finds `search.candidates` records through the index
   * (any recipe; filters apply there), whose token vectors are then scored by exact MaxSim.
   */
  private async answerMultivector(engine: CollectionEngine, request: QueryRequest, explain: boolean): Promise<{ plan?: QueryPlan; hits: DocumentHit[] }> {
    const setting = engine.definition.multivector;
    if (!isPlainObject(request as unknown)) throw new QuiverError('INVALID_ARGUMENT', `A query is an object { multivector, k }; got ${describe(request)}.`, {});
    if (setting === undefined) {
      throw new QuiverError('MULTIVECTOR_MISMATCH', `multivector queries a multi-vector collection; collection "${this.name}" holds one vector per record: query it with vector.`, { field: 'multivector' });
    }
    rejectUnknown(request as unknown as Record<string, unknown>, ['multivector', 'vector', 'k', 'filter', 'include', 'search', 'minScore', 'signal', 'consistency'], {});
    if (request.vector !== undefined) {
      throw new QuiverError('MULTIVECTOR_MISMATCH', `Collection "${this.name}" is a multi-vector collection: query it with multivector (an array of ${setting.dimension}-d vectors), not vector.`, { field: 'vector' });
    }
    if (request.multivector === undefined) throw new QuiverError('INVALID_VECTOR', `A query of multi-vector collection "${this.name}" needs multivector: an array of ${setting.dimension}-d vectors.`, { field: 'multivector' });
    throwIfAborted(request.signal);
    const query = toTokenSet(request.multivector, setting.dimension, 'multivector', {});
    const k = checkK(request.k ?? DEFAULT_K);
    const include = checkInclude(request.include);
    const { candidates: asked, ...search } = checkSearch(request.search);
    const candidates = Math.min(LIMITS.kMax, Math.max(k, asked ?? DEFAULT_RERANK_CANDIDATES));
    if (request.minScore !== undefined && (typeof request.minScore !== 'number' || !Number.isFinite(request.minScore))) {
      throw new QuiverError('INVALID_ARGUMENT', `minScore is a finite number; got ${describe(request.minScore)}.`, { field: 'minScore' });
    }
    const runtime = runtimeOf(engine, this.db.kernels);
    const encoding = runtime.encoder.encodeQuery(query.tokens, query.count);
    const firstInclude = [...include].filter((f) => f !== 'vector');
    // the first stage's beam covers the candidates: a graph's ef below them would cut them short
    const first = this.run(
      { vector: encoding, k: candidates, filter: request.filter, include: firstInclude, search: { ...search, ef: Math.max(search.ef ?? 0, candidates) }, consistency: request.consistency },
      explain,
    );
    const reranked = await rerankByMaxSim(first.engine, runtime, this.db.tokens, first.hits, { query, k, candidates, include, minScore: request.minScore }, () => this.db.engine(this.name));
    throwIfAborted(request.signal);
    if (!explain) return { hits: reranked.hits };
    const plan: QueryPlan = {
      ...first.plan!,
      scoresAreEstimates: false,
      multivector: {
        encodingDimension: runtime.encoder.outputDimension,
        queryVectors: query.count,
        candidates,
        reranked: reranked.reranked,
        tokenBytesRead: reranked.bytesRead,
        cacheHits: reranked.cacheHits,
      },
    };
    return { plan, hits: reranked.hits };
  }

  async stats(): Promise<CollectionStats> {
    const engine = this.db.engine(this.name);
    const memory = engine.memory();
    const live = Math.max(engine.count, 1);
    const per = (bytes: number) => bytes / live;
    const bytesPerVector = {
      vectors: per(memory.vectors),
      codes: per(memory.codes),
      graph: per(memory.graph),
      rerank: per(memory.rerank),
      metadata: per(memory.metadata),
      payloadIndexes: per(memory.payloadIndexes),
      textIndex: per(memory.textIndex),
      total: 0,
    };
    bytesPerVector.total = Object.values(bytesPerVector).reduce((a, b) => a + b, 0);
    const deleted = engine.segments.reduce((n, s) => n + s.deleted, 0);
    const stats: CollectionStats = {
      name: this.name,
      count: engine.count,
      dimension: engine.definition.dimension,
      metric: engine.definition.metric,
      index: engine.recipe,
      segments: memory.segments,
      deletedRecords: deleted,
      bytesPerVector,
      payloadIndexes: engine.payloadIndexFields,
      unindexed: engine.unindexed,
      estimatedRecall: engine.recall.estimate(),
      kernel: this.db.kernels.name,
      buildThreads: this.db.buildThreads,
      storage: this.db.storageInfo(),
      staleSegments: engine.staleSegments().length,
      compression: null,
      ...embeddingInfo(engine.definition),
    };
    if (engine.definition.multivector !== undefined) {
      stats.dimension = engine.definition.multivector.dimension;
      stats.multivector = multivectorStats(engine, memory.tokens, this.db.tokens);
    }
    if (engine.quantized) {
      const codebook = engine.codebook;
      const drift = engine.drift;
      const reduce = engine.definition.index.reduce;
      stats.compression = {
        quantizer: engine.definition.index.quantize ?? 'none',
        rerank: engine.definition.index.rerank ?? 'none',
        trained: codebook !== null,
        generation: codebook?.generation ?? 0,
        trainingRows: codebook?.sampleRows ?? 0,
        trainingThreshold: Math.max(TRAINING.threshold, engine.minimumTrainingRows),
        driftRatio: drift?.ratio ?? null,
        driftThreshold: DRIFT.ratio,
      };
      if (reduce) {
        const reducer = codebook?.reducer ?? null;
        stats.compression.reducer = {
          method: reduce.method,
          dimension: reduce.dimension,
          fitted: reducer?.method ?? null,
          retained: reducer === null || Number.isNaN(reducer.fit.retained) ? null : reducer.fit.retained,
          trainQueries: reducer?.fit.queryCount ?? 0,
          queriesHeld: (engine.trainQueries?.length ?? 0) / engine.definition.dimension,
        };
      }
    }
    return stats;
  }

  /**
   * Trains the collection's reducer and quantizer now (LeanVec-OOD on `trainQueries` when given: sample
   * queries like the ones it will serve, never the ones you evaluate with), then rewrites its segments
   * without deleted records and checkpoints them.
   */
  async optimize(options: { trainQueries?: unknown } = {}): Promise<void> {
    const engine = this.db.engine(this.name);
    if (!isPlainObject(options)) throw new QuiverError('INVALID_ARGUMENT', `optimize takes { trainQueries? }; got ${describe(options)}.`, {});
    rejectUnknown(options, ['trainQueries'], {});
    if (options.trainQueries !== undefined) engine.setTrainQueries(packTrainQueries(options.trainQueries, engine.definition, 'trainQueries'));
    await this.db.optimizeCollection(engine);
  }

  /**
   * A 2-D map of the collection (or of a seeded sample of it): a LargeVis/UMAP-style layout computed from
   * Quiver's k-NN graph, with its 10-NN preservation beside a PCA projection's (docs/console.md). Runs in
   * slices of ~20 ms, so queries and writes go on meanwhile; records written during the job may be left out.
   */
  async map(request: MapRequest = {}): Promise<MapResult> {
    const engine = this.db.engine(this.name);
    const signal = request?.signal;
    if (!isPlainObject(request)) throw new QuiverError('INVALID_ARGUMENT', `map takes an object such as { k: 15, sample: 10000 }; got ${describe(request)}.`, {});
    rejectUnknown(request, ['k', 'sample', 'seed', 'epochs', 'include', 'topics', 'signal'], {});
    const k = checkWhole(request.k ?? MAP_DEFAULT_K, 'k', 1, LIMITS.mapNeighborsMax, 'mapNeighborsMax');
    const sample = checkWhole(request.sample ?? LIMITS.mapPointsMax, 'sample', 1, LIMITS.mapPointsMax, 'mapPointsMax');
    const seed = checkWhole(request.seed ?? MAP_DEFAULT_SEED, 'seed', 0, 0xffffffff);
    const epochs = request.epochs === undefined ? undefined : checkWhole(request.epochs, 'epochs', 1, LIMITS.mapEpochsMax, 'mapEpochsMax');
    const topics = request.topics === undefined ? 0 : checkWhole(request.topics, 'topics', 1, LIMITS.mapTopicsMax, 'mapTopicsMax');
    if (request.include !== undefined && (!Array.isArray(request.include) || request.include.some((f) => f !== 'metadata'))) {
      throw new QuiverError('INVALID_ARGUMENT', `map's include is [] or ['metadata']; got ${describe(request.include)}.`, { field: 'include' });
    }
    throwIfAborted(signal);
    const job = mapCollection(engine, this.db.kernels, { k, sample, seed, epochs, topics, includeMetadata: request.include?.includes('metadata') === true });
    for (;;) {
      const started = performance.now();
      let step = job.next();
      while (!step.done && performance.now() - started < MAP_SLICE_MS) step = job.next();
      if (step.done) return step.value;
      await yieldToEventLoop();
      throwIfAborted(signal);
      if (this.db.engine(this.name) !== engine) {
        throw new QuiverError('COLLECTION_NOT_FOUND', `Collection "${this.name}" was dropped while its map was computed.`, { collection: this.name });
      }
    }
  }

  /**
   * Changes the collection's index online (docs/indexes.md, "Changing the index"): new rows follow the new
   * index at once; existing segments keep answering queries with their old graph and codes until the
   * background has re-encoded (same graph) or rebuilt (new graph) them. Resolves when every segment
   * follows the new index and it is durable.
   */
  async reindex(index: string | IndexConfig): Promise<void> {
    const engine = this.db.engine(this.name);
    const config = resolveIndexConfig(index);
    checkIndexForDimension(config, engine.definition.dimension, engine.definition.metric);
    const raw = indexTrainQueries(index);
    const queries = raw === undefined ? undefined : packTrainQueries(raw, { ...engine.definition, index: config }, 'index.reduce.trainQueries');
    await this.db.reindexCollection(engine, config, queries);
  }

  /** A filter parsed and validated against the collection's declared payload index types. */
  private filterOf(raw: unknown): FilterNode {
    return parseFilter(raw, { declared: this.db.engine(this.name).definition.payloadIndexes });
  }

  /** Validates and runs a query synchronously (one event-loop turn); builds the plan only for explain. */
  private run(request: QueryRequest, explain: boolean): { plan?: QueryPlan; hits: Hit[]; engine: CollectionEngine; include: boolean } {
    const engine = this.db.engine(this.name);
    if (!isPlainObject(request as unknown)) throw new QuiverError('INVALID_ARGUMENT', `A query is an object { vector, k } or { text, k }; got ${describe(request)}.`, {});
    rejectUnknown(request as unknown as Record<string, unknown>, ['vector', 'text', 'k', 'filter', 'include', 'search', 'minScore', 'signal', 'consistency', 'sequence', 'mode', 'fusion', 'group', 'chunks'], {});
    throwIfAborted(request.signal);
    const mode = checkMode(request);
    const vector = request.vector === undefined ? null : toStoredVector(request.vector, engine.definition.dimension, engine.definition.metric, { field: 'vector' });
    const text = request.text === undefined ? null : checkText(request.text);
    const filter = request.filter === undefined ? null : this.filterOf(request.filter);
    const fusion = checkFusion(request.fusion, engine.definition.embedding?.config === 'builtin');
    const k = checkK(request.k ?? DEFAULT_K);
    const include = checkInclude(request.include);
    const search = checkSearch(request.search);
    if (request.minScore !== undefined && (typeof request.minScore !== 'number' || !Number.isFinite(request.minScore))) {
      throw new QuiverError('INVALID_ARGUMENT', `minScore is a finite number; got ${describe(request.minScore)}.`, { field: 'minScore' });
    }
    if (request.consistency !== undefined && request.consistency !== 'eventual' && request.consistency !== 'read-your-writes') {
      throw new QuiverError('INVALID_ARGUMENT', `consistency is 'eventual' or 'read-your-writes'; got ${describe(request.consistency)}.`, { field: 'consistency' });
    }
    if (mode !== 'vector' || filter !== null) {
      const result = engine.search({ mode, vector, text, filter, fusion, k, include, minScore: request.minScore, ef: search.ef }, explain);
      throwIfAborted(request.signal);
      const wants = include.has('vector');
      if (!explain) return { hits: result.hits, engine, include: wants };
      const { fusion: used, estimates, ...rest } = result.plan!;
      const plan: QueryPlan = { ...rest, scoresAreEstimates: estimates, kernel: this.db.kernels.name, index: engine.recipe };
      if (used !== undefined) plan.fusion = used.method === 'rrf' ? 'rrf' : { weights: { vector: used.vector, keyword: used.keyword } };
      return { plan, hits: result.hits, engine, include: wants };
    }
    const { hits, plan: summary } = engine.queryWithPlan({ vector: vector!, k, include, minScore: request.minScore, search });
    throwIfAborted(request.signal);
    // a sample of approximate answers is re-run exactly in the background (stats().estimatedRecall)
    if (summary.approximate && request.minScore === undefined && engine.recall.shouldSample()) {
      const checked = Math.min(k, 10);
      engine.recall.add({ vector: vector!, k: Math.min(checked, engine.count), keys: hits.slice(0, checked).map((h) => h.key) });
      this.db.scheduleRecallCheck();
    }
    const wantsVectors = include.has('vector');
    if (!explain) return { hits, engine, include: wantsVectors };
    const segments = engine.segments;
    const graph = engine.graphFactory !== null;
    const index = engine.definition.index;
    const quantized = segments.some((s) => s.codes !== null);
    const plan: QueryPlan = {
      strategy: graph ? 'graph' : 'exact',
      segments: segments.length,
      scanned: summary.scanned,
      ...(graph ? { ef: Math.max(k, engine.effectiveEf(search.ef)) } : {}),
      scoresAreEstimates: summary.estimates,
      kernel: this.db.kernels.name,
      index: engine.recipe,
    };
    if (quantized) {
      if (index.reduce) plan.reducer = printRecipe({ type: 'flat', reduce: index.reduce }).split(',')[0];
      plan.quantizer = index.quantize ?? 'none';
      plan.rerank = index.rerank ?? 'none';
      plan.candidates = summary.candidates;
      plan.reranked = summary.reranked;
    }
    return { plan, hits, engine, include: wantsVectors };
  }
}

function rejectUnknown(object: Record<string, unknown>, known: string[], where: Record<string, unknown>): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new QuiverError('INVALID_ARGUMENT', `Unknown field "${key}"${where.index !== undefined ? ` in record ${where.index}` : ''}. Known fields: ${known.join(', ')}.`, { ...where, field: key });
    }
  }
}

const NO_FIELDS: ReadonlySet<IncludeField> = new Set();

function checkInclude(include: unknown): ReadonlySet<IncludeField> {
  if (include === undefined) return NO_FIELDS;
  if (!Array.isArray(include) || include.some((f) => !INCLUDE_FIELDS.has(f as IncludeField))) {
    throw new QuiverError('INVALID_ARGUMENT', `include is an array of 'metadata', 'document' and 'vector'; got ${describe(include)}.`, { field: 'include' });
  }
  return new Set(include as IncludeField[]);
}

const NO_SEARCH: { ef?: number } = Object.freeze({});

function checkSearch(search: unknown): { ef?: number; candidates?: number } {
  if (search === undefined) return NO_SEARCH;
  if (!isPlainObject(search)) throw new QuiverError('INVALID_ARGUMENT', `search is an object such as { ef: 64 }; got ${describe(search)}.`, { field: 'search' });
  rejectUnknown(search, ['ef', 'candidates'], { field: 'search' });
  if (search.candidates !== undefined && (typeof search.candidates !== 'number' || !Number.isInteger(search.candidates) || search.candidates < 1 || search.candidates > LIMITS.kMax)) {
    throw new QuiverError('INVALID_ARGUMENT', `search.candidates is a whole number from 1 to ${LIMITS.kMax}; got ${describe(search.candidates)}.`, { field: 'search.candidates' });
  }
  if (search.ef !== undefined && (typeof search.ef !== 'number' || !Number.isInteger(search.ef) || search.ef < 1 || search.ef > LIMITS.kMax)) {
    throw new QuiverError('INVALID_ARGUMENT', `search.ef is a whole number from 1 to ${LIMITS.kMax}; got ${describe(search.ef)}.`, { field: 'search.ef' });
  }
  return search as { ef?: number; candidates?: number };
}

function checkWhole(value: unknown, field: string, min: number, max: number, limit?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new QuiverError('INVALID_ARGUMENT', `${field} is a whole number from ${min} to ${max}; got ${describe(value)}.`, { field });
  }
  if (value > max) {
    if (limit) throw new QuiverError('LIMIT_EXCEEDED', `${field} is ${value}; the limit is ${max}.`, { limit, received: value, maximum: max });
    throw new QuiverError('INVALID_ARGUMENT', `${field} is a whole number from ${min} to ${max}; got ${value}.`, { field });
  }
  return value;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean') {
    throw new QuiverError('INVALID_ARGUMENT', 'signal is an AbortSignal.', { field: 'signal' });
  }
  if (signal.aborted) throw new QuiverError('ABORTED', `The query was aborted: ${String(signal.reason ?? 'abort signal')}.`, { reason: String(signal.reason ?? '') });
}

/** The query's mode, from `mode` or from what it holds; checks that what the mode needs is there. */
function checkMode(request: QueryRequest): 'vector' | 'keyword' | 'hybrid' {
  const hasVector = request.vector !== undefined;
  const hasText = request.text !== undefined;
  if (request.mode !== undefined && request.mode !== 'vector' && request.mode !== 'keyword' && request.mode !== 'hybrid') {
    throw new QuiverError('INVALID_ARGUMENT', `mode is 'vector', 'keyword' or 'hybrid'; got ${describe(request.mode)}.`, { field: 'mode' });
  }
  const mode = request.mode ?? (hasVector && hasText ? 'hybrid' : hasText ? 'keyword' : 'vector');
  if ((mode === 'vector' || mode === 'hybrid') && !hasVector) {
    const why = hasText ? ' This collection has no embedding function to embed the text; pass a vector too, or use mode: \'keyword\'.' : '';
    throw new QuiverError('INVALID_VECTOR', `A ${mode} query needs a vector.${why}`, { field: 'vector', mode });
  }
  if ((mode === 'keyword' || mode === 'hybrid') && !hasText) {
    throw new QuiverError('INVALID_ARGUMENT', `A ${mode} query needs text ({ text: 'search words' }).`, { field: 'text', mode });
  }
  return mode;
}

function checkText(text: unknown): string {
  if (typeof text !== 'string') throw new QuiverError('INVALID_ARGUMENT', `text is a string of search words; got ${describe(text)}.`, { field: 'text' });
  const bytes = utf8Bytes(text);
  if (bytes > LIMITS.queryTextBytesMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `The query text is ${bytes} UTF-8 bytes; the limit is ${LIMITS.queryTextBytesMax}. Search with the most telling words.`, {
      field: 'text',
      limit: 'queryTextBytesMax',
      received: bytes,
      maximum: LIMITS.queryTextBytesMax,
    });
  }
  return text;
}

function checkFusion(fusion: unknown, embeddedByBuiltinModel: boolean): Fusion {
  if (fusion === undefined) return defaultFusion(embeddedByBuiltinModel);
  if (fusion === 'rrf') return { method: 'rrf' };
  const hint = "fusion is 'rrf' or { weights: { vector: number, keyword: number } } (non-negative, not both 0)";
  if (!isPlainObject(fusion) || !isPlainObject(fusion.weights)) throw new QuiverError('INVALID_ARGUMENT', `${hint}; got ${describe(fusion)}.`, { field: 'fusion' });
  rejectUnknown(fusion, ['weights'], { field: 'fusion' });
  rejectUnknown(fusion.weights, ['vector', 'keyword'], { field: 'fusion.weights' });
  const { vector, keyword } = fusion.weights;
  const weight = (w: unknown): w is number => typeof w === 'number' && Number.isFinite(w) && w >= 0;
  if (!weight(vector) || !weight(keyword) || vector + keyword === 0) {
    throw new QuiverError('INVALID_ARGUMENT', `${hint}; got vector ${describe(vector)}, keyword ${describe(keyword)}.`, { field: 'fusion.weights' });
  }
  return { method: 'weighted', vector, keyword };
}

/** Token vector counts and bytes of a multi-vector collection's live records. */
function multivectorStats(engine: CollectionEngine, residentBytes: number, reader: { bytesRead: number; bytesCached: number }): MultivectorStats {
  const setting = engine.definition.multivector!;
  let received = 0;
  let stored = 0;
  for (const segment of engine.segments) {
    const column = segment.tokens!;
    for (let slot = 0; slot < segment.count; slot++) {
      if (segment.isDeleted(slot)) continue;
      received += column.received(slot);
      stored += column.count(slot);
    }
  }
  const bytes = 4 * setting.dimension;
  return {
    dimension: setting.dimension,
    encodingDimension: engine.definition.dimension,
    muvera: { ...setting.muvera },
    pooling: setting.pooling,
    vectorsReceived: received,
    vectorsStored: stored,
    bytesSavedByPooling: (received - stored) * bytes,
    tokenBytes: stored * bytes,
    tokenBytesInMemory: residentBytes,
    tokenBytesRead: reader.bytesRead,
    tokenCacheBytes: reader.bytesCached,
  };
}

/** The embedding and chunking settings of a collection, as stats and listCollections show them. */
export function embeddingInfo(definition: CollectionDefinition): { embedding?: EmbeddingInfo; chunking?: CollectionStats['chunking'] } {
  const out: { embedding?: EmbeddingInfo; chunking?: CollectionStats['chunking'] } = {};
  if (definition.embedding) out.embedding = { config: definition.embedding.config as EmbeddingConfig, model: definition.embedding.model, dimension: definition.dimension };
  if (definition.chunking) out.chunking = { ...definition.chunking };
  return out;
}

/**
 * LeanVec-OOD's sample queries as packed rows: each checked like a query vector (dimension, finite values;
 * unit length for cosine). INVALID_ARGUMENT when the index has no LeanVec-OOD reducer or there are fewer
 * than d + 1 of them.
 */
export function packTrainQueries(raw: unknown, definition: Pick<CollectionDefinition, 'name' | 'dimension' | 'metric' | 'index'>, field: string): Float32Array {
  const reduce = definition.index.reduce;
  if (reduce?.method !== 'leanvec-ood') {
    throw new QuiverError('INVALID_ARGUMENT', `${field} train a LeanVec-OOD reducer; the index of collection "${definition.name}" (${printRecipe(definition.index)}) has none. Reindex it to one (e.g. 'LeanVecOOD${Math.max(1, Math.floor(definition.dimension / 4))},HNSW32') first, or leave them out.`, {
      collection: definition.name,
      field,
    });
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new QuiverError('INVALID_ARGUMENT', `${field} is a non-empty array of query vectors; got ${describe(raw)}.`, { field });
  if (raw.length <= reduce.dimension) {
    throw new QuiverError('INVALID_ARGUMENT', `LeanVec-OOD to ${reduce.dimension} dimensions needs at least ${reduce.dimension + 1} training queries; got ${raw.length}. A few thousand queries like the ones you will run fit well.`, {
      field,
      required: reduce.dimension + 1,
      received: raw.length,
    });
  }
  const { dimension, metric } = definition;
  const packed = new Float32Array(raw.length * dimension);
  raw.forEach((vector, index) => packed.set(toStoredVector(vector, dimension, metric, { field, index }), index * dimension));
  return packed;
}
