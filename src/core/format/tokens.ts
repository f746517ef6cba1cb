/**
 * Token files (tok-NNNNNNNN.qtok): the per-record token vectors of one sealed segment of a multi-vector
 * collection, beside its segment file and named by the same id; immutable once written. They are read
 * for re-rank candidates only: opening a collection reads the header and the table, never the rows.
 *
 *   offset     size
 *   0          4    magic "QVTK"
 *   4          2    format version (1)
 *   6          2    flags (0)
 *   8          4    segment id (u32)
 *   12         4    token dimension d (u32)
 *   16         4    record count N (u32)
 *   20         4    CRC-32C of bytes 0..19
 *   24         12N  table, one entry per slot: u32 stored rows, u32 rows received before pooling,
 *                   u32 CRC-32C of the slot's row bytes
 *   24 + 12N   4    CRC-32C of the table
 *   28 + 12N        rows: every slot's stored rows in slot order, d float32 each, little-endian, packed
 *   end             nothing follows the rows.
 * A slot's rows start at 28 + 12N + 4d · (rows of the slots before it); each is checked against its own
 * CRC when read, so a damaged row set is CORRUPTED, never scored.
 */
import { ByteWriter } from './bytes.js';
import { crc32c } from './crc32c.js';
import { corrupted } from './header.js';
import type { TokenFileTable } from '../collection/segment.js';

export const TOKEN_MAGIC = 'QVTK';
export const TOKEN_VERSION = 1;
const HEADER_BYTES = 24;
const ENTRY_BYTES = 12;

export type { TokenFileTable };

/** Bytes to read for the header (then the table: tableBytes(N)). */
export const TOKEN_HEADER_BYTES = HEADER_BYTES;

export function tokenTableBytes(count: number): number {
  return count * ENTRY_BYTES + 4;
}

/** The file of one segment's token sets (rows packed per slot). */
export function encodeTokenFile(id: number, dimension: number, sets: readonly { rows: Float32Array; count: number; received: number }[]): { bytes: Uint8Array; table: TokenFileTable } {
  const n = sets.length;
  const header = new ByteWriter(HEADER_BYTES);
  for (const c of TOKEN_MAGIC) header.u8(c.charCodeAt(0));
  header.u16(TOKEN_VERSION).u16(0).u32(id).u32(dimension).u32(n);
  const headBytes = header.finish();
  const totalRows = sets.reduce((s, t) => s + t.count, 0);
  const size = HEADER_BYTES + tokenTableBytes(n) + totalRows * dimension * 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(headBytes, 0);
  view.setUint32(20, crc32c(headBytes.subarray(0, 20)), true);
  const counts = new Uint32Array(n);
  const received = new Uint32Array(n);
  const checksums = new Uint32Array(n);
  const offsets: number[] = new Array(n);
  let at = HEADER_BYTES + tokenTableBytes(n);
  sets.forEach((set, slot) => {
    const rowBytes = new Uint8Array(set.rows.buffer, set.rows.byteOffset, set.count * dimension * 4);
    out.set(rowBytes, at);
    offsets[slot] = at;
    counts[slot] = set.count;
    received[slot] = set.received;
    checksums[slot] = crc32c(rowBytes);
    const entry = HEADER_BYTES + slot * ENTRY_BYTES;
    view.setUint32(entry, set.count, true);
    view.setUint32(entry + 4, set.received, true);
    view.setUint32(entry + 8, checksums[slot], true);
    at += rowBytes.length;
  });
  const tableEnd = HEADER_BYTES + n * ENTRY_BYTES;
  view.setUint32(tableEnd, crc32c(out.subarray(HEADER_BYTES, tableEnd)), true);
  return { bytes: out, table: { id, dimension, counts, received, checksums, offsets, bytes: size } };
}

/** Decodes and checks the header (its first 24 bytes): the record count says how long the table is. */
export function decodeTokenHeader(bytes: Uint8Array, file: string): { id: number; dimension: number; count: number } {
  if (bytes.length < HEADER_BYTES) throw corrupted(file, 0, `the token file is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== TOKEN_MAGIC) throw corrupted(file, 0, `not a token file (magic ${JSON.stringify(magic)})`);
  if (view.getUint32(20, true) !== crc32c(bytes.subarray(0, 20))) throw corrupted(file, 20, 'the header does not match its checksum');
  const version = view.getUint16(4, true);
  if (version !== TOKEN_VERSION) throw corrupted(file, 4, `token file version ${version} is not known (this build reads ${TOKEN_VERSION})`);
  return { id: view.getUint32(8, true), dimension: view.getUint32(12, true), count: view.getUint32(16, true) };
}

/** Decodes and checks the table (`bytes` = the file's bytes from offset 24, at least tokenTableBytes(N)). */
/** `fileBytes` (when known) is checked against where the rows end; each slot's read checks its own length. */
export function decodeTokenTable(header: { id: number; dimension: number; count: number }, bytes: Uint8Array, fileBytes: number | null, file: string): TokenFileTable {
  const n = header.count;
  const length = n * ENTRY_BYTES;
  if (bytes.length < length + 4) throw corrupted(file, HEADER_BYTES, `the table of ${n} records is cut short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(length, true) !== crc32c(bytes.subarray(0, length))) throw corrupted(file, HEADER_BYTES + length, 'the table does not match its checksum');
  const counts = new Uint32Array(n);
  const received = new Uint32Array(n);
  const checksums = new Uint32Array(n);
  const offsets: number[] = new Array(n);
  let at = HEADER_BYTES + tokenTableBytes(n);
  for (let slot = 0; slot < n; slot++) {
    counts[slot] = view.getUint32(slot * ENTRY_BYTES, true);
    received[slot] = view.getUint32(slot * ENTRY_BYTES + 4, true);
    checksums[slot] = view.getUint32(slot * ENTRY_BYTES + 8, true);
    if (counts[slot] === 0 || received[slot] < counts[slot]) throw corrupted(file, HEADER_BYTES + slot * ENTRY_BYTES, `slot ${slot} holds ${counts[slot]} rows of ${received[slot]} received`);
    offsets[slot] = at;
    at += counts[slot] * header.dimension * 4;
  }
  if (fileBytes !== null && at !== fileBytes) throw corrupted(file, Math.min(at, fileBytes), `the rows should end at byte ${at} but the file has ${fileBytes}`);
  return { ...header, counts, received, checksums, offsets, bytes: at };
}

/** Checks one slot's row bytes against the table's CRC. */
export function tokenRowsMatch(bytes: Uint8Array, checksum: number): boolean {
  return crc32c(bytes) === checksum;
}
