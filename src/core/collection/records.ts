/**
 * Validation of everything a user hands a collection. Each check throws a QuiverError that names the
 * record (its index and key) and says what to do; a batch is validated whole before anything is applied.
 */
import { QuiverError } from '../errors.js';
import { LIMITS } from '../lib/limits.js';
import type { StoredTokens } from '../multivector/token-column.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Metadata = { [key: string]: Json };
export type Metric = 'cosine' | 'dot' | 'l2';
export type VectorInput = Float32Array | number[];

export interface RecordInput {
  key: string;
  vector: VectorInput;
  document?: string;
  metadata?: Metadata;
}

export interface UpdateInput {
  key: string;
  vector?: VectorInput;
  document?: string | null;
  metadata?: Metadata;
}

/**
 * A record as stored: the vector is float32 (unit length for cosine). In a multi-vector collection the
 * vector is the MUVERA encoding of `tokens`, the record's (pooled) token vectors.
 */
export interface StoredRecord {
  key: string;
  vector: Float32Array;
  tokens?: StoredTokens;
  document?: string;
  metadata?: Metadata;
}

const utf8 = new TextEncoder();

export function utf8Bytes(text: string): number {
  return utf8.encode(text).length;
}

export function checkKey(key: unknown, where: Record<string, unknown>): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new QuiverError('INVALID_KEY', `Record keys are non-empty strings; got ${describe(key)}${at(where)}.`, { ...where, received: describe(key) });
  }
  const bytes = utf8Bytes(key);
  if (bytes > LIMITS.keyBytesMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `Record key is ${bytes} UTF-8 bytes${at(where)}; the limit is ${LIMITS.keyBytesMax}. Use a shorter key (for example a hash).`, {
      ...where,
      limit: 'keyBytesMax',
      received: bytes,
      maximum: LIMITS.keyBytesMax,
    });
  }
}

/** Validates and copies a vector into float32; normalises to unit length for cosine. */
export function toStoredVector(vector: unknown, dimension: number, metric: Metric, where: Record<string, unknown>): Float32Array {
  if (!(vector instanceof Float32Array) && !Array.isArray(vector)) {
    throw new QuiverError('INVALID_VECTOR', `A vector is a Float32Array or an array of numbers; got ${describe(vector)}${at(where)}.`, { ...where, received: describe(vector) });
  }
  if (vector.length === 0) throw new QuiverError('INVALID_VECTOR', `The vector is empty${at(where)}; it needs ${dimension} numbers.`, { ...where, expected: dimension, received: 0 });
  if (vector.length !== dimension) {
    throw new QuiverError('DIMENSION_MISMATCH', `The vector has ${vector.length} dimensions${at(where)} but the collection has ${dimension}. Use vectors from the same model the collection was created for.`, {
      ...where,
      expected: dimension,
      received: vector.length,
    });
  }
  const out = new Float32Array(dimension);
  let norm = 0;
  for (let i = 0; i < dimension; i++) {
    const v = vector[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new QuiverError('INVALID_VECTOR', `Vector component ${i} is ${describe(v)}${at(where)}; every component must be a finite number (no NaN or Infinity).`, {
        ...where,
        position: i,
        received: describe(v),
      });
    }
    out[i] = v;
    if (!Number.isFinite(out[i])) {
      throw new QuiverError('INVALID_VECTOR', `Vector component ${i} (${v}) overflows float32${at(where)}.`, { ...where, position: i });
    }
    norm += out[i] * out[i];
  }
  if (metric === 'cosine') {
    if (norm === 0) throw new QuiverError('INVALID_VECTOR', `The vector is all zeros${at(where)}; cosine similarity is undefined for it.`, { ...where });
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) out[i] *= scale;
  }
  return out;
}

export function checkMetadata(metadata: unknown, where: Record<string, unknown>): Metadata | undefined {
  if (metadata === undefined) return undefined;
  if (!isPlainObject(metadata)) {
    throw new QuiverError('INVALID_METADATA', `Metadata is a plain JSON object; got ${describe(metadata)}${at(where)}.`, { ...where, received: describe(metadata) });
  }
  checkJson(metadata, 'metadata', 0, where);
  const bytes = utf8Bytes(JSON.stringify(metadata));
  if (bytes > LIMITS.metadataBytesMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `Metadata is ${bytes} bytes as JSON${at(where)}; the limit is ${LIMITS.metadataBytesMax}. Keep large text in the document field.`, {
      ...where,
      limit: 'metadataBytesMax',
      received: bytes,
      maximum: LIMITS.metadataBytesMax,
    });
  }
  return structuredCloneJson(metadata) as Metadata;
}

export function checkDocument(document: unknown, where: Record<string, unknown>): string | undefined {
  if (document === undefined) return undefined;
  if (typeof document !== 'string') {
    throw new QuiverError('INVALID_ARGUMENT', `A document is a string; got ${describe(document)}${at(where)}.`, { ...where, field: 'document', received: describe(document) });
  }
  const bytes = utf8Bytes(document);
  if (bytes > LIMITS.documentBytesMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `The document is ${bytes} UTF-8 bytes${at(where)}; the limit is ${LIMITS.documentBytesMax}. Split long texts into chunks.`, {
      ...where,
      limit: 'documentBytesMax',
      received: bytes,
      maximum: LIMITS.documentBytesMax,
    });
  }
  return document;
}

export function checkBatch(records: unknown, what: string): asserts records is unknown[] {
  if (!Array.isArray(records)) {
    throw new QuiverError('INVALID_ARGUMENT', `${what} takes an array; got ${describe(records)}.`, { received: describe(records) });
  }
  if (records.length > LIMITS.batchRecordsMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `${what} got ${records.length} items; the limit is ${LIMITS.batchRecordsMax} per call. Split the batch.`, {
      limit: 'batchRecordsMax',
      received: records.length,
      maximum: LIMITS.batchRecordsMax,
    });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkJson(value: unknown, path: string, depth: number, where: Record<string, unknown>): void {
  if (depth > LIMITS.metadataDepthMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `Metadata nests deeper than ${LIMITS.metadataDepthMax} levels at ${path}${at(where)}.`, { ...where, limit: 'metadataDepthMax', path });
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QuiverError('INVALID_METADATA', `Metadata value at ${path} is ${value}${at(where)}; JSON numbers must be finite.`, { ...where, path });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(item, `${path}[${i}]`, depth + 1, where));
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`, depth + 1, where);
    return;
  }
  throw new QuiverError('INVALID_METADATA', `Metadata value at ${path} is ${describe(value)}${at(where)}; only JSON values (null, booleans, finite numbers, strings, arrays, plain objects) are stored.`, {
    ...where,
    path,
    received: describe(value),
  });
}

function structuredCloneJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'object') return (value as object).constructor?.name ? `a ${(value as object).constructor.name}` : 'an object';
  return `a ${typeof value}`;
}

function at(where: Record<string, unknown>): string {
  const parts: string[] = [];
  if (where.index !== undefined) parts.push(`record ${where.index}`);
  if (typeof where.key === 'string') parts.push(`key ${JSON.stringify(where.key)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
