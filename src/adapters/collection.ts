/**
 * What the framework adapters need from a collection: the methods an embedded `Collection`
 * (quiverdb) and a `RemoteCollection` (quiverdb/client) share, so the same adapter runs in-process and
 * against a server. Declared structurally here, so that an adapter loads neither the engine nor the
 * client by itself.
 */
import { QuiverError } from '../core/errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Metadata = { [key: string]: Json };

export interface AdapterHit {
  key: string;
  score: number;
  metadata?: Metadata;
  document?: string;
  vector?: Float32Array;
}

export interface AdapterQuery {
  vector?: Float32Array | number[];
  text?: string;
  mode?: 'keyword' | 'vector' | 'hybrid';
  k?: number;
  filter?: unknown;
  include?: ('metadata' | 'document' | 'vector')[];
  minScore?: number;
  signal?: AbortSignal;
}

export interface VectorCollection {
  readonly name: string;
  upsert(records: { key: string; vector: Float32Array | number[]; document?: string; metadata?: Metadata }[]): Promise<unknown>;
  query(request: AdapterQuery): Promise<AdapterHit[]>;
  delete(keysOrFilter: string[] | { filter: unknown }): Promise<{ count: number }>;
  get(keys: string[]): Promise<({ key: string; vector: Float32Array; document?: string; metadata?: Metadata } | null)[]>;
}

/** A database (embedded Quiver or QuiverClient) the adapters can create a collection in. */
export interface VectorDatabase {
  collection(name: string): VectorCollection;
  listCollections(): Promise<{ name: string; dimension: number }[]>;
  createCollection(name: string, config: { dimension: number; metric?: 'cosine' | 'dot' | 'l2'; index?: string }): Promise<unknown>;
}

/** Where an adapter stores its records: a collection handle, or a database and a name (created on first write). */
export type CollectionTarget =
  | { collection: VectorCollection }
  | { db: VectorDatabase; collectionName: string; metric?: 'cosine' | 'dot' | 'l2'; index?: string };

/** Resolves a CollectionTarget, creating the collection with the first vectors' dimension when it is missing. */
export class CollectionHandle {
  private resolved: VectorCollection | null;
  private readonly target: CollectionTarget;

  constructor(target: CollectionTarget) {
    if (typeof target !== 'object' || target === null || (!('collection' in target) && !('db' in target))) {
      throw new QuiverError('INVALID_ARGUMENT', 'Pass { collection } (a Quiver collection handle) or { db, collectionName } to the adapter.', {});
    }
    this.target = target;
    this.resolved = 'collection' in target ? target.collection : null;
  }

  get name(): string {
    return 'collection' in this.target ? this.target.collection.name : this.target.collectionName;
  }

  /** The collection for a write of vectors of `dimension` components: created with that dimension when missing. */
  async forWrite(dimension: number): Promise<VectorCollection> {
    if (this.resolved !== null) return this.resolved;
    const target = this.target as Extract<CollectionTarget, { db: VectorDatabase }>;
    const exists = (await target.db.listCollections()).some((c) => c.name === target.collectionName);
    if (!exists) {
      await target.db.createCollection(target.collectionName, { dimension, metric: target.metric ?? 'cosine', ...(target.index ? { index: target.index } : {}) });
    }
    this.resolved = target.db.collection(target.collectionName);
    return this.resolved;
  }

  /** The collection for reads: a missing one answers COLLECTION_NOT_FOUND from Quiver. */
  forRead(): VectorCollection {
    if (this.resolved !== null) return this.resolved;
    const target = this.target as Extract<CollectionTarget, { db: VectorDatabase }>;
    return target.db.collection(target.collectionName);
  }
}

/** A key for a record the caller gave no id for (crypto.randomUUID: Node 19+, browsers). */
export function newKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Metadata as Quiver stores it: a plain JSON object (undefined values dropped, dates as ISO strings). */
export function toMetadata(value: unknown, where: string): Metadata {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new QuiverError('INVALID_METADATA', `${where}: metadata must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}.`, {});
  }
  return JSON.parse(JSON.stringify(value)) as Metadata;
}
