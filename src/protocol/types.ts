/**
 * The types a program sees on either side of the wire, shaped like the embedded API's (vectors are
 * Float32Array or number[] going in, Float32Array coming out). The client is written against these;
 * the server's route types come from the schemas in schemas.ts, which carry vectors in wire form.
 */
import type {
  CollectionInfoBody,
  MapResponseBody,
  CollectionStatsBody,
  QueryPlanBody,
  WireCollectionConfig,
  WireIndexConfig,
  WriteResultBody,
} from './schemas.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Metadata = { [key: string]: Json };
export type Metric = 'cosine' | 'dot' | 'l2';
export type VectorInput = Float32Array | number[];
export type IncludeField = 'metadata' | 'document' | 'vector';

export interface RecordInput {
  key: string;
  /** Optional when the collection has an embedding function and the record a document. */
  vector?: VectorInput;
  /** Multi-vector collections: the record's set of token vectors (instead of vector). */
  vectors?: VectorInput[];
  document?: string;
  metadata?: Metadata;
}

export interface UpdateInput {
  key: string;
  vector?: VectorInput;
  vectors?: VectorInput[];
  document?: string | null;
  metadata?: Metadata;
}

export interface StoredRecord {
  key: string;
  /** Absent in multi-vector collections, whose records have vectors. */
  vector: Float32Array;
  vectors?: Float32Array[];
  document?: string;
  metadata?: Metadata;
}

export interface Hit {
  key: string;
  score: number;
  /** Vector queries only. */
  distance?: number;
  metadata?: Metadata;
  document?: string;
  vector?: Float32Array;
  /** Multi-vector collections with include: ['vector']: the record's token vectors. */
  vectors?: Float32Array[];
  /** Chunked collections: the document's best chunks, best first. */
  chunks?: { key: string; index: number; score: number; distance?: number; start: number; end: number; text: string }[];
}

export interface QueryRequest {
  vector?: VectorInput;
  /** Multi-vector collections: the query's set of vectors, scored by MaxSim. */
  multivector?: VectorInput[];
  k?: number;
  filter?: unknown;
  include?: IncludeField[];
  search?: { ef?: number; candidates?: number };
  minScore?: number;
  /** Aborts the HTTP request (embedded: the query); the promise rejects with ABORTED. */
  signal?: AbortSignal;
  consistency?: 'eventual' | 'read-your-writes';
  /** read-your-writes: the write token(s) to wait for (merged); Quiver's client fills it in. */
  sequence?: string;
  text?: string;
  mode?: 'keyword' | 'vector' | 'hybrid';
  fusion?: unknown;
  group?: boolean;
  chunks?: number;
}

export type IndexConfig = Omit<WireIndexConfig, 'reduce'> & {
  reduce?: { method: NonNullable<WireIndexConfig['reduce']>['method']; dimension: number; trainQueries?: VectorInput[] };
};

export type CollectionConfig = Omit<WireCollectionConfig, 'index' | 'metric'> & { metric?: Metric; index?: string | IndexConfig };

export interface MapRequest {
  k?: number;
  sample?: number;
  seed?: number;
  epochs?: number;
  include?: 'metadata'[];
  /** Clusters to find and label with their documents' distinctive terms (docs/console.md). */
  topics?: number;
  /** Aborts the HTTP request; the server stops the job. */
  signal?: AbortSignal;
}

/** collection.map()'s result: as the embedded API's, coordinates as Float32Array (x, y interleaved). */
export type CollectionMap = Omit<MapResponseBody, 'coordinates' | 'pca' | 'metadata'> & {
  coordinates: Float32Array;
  pca: Float32Array;
  metadata?: (Metadata | null)[];
};

export type CollectionInfo = CollectionInfoBody;
export type CollectionStats = CollectionStatsBody;
export type QueryPlan = QueryPlanBody;
export type WriteResult = WriteResultBody;
