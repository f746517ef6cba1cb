/**
 * A segment's payload indexes as bytes (the body of a segment file's PAYLOAD INDEX section; see
 * docs/formats.md). Little-endian; "utf8" is a u32 byte length + UTF-8 bytes.
 *
 *   u32 rows N (the segment's record count)
 *   u32 field count F, then per field (in ascending order of path):
 *     utf8 field path
 *     postings present, postings true, postings false, postings null
 *     u32 distinct strings S, then S x (utf8 value, postings), values in ascending order
 *     u32 numeric pairs P, P x f64 value, P x u32 slot (ascending by value, then slot)
 *   postings: u8 form; form 0: u32 n, n x u32 slots (strictly ascending, < N);
 *             form 1: u32 W = ceil(N / 32), W x u32 bitmap words (bit s of word s >> 5; no bit >= N)
 *
 * The decoder checks every structural rule (ranges, order, counts), so bytes that pass the section's
 * checksum but break a rule are CORRUPTED, never a wrong index.
 */
import { QuiverError } from '../errors.js';
import { Bitset } from '../lib/bitset.js';
import { ByteReader, ByteWriter } from '../lib/bytes.js';
import { FieldIndex, NumericIndex, Postings, SegmentPayloadIndex } from './payload-index.js';

export function encodePayloadIndex(index: SegmentPayloadIndex, rows: number): Uint8Array {
  const out = new ByteWriter(1024);
  const fields = [...index.fields.values()].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  out.u32(rows).u32(fields.length);
  for (const field of fields) {
    out.utf8(field.field);
    for (const p of [field.present, field.trues, field.falses, field.nulls]) writePostings(out, p, rows);
    const strings = [...field.strings.keys()].sort();
    out.u32(strings.length);
    for (const value of strings) {
      out.utf8(value);
      writePostings(out, field.strings.get(value)!, rows);
    }
    const { values, slots } = field.numbers.sortedPairs();
    out.u32(values.length);
    out.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    out.bytes(new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength));
  }
  return out.finish();
}

function writePostings(out: ByteWriter, postings: Postings, rows: number): void {
  const bitmap = postings.bitmapView;
  if (bitmap !== null) {
    const words = (rows + 31) >>> 5;
    const body = new Uint32Array(words);
    body.set(bitmap.words.subarray(0, Math.min(words, bitmap.words.length)));
    out.u8(1).u32(words).bytes(new Uint8Array(body.buffer));
    return;
  }
  const slots = postings.toSlots();
  out.u8(0).u32(slots.length).bytes(new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength));
}

/** Decodes a payload index section; `rows` is the segment's record count, `what` names the file. */
export function decodePayloadIndex(bytes: Uint8Array, rows: number, what: string): SegmentPayloadIndex {
  const reader = new ByteReader(bytes, what);
  const fail = (problem: string): QuiverError => new QuiverError('CORRUPTED', `${what}: the payload index section is damaged (${problem}). Restore from a backup.`, { file: what, offset: reader.offset });
  const n = reader.u32();
  if (n !== rows) throw fail(`it covers ${n} rows, the segment holds ${rows}`);
  const index = new SegmentPayloadIndex();
  const fieldCount = reader.u32();
  let previous: string | null = null;
  for (let f = 0; f < fieldCount; f++) {
    const name = reader.utf8();
    if (name.length === 0 || (previous !== null && name <= previous)) throw fail(`field ${f} ("${name}") is empty or out of order`);
    previous = name;
    const field = new FieldIndex(name);
    field.present = readPostings(reader, rows, fail);
    field.trues = readPostings(reader, rows, fail);
    field.falses = readPostings(reader, rows, fail);
    field.nulls = readPostings(reader, rows, fail);
    const stringCount = reader.u32();
    if (stringCount > reader.remaining) throw fail(`field "${name}" claims ${stringCount} strings`);
    let last: string | null = null;
    for (let i = 0; i < stringCount; i++) {
      const value = reader.utf8();
      if (last !== null && value <= last) throw fail(`field "${name}": strings out of order`);
      last = value;
      const postings = readPostings(reader, rows, fail);
      if (postings.count === 0) throw fail(`field "${name}": an empty posting list`);
      field.strings.set(value, postings);
    }
    const pairs = reader.u32();
    if (pairs * 12 > reader.remaining) throw fail(`field "${name}" claims ${pairs} numeric pairs`);
    const values = new Float64Array(reader.bytes(pairs * 8).slice().buffer);
    const slots = new Uint32Array(reader.bytes(pairs * 4).slice().buffer);
    for (let i = 0; i < pairs; i++) {
      if (!Number.isFinite(values[i]) || slots[i] >= rows) throw fail(`field "${name}": numeric pair ${i} is out of range`);
      if (i > 0 && (values[i] < values[i - 1] || (values[i] === values[i - 1] && slots[i] <= slots[i - 1]))) throw fail(`field "${name}": numeric pairs out of order`);
    }
    field.numbers = NumericIndex.fromSorted(values, slots);
    index.fields.set(name, field);
  }
  if (!reader.atEnd) throw fail('bytes follow the last field');
  return index;
}

function readPostings(reader: ByteReader, rows: number, fail: (problem: string) => QuiverError): Postings {
  const form = reader.u8();
  if (form === 0) {
    const n = reader.u32();
    if (n > rows || n * 4 > reader.remaining) throw fail(`a posting list claims ${n} slots`);
    const slots = new Uint32Array(reader.bytes(n * 4).slice().buffer);
    for (let i = 0; i < n; i++) if (slots[i] >= rows || (i > 0 && slots[i] <= slots[i - 1])) throw fail('a posting list is out of order or range');
    return Postings.fromSlots(slots);
  }
  if (form === 1) {
    const words = reader.u32();
    if (words !== (rows + 31) >>> 5) throw fail(`a bitmap of ${words} words for ${rows} rows`);
    const bits = new Uint32Array(reader.bytes(words * 4).slice().buffer);
    const tail = rows & 31;
    if (tail !== 0 && (bits[words - 1] >>> tail) !== 0) throw fail('a bitmap has bits past the last row');
    return Postings.fromBitmap(new Bitset(rows, bits));
  }
  throw fail(`unknown posting list form ${form}`);
}
