/**
 * The cluster's face: the embedded API's database and collection methods, answered by the cluster
 * (docs/cluster.md, "Writes" and "Reads"). Any node routes any request: writes are validated, split by
 * shard and published to the shards' streams, acknowledged once JetStream has every part; reads scatter
 * to one ready replica per shard (hedged) and merge exactly. The HTTP server serves this object in place
 * of a local database.
 */
import { randomUUID } from 'node:crypto';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { type CollectionConfig, type CollectionInfo, type CollectionStats, type Hit, LIMITS, Quiver, type QueryRequest, QuiverError, type RecordInput, type StoredRecord, type WriteResult } from '../index.js';
import { checkBatch, checkDocument, checkKey, checkMetadata, describe, isPlainObject, toStoredVector } from '../core/collection/records.js';
import { parseFilter } from '../core/filter/parse.js';
import { type ClusterSequence, formatClusterSequence, isClusterSequence, mergeSequences, parseClusterSequence } from '../protocol/sequence.js';
import { decodeF32, encodeF32 } from '../protocol/vectors.js';
import type { ClusterCollectionDefinition } from './definition.js';
import { shardOf } from './hash.js';
import { type WalMessage, encodeWal } from './messages.js';
import { collectionKey, streamName, walSubject } from './names.js';
import { type ClusterNode, whenJetStreamAnswers } from './node.js';
import { type RpcRequest, hedged, requestNode } from './rpc.js';

/** How long a request waits for each shard to have a ready replica (a new collection, a failover). */
const READY_WAIT_MS = 10_000;
/** A read's deadline on a replica, read-your-writes waits included. */
const READ_TIMEOUT_MS = 10_000;
const SHARDS_MAX = 256;
const CLUSTER_OPTIONS = ['shards', 'replicas'];

export type ClusterCollectionConfig = CollectionConfig & { shards?: number; replicas?: number };

export class ClusterDatabase {
  private scratch: Promise<Quiver> | null = null;
  /** Tokens of the writes made through this handle, per collection: its own read-your-writes session. */
  readonly session = new Map<string, string>();
  private open = true;

  constructor(readonly node: ClusterNode) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** A collection's definition: the watched catalog, or the bucket itself when the watch has not seen it yet. */
  async definition(name: string): Promise<ClusterCollectionDefinition> {
    const known = this.node.catalog.get(name);
    if (known) return known;
    const entry = await this.node.collectionsKv.get(collectionKey(name));
    if (entry && entry.operation === 'PUT') return entry.json<ClusterCollectionDefinition>();
    throw new QuiverError('COLLECTION_NOT_FOUND', `No collection named "${name}" in the cluster. Create it first (db.createCollection or POST /v1/collections).`, { collection: name });
  }

  async createCollection(name: string, config: ClusterCollectionConfig): Promise<ClusterCollection> {
    if (!isPlainObject(config as unknown)) throw new QuiverError('INVALID_ARGUMENT', `createCollection takes (name, config); got ${describe(config)}.`, {});
    const { shards = this.node.options.shards, replicas = this.node.options.replicas, ...engineConfig } = config;
    for (const [field, value, max] of [['shards', shards, SHARDS_MAX], ['replicas', replicas, 16]] as [string, number, number][]) {
      if (!Number.isInteger(value) || value < 1 || value > max) throw new QuiverError('INVALID_ARGUMENT', `${field} is a whole number from 1 to ${max}; got ${describe(value)}.`, { field });
    }
    if (engineConfig.embedding !== undefined || engineConfig.chunking !== undefined) {
      throw new QuiverError('UNSUPPORTED', 'Collections with an embedding function are not yet supported in a cluster (docs/cluster.md, "What is built"): embed the documents yourself and upsert vectors.', { field: 'embedding' });
    }
    // the engine's own checks of the name and the configuration, on an in-memory scratch database
    const scratch = await (this.scratch ??= Quiver.open());
    await scratch.createCollection(name, engineConfig);
    await scratch.dropCollection(name);
    const def: ClusterCollectionDefinition = { name, id: randomUUID().replace(/-/g, '').slice(0, 16), config: engineConfig, shards, replicas, createdAt: new Date().toISOString() };
    if (this.node.catalog.has(name) || (await this.node.collectionsKv.get(collectionKey(name)))?.operation === 'PUT') throw exists(name);
    for (let shard = 0; shard < shards; shard++) {
      await whenJetStreamAnswers(() => this.node.jsm.streams.add({
        name: streamName(def.id, shard),
        subjects: [walSubject(def.id, shard)],
        num_replicas: this.node.options.streamReplicas,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: 120_000_000_000, // 2 minutes, in nanoseconds: retried publishes are stored once
      }));
    }
    try {
      await this.node.collectionsKv.create(collectionKey(name), JSON.stringify(def));
    } catch (error) {
      for (let shard = 0; shard < shards; shard++) await this.node.jsm.streams.delete(streamName(def.id, shard)).catch(() => undefined);
      // the bucket decides who created the name first
      if (/wrong last sequence|key exists/i.test(String((error as Error).message))) throw exists(name);
      throw error;
    }
    this.node.catalog.set(name, def);
    void this.node.reconcile();
    return this.collection(name);
  }

  collection(name: string): ClusterCollection {
    return new ClusterCollection(this, name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    const names = new Set<string>(this.node.catalog.keys());
    const keys = await this.node.collectionsKv.keys();
    for await (const key of keys) {
      const entry = await this.node.collectionsKv.get(key);
      if (entry?.operation === 'PUT') names.add(entry.json<ClusterCollectionDefinition>().name);
    }
    const out: CollectionInfo[] = [];
    for (const name of [...names].sort()) {
      const stats = await this.collection(name).stats().catch(() => null);
      if (stats) out.push({ name, dimension: stats.dimension, metric: stats.metric, index: stats.index, count: stats.count } as CollectionInfo);
    }
    return out;
  }

  async dropCollection(name: string): Promise<void> {
    const def = await this.definition(name);
    await this.node.collectionsKv.delete(collectionKey(name));
    this.node.catalog.delete(name);
    for (let shard = 0; shard < def.shards; shard++) await this.node.jsm.streams.delete(streamName(def.id, shard)).catch(() => undefined);
    this.session.delete(name);
    void this.node.reconcile();
  }

  storageInfo(): { walBytes: number; checkpoints: number } {
    return { walBytes: 0, checkpoints: 0 };
  }

  async backup(): Promise<never> {
    throw new QuiverError('UNSUPPORTED', 'backup is not available on a cluster yet: the shard streams in JetStream are the durable copy (docs/cluster.md).', {});
  }

  async close(): Promise<void> {
    this.open = false;
    if (this.scratch) await (await this.scratch).close();
  }

  /** Asks one ready replica of a shard (hedging to the next), waiting a while for one to be ready. */
  async read<T>(def: ClusterCollectionDefinition, shard: number, request: RpcRequest): Promise<T> {
    const deadline = Date.now() + READY_WAIT_MS;
    let targets = this.node.readyReplicas(def, shard);
    while (targets.length === 0) {
      if (Date.now() > deadline) throw new QuiverError('UNAVAILABLE', `Shard ${shard} of collection "${def.name}" has no ready replica; retry when nodes have caught up (quiver cluster status).`, { collection: def.name, shard });
      await new Promise((resolve) => setTimeout(resolve, 100));
      targets = this.node.readyReplicas(def, shard);
    }
    return hedged(targets, (target) => (target === this.node.id ? this.node.serve(request) : requestNode(this.node.nc, target, request, request.timeoutMs + 1000)) as Promise<T>, this.node.options.hedgeMs);
  }
}

function exists(name: string): QuiverError {
  return new QuiverError('COLLECTION_EXISTS', `A collection named "${name}" already exists in the cluster. Drop it first, or pick another name.`, { collection: name });
}

export class ClusterCollection {
  constructor(
    private readonly db: ClusterDatabase,
    readonly name: string,
  ) {}

  async upsert(records: RecordInput[]): Promise<WriteResult> {
    const def = await this.db.definition(this.name);
    checkBatch(records, 'upsert');
    const dimension = def.config.dimension!;
    const metric = def.config.metric ?? 'cosine';
    const parts = new Map<number, StoredRecord[]>();
    records.forEach((record, index) => {
      if (!isPlainObject(record)) throw new QuiverError('INVALID_ARGUMENT', `Record ${index} is ${describe(record)}; records are objects { key, vector, document?, metadata? }.`, { index });
      const where = { index, key: record.key };
      checkKey(record.key, where);
      const unknown = Object.keys(record).filter((f) => !['key', 'vector', 'document', 'metadata'].includes(f));
      if (unknown.length > 0) throw new QuiverError('INVALID_ARGUMENT', `Record ${index} has unknown field ${JSON.stringify(unknown[0])}; records have key, vector, document, metadata.`, { ...where, field: unknown[0] });
      const metadata = checkMetadata(record.metadata, where);
      const document = checkDocument(record.document, where);
      const out: StoredRecord = { key: record.key, vector: toStoredVector(record.vector, dimension, metric, where) };
      if (metadata !== undefined) out.metadata = metadata;
      if (document !== undefined) out.document = document;
      const shard = shardOf(record.key, def.shards);
      (parts.get(shard) ?? parts.set(shard, []).get(shard)!).push(out);
    });
    const sequence = await this.publish(def, [...parts].map(([shard, recs]) => [shard, { op: 'upsert', records: recs }]));
    return { count: records.length, sequence: formatClusterSequence(sequence) };
  }

  async update(): Promise<never> {
    throw new QuiverError('UNSUPPORTED', 'update is not yet available on a cluster (docs/cluster.md, "What is built"); upsert the whole record.', {});
  }

  async delete(keysOrFilter: string[] | { filter: unknown }): Promise<WriteResult> {
    const def = await this.db.definition(this.name);
    let messages: [number, WalMessage][];
    if (Array.isArray(keysOrFilter)) {
      const keys: string[] = keysOrFilter;
      checkBatch(keys, 'delete');
      keys.forEach((key, index) => checkKey(key, { index }));
      const parts = new Map<number, string[]>();
      for (const key of keys) {
        const shard = shardOf(key, def.shards);
        (parts.get(shard) ?? parts.set(shard, []).get(shard)!).push(key);
      }
      messages = [...parts].map(([shard, keys]) => [shard, { op: 'delete', keys }]);
    } else if (isPlainObject(keysOrFilter) && 'filter' in keysOrFilter && Object.keys(keysOrFilter).length === 1) {
      parseFilter(keysOrFilter.filter);
      messages = Array.from({ length: def.shards }, (_, shard): [number, WalMessage] => [shard, { op: 'delete-filter', filter: keysOrFilter.filter }]);
    } else throw new QuiverError('INVALID_ARGUMENT', `delete takes an array of keys or { filter }; got ${describe(keysOrFilter)}.`, {});
    const sequence = await this.publish(def, messages);
    // single-node semantics: count what was deleted, which a replica knows once it has applied the message
    const counts = await Promise.all(
      messages.map(([shard]) => this.db.read<number>(def, shard, { op: 'result', collectionId: def.id, shard, waitFor: sequence.shards[shard], timeoutMs: READ_TIMEOUT_MS })),
    );
    return { count: counts.reduce((a, b) => a + b, 0), sequence: formatClusterSequence(sequence) };
  }

  /** Publishes each shard's part and waits for every PubAck (a quorum of the stream's replicas). */
  private async publish(def: ClusterCollectionDefinition, parts: [number, WalMessage][]): Promise<ClusterSequence> {
    const maxPayload = this.db.node.nc.info?.max_payload ?? 1024 * 1024;
    const encoded = parts.map(([shard, message]) => [shard, encodeWal(message)] as const);
    for (const [shard, bytes] of encoded) {
      if (bytes.length > maxPayload - 1024) {
        throw new QuiverError('LIMIT_EXCEEDED', `Shard ${shard}'s part of this batch is ${bytes.length} bytes; the NATS servers accept messages up to ${maxPayload} (max_payload). Send smaller batches, or raise max_payload in nats-server's configuration (docs/cluster.md).`, { limit: 'max_payload', received: bytes.length, maximum: maxPayload });
      }
    }
    const batch = randomUUID();
    const settled = await Promise.allSettled(encoded.map(([shard, bytes]) => this.db.node.js.publish(walSubject(def.id, shard), bytes, { msgID: `${batch}.${shard}`, timeout: 10_000 })));
    const sequence: ClusterSequence = { collectionId: def.id, shards: new Array<number>(def.shards).fill(0) };
    const failed: number[] = [];
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') sequence.shards[encoded[i][0]] = result.value.seq;
      else failed.push(encoded[i][0]);
    });
    if (failed.length > 0) {
      const acknowledged = encoded.map(([shard]) => shard).filter((shard) => !failed.includes(shard));
      const reason = (settled.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
      throw new QuiverError('UNAVAILABLE', `The write reached JetStream for shards [${acknowledged.join(', ')}] but not for [${failed.join(', ')}] (${reason.message}); batches are atomic per shard, so retry the batch (it is idempotent).`, { acknowledgedShards: acknowledged, failedShards: failed }, { cause: reason });
    }
    this.db.session.set(this.name, mergeSequences(this.db.session.get(this.name), formatClusterSequence(sequence))!);
    return sequence;
  }

  async get(keys: string[]): Promise<(StoredRecord | null)[]> {
    const def = await this.db.definition(this.name);
    checkBatch(keys, 'get');
    keys.forEach((key, index) => checkKey(key, { index }));
    const parts = new Map<number, string[]>();
    for (const key of keys) {
      const shard = shardOf(key, def.shards);
      (parts.get(shard) ?? parts.set(shard, []).get(shard)!).push(key);
    }
    const found = new Map<string, StoredRecord | null>();
    await Promise.all(
      [...parts].map(async ([shard, shardKeys]) => {
        const records = await this.db.read<((StoredRecord & { vector: string }) | null)[]>(def, shard, { op: 'get', collectionId: def.id, shard, keys: shardKeys, waitFor: 0, timeoutMs: READ_TIMEOUT_MS });
        records.forEach((r, i) => found.set(shardKeys[i], r === null ? null : { ...r, vector: decodeF32(r.vector, {}, true) }));
      }),
    );
    return keys.map((key) => found.get(key) ?? null);
  }

  async count(options?: { filter?: unknown }): Promise<number> {
    const def = await this.db.definition(this.name);
    const filter = options?.filter;
    if (filter !== undefined) parseFilter(filter);
    const counts = await Promise.all(Array.from({ length: def.shards }, (_, shard) => this.db.read<number>(def, shard, { op: 'count', collectionId: def.id, shard, filter, waitFor: 0, timeoutMs: READ_TIMEOUT_MS })));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The per-shard sequences a read must wait for: none for 'eventual' (the cluster default). */
  private waitFor(def: ClusterCollectionDefinition, request: QueryRequest & { sequence?: string }): number[] {
    const none = new Array<number>(def.shards).fill(0);
    if (request.consistency !== 'read-your-writes') return none;
    const token = mergeSequences(this.db.session.get(this.name), request.sequence);
    if (token === undefined || !isClusterSequence(token)) return none;
    const parsed = parseClusterSequence(token);
    return parsed.collectionId === def.id && parsed.shards.length === def.shards ? parsed.shards : none;
  }

  async query(request: QueryRequest & { sequence?: string }): Promise<Hit[]> {
    const def = await this.db.definition(this.name);
    if (!isPlainObject(request as unknown)) throw new QuiverError('INVALID_ARGUMENT', `query takes a request object; got ${describe(request)}.`, {});
    if (request.text !== undefined || (request.mode !== undefined && request.mode !== 'vector')) {
      throw new QuiverError('UNSUPPORTED', 'Keyword and hybrid queries are not yet available on a cluster: they need collection-wide BM25 statistics (docs/cluster.md, "What is built"). Query by vector.', { field: 'text' });
    }
    if (request.signal?.aborted) throw new QuiverError('ABORTED', 'The query was aborted.', {});
    const { signal: _signal, sequence: _sequence, consistency: _consistency, vector, ...rest } = request;
    const k = request.k ?? 10;
    const waitFor = this.waitFor(def, request);
    const wireVector = vector instanceof Float32Array ? encodeF32(vector) : vector;
    const perShard = await Promise.all(
      Array.from({ length: def.shards }, (_, shard) =>
        this.db.read<(Hit & { vector?: string })[]>(def, shard, { op: 'query', collectionId: def.id, shard, request: { ...rest, vector: wireVector }, waitFor: waitFor[shard], timeoutMs: READ_TIMEOUT_MS }),
      ),
    );
    // exact top-k merge: every shard returned its own best k
    return perShard
      .flat()
      .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, k)
      .map((h) => (typeof h.vector === 'string' ? { ...h, vector: decodeF32(h.vector, {}, true) } : (h as Hit)));
  }

  async queryMany(requests: QueryRequest[]): Promise<Hit[][]> {
    if (!Array.isArray(requests)) throw new QuiverError('INVALID_ARGUMENT', `queryMany takes an array of query requests; got ${describe(requests)}.`, {});
    if (requests.length > LIMITS.queryManyMax) throw new QuiverError('LIMIT_EXCEEDED', `queryMany got ${requests.length} queries; the limit is ${LIMITS.queryManyMax}.`, { limit: 'queryManyMax', received: requests.length, maximum: LIMITS.queryManyMax });
    return Promise.all(requests.map((r) => this.query(r)));
  }

  /** The collection's stats summed over its shards (one replica each); `shards` and `replicas` added. */
  async stats(): Promise<CollectionStats & { shards: number; replicas: number }> {
    const def = await this.db.definition(this.name);
    const all = await Promise.all(Array.from({ length: def.shards }, (_, shard) => this.db.read<CollectionStats>(def, shard, { op: 'stats', collectionId: def.id, shard, waitFor: 0, timeoutMs: READ_TIMEOUT_MS })));
    const sum = (f: (s: CollectionStats) => number) => all.reduce((a, s) => a + f(s), 0);
    return { ...all[0], name: def.name, count: sum((s) => s.count), segments: sum((s) => s.segments), deletedRecords: sum((s) => s.deletedRecords), unindexed: sum((s) => s.unindexed), shards: def.shards, replicas: def.replicas };
  }

  private unsupported(what: string): never {
    throw new QuiverError('UNSUPPORTED', `${what} is not yet available on a cluster (docs/cluster.md, "What is built").`, {});
  }

  // eslint-disable-next-line require-yield
  async *scan(): AsyncGenerator<StoredRecord[]> {
    this.unsupported('scan');
  }
  async explain(): Promise<never> {
    this.unsupported('explain');
  }
  async optimize(): Promise<never> {
    this.unsupported('optimize');
  }
  async reindex(): Promise<never> {
    this.unsupported('reindex');
  }
  async map(): Promise<never> {
    this.unsupported('map');
  }
}
