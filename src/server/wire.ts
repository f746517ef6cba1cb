/** Records and hits between the embedded API's shapes (Float32Array vectors) and the wire's. */
import type { Hit, MapResult, QueryRequest, StoredRecord } from '../index.js';
import { encodeF32, vectorFromWire } from '../protocol/vectors.js';
import type { MapResponseBody, WireHit, WireQueryRequest, WireStoredRecord } from '../protocol/schemas.js';

export type VectorEncoding = 'json' | 'f32';

function vectorToWire(vector: Float32Array, encoding: VectorEncoding): number[] | { f32: string } {
  return encoding === 'f32' ? { f32: encodeF32(vector) } : Array.from(vector);
}

export function recordToWire(record: StoredRecord & { vectors?: Float32Array[] }, encoding: VectorEncoding): WireStoredRecord {
  const out: WireStoredRecord = { key: record.key };
  if (record.vector !== undefined) out.vector = vectorToWire(record.vector, encoding);
  if (record.vectors !== undefined) out.vectors = record.vectors.map((v) => vectorToWire(v, encoding));
  if (record.document !== undefined) out.document = record.document;
  if (record.metadata !== undefined) out.metadata = record.metadata;
  return out;
}

export function hitToWire(hit: Hit & { vectors?: Float32Array[] }, encoding: VectorEncoding): WireHit {
  if (hit.vectors !== undefined) return { ...hit, vectors: hit.vectors.map((v) => vectorToWire(v, encoding)) } as unknown as WireHit;
  if (hit.vector === undefined) return hit as unknown as WireHit;
  return { ...hit, vector: vectorToWire(hit.vector, encoding) } as unknown as WireHit;
}

/** A set of vectors (a record's vectors, a query's multivector) with f32 members decoded. */
export function vectorsFromWire(vectors: unknown, where: Record<string, unknown>): unknown {
  if (!Array.isArray(vectors)) return vectors;
  return vectors.map((v, token) => vectorFromWire(v, { ...where, token }));
}

export function hitsToWire(hits: Hit[], encoding: VectorEncoding): WireHit[] {
  return hits.map((hit) => hitToWire(hit, encoding));
}

/** A query body as the embedded API takes it: an f32 vector decoded, everything else passed on as is. */
export function queryFromWire(request: WireQueryRequest, where: Record<string, unknown> = {}): QueryRequest {
  if (request.multivector !== undefined) request = { ...request, multivector: vectorsFromWire(request.multivector, { ...where, field: 'multivector' }) as WireQueryRequest['multivector'] };
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
