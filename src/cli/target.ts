/**
 * What the CLI needs from a database: the methods the embedded `Quiver` and the HTTP `QuiverClient`
 * share ("the same database and collection methods", api.md). Every command is written against this,
 * so each works on a local directory and on a server alike; the few that only make sense on one side
 * (verify reads files; serve starts a server) say so.
 */
import type { CollectionConfig, CollectionInfo, Quiver } from '../index.js';

export interface TargetRecord {
  key: string;
  /** Every record's vector, except in multi-vector collections, whose records have `vectors`. */
  vector: ArrayLike<number>;
  vectors?: ArrayLike<number>[];
  document?: string;
  metadata?: Record<string, unknown>;
}

export interface TargetRecordInput {
  key: string;
  /** Absent for a document the collection embeds itself, and in multi-vector collections. */
  vector?: Float32Array | number[];
  /** A multi-vector record's vectors (docs/multivector.md). */
  vectors?: (Float32Array | number[])[];
  document?: string;
  metadata?: Record<string, unknown>;
}

export interface TargetHit {
  key: string;
  score: number;
  distance?: number;
  metadata?: Record<string, unknown>;
  document?: string;
  vector?: ArrayLike<number>;
}

export interface TargetQuery {
  vector?: Float32Array | number[];
  /** Multi-vector collections: the query's set of vectors. */
  multivector?: (Float32Array | number[])[];
  text?: string;
  filter?: unknown;
  mode?: 'vector' | 'keyword' | 'hybrid';
  k?: number;
  include?: ('metadata' | 'document' | 'vector')[];
  search?: { ef?: number; candidates?: number };
}

export interface TargetStats {
  name?: string;
  count: number;
  dimension: number;
  metric: string;
  index: string;
  segments?: number;
  deletedRecords?: number;
  unindexed?: number;
  bytesPerVector?: Record<string, number>;
  estimatedRecall?: { recallAt10: number; sampleSize: number } | null;
  compression?: {
    quantizer: string;
    rerank: string;
    trained: boolean;
    generation: number;
    trainingRows: number;
    trainingThreshold: number;
    driftRatio: number | null;
    reducer?: { method: string; dimension: number; fitted: string | null; retained: number | null };
  } | null;
  kernel?: string;
  storage?: { durability?: string; walBytes?: number; checkpoints?: number };
}

export interface TargetCollection {
  upsert(records: TargetRecordInput[]): Promise<{ count: number; sequence: string }>;
  get(keys: string[]): Promise<(TargetRecord | null)[]>;
  count(): Promise<number>;
  scan(options?: { batchSize?: number }): AsyncIterable<TargetRecord[]>;
  query(request: TargetQuery): Promise<TargetHit[]>;
  stats(): Promise<TargetStats>;
}

/** listCollections' entries; the embedding config is whatever the collection stores (JSON over HTTP). */
export type TargetCollectionInfo = Omit<CollectionInfo, 'embedding' | 'chunking'> & { embedding?: { config: unknown; model: string; dimension: number }; chunking?: { by: string; size: number; overlap?: number } };

export interface Target {
  createCollection(name: string, config: CollectionConfig): Promise<unknown>;
  collection(name: string): TargetCollection;
  listCollections(): Promise<TargetCollectionInfo[]>;
  dropCollection(name: string): Promise<void>;
  /** Local: a directory path. Remote: a backup name the server writes under its backupDir. */
  backup(destination: string): Promise<unknown>;
  close?(): Promise<void>;
}

/** Where the target lives, for messages and import checkpoints. */
export interface OpenedTarget {
  target: Target;
  kind: 'local' | 'remote';
  /** The store's absolute path, or the server's URL. */
  location: string;
}

// The embedded database is a Target as it is (a compile-time check, no adapter in between).
export const embeddedIsTarget = (db: Quiver): Target => db;
