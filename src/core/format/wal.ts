/**
 * The write-ahead log, byte by byte. Pure encode/decode: the file access lives in storage/wal-writer.ts.
 *
 * A WAL file is a 16-byte header followed by zero or more records. All integers are little-endian.
 *
 * File header (16 bytes, written and fsynced before any record):
 *   offset  size  field
 *        0     4  magic "QVWL" (0x51 0x56 0x57 0x4C)
 *        4     2  u16 format version, currently 1
 *        6     2  u16 flags, 0 in version 1 (a set flag is refused: it would mean a feature we do not know)
 *        8     4  u32 file number (also in the file name, wal-NNNNNNNN.log; the two must agree)
 *       12     4  u32 CRC-32C of bytes 0..11
 * Every future version keeps the magic, the version at offset 4 and the header CRC at offset 12, so any
 * reader can always tell "too new" (UNSUPPORTED) from "damaged" (CORRUPTED).
 *
 * Record (8-byte record header + payload):
 *   offset  size  field
 *        0     4  u32 length word: bits 0..28 = payload length L (0 <= L <= WAL_RECORD_BYTES_MAX = 256 MiB),
 *                 bits 29..31 = CRC-3 (polynomial x^3 + x + 1) of L
 *        4     4  u32 masked CRC-32C of the payload: rotr(crc, 15) + 0xA282EAD8 (mod 2^32)
 *        8     L  payload (opaque here; the database defines its contents)
 *
 * Why the length has its own check: a damaged length that happens to point past the end of the file would
 * look exactly like a torn tail, and recovery would silently drop every record after it. The payload CRC
 * cannot catch that (it is never reached), so the 3 spare bits of the length detect every single-bit error
 * in it, and 15 of 16 random corruptions, at no cost in size.
 * Why the CRC is masked: an all-zero region (a file whose size reached the disk before its data) has
 * length 0 and checksum 0, and CRC-32C of the empty payload is 0, so an unmasked zero record would validate.
 *
 * Recovery rules (decodeWal), in the order they are applied:
 *   - fewer than 16 bytes: a crash while the file was being created (the header is fsynced before any
 *     record). No records, validLength 0, tornTail = (length > 0).
 *   - a header with a bad magic or CRC: torn if it is exactly 16 bytes (nothing else was written yet),
 *     otherwise CORRUPTED (records were written only after the header was durable).
 *   - a header version newer than WAL_FORMAT_VERSION, an unknown older version or unknown flags: UNSUPPORTED
 *     naming the file and both versions. Never guessed at.
 *   - then records, from offset 16:
 *     - fewer than 8 bytes left: torn tail.
 *     - a length word whose CRC-3 fails or whose length exceeds the maximum: torn tail if its last byte and
 *       everything after it are zero (a file size made durable before its data), otherwise CORRUPTED. (A
 *       torn write garbles only the last few bytes written, and fewer than 8 left is handled above.)
 *     - a payload that runs past the end of the file: torn tail.
 *     - a payload CRC mismatch: torn tail if the record is the last thing in the file, or what follows it
 *       could not be a record (fewer than 8 bytes: a torn write garbled the end of this record and the start
 *       of the next) or is only zero bytes (a file size made durable before its data); otherwise CORRUPTED
 *       with { file, offset }: a whole record follows, so the damage is in the middle of the log.
 *   A torn tail sets tornTail and validLength = the offset of the damaged record; the caller truncates the
 *   file there before appending (storage/wal-writer.ts readWalFile), so torn bytes never precede new records.
 *
 * decodeWal judges one file alone: a torn tail is only expected in a file whose writing was cut short (the
 * newest, or one whose final fsync never completed); what it means for later files is the caller's call.
 * Known limit, by design: unsynced pages reaching the disk out of order (8 or more bytes of non-zero garbage
 * followed by more data) are reported as CORRUPTED rather than guessed to be a torn tail.
 */
import { QuiverError } from '../errors.js';
import { assert } from '../lib/assert.js';
import { crc32c } from './crc32c.js';

export const WAL_MAGIC = Uint8Array.of(0x51, 0x56, 0x57, 0x4c); // "QVWL"
export const WAL_FORMAT_VERSION = 1;
export const WAL_HEADER_BYTES = 16;
export const WAL_RECORD_HEADER_BYTES = 8;
/** The largest payload one record may carry. A sanity bound for decoding, not a target size. */
export const WAL_RECORD_BYTES_MAX = 256 * 1024 * 1024;

const LENGTH_BITS = 29;
const LENGTH_MASK = (1 << LENGTH_BITS) - 1;
const CHECKSUM_MASK_DELTA = 0xa282ead8;

export interface DecodedWal {
  /** From the header; null when the file is too short or its header torn (no header was ever durable). */
  fileNumber: number | null;
  /** Payloads in file order. Views into the input bytes, not copies. */
  records: Uint8Array[];
  /** Bytes from the start of the file that hold the header and whole, valid records. */
  validLength: number;
  /** True when bytes after validLength are the remains of an interrupted write. */
  tornTail: boolean;
}

export function encodeWalHeader(fileNumber: number): Uint8Array {
  assert(Number.isInteger(fileNumber) && fileNumber >= 0 && fileNumber <= 0xffffffff, `WAL file number must be a u32: ${fileNumber}`);
  const header = new Uint8Array(WAL_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(WAL_MAGIC, 0);
  view.setUint16(4, WAL_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, fileNumber, true);
  view.setUint32(12, crc32c(header.subarray(0, 12)), true);
  return header;
}

/** One record: 8-byte record header + a copy of the payload. */
export function encodeWalRecord(payload: Uint8Array): Uint8Array {
  if (payload.length > WAL_RECORD_BYTES_MAX) {
    throw new QuiverError(
      'LIMIT_EXCEEDED',
      `A write-ahead log record of ${payload.length} bytes exceeds the limit of ${WAL_RECORD_BYTES_MAX} bytes; split the write into smaller batches.`,
      { limit: WAL_RECORD_BYTES_MAX, received: payload.length },
    );
  }
  const record = new Uint8Array(WAL_RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(record.buffer);
  view.setUint32(0, encodeLengthWord(payload.length), true);
  view.setUint32(4, maskChecksum(crc32c(payload)), true);
  record.set(payload, WAL_RECORD_HEADER_BYTES);
  return record;
}

/** Decodes a whole WAL file under the recovery rules at the top of this file. `fileName` is for errors. */
export function decodeWal(bytes: Uint8Array, fileName: string): DecodedWal {
  const length = bytes.length;
  if (length < WAL_HEADER_BYTES) {
    return { fileNumber: null, records: [], validLength: 0, tornTail: length > 0 };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fileNumber = decodeHeader(bytes, view, fileName);
  if (fileNumber === null) {
    if (length === WAL_HEADER_BYTES) return { fileNumber: null, records: [], validLength: 0, tornTail: true };
    throw corrupted(fileName, 0, 'the file header is damaged (bad magic or checksum) but records follow it');
  }

  const records: Uint8Array[] = [];
  let position = WAL_HEADER_BYTES;
  while (position < length) {
    if (length - position < WAL_RECORD_HEADER_BYTES) return torn(fileNumber, records, position);
    const word = view.getUint32(position, true);
    const payloadLength = word & LENGTH_MASK;
    if (word >>> LENGTH_BITS !== lengthCheck(payloadLength) || payloadLength > WAL_RECORD_BYTES_MAX) {
      // Zeros from inside the length word to the end: the file size reached the disk before this data.
      if (isZero(bytes, position + 3)) return torn(fileNumber, records, position);
      throw corrupted(fileName, position, 'a record length field is damaged');
    }
    const end = position + WAL_RECORD_HEADER_BYTES + payloadLength;
    if (end > length) return torn(fileNumber, records, position);
    const payload = bytes.subarray(position + WAL_RECORD_HEADER_BYTES, end);
    if (maskChecksum(crc32c(payload)) !== view.getUint32(position + 4, true)) {
      // Fewer than 8 bytes after it cannot hold another record: the torn write garbled this one's end.
      if (length - end < WAL_RECORD_HEADER_BYTES || isZero(bytes, end)) return torn(fileNumber, records, position);
      throw corrupted(fileName, position, 'a record checksum does not match and more data follows it');
    }
    records.push(payload);
    position = end;
  }
  return { fileNumber, records, validLength: position, tornTail: false };
}

/** The file name of WAL file `fileNumber`: wal-NNNNNNNN.log, zero-padded to 8 digits (more past 99999999). */
export function walFileName(fileNumber: number): string {
  assert(Number.isInteger(fileNumber) && fileNumber >= 0 && fileNumber <= 0xffffffff, `WAL file number must be a u32: ${fileNumber}`);
  return `wal-${String(fileNumber).padStart(8, '0')}.log`;
}

/** The file number in a WAL file name (only the exact spelling walFileName produces), or null. */
export function parseWalFileName(name: string): number | null {
  const match = /^wal-(\d{8,10})\.log$/.exec(name);
  if (match === null) return null;
  const fileNumber = Number(match[1]);
  return fileNumber <= 0xffffffff && walFileName(fileNumber) === name ? fileNumber : null;
}

/** LevelDB's mask: a CRC stored next to the data it covers is rotated so CRCs of CRCs do not collide. */
export function maskChecksum(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + CHECKSUM_MASK_DELTA) >>> 0;
}

function encodeLengthWord(payloadLength: number): number {
  return ((lengthCheck(payloadLength) << LENGTH_BITS) | payloadLength) >>> 0;
}

/** CRC-3 (x^3 + x + 1, primitive, so every single-bit error in the 32-bit word changes the check). */
export function lengthCheck(payloadLength: number): number {
  let remainder = 0;
  for (let bit = LENGTH_BITS - 1; bit >= 0; bit--) {
    const feedback = ((remainder >>> 2) & 1) ^ ((payloadLength >>> bit) & 1);
    remainder = (remainder << 1) & 0b111;
    if (feedback) remainder ^= 0b011;
  }
  return remainder;
}

/** The file number of a valid version-1 header, null when the header is damaged; throws when unsupported. */
function decodeHeader(bytes: Uint8Array, view: DataView, fileName: string): number | null {
  for (let i = 0; i < WAL_MAGIC.length; i++) if (bytes[i] !== WAL_MAGIC[i]) return null;
  if (crc32c(bytes.subarray(0, 12)) !== view.getUint32(12, true)) return null;
  const version = view.getUint16(4, true);
  if (version > WAL_FORMAT_VERSION) {
    throw new QuiverError(
      'UNSUPPORTED',
      `WAL file ${fileName} has format version ${version}, but this version of quiverdb reads only up to version ${WAL_FORMAT_VERSION}. Open the database with a newer quiverdb.`,
      { file: fileName, version, supportedVersion: WAL_FORMAT_VERSION },
    );
  }
  if (version < 1) {
    throw new QuiverError(
      'UNSUPPORTED',
      `WAL file ${fileName} has format version ${version}, which no quiverdb release wrote (this one reads version ${WAL_FORMAT_VERSION}). It is not a quiverdb log.`,
      { file: fileName, version, supportedVersion: WAL_FORMAT_VERSION },
    );
  }
  const flags = view.getUint16(6, true);
  if (flags !== 0) {
    throw new QuiverError(
      'UNSUPPORTED',
      `WAL file ${fileName} uses header flags 0x${flags.toString(16)} that this version of quiverdb does not know. Open the database with a newer quiverdb.`,
      { file: fileName, version, supportedVersion: WAL_FORMAT_VERSION, flags },
    );
  }
  return view.getUint32(8, true);
}

function torn(fileNumber: number, records: Uint8Array[], validLength: number): DecodedWal {
  return { fileNumber, records, validLength, tornTail: true };
}

function isZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function corrupted(fileName: string, offset: number, reason: string): QuiverError {
  return new QuiverError(
    'CORRUPTED',
    `WAL file ${fileName} is corrupted at offset ${offset}: ${reason}. The file was damaged after it was written; ` +
      `restore the database from a backup, or truncate the file to ${offset} bytes to keep only the records before the damage.`,
    { file: fileName, offset, reason },
  );
}
