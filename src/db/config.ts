/** Validation of the options a user passes to open() and createCollection(). */
import { QuiverError } from '../core/errors.js';
import { LIMITS, SEGMENT_BYTES_MAX_DEFAULT, SEGMENT_BYTES_MAX_LIMIT } from '../core/lib/limits.js';
import type { ChunkingSetting } from '../core/collection/collection.js';
import type { IndexConfig } from '../core/collection/recipe.js';
import { checkIndexForDimension, resolveIndexConfig } from '../core/collection/index-config.js';
import { RECALL_SAMPLING } from '../core/collection/recall.js';
import { type MultivectorSetting, type MuveraConfig, encodingDimension, resolveMultivector } from '../core/multivector/config.js';
import { type Metric, describe, isPlainObject } from '../core/collection/records.js';
import type { PayloadType } from '../core/filter/ast.js';
import { checkFieldPath } from '../core/filter/parse.js';
import type { TextOptions } from '../core/text/analyzer.js';
import { chunkText } from '../embed/chunking.js';
import { checkEmbeddingConfig } from '../embed/config.js';
import type { EmbeddingConfig } from '../embed/types.js';
import type { StorageAdapter } from '../storage/adapter.js';
import type { Durability } from '../storage/store.js';

export interface OpenOptions {
  /** A directory; omitted (and no `storage`) means an in-memory database. */
  path?: string;
  /** A storage adapter instead of a path (MemoryStorage, or a runtime's own). */
  storage?: StorageAdapter;
  /** 'sync' (default): a write resolves after its log record is fsynced. */
  durability?: Durability;
  /** Longest time a 'batched' write stays unsynced. */
  syncIntervalMs?: number;
  /** A segment's vector bytes at most; the growing segment is sealed when it fills. */
  segmentBytesMax?: number;
  /** WAL bytes that trigger a background checkpoint, at least (it also scales with the data). */
  checkpointWalBytes?: number;
  /** Checkpoints and compaction run by themselves after writes (default true). */
  autoCheckpoint?: boolean;
  /** 'auto' picks WebAssembly SIMD when the runtime has it, else the TypeScript reference kernels. */
  kernels?: 'auto' | 'wasm' | 'reference';
  /**
   * Threads a graph build may use (default: every core, os.availableParallelism()); 1 builds on the
   * calling thread only. Parallel builds need worker threads, SharedArrayBuffer and the WASM kernels;
   * elsewhere builds are single-threaded whatever this says.
   */
  buildThreads?: number;
  /**
   * Share of approximate queries (graph or compressed) re-run exactly in the background for
   * stats().estimatedRecall: default 0.01 (1 in 100), 0 turns it off, 1 checks every query.
   */
  recallSampleRate?: number;
}

export interface ResolvedOptions {
  durability: Durability;
  syncIntervalMs: number;
  segmentBytesMax: number;
  checkpointWalBytes: number;
  autoCheckpoint: boolean;
  kernels: 'auto' | 'wasm' | 'reference';
  /** Absent: the runtime's default (all cores). */
  buildThreads: number | undefined;
  recallSampleRate: number;
}

export interface CollectionConfig {
  /** Optional with an embedding function: the model's dimension (given anyway, it must match). */
  dimension?: number;
  metric?: Metric;
  index?: string | IndexConfig;
  /** Fields to index for filters from the start, with their types (others are indexed when first filtered on). */
  payloadIndexes?: Record<string, PayloadType>;
  /** How documents are analysed for keyword search (fixed at creation). */
  text?: Partial<TextOptions>;
  /** api.md's EmbeddingConfig: documents without vectors and query text are embedded (docs/embeddings.md). */
  embedding?: EmbeddingConfig;
  /** Long documents are embedded as chunks (needs embedding): { by: 'tokens' | 'sentences', size, overlap? }. */
  chunking?: { by: 'tokens' | 'sentences'; size: number; overlap?: number };
  /**
   * A multi-vector collection (docs/multivector.md): records carry `vectors` (a set of `dimension`-d
   * vectors) and queries `multivector`; scored by MaxSim, found through MUVERA encodings. metric is 'dot'.
   */
  multivector?: boolean;
  /** The MUVERA encoding's settings (multi-vector collections; defaults in docs/multivector.md). */
  muvera?: Partial<MuveraConfig>;
  /** Token pooling factor at ingest (multi-vector collections): 1 (default) keeps every vector, 2 halves them. */
  pooling?: number;
}

export const DEFAULT_INDEX = 'Flat';
export const DEFAULT_METRIC: Metric = 'cosine';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function invalid(message: string, details: Record<string, unknown> = {}): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, details);
}

function positiveInteger(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid(`${field} is a whole number of at least 1; got ${describe(value)}.`, { field });
  if (value > max) throw new QuiverError('LIMIT_EXCEEDED', `${field} is ${value}; the limit is ${max}.`, { field, limit: field, received: value, maximum: max });
  return value;
}

export function resolveOpenOptions(options: unknown): ResolvedOptions {
  if (options !== undefined && !isPlainObject(options)) throw invalid(`Quiver.open takes an options object; got ${describe(options)}.`);
  const o = (options ?? {}) as OpenOptions;
  const known = new Set(['path', 'storage', 'durability', 'syncIntervalMs', 'segmentBytesMax', 'checkpointWalBytes', 'autoCheckpoint', 'kernels', 'buildThreads', 'recallSampleRate']);
  for (const key of Object.keys(o)) if (!known.has(key)) throw invalid(`Unknown option "${key}" for Quiver.open. Known: ${[...known].join(', ')}.`, { option: key });
  if (o.path !== undefined && (typeof o.path !== 'string' || o.path === '')) throw invalid('path is a non-empty directory path.', { field: 'path' });
  if (o.path !== undefined && o.storage !== undefined) throw invalid('Give either path or storage, not both.');
  const durability = o.durability ?? 'sync';
  if (!['sync', 'batched', 'none'].includes(durability)) throw invalid(`durability is 'sync', 'batched' or 'none'; got ${describe(durability)}.`, { field: 'durability' });
  const kernels = o.kernels ?? 'auto';
  if (!['auto', 'wasm', 'reference'].includes(kernels)) throw invalid(`kernels is 'auto', 'wasm' or 'reference'; got ${describe(kernels)}.`, { field: 'kernels' });
  if (o.autoCheckpoint !== undefined && typeof o.autoCheckpoint !== 'boolean') throw invalid('autoCheckpoint is a boolean.', { field: 'autoCheckpoint' });
  const rate = o.recallSampleRate ?? RECALL_SAMPLING.rate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw invalid(`recallSampleRate is a number from 0 (off) to 1 (every query); got ${describe(rate)}.`, { field: 'recallSampleRate' });
  return {
    durability,
    kernels,
    syncIntervalMs: o.syncIntervalMs === undefined ? 100 : positiveInteger(o.syncIntervalMs, 'syncIntervalMs', 60_000),
    segmentBytesMax: o.segmentBytesMax === undefined ? SEGMENT_BYTES_MAX_DEFAULT : positiveInteger(o.segmentBytesMax, 'segmentBytesMax', SEGMENT_BYTES_MAX_LIMIT),
    checkpointWalBytes: o.checkpointWalBytes === undefined ? 64 * 1024 * 1024 : positiveInteger(o.checkpointWalBytes, 'checkpointWalBytes', 2 ** 40),
    autoCheckpoint: o.autoCheckpoint ?? true,
    buildThreads: o.buildThreads === undefined ? undefined : positiveInteger(o.buildThreads, 'buildThreads', 1024),
    recallSampleRate: rate,
  };
}

export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.length > LIMITS.collectionNameMax) {
    throw invalid(`Collection names are 1-${LIMITS.collectionNameMax} characters of letters, digits, '_', '.' and '-', starting with a letter or digit; got ${describe(name)}.`, {
      field: 'name',
      received: describe(name),
    });
  }
  return name;
}

export interface ResolvedCollectionConfig {
  /** Absent only with an embedding function, whose model then says it. */
  dimension?: number;
  metric: Metric;
  index: IndexConfig;
  payloadIndexes?: Record<string, PayloadType>;
  text?: TextOptions;
  embedding?: EmbeddingConfig;
  chunking?: ChunkingSetting;
  multivector?: MultivectorSetting;
}

export function resolveCollectionConfig(config: unknown): ResolvedCollectionConfig {
  if (!isPlainObject(config)) throw invalid(`createCollection takes a config object such as { dimension: 384, metric: 'cosine' }; got ${describe(config)}.`);
  const c = config as unknown as CollectionConfig;
  const known = new Set(['dimension', 'metric', 'index', 'payloadIndexes', 'text', 'embedding', 'chunking', 'multivector', 'muvera', 'pooling']);
  for (const key of Object.keys(c)) if (!known.has(key)) throw invalid(`Unknown collection option "${key}". Known: ${[...known].join(', ')}.`, { option: key });
  const embedding = c.embedding === undefined ? undefined : checkEmbeddingConfig(c.embedding);
  if (c.chunking !== undefined && embedding === undefined) throw invalid('chunking cuts documents before they are embedded: it needs an embedding function ({ embedding: \'builtin\', chunking }).', { field: 'chunking' });
  const dimension = c.dimension === undefined && embedding !== undefined ? undefined : positiveInteger(c.dimension, 'dimension', LIMITS.dimensionMax);
  if (c.multivector !== undefined && typeof c.multivector !== 'boolean') throw invalid(`multivector is true or false; got ${describe(c.multivector)}.`, { field: 'multivector' });
  if (c.multivector === true) return resolveMultivectorConfig(c, dimension);
  if (c.muvera !== undefined || c.pooling !== undefined) throw invalid(`${c.muvera !== undefined ? 'muvera' : 'pooling'} configures multi-vector collections: add multivector: true.`, { field: c.muvera !== undefined ? 'muvera' : 'pooling' });
  const metric = c.metric ?? DEFAULT_METRIC;
  if (!['cosine', 'dot', 'l2'].includes(metric)) throw invalid(`metric is 'cosine', 'dot' or 'l2'; got ${describe(metric)}.`, { field: 'metric' });
  const index = resolveIndexConfig(c.index ?? DEFAULT_INDEX);
  // with an embedding function and no dimension, createCollection checks once the model says it
  if (dimension !== undefined) checkIndexForDimension(index, dimension, metric);
  const resolved: ResolvedCollectionConfig = { dimension, metric, index };
  if (c.payloadIndexes !== undefined) resolved.payloadIndexes = resolvePayloadIndexes(c.payloadIndexes);
  if (c.text !== undefined) resolved.text = resolveTextOptions(c.text);
  if (embedding !== undefined) resolved.embedding = embedding;
  if (c.chunking !== undefined) resolved.chunking = resolveChunking(c.chunking);
  return resolved;
}

/**
 * A multi-vector collection: `dimension` is the token vectors'; the collection's rows are MUVERA encodings
 * (their dimension follows from the settings), searched by inner product, which is what MaxSim sums.
 */
function resolveMultivectorConfig(c: CollectionConfig, dimension: number | undefined): ResolvedCollectionConfig {
  if (c.embedding !== undefined || c.chunking !== undefined) {
    throw new QuiverError('UNSUPPORTED', 'Multi-vector collections take token vectors from the caller: embedding and chunking are not available for them.', { field: c.embedding !== undefined ? 'embedding' : 'chunking' });
  }
  const metric = c.metric ?? 'dot';
  if (metric !== 'dot') throw invalid(`Multi-vector collections score by MaxSim, a sum of inner products: metric is 'dot' (got ${describe(metric)}). Normalise the token vectors first for cosine.`, { field: 'metric' });
  const multivector = resolveMultivector(dimension!, c.muvera, c.pooling);
  const rows = encodingDimension(multivector.muvera);
  const index = resolveIndexConfig(c.index ?? DEFAULT_INDEX);
  checkIndexForDimension(index, rows);
  const resolved: ResolvedCollectionConfig = { dimension: rows, metric, index, multivector };
  if (c.payloadIndexes !== undefined) resolved.payloadIndexes = resolvePayloadIndexes(c.payloadIndexes);
  if (c.text !== undefined) resolved.text = resolveTextOptions(c.text);
  return resolved;
}

function resolveChunking(value: unknown): ChunkingSetting {
  if (!isPlainObject(value)) throw invalid(`chunking is an object such as { by: 'sentences', size: 200, overlap: 1 }; got ${describe(value)}.`, { field: 'chunking' });
  for (const key of Object.keys(value)) if (!['by', 'size', 'overlap'].includes(key)) throw invalid(`Unknown chunking option "${key}". Known: by, size, overlap.`, { field: `chunking.${key}` });
  const setting = { by: value.by, size: value.size, overlap: value.overlap ?? 0 } as ChunkingSetting;
  chunkText('', setting); // the chunker's own checks of by, size and overlap
  return setting;
}

const PAYLOAD_TYPES: readonly PayloadType[] = ['keyword', 'number', 'boolean'];

function resolvePayloadIndexes(value: unknown): Record<string, PayloadType> {
  if (!isPlainObject(value)) throw invalid(`payloadIndexes maps field names to types, such as { year: 'number', tag: 'keyword' }; got ${describe(value)}.`, { field: 'payloadIndexes' });
  const entries = Object.entries(value);
  if (entries.length > LIMITS.payloadIndexesMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `payloadIndexes declares ${entries.length} fields; the limit is ${LIMITS.payloadIndexesMax}.`, { limit: 'payloadIndexesMax', received: entries.length, maximum: LIMITS.payloadIndexesMax });
  }
  const out: Record<string, PayloadType> = {};
  for (const [field, type] of entries) {
    try {
      checkFieldPath(field, `payloadIndexes.${field}`);
    } catch (error) {
      throw invalid(`payloadIndexes: ${(error as Error).message}`, { field: `payloadIndexes.${field}` });
    }
    if (!PAYLOAD_TYPES.includes(type as PayloadType)) {
      throw invalid(`payloadIndexes.${field} is 'keyword', 'number' or 'boolean'; got ${describe(type)}.`, { field: `payloadIndexes.${field}` });
    }
    out[field] = type as PayloadType;
  }
  return out;
}

function resolveTextOptions(value: unknown): TextOptions {
  if (!isPlainObject(value)) throw invalid(`text is an object such as { stemming: 'english', stopWords: 'english' }; got ${describe(value)}.`, { field: 'text' });
  for (const key of Object.keys(value)) if (key !== 'stemming' && key !== 'stopWords') throw invalid(`Unknown text option "${key}". Known: stemming, stopWords.`, { field: `text.${key}` });
  const stemming = value.stemming ?? 'none';
  if (stemming !== 'english' && stemming !== 'none') throw invalid(`text.stemming is 'english' or 'none'; got ${describe(stemming)}.`, { field: 'text.stemming' });
  const stopWords = value.stopWords ?? 'none';
  const list = Array.isArray(stopWords) && stopWords.length <= 10_000 && stopWords.every((w) => typeof w === 'string' && w.length > 0 && w.length <= 64);
  if (stopWords !== 'english' && stopWords !== 'none' && !list) {
    throw invalid(`text.stopWords is 'english', 'none' or an array of up to 10,000 words (1-64 characters each); got ${describe(stopWords)}.`, { field: 'text.stopWords' });
  }
  return { stemming, stopWords: Array.isArray(stopWords) ? [...(stopWords as string[])] : (stopWords as 'english' | 'none') };
}

