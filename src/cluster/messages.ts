/**
 * The messages of a shard's stream: one shard's part of one write (docs/cluster.md, ADR 0008). Vectors
 * travel as base64 little-endian float32, a third of JSON numbers' size and exact.
 */
import type { Json, StoredRecord } from '../index.js';
import { decodeF32, encodeF32 } from '../protocol/vectors.js';

export type WalMessage =
  | { op: 'upsert'; records: StoredRecord[] }
  | { op: 'delete'; keys: string[] }
  | { op: 'delete-filter'; filter: unknown };

interface WireRecord {
  key: string;
  v: string;
  metadata?: Json;
  document?: string;
}

export function encodeWal(message: WalMessage): Uint8Array {
  const body =
    message.op === 'upsert'
      ? { op: 'upsert', records: message.records.map((r): WireRecord => ({ key: r.key, v: encodeF32(r.vector), ...(r.metadata !== undefined ? { metadata: r.metadata as Json } : {}), ...(r.document !== undefined ? { document: r.document } : {}) })) }
      : message;
  return new TextEncoder().encode(JSON.stringify(body));
}

export function decodeWal(bytes: Uint8Array): WalMessage {
  const body = JSON.parse(new TextDecoder().decode(bytes)) as { op: string; records?: WireRecord[]; keys?: string[]; filter?: unknown };
  if (body.op === 'upsert') {
    return {
      op: 'upsert',
      records: body.records!.map((r) => ({ key: r.key, vector: decodeF32(r.v, { key: r.key }, true), ...(r.metadata !== undefined ? { metadata: r.metadata } : {}), ...(r.document !== undefined ? { document: r.document } : {}) }) as StoredRecord),
    };
  }
  if (body.op === 'delete') return { op: 'delete', keys: body.keys! };
  if (body.op === 'delete-filter') return { op: 'delete-filter', filter: body.filter };
  throw new Error(`unknown WAL operation ${JSON.stringify(body.op)}`);
}
