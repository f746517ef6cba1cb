/** Records and hits between the embedded API's shapes (Float32Array vectors) and the wire's. */
import type { Hit, MapResult, QueryRequest, StoredRecord } from '../index.js';
import { encodeF32, vectorFromWire } from '../protocol/vectors.js';
import type { MapResponseBody, WireHit, WireQueryRequest, WireStoredRecord } from '../protocol/schemas.js';

export type VectorEncoding = 'json' | 'f32';

function vectorToWire(vector: Float32Array, encoding: VectorEncoding): number[] | { f32: string } {
  return encoding === 'f32' ? { f32: encodeF32(vector) } : Array.from(vector);
}

export function recordToWire(record: StoredRecord, encoding: VectorEncoding): WireStoredRecord {
  const out: WireStoredRecord = { key: record.key, vector: vectorToWire(record.vector, encoding) };
  if (record.document !== undefined) out.document = record.document;
  if (record.metadata !== undefined) out.metadata = record.metadata;
  return out;
}

export function hitToWire(hit: Hit, encoding: VectorEncoding): WireHit {
  if (hit.vector === undefined) return hit as WireHit;
  return { ...hit, vector: vectorToWire(hit.vector, encoding) };
}

export function hitsToWire(hits: Hit[], encoding: VectorEncoding): WireHit[] {
  return hits.map((hit) => hitToWire(hit, encoding));
}

/** A query body as the embedded API takes it: an f32 vector decoded, everything else passed on as is. */
export function queryFromWire(request: WireQueryRequest, where: Record<string, unknown> = {}): QueryRequest {
  if (request.vector === undefined) return request as QueryRequest;
  return { ...request, vector: vectorFromWire(request.vector, { ...where, field: 'vector' }) } as QueryRequest;
}

/** A map with its coordinate arrays as JSON numbers or base64 float32. */
export function mapToWire(map: MapResult, encoding: VectorEncoding): MapResponseBody {
  const { topics, ...rest } = map;
  return {
    ...rest,
    coordinates: vectorToWire(map.coordinates, encoding),
    pca: vectorToWire(map.pca, encoding),
    ...(topics ? { topics: { assignments: Array.from(topics.assignments), topics: topics.topics } } : {}),
  };
}
