/**
 * The payload of one WAL record: one logged operation. (The WAL's own framing — lengths, checksums,
 * torn tails — is in wal.ts.) A batch is always one record, which is what makes it atomic.
 *
 *   u8  type: 1 create collection, 2 drop collection, 3 upsert, 4 delete
 *   u64 lsn (the write's sequence number; strictly increasing through the log)
 *   create: u32 length + UTF-8 JSON definition { name, id, dimension, metric, index }
 *   drop:   utf8 name, u64 collection id
 *   upsert: utf8 name, u64 collection id, u32 dimension, u32 N, then N records:
 *             utf8 key, u8 flags (bit 0 metadata, bit 1 document, bit 2 tokens), dimension x f32
 *             vector, [utf8 metadata JSON], [utf8 document],
 *             [tokens (multi-vector collections): u32 token dimension d, u32 rows received before
 *              pooling, u32 rows stored n, n x d f32]
 *   delete: utf8 name, u64 collection id, u32 N, N x utf8 key
 * ("utf8" = u32 byte length + UTF-8 bytes; all integers little-endian.)
 */
import type { CollectionDefinition } from '../collection/collection.js';
import type { StoredRecord } from '../collection/records.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { corrupted } from './header.js';
import { decodeDefinition, encodeDefinition } from './manifest.js';
import { parseJsonObject } from './segment.js';

export type LogOp =
  | { type: 'create'; lsn: number; collection: CollectionDefinition }
  | { type: 'drop'; lsn: number; name: string; id: number }
  | { type: 'upsert'; lsn: number; name: string; id: number; dimension: number; records: StoredRecord[] }
  | { type: 'delete'; lsn: number; name: string; id: number; keys: string[] };

const TYPES = { create: 1, drop: 2, upsert: 3, delete: 4 } as const;

export function encodeOp(op: LogOp): Uint8Array {
  const tokenBytes = op.type === 'upsert' ? op.records.reduce((n, r) => n + (r.tokens ? r.tokens.rows.length * 4 + 12 : 0), 0) : 0;
  const out = new ByteWriter(op.type === 'upsert' ? op.records.length * (op.dimension * 4 + 48) + tokenBytes + 64 : 128);
  out.u8(TYPES[op.type]).u64(op.lsn);
  switch (op.type) {
    case 'create':
      out.utf8(encodeDefinition(op.collection));
      break;
    case 'drop':
      out.utf8(op.name).u64(op.id);
      break;
    case 'upsert':
      out.utf8(op.name).u64(op.id).u32(op.dimension).u32(op.records.length);
      for (const r of op.records) {
        out.utf8(r.key).u8((r.metadata !== undefined ? 1 : 0) | (r.document !== undefined ? 2 : 0) | (r.tokens !== undefined ? 4 : 0));
        out.bytes(new Uint8Array(r.vector.buffer, r.vector.byteOffset, op.dimension * 4));
        if (r.metadata !== undefined) out.utf8(JSON.stringify(r.metadata));
        if (r.document !== undefined) out.utf8(r.document);
        if (r.tokens !== undefined) {
          const { rows, count, received } = r.tokens;
          out.u32(rows.length / count).u32(received).u32(count);
          out.bytes(new Uint8Array(rows.buffer, rows.byteOffset, rows.length * 4));
        }
      }
      break;
    case 'delete':
      out.utf8(op.name).u64(op.id).u32(op.keys.length);
      for (const key of op.keys) out.utf8(key);
      break;
  }
  return out.finish();
}

export function decodeOp(bytes: Uint8Array, file: string): LogOp {
  const reader = new ByteReader(bytes, file);
  const type = reader.u8();
  const lsn = reader.u64();
  let op: LogOp;
  if (type === TYPES.create) {
    op = { type: 'create', lsn, collection: decodeDefinition(reader.utf8(), file) };
  } else if (type === TYPES.drop) {
    op = { type: 'drop', lsn, name: reader.utf8(), id: reader.u64() };
  } else if (type === TYPES.upsert) {
    const name = reader.utf8();
    const id = reader.u64();
    const dimension = reader.u32();
    const count = reader.u32();
    if (dimension === 0) throw corrupted(file, reader.offset, 'an upsert record has dimension 0');
    const records: StoredRecord[] = [];
    for (let i = 0; i < count; i++) {
      const key = reader.utf8();
      const flags = reader.u8();
      if (flags > 7) throw corrupted(file, reader.offset, `upsert record ${i} has unknown flags ${flags}`);
      const vector = new Float32Array(reader.bytes(dimension * 4).slice().buffer);
      const record: StoredRecord = { key, vector };
      if (flags & 1) record.metadata = parseJsonObject(reader.utf8(), file, i);
      if (flags & 2) record.document = reader.utf8();
      if (flags & 4) {
        const tokenDimension = reader.u32();
        const received = reader.u32();
        const rows = reader.u32();
        if (tokenDimension === 0 || rows === 0 || received < rows) throw corrupted(file, reader.offset, `upsert record ${i} holds ${rows} token rows of ${received} received, dimension ${tokenDimension}`);
        record.tokens = { rows: new Float32Array(reader.bytes(rows * tokenDimension * 4).slice().buffer), count: rows, received };
      }
      records.push(record);
    }
    op = { type: 'upsert', lsn, name, id, dimension, records };
  } else if (type === TYPES.delete) {
    const name = reader.utf8();
    const id = reader.u64();
    const count = reader.u32();
    const keys: string[] = [];
    for (let i = 0; i < count; i++) keys.push(reader.utf8());
    op = { type: 'delete', lsn, name, id, keys };
  } else {
    throw corrupted(file, 0, `unknown log operation type ${type}`);
  }
  if (!reader.atEnd) throw corrupted(file, reader.offset, 'bytes follow the logged operation');
  return op;
}
