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
import { CollectionEngine, type CollectionDefinition, type EngineContext } from '../core/collection/collection.js';
import type { StoredRecord } from '../core/collection/records.js';
import type { Segment } from '../core/collection/segment.js';
import { printRecipe } from '../core/collection/recipe.js';
import { insertionOrderOfConfig } from '../core/collection/index-config.js';
import { QuiverError } from '../core/errors.js';
import { encodePayloadIndex } from '../core/filter/codec.js';
import { decodeManifest, encodeManifest, type ManifestData } from '../core/format/manifest.js';
import { decodeOp, encodeOp, type LogOp } from '../core/format/ops.js';
import { decodeSegment, encodeSegment } from '../core/format/segment.js';
import type { BuildWorkers } from '../core/index/index.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { LIMITS } from '../core/lib/limits.js';
import { encodeTextIndex } from '../core/text/codec.js';
import type { StorageAdapter } from '../storage/adapter.js';
import { DurableStore, type CheckpointPlan, writeManifestFile, writeSegmentFiles } from '../storage/store.js';
import { Collection } from './collection.js';
import { type OpenOptions, type ResolvedOptions, checkCollectionName, resolveCollectionConfig, resolveOpenOptions } from './config.js';
import { runtime } from './runtime.js';

export interface CollectionInfo {
  name: string;
  dimension: number;
  metric: CollectionDefinition['metric'];
  index: string;
  count: number;
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

export class Quiver {
  /** Where the database lives: a path, an adapter's location, or ':memory:'. */
  readonly location: string;
  readonly kernels: KernelBackend;
  private readonly options: ResolvedOptions;
  private readonly store: DurableStore | null;
  private readonly engines = new Map<string, CollectionEngine>();
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

  private constructor(location: string, options: ResolvedOptions, kernels: KernelBackend, store: DurableStore | null) {
    this.location = location;
    this.options = options;
    this.kernels = kernels;
    this.store = store;
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
    return db;
  }

  // ---- collections ----

  async createCollection(name: string, config: Parameters<typeof resolveCollectionConfig>[0]): Promise<Collection> {
    this.ensureOpen();
    checkCollectionName(name);
    const resolved = resolveCollectionConfig(config);
    if (this.engines.has(name)) throw new QuiverError('COLLECTION_EXISTS', `A collection named "${name}" already exists. Drop it first, or pick another name.`, { collection: name });
    if (this.engines.size >= LIMITS.collectionsMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `A database holds at most ${LIMITS.collectionsMax} collections.`, { limit: 'collectionsMax', maximum: LIMITS.collectionsMax });
    }
    const definition: CollectionDefinition = { name, id: this.nextCollectionId++, ...resolved };
    await this.write({ type: 'create', lsn: 0, collection: definition }, () => this.applyCreate(definition));
    return this.collection(name);
  }

  /** A handle without I/O; operations on a missing collection reject with COLLECTION_NOT_FOUND. */
  collection(name: string): Collection {
    return new Collection(this, name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    this.ensureOpen();
    return [...this.engines.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => ({ name: e.name, dimension: e.definition.dimension, metric: e.definition.metric, index: e.recipe, count: e.count }));
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
    while (this.indexing || this.backgroundQueued) {
      await this.indexing;
      await this.background;
    }
    await this.background;
    if (this.backgroundError) throw this.backgroundError;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.indexing;
    await this.parallelBuild?.catch(() => undefined);
    await this.background.catch(() => undefined);
    await this.buildPool?.close();
    this.buildPool = null;
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
   * @internal Merges a collection's sealed segments and checkpoints (collection.optimize). With
   * insertionOrder 'lid' the merge is an LID-ordered rewrite: once the segments' graphs cover their rows,
   * each row's LID is estimated from them (in slices, yielding like the indexer), then the rows are
   * rewritten in descending LID order and the indexer rebuilds the graph in that order.
   */
  async optimizeCollection(engine: CollectionEngine): Promise<void> {
    await this.runInBackground(async () => {
      engine.freeze();
      const reorder = insertionOrderOfConfig(engine.definition.index) === 'lid' ? engine.lidRewriteCandidates() : [];
      if (reorder.length > 0) {
        await this.waitUntilIndexed(reorder);
        if (this.state !== 'open' || this.backgroundError) return;
        const estimator = engine.lidEstimator(reorder);
        let started = performance.now();
        while (estimator.step(LID_SLICE_ROWS) > 0) {
          if (performance.now() - started < INDEX_SLICE_MS) continue;
          await new Promise((resolve) => setImmediate(resolve));
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

  /** @internal */
  storageInfo(): { durability: string; persistent: boolean; walBytes: number; checkpoints: number } {
    return { durability: this.options.durability, persistent: this.store !== null, walBytes: this.store?.walBytes ?? 0, checkpoints: this.checkpointCount };
  }

  // ---- internals ----

  private ensureOpen(): void {
    if (this.state !== 'open') throw new QuiverError('CLOSED', 'The database is closed. Open it again with Quiver.open().', { location: this.location });
    if (this.backgroundError) throw this.backgroundError;
  }

  private context(): EngineContext {
    return { backend: this.kernels, segmentBytesMax: this.options.segmentBytesMax, buildThreads: this.buildThreads, nextSegmentId: () => this.nextSegmentId++ };
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
          engine.restoreSegment(contents, s.deleted, file);
        }
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
        await new Promise((resolve) => setImmediate(resolve));
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
        this.maybeScheduleBackground();
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
    await this.store!.checkpoint(() => {
      for (const engine of this.engines.values()) {
        engine.freeze();
        if (!closing && this.backupsRunning === 0) engine.compact((segments) => this.pick(segments, engine));
      }
      return this.snapshotPlan(false);
    });
  }

  /** The manifest and segment files of the state right now (everything sealed). */
  private snapshotPlan(allSegments: boolean): CheckpointPlan {
    const checkpoint = this.checkpointCount + 1;
    const collections: ManifestData['collections'] = [];
    const newSegments: CheckpointPlan['newSegments'] = [];
    const written: Segment[] = [];
    const liveSegmentIds = new Set<number>();
    for (const engine of this.engines.values()) {
      const segments = engine.sealed.filter((s) => s.count > 0);
      collections.push({ definition: engine.definition, segments: segments.map((s) => ({ id: s.id, count: s.count, deleted: s.deletedSlots() })) });
      for (const s of segments) {
        liveSegmentIds.add(s.id);
        if (allSegments || !s.persisted || graphCompletedSinceWritten(s)) {
          written.push(s);
          newSegments.push({
            id: s.id,
            encode: () => {
              if (!allSegments) s.graphEncodedSize = s.graph?.size ?? 0;
              return encodeSegmentOf(s);
            },
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
        for (const s of written) s.persisted = true;
        for (const s of written) s.graphPersistedSize = s.graphEncodedSize;
      },
    };
  }
}

function encodeSegmentOf(s: Segment): Uint8Array {
  const graph = s.graph ? { kind: s.graph.kind, bytes: s.graph.encode() } : undefined;
  const payloadIndex = encodePayloadIndex(s.payload, s.count);
  const textIndex = s.text ? encodeTextIndex(s.text, s.count) : undefined;
  return encodeSegment({ id: s.id, dimension: s.arena.dimension, keys: s.keys, vectors: s.arena.packed(), metadata: s.metadata, documents: s.documents, graph, payloadIndex, textIndex });
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
