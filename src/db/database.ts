/**
 * The embeddable database: collections in memory (core), every write logged before it is acknowledged
 * (storage), checkpoints and compaction in the background. One instance per directory; the lock makes a
 * second process get LOCKED.
 *
 * Write path: validate the whole batch (nothing happens on error) -> encode one WAL record -> apply it to
 * the in-memory collection synchronously (so operations are applied in the order they were issued and
 * queries see them at once) -> resolve when the record is durable. If the log cannot be written the
 * database refuses everything until it is reopened, which recovers exactly what reached the disk.
 */
import { CollectionEngine, type CollectionDefinition, type EmbeddingSetting, type EngineContext } from '../core/collection/collection.js';
import type { StoredRecord } from '../core/collection/records.js';
import type { Segment } from '../core/collection/segment.js';
import { type IndexConfig, printRecipe } from '../core/collection/recipe.js';
import { checkIndexForDimension, indexTrainQueries, insertionOrderOfConfig } from '../core/collection/index-config.js';
import { QuiverError } from '../core/errors.js';
import { encodePayloadIndex } from '../core/filter/codec.js';
import { decodeManifest, encodeManifest, type ManifestData } from '../core/format/manifest.js';
import { decodeOp, encodeOp, type LogOp } from '../core/format/ops.js';
import { decodeSegment, encodeSegment, segmentFileRows } from '../core/format/segment.js';
import { encodeTokenFile } from '../core/format/tokens.js';
import type { TokenFileTable } from '../core/multivector/token-column.js';
import { TOKEN_CACHE_BYTES_DEFAULT, TokenReader, segmentTokens, tokenFileName } from './multivector.js';
import { type Codebook, encodeCodebook } from '../core/collection/codebook.js';
import type { BuildWorkers } from '../core/index/index.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { LIMITS } from '../core/lib/limits.js';
import { encodeTextIndex } from '../core/text/codec.js';
import type { StorageAdapter } from '../storage/adapter.js';
import { DurableStore, type CheckpointPlan, writeManifestFile, writeSegmentFiles } from '../storage/store.js';
import { CompressionWork } from './compression.js';
import { RECALL_BATCH, checkRecall } from './recall-check.js';
import { SegmentGone, SegmentRows } from './rows.js';
import { Collection, type EmbeddingInfo, embeddingInfo, packTrainQueries } from './collection.js';
import { Embedders } from './embedders.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';
import { type OpenOptions, type ResolvedOptions, checkCollectionName, resolveCollectionConfig, resolveOpenOptions } from './config.js';
import { runtime } from './runtime.js';
import { yieldToEventLoop } from './yield.js';

export interface CollectionInfo {
  name: string;
  dimension: number;
  metric: CollectionDefinition['metric'];
  index: string;
  count: number;
  /** Collections with an embedding function: its config (no secrets), model name and dimension. */
  embedding?: EmbeddingInfo;
  chunking?: { by: 'tokens' | 'sentences'; size: number; overlap: number };
  /** Multi-vector collections (dimension is then the token vectors'). */
  multivector?: true;
}

/** Background indexing inserts this many rows between clock checks, and yields after INDEX_SLICE_MS. */
const INDEX_SLICE_ROWS = 32;
const INDEX_SLICE_MS = 20;
/** Rows an LID estimate handles between clock checks (each is about one graph query per segment). */
const LID_SLICE_ROWS = 16;
/** Pending rows of one segment from which its graph is built on buildThreads threads. */
const PARALLEL_BUILD_MIN_ROWS = 4096;
/** Compaction rewrites a sealed segment once this share of its records is deleted or replaced. */
const COMPACT_DELETED_RATIO = 0.3;
/** Sealed segments under this share of the cap are merged with their neighbours. */
const SMALL_SEGMENT_RATIO = 0.25;
/** The exact re-runs of sampled queries (estimatedRecall) take at most this share of the time. */
const RECALL_CHECK_SHARE = 0.05;
/** ... and start at most this long after a query was sampled (unless the database is idle()). */
const RECALL_CHECK_DELAY_MS = 1000;

export class Quiver {
  /** Where the database lives: a path, an adapter's location, or ':memory:'. */
  readonly location: string;
  readonly kernels: KernelBackend;
  private readonly options: ResolvedOptions;
  private readonly store: DurableStore | null;
  private readonly engines = new Map<string, CollectionEngine>();
  /** Embedding functions of the collections that have one, loaded on first use. */
  private readonly embedders = new Embedders();
  private lastLsn = 0;
  private nextSegmentId = 1;
  private nextCollectionId = 1;
  private checkpointCount = 0;
  private state: 'open' | 'closed' = 'open';
  /** Background work (checkpoints, compaction) runs one at a time on this chain. */
  private background: Promise<void> = Promise.resolve();
  private backgroundQueued = false;
  /** A failure of background work; every later call throws it (a broken invariant stays untranslated). */
  private backgroundError: unknown = null;
  /** The background loop that inserts pending rows into their segments' graphs, or null when idle. */
  private indexing: Promise<void> | null = null;
  /** Compaction rewrites segments in place (graph repair), so it waits while a backup encodes them. */
  private backupsRunning = 0;
  /**
   * Threads graph builds use: options.buildThreads, else the runtime's default (all cores); 1 when the
   * kernels have no shared memory or the runtime no worker threads.
   */
  readonly buildThreads: number;
  /** Worker threads of parallel builds (buildThreads - 1 of them), started on first use. */
  private buildPool: (BuildWorkers<never> & { close(): Promise<void> }) | null = null;
  /** The parallel build in progress (one at a time), or null. */
  private parallelBuild: Promise<void> | null = null;
  /** Float32 rows of segments whose files keep them (quantized collections), read back on demand. */
  readonly rows: SegmentRows;
  /** Token vectors of multi-vector collections' segments, read from token files for re-ranking (cached). */
  readonly tokens: TokenReader;
  /** Training, re-training and encoding of compressed collections, in the background. */
  private readonly compression: CompressionWork;
  /** The exact re-run of sampled queries in progress, or the timer that will start one. */
  private recallCheck: Promise<void> | null = null;
  private recallTimer: ReturnType<typeof setTimeout> | null = null;
  private recallNotBefore = 0;

  private constructor(location: string, options: ResolvedOptions, kernels: KernelBackend, store: DurableStore | null) {
    this.location = location;
    this.options = options;
    this.kernels = kernels;
    this.store = store;
    this.rows = new SegmentRows(store);
    this.tokens = new TokenReader(store?.adapter ?? null, TOKEN_CACHE_BYTES_DEFAULT);
    this.compression = new CompressionWork({
      engines: () => this.engines.values(),
      isLive: (engine) => this.state === 'open' && this.backgroundError === null && this.engines.get(engine.name) === engine,
      rows: this.rows,
      changed: () => {
        this.releaseVectors();
        this.scheduleIndexing();
        this.maybeScheduleBackground();
      },
      failed: (error) => {
        this.backgroundError ??= error;
      },
    });
    const rt = runtime();
    const wanted = options.buildThreads ?? rt.defaultBuildThreads?.() ?? 1;
    this.buildThreads = wanted > 1 && kernels.sharedMemory === true && rt.buildWorkers !== undefined && typeof SharedArrayBuffer === 'function' ? wanted : 1;
  }

  /** Opens (or creates) a database. Without `path` or `storage` it lives in memory only. */
  static async open(options?: OpenOptions): Promise<Quiver> {
    const resolved = resolveOpenOptions(options);
    const rt = runtime();
    const kernels = rt.kernels(resolved.kernels);
    const adapter: StorageAdapter | undefined = options?.storage ?? (options?.path ? rt.openStorage(options.path) : undefined);
    if (!adapter) return new Quiver(':memory:', resolved, kernels, null);
    const { store, manifest } = await DurableStore.open(adapter, { durability: resolved.durability, syncIntervalMs: resolved.syncIntervalMs });
    const db = new Quiver(adapter.location, resolved, kernels, store);
    try {
      await db.recover(manifest);
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    // a reindex or a training cut short by the last close (or a crash) goes on
    void db.compression.schedule();
    return db;
  }

  // ---- collections ----

  async createCollection(name: string, config: Parameters<typeof resolveCollectionConfig>[0]): Promise<Collection> {
    this.ensureOpen();
    checkCollectionName(name);
    const { embedding: embeddingConfig, dimension: givenDimension, ...resolved } = resolveCollectionConfig(config);
    const checkFree = () => {
      if (this.engines.has(name)) throw new QuiverError('COLLECTION_EXISTS', `A collection named "${name}" already exists. Drop it first, or pick another name.`, { collection: name });
      if (this.engines.size >= LIMITS.collectionsMax) {
        throw new QuiverError('LIMIT_EXCEEDED', `A database holds at most ${LIMITS.collectionsMax} collections.`, { limit: 'collectionsMax', maximum: LIMITS.collectionsMax });
      }
    };
    checkFree();
    const model = embeddingConfig === undefined ? null : await this.collectionModel(embeddingConfig, givenDimension);
    if (model !== null) {
      // loading the model took a while: the name may have been taken meanwhile
      this.ensureOpen();
      checkFree();
    }
    const dimension = model?.dimension ?? givenDimension!;
    if (givenDimension === undefined) checkIndexForDimension(resolved.index, dimension, resolved.metric);
    const definition: CollectionDefinition = { name, id: this.nextCollectionId++, dimension, ...resolved, ...(model !== null ? { embedding: model.embedding } : {}) };
    // LeanVec-OOD's sample queries (reduce.trainQueries) are held by the collection, not logged or persisted
    const rawQueries = indexTrainQueries((config as { index?: unknown } | undefined)?.index);
    const queries = rawQueries === undefined ? null : packTrainQueries(rawQueries, definition, 'index.reduce.trainQueries');
    await this.write({ type: 'create', lsn: 0, collection: definition }, () => this.applyCreate(definition));
    if (queries !== null) this.engines.get(name)?.setTrainQueries(queries);
    return this.collection(name);
  }

  /** Loads a new collection's embedding function: its dimension (which a given one must equal) and name. */
  private async collectionModel(config: EmbeddingConfig, dimension: number | undefined): Promise<{ dimension: number; embedding: EmbeddingSetting }> {
    const fn = await this.embedders.load(config, dimension);
    if (dimension !== undefined && dimension !== fn.dimension) {
      throw new QuiverError('DIMENSION_MISMATCH', `dimension is ${dimension} but the embedding model ${fn.name} makes ${fn.dimension}-d vectors; leave dimension out (it comes from the model) or give ${fn.dimension}.`, {
        field: 'dimension',
        expected: fn.dimension,
        received: dimension,
        model: fn.name,
      });
    }
    return { dimension: fn.dimension, embedding: { config: config as EmbeddingSetting['config'], model: fn.name } };
  }

  /** @internal The collection's embedding function, loaded on first use and checked against its model. */
  async embedderOf(engine: CollectionEngine): Promise<EmbeddingFunction> {
    const fn = await this.embedders.forCollection(engine.definition);
    this.ensureOpen();
    return fn;
  }

  /** A handle without I/O; operations on a missing collection reject with COLLECTION_NOT_FOUND. */
  collection(name: string): Collection {
    return new Collection(this, name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    this.ensureOpen();
    return [...this.engines.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => ({
        name: e.name,
        dimension: e.definition.multivector?.dimension ?? e.definition.dimension,
        metric: e.definition.metric,
        index: e.recipe,
        count: e.count,
        ...embeddingInfo(e.definition),
        ...(e.definition.multivector ? { multivector: true } : {}),
      }));
  }

  async dropCollection(name: string): Promise<void> {
    const engine = this.engine(name);
    await this.write({ type: 'drop', lsn: 0, name, id: engine.definition.id }, () => this.engines.delete(name));
  }

  // ---- lifecycle ----

  /**
   * Writes a consistent copy to `dir` (a new or empty directory) while writes continue: the state at the
   * moment of the call, as sealed segments and a manifest. Quiver.open({ path: dir }) opens it.
   */
  async backup(dir: string | StorageAdapter): Promise<void> {
    this.ensureOpen();
    const target = typeof dir === 'string' ? runtime().openStorage(dir) : dir;
    const lock = await target.lock();
    try {
      const existing = (await target.list()).filter((f) => f !== 'LOCK');
      if (existing.length > 0) {
        throw new QuiverError('INVALID_ARGUMENT', `Backup target ${target.location} is not empty (${existing.slice(0, 3).join(', ')}). Back up into a new or empty directory.`, { target: target.location });
      }
      for (const engine of this.engines.values()) engine.freeze();
      const plan = this.snapshotPlan(true);
      this.backupsRunning++;
      try {
        await writeSegmentFiles(target, plan.newSegments);
        await writeManifestFile(target, plan.encodeManifest(1));
      } finally {
        this.backupsRunning--;
      }
    } finally {
      await lock.release();
      await target.close?.();
    }
  }

  /** Persists everything to segment files now, so reopening replays no log. */
  async checkpoint(): Promise<void> {
    this.ensureOpen();
    await this.runInBackground(() => this.checkpointNow(false));
  }

  /**
   * Resolves when background work is done: every stored row is in its segment's graph, and the
   * checkpoints and compactions scheduled so far have finished.
   */
  async idle(): Promise<void> {
    this.scheduleIndexing();
    void this.compression.schedule();
    for (;;) {
      while (this.indexing || this.backgroundQueued || this.compression.pending) {
        await this.indexing;
        await this.compression.pending;
        await this.background;
        // a segment a graph build held back from encoding is free now
        void this.compression.schedule();
      }
      await this.background;
      if (this.backgroundError) throw this.backgroundError;
      // sampled queries are checked now rather than after their delay
      if (!this.hasPendingRecall() && this.recallCheck === null) break;
      await this.runRecallCheck();
      if (this.backgroundError) throw this.backgroundError;
      if (!this.indexing && !this.backgroundQueued && !this.compression.pending && !this.hasPendingRecall()) break;
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.recallTimer) clearTimeout(this.recallTimer);
    await this.recallCheck?.catch(() => undefined);
    await this.compression.pending?.catch(() => undefined);
    await this.indexing;
    await this.parallelBuild?.catch(() => undefined);
    await this.background.catch(() => undefined);
    await this.buildPool?.close();
    this.buildPool = null;
    await this.embedders.close();
    if (this.store) {
      try {
        if (!this.backgroundError) await this.checkpointNow(true);
      } finally {
        await this.store.close();
      }
    }
    this.engines.clear();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  // ---- used by Collection handles ----

  /** @internal */
  engine(name: string): CollectionEngine {
    this.ensureOpen();
    const engine = this.engines.get(name);
    if (!engine) throw new QuiverError('COLLECTION_NOT_FOUND', `No collection named "${name}". Create it with createCollection, or check listCollections().`, { collection: name });
    return engine;
  }

  /** @internal Logs an upsert of validated records and applies it; resolves with its sequence once durable. */
  async writeUpsert(engine: CollectionEngine, records: StoredRecord[]): Promise<string> {
    const op: LogOp = { type: 'upsert', lsn: 0, name: engine.name, id: engine.definition.id, dimension: engine.definition.dimension, records };
    return this.write(op, () => engine.upsert(records));
  }

  /** @internal */
  async writeDelete(engine: CollectionEngine, keys: string[]): Promise<{ count: number; sequence: string }> {
    let count = 0;
    const sequence = await this.write({ type: 'delete', lsn: 0, name: engine.name, id: engine.definition.id, keys }, () => {
      count = engine.delete(keys);
    });
    return { count, sequence };
  }

  /**
   * @internal collection.optimize: a quantized collection (re-)trains on a sample of its rows now, and
   * every segment is encoded with the new codebook; then its sealed segments are merged and checkpointed.
   * With insertionOrder 'lid' the merge is an LID-ordered rewrite: once the segments' graphs cover their
   * rows, each row's LID is estimated from them (in slices, yielding like the indexer), then the rows are
   * rewritten in descending LID order (codes copied) and the indexer rebuilds the graph in that order.
   */
  async optimizeCollection(engine: CollectionEngine): Promise<void> {
    if (engine.quantized && engine.count >= Math.max(1, engine.minimumTrainingRows)) {
      await this.compression.pending;
      await this.compression.train(engine);
    }
    await this.settleCompression(engine);
    await this.runInBackground(async () => {
      engine.freeze();
      const reorder = insertionOrderOfConfig(engine.definition.index) === 'lid' ? engine.lidRewriteCandidates() : [];
      if (reorder.length > 0) {
        await this.waitUntilIndexed(reorder);
        if (this.state !== 'open' || this.backgroundError) return;
        // the estimate's queries and the rewritten rows are float32: segments that keep them only in their
        // files have them read back (the new segment's are released again once it is written)
        for (const s of reorder) if (s.vectors === null) s.restoreVectors(await this.rows.all(s));
        if (this.state !== 'open' || this.backgroundError) return;
        const estimator = engine.lidEstimator(reorder);
        let started = performance.now();
        while (estimator.step(LID_SLICE_ROWS) > 0) {
          if (performance.now() - started < INDEX_SLICE_MS) continue;
          await yieldToEventLoop();
          if (this.state !== 'open' || this.backgroundError) return;
          started = performance.now();
        }
        engine.rewriteInLidOrder(estimator);
      } else {
        engine.compact((segments) => (segments.length > 1 || segments.some((s) => s.deleted > 0) ? [...segments] : []));
      }
      if (this.store) await this.checkpointNow(false);
    });
  }

  /** Resolves once the segments' graphs cover all their rows (no parallel build running on them). */
  private async waitUntilIndexed(segments: readonly Segment[]): Promise<void> {
    while (this.state === 'open' && !this.backgroundError && segments.some((s) => s.unindexed > 0 || s.graph?.building === true)) {
      this.scheduleIndexing();
      await (this.parallelBuild ?? new Promise((resolve) => setTimeout(resolve, INDEX_SLICE_MS)));
    }
}

  /**
   * @internal collection.reindex: switches the collection to `index` at once (new rows follow it), then
   * converts the existing segments in the background — re-encoded when only the compression changed,
   * rebuilt (same rows, new graph) otherwise — while the old ones keep answering queries. Resolves when
   * every segment follows the new index and, on disk, a checkpoint has made it durable.
   */
  async reindexCollection(engine: CollectionEngine, index: IndexConfig, trainQueries?: Float32Array): Promise<void> {
    this.ensureOpen();
    if (JSON.stringify(index) !== JSON.stringify(engine.definition.index)) {
      engine.changeIndex(index);
      // segments from files without an index section are written again, with it, before the manifest
      // names the new index: a reopen must know which index each one still follows
      for (const s of engine.sealed) if (s.persisted && s.file === null) s.persisted = false;
    }
    if (trainQueries) engine.setTrainQueries(trainQueries);
    // new sample queries train LeanVec-OOD now (a LeanVec-ID codebook would otherwise serve it as the fallback)
    if (engine.wantsTraining || (trainQueries && engine.count >= Math.max(1, engine.minimumTrainingRows))) {
      await this.compression.pending;
      await this.compression.train(engine);
    }
    await this.settleCompression(engine);
    if (this.store && this.engines.get(engine.name) === engine) await this.checkpoint();
  }

  /** Waits until the background compression work leaves nothing to do for `engine`. */
  private async settleCompression(engine: CollectionEngine): Promise<void> {
    while (this.state === 'open' && this.engines.get(engine.name) === engine && (engine.wantsTraining || engine.staleSegments().length > 0)) {
      await this.compression.schedule();
      if (this.backgroundError) throw this.backgroundError;
    }
    this.ensureOpen();
  }

  /** @internal */
  storageInfo(): { durability: string; persistent: boolean; walBytes: number; checkpoints: number } {
    return { durability: this.options.durability, persistent: this.store !== null, walBytes: this.store?.walBytes ?? 0, checkpoints: this.checkpointCount };
  }

  /**
   * @internal The float32 rows of live keys, from memory or the segment files (quantized collections keep
   * only codes in memory). Null where the key no longer exists: deleted, or compacted away and deleted,
   * while the read was in flight.
   */
  async readVectors(engine: CollectionEngine, keys: readonly string[]): Promise<(Float32Array | null)[]> {
    const out: (Float32Array | null)[] = new Array(keys.length).fill(null);
    let todo = keys.map((_, i) => i);
    for (let attempt = 0; todo.length > 0; attempt++) {
      const bySegment = new Map<Segment, number[]>();
      for (const i of todo) {
        const ref = engine.locate(keys[i]);
        if (ref === null) continue;
        const list = bySegment.get(ref.segment);
        if (list) list.push(i);
        else bySegment.set(ref.segment, [i]);
      }
      const retry: number[] = [];
      for (const [segment, indexes] of bySegment) {
        const slots = indexes.map((i) => engine.locate(keys[i])!.slot);
        try {
          const rows = await this.rows.slots(segment, slots);
          indexes.forEach((i, n) => (out[i] = rows[n]));
        } catch (error) {
          // the segment was compacted away during the read: its keys live elsewhere now
          if (!(error instanceof SegmentGone) || attempt >= 3) throw error;
          retry.push(...indexes);
        }
      }
      todo = retry;
    }
    return out;
  }

  /** @internal A live query was sampled for an exact re-run: check it soon, within the time budget. */
  scheduleRecallCheck(): void {
    if (this.recallTimer !== null || this.recallCheck !== null || this.state !== 'open') return;
    const delay = Math.max(RECALL_CHECK_DELAY_MS, this.recallNotBefore - performance.now());
    this.recallTimer = setTimeout(() => {
      this.recallTimer = null;
      void this.runRecallCheck();
    }, delay);
    this.recallTimer.unref?.();
  }

  // ---- internals ----

  /**
   * A segment file's bytes: records, graph, and for quantized segments the codebook and codes. The
   * float32 rows come from memory, or from the segment's current file when they left memory.
   */
  private async encodeSegmentOf(s: Segment): Promise<Uint8Array> {
    const vectors = s.vectors?.packed() ?? s.loadedVectors ?? (await this.rows.all(s));
    const graph = s.graph ? { kind: s.graph.kind, bytes: s.graph.encode() } : undefined;
    const codes = s.codes;
    return encodeSegment({
      id: s.id,
      dimension: s.dimension,
      keys: s.keys,
      vectors,
      metadata: s.metadata,
      documents: s.documents,
      graph,
      payloadIndex: encodePayloadIndex(s.payload, s.count),
      textIndex: s.text ? encodeTextIndex(s.text, s.count) : undefined,
      index: s.index,
      ...(codes && s.codebook
        ? {
            codebook: encodedCodebook(s.codebook),
            codes: { codes: codes.encoded(), residuals: codes.encodedResiduals(), rerank: s.rerankCodes?.encoded() ?? new Uint8Array(0) },
          }
        : {}),
    });
  }

  private hasPendingRecall(): boolean {
    for (const engine of this.engines.values()) if (engine.recall.pendingCount > 0) return true;
    return false;
  }

  /**
   * Re-runs sampled queries exactly (a batch per collection) and records their recall. The next check
   * waits 1/RECALL_CHECK_SHARE times as long as this one took, so checks take a bounded share of time.
   */
  private runRecallCheck(): Promise<void> {
    if (this.recallCheck) return this.recallCheck;
    const started = performance.now();
    this.recallCheck = (async () => {
      for (const engine of [...this.engines.values()]) {
        const samples = engine.recall.take(RECALL_BATCH);
        if (samples.length === 0 || this.state !== 'open') continue;
        try {
          await checkRecall(engine, samples, this.rows, this.kernels);
        } catch (error) {
          // a segment compacted away mid-pass: these samples are dropped, later ones are checked
          if (!(error instanceof SegmentGone)) throw error;
        }
      }
    })()
      .catch((error: unknown) => {
        this.backgroundError ??= error;
      })
      .finally(() => {
        this.recallCheck = null;
        this.recallNotBefore = performance.now() + (performance.now() - started) / RECALL_CHECK_SHARE;
        if (this.hasPendingRecall()) this.scheduleRecallCheck();
      });
    return this.recallCheck;
  }

  /** Drops float32 rows from memory where segment files keep them (quantized collections). */
  private releaseVectors(): void {
    if (this.store === null || this.state !== 'open') return;
    for (const engine of this.engines.values()) engine.releaseVectors();
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new QuiverError('CLOSED', 'The database is closed. Open it again with Quiver.open().', { location: this.location });
    if (this.backgroundError) throw this.backgroundError;
  }

  private context(): EngineContext {
    return {
      backend: this.kernels,
      segmentBytesMax: this.options.segmentBytesMax,
      buildThreads: this.buildThreads,
      vectorsOnDisk: this.store !== null,
      recallSampleRate: this.options.recallSampleRate,
      nextSegmentId: () => this.nextSegmentId++,
    };
  }

  private applyCreate(definition: CollectionDefinition): void {
    this.engines.set(definition.name, new CollectionEngine(definition, this.context()));
  }

  /** Logs `op`, applies it at once, resolves with its sequence token once durable. */
  private async write(op: LogOp, apply: () => void): Promise<string> {
    this.ensureOpen();
    op.lsn = this.lastLsn + 1;
    const durable = this.store ? this.store.log(encodeOp(op)) : Promise.resolve();
    this.lastLsn = op.lsn;
    apply();
    this.scheduleIndexing();
    if (op.type === 'upsert') void this.compression.schedule();
    await durable;
    this.maybeScheduleBackground();
    return String(op.lsn);
  }

  private async recover(manifestBytes: Uint8Array | null): Promise<void> {
    const store = this.store!;
    let walStart = 1;
    if (!manifestBytes) {
      // A new database: its first manifest exists before its first log file, so a directory with log
      // files and no manifest is always damage, never a crash during creation.
      const empty = { checkpoint: 0, walStart, lastLsn: 0, nextSegmentId: 1, nextCollectionId: 1, collections: [] };
      await store.writeManifest(store.adapter, encodeManifest(empty));
    } else {
      const manifest = decodeManifest(manifestBytes, 'MANIFEST');
      walStart = manifest.walStart;
      this.lastLsn = manifest.lastLsn;
      this.nextSegmentId = manifest.nextSegmentId;
      this.nextCollectionId = manifest.nextCollectionId;
      this.checkpointCount = manifest.checkpoint;
      for (const entry of manifest.collections) {
        const engine = new CollectionEngine(entry.definition, this.context());
        for (const s of entry.segments) {
          const { file, bytes } = await store.readSegmentFile(s.id);
          const contents = decodeSegment(bytes, file);
          if (contents.id !== s.id || contents.dimension !== entry.definition.dimension || contents.keys.length !== s.count) {
            throw new QuiverError('CORRUPTED', `Segment file ${file} does not match the manifest (id ${contents.id}, dimension ${contents.dimension}, ${contents.keys.length} records; expected id ${s.id}, dimension ${entry.definition.dimension}, ${s.count} records).`, { file });
          }
          // a multi-vector segment's token file: its table only, the rows stay on disk until re-ranked
          const tokens = entry.definition.multivector ? await this.tokens.table(s.id) : undefined;
          engine.restoreSegment(contents, s.deleted, file, tokens);
        }
        engine.finishRestore();
        this.engines.set(entry.definition.name, engine);
      }
    }
    await store.recover(walStart, (payload, file) => this.replay(decodeOp(payload, file), file));
  }

  private replay(op: LogOp, file: string): void {
    if (op.lsn <= this.lastLsn) {
      throw new QuiverError('CORRUPTED', `${file}: log record ${op.lsn} is not after ${this.lastLsn}; the log is out of order.`, { file, lsn: op.lsn });
    }
    this.lastLsn = op.lsn;
    if (op.type === 'create') {
      this.nextCollectionId = Math.max(this.nextCollectionId, op.collection.id + 1);
      this.applyCreate(op.collection);
      return;
    }
    const engine = this.engines.get(op.name);
    if (!engine || engine.definition.id !== op.id) {
      throw new QuiverError('CORRUPTED', `${file}: log record ${op.lsn} names collection "${op.name}" (#${op.id}), which does not exist at that point.`, { file, lsn: op.lsn });
    }
    if (op.type === 'drop') this.engines.delete(op.name);
    else if (op.type === 'upsert') engine.upsert(op.records);
    else engine.delete(op.keys);
  }

  /**
   * Inserts pending rows into the graphs in slices of about INDEX_SLICE_MS, yielding to the event loop
   * between slices so queries and writes keep flowing; pending rows are scanned exactly meanwhile.
   */
  private scheduleIndexing(): void {
    if (this.indexing || this.state !== 'open') return;
    if (![...this.engines.values()].some((e) => e.unindexed > 0)) return;
    this.indexing = (async () => {
      for (;;) {
        await yieldToEventLoop();
        if (this.state !== 'open' || this.backgroundError) break;
        this.startParallelBuild();
        const started = performance.now();
        let remaining = 0;
        do {
          remaining = 0;
          for (const engine of this.engines.values()) if (engine.unindexed > 0) remaining += engine.indexPending(INDEX_SLICE_ROWS);
        } while (remaining > 0 && performance.now() - started < INDEX_SLICE_MS);
        if (remaining > 0) continue;
        // only rows of a segment that builds in parallel are left: wait for it, then look again
        if (this.parallelBuild === null) break;
        await this.parallelBuild;
      }
      await this.parallelBuild;
    })()
      .catch((error: unknown) => {
        this.backgroundError ??= error;
      })
      .finally(() => {
        this.indexing = null;
        // sealed segments whose graph just completed may drop their float32 rows now (compressed collections)
        this.releaseVectors();
        this.maybeScheduleBackground();
        // segments whose graph was building are skipped by the encoding pass: look at them again
        if (this.state === 'open') void this.compression.schedule();
      });
  }

  /**
   * Hands a segment with many pending rows (PARALLEL_BUILD_MIN_ROWS) to a parallel build, when
   * buildThreads > 1 and none is running. Queries and writes go on meanwhile; the indexer's slices and
   * compaction leave that segment alone until the build is done.
   */
  private startParallelBuild(): void {
    if (this.buildThreads <= 1 || this.parallelBuild !== null) return;
    for (const engine of this.engines.values()) {
      const segment = engine.parallelCandidate(PARALLEL_BUILD_MIN_ROWS);
      if (segment === null) continue;
      this.buildPool ??= runtime().buildWorkers?.(this.buildThreads - 1) ?? null;
      if (this.buildPool === null || segment.graph?.insertUpToParallel === undefined) return;
      const build = segment.graph.insertUpToParallel(segment.count, this.buildPool);
      this.parallelBuild = build.finally(() => {
        this.parallelBuild = null;
      });
      return;
    }
  }

  /**
   * Queues background work: a checkpoint when the log has grown, a segment was sealed, or compaction
   * has work; in memory, just the compaction.
   */
  private maybeScheduleBackground(): void {
    if (!this.options.autoCheckpoint || this.backgroundQueued || this.state !== 'open') return;
    if (!(this.store ? this.needsCheckpoint() : this.compactionCandidates().length > 0)) return;
    this.backgroundQueued = true;
    this.runInBackground(async () => {
      this.backgroundQueued = false;
      if (this.state !== 'open') return;
      if (this.store) {
        if (this.needsCheckpoint()) await this.checkpointNow(false);
      } else {
        if (this.backupsRunning === 0) for (const engine of this.compactionCandidates()) engine.compact((segments) => this.pick(segments, engine));
      }
    }).catch(() => undefined);
  }

  private needsCheckpoint(): boolean {
    let liveBytes = 0;
    for (const engine of this.engines.values()) {
      if (engine.sealed.some((s) => !s.persisted || graphCompletedSinceWritten(s))) return true;
      liveBytes += engine.count * (engine.definition.dimension * 4 + 64);
    }
    // The log may grow to a quarter of the live data before it is folded into segments, so with
    // compaction at 30% dead a directory stays well under 2x its live data; the floor keeps tiny
    // databases from checkpointing on every write.
    const threshold = Math.min(this.options.checkpointWalBytes, Math.max(256 * 1024, liveBytes / 4));
    return this.store!.walBytes >= threshold || this.compactionCandidates().length > 0;
  }

  private compactionCandidates(): CollectionEngine[] {
    return [...this.engines.values()].filter((e) => this.pick(e.sealed, e).length > 0);
  }

  private pick(segments: readonly Segment[], engine: CollectionEngine): Segment[] {
    // on disk, only segments already written are rewritten; in memory every sealed segment qualifies
    return pickForCompaction(segments, this.options.segmentBytesMax, engine.definition.dimension, this.store !== null);
  }

  private runInBackground(task: () => Promise<void>): Promise<void> {
    // compaction can leave merged rows pending: the indexer picks them up after every task
    const run = this.background.then(task).then(() => this.scheduleIndexing());
    this.background = run.catch((error: unknown) => {
      this.backgroundError ??= error;
    });
    return run;
  }

  private async checkpointNow(closing: boolean): Promise<void> {
    const loaded = closing || this.backupsRunning > 0 ? [] : await this.loadForCompaction();
    try {
      await this.store!.checkpoint(() => {
        for (const engine of this.engines.values()) {
          engine.freeze();
          if (!closing && this.backupsRunning === 0) engine.compact((segments) => this.pick(segments, engine));
        }
        return this.snapshotPlan(false);
      });
    } finally {
      for (const segment of loaded) segment.loadedVectors = null;
    }
    this.releaseVectors();
  }

  /**
   * Compaction copies float32 rows into the merged segment (its file needs them): segments it is likely to
   * pick that keep their rows only in their file have them read back first (compact() passes over any
   * segment without its rows at hand). Returns the segments given rows, to drop them afterwards.
   */
  private async loadForCompaction(): Promise<Segment[]> {
    const loaded: Segment[] = [];
    for (const engine of [...this.engines.values()]) {
      const candidates = this.pick(
        engine.sealed.filter((s) => s.graph?.building !== true && !engine.isStale(s)),
        engine,
      );
      for (const segment of candidates) {
        if (segment.hasVectors) continue;
        try {
          segment.loadedVectors = await this.rows.all(segment);
          loaded.push(segment);
        } catch (error) {
          if (!(error instanceof SegmentGone)) throw error;
        }
      }
    }
    return loaded;
  }

  /** The manifest and segment files of the state right now (everything sealed). */
  private snapshotPlan(allSegments: boolean): CheckpointPlan {
    const checkpoint = this.checkpointCount + 1;
    const collections: ManifestData['collections'] = [];
    const newSegments: CheckpointPlan['newSegments'] = [];
    const written: Segment[] = [];
    const tokenLayouts = new Map<Segment, TokenFileTable>();
    const liveSegmentIds = new Set<number>();
    for (const engine of this.engines.values()) {
      const segments = engine.sealed.filter((s) => s.count > 0);
      collections.push({ definition: engine.definition, segments: segments.map((s) => ({ id: s.id, count: s.count, deleted: s.deletedSlots() })) });
      for (const s of segments) {
        liveSegmentIds.add(s.id);
        if (allSegments || !s.persisted || graphCompletedSinceWritten(s)) {
          written.push(s);
          const column = s.tokens;
          // a segment's token file is written once (its rows never change); a backup copies every one
          const companion =
            column !== null && (allSegments || column.ownFile !== s.id)
              ? {
                  file: tokenFileName(s.id),
                  encode: async () => {
                    const sets = await segmentTokens(this.tokens, s, Array.from({ length: s.count }, (_, slot) => slot));
                    const encoded = encodeTokenFile(s.id, column.dimension, sets.map((set, slot) => ({ rows: set.tokens, count: set.count, received: column.received(slot) })));
                    if (!allSegments) tokenLayouts.set(s, encoded.table);
                    return encoded.bytes;
                  },
                }
              : undefined;
          newSegments.push({
            id: s.id,
            encode: () => {
              if (!allSegments) s.graphEncodedSize = s.graph?.size ?? 0;
              return this.encodeSegmentOf(s);
            },
            ...(companion ? { companion } : {}),
          });
        }
      }
    }
    const base = { checkpoint, lastLsn: this.lastLsn, nextSegmentId: this.nextSegmentId, nextCollectionId: this.nextCollectionId, collections };
    return {
      newSegments,
      liveSegmentIds,
      encodeManifest: (walStart) => encodeManifest({ ...base, walStart }),
      onDurable: () => {
        if (allSegments) return;
        this.checkpointCount = checkpoint;
        for (const s of written) {
          s.persisted = true;
          s.graphPersistedSize = s.graphEncodedSize;
          // its file now keeps its float32 rows (with row checksums): they may leave memory
          s.file = segmentFileRows(s.count, s.dimension);
          // its token file now holds its token vectors: they leave memory, read back for re-ranking only
          const layout = tokenLayouts.get(s);
          if (layout) s.tokens!.adoptFile(s.id, layout.offsets, layout.checksums, true);
        }
      },
    };
  }
}

/** Codebook bytes by codebook: every segment of one training writes the same bytes. */
const codebookBytes = new WeakMap<Codebook, Uint8Array>();

function encodedCodebook(codebook: Codebook): Uint8Array {
  let bytes = codebookBytes.get(codebook);
  if (bytes === undefined) {
    bytes = encodeCodebook(codebook);
    codebookBytes.set(codebook, bytes);
  }
  return bytes;
}

/** A segment written while its graph was partial is written again once the graph covers every row. */
function graphCompletedSinceWritten(s: Segment): boolean {
  return s.persisted && s.graph !== null && s.graph.size === s.count && s.graphPersistedSize < s.count;
}

/**
 * Which sealed segments to rewrite: those with at least COMPACT_DELETED_RATIO of their records dead, plus
 * runs of small segments, merged while the result stays under the segment cap.
 */
export function pickForCompaction(segments: readonly Segment[], segmentBytesMax: number, dimension: number, persistedOnly: boolean): Segment[] {
  const rowBytes = Math.ceil((dimension * 4) / 16) * 16;
  const capRows = Math.max(1, Math.floor(segmentBytesMax / rowBytes));
  const dirty = (s: Segment) => s.count > 0 && s.deleted / s.count >= COMPACT_DELETED_RATIO;
  const small = (s: Segment) => s.liveCount < capRows * SMALL_SEGMENT_RATIO;
  const picked: Segment[] = [];
  let rows = 0;
  for (const s of segments) {
    if ((persistedOnly && !s.persisted) || !(dirty(s) || small(s))) continue;
    if (rows + s.liveCount > capRows) break;
    picked.push(s);
    rows += s.liveCount;
  }
  return picked.some(dirty) || picked.length > 1 ? picked : [];
}
