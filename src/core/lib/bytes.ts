/**
 * Little-endian byte writing and reading for every file format (WAL, segments, manifest) and the
 * index codecs inside segment files.
 *
 * Little-endian because every platform Quiver runs on is, so typed-array views over file bytes need no
 * swapping. The reader treats its input as untrusted: any read past the end is a QuiverError CORRUPTED
 * naming the file (`what`) and the offset, never a RangeError, so decoders need no bounds checks of their
 * own to be safe against truncated or garbage files.
 */
import { QuiverError } from '../errors.js';
import { assert } from './assert.js';

const UTF8_ENCODER = new TextEncoder();
// fatal: a file whose strings are not valid UTF-8 is damaged; silently substituting U+FFFD would misread it.
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private used = 0;

  constructor(initialCapacity = 256) {
    assert(Number.isInteger(initialCapacity) && initialCapacity >= 0, 'ByteWriter capacity must be a non-negative integer');
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buffer.buffer);
  }

  /** Bytes written so far (the offset the next write goes to). */
  get length(): number {
    return this.used;
  }

  u8(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, `u8 out of range: ${value}`);
    this.reserve(1);
    this.buffer[this.used++] = value;
    return this;
  }

  u16(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffff, `u16 out of range: ${value}`);
    this.reserve(2);
    this.view.setUint16(this.used, value, true);
    this.used += 2;
    return this;
  }

  u32(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 out of range: ${value}`);
    this.reserve(4);
    this.view.setUint32(this.used, value, true);
    this.used += 4;
    return this;
  }

  i32(value: number): this {
    assert(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff, `i32 out of range: ${value}`);
    this.reserve(4);
    this.view.setInt32(this.used, value, true);
    this.used += 4;
    return this;
  }

  /** A u64 carried as a JS number: only safe integers, so every value written can be read back exactly. */
  u64(value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, `u64 must be a non-negative safe integer: ${value}`);
    this.reserve(8);
    this.view.setUint32(this.used, value % 0x1_0000_0000, true);
    this.view.setUint32(this.used + 4, Math.floor(value / 0x1_0000_0000), true);
    this.used += 8;
    return this;
  }

  f32(value: number): this {
    this.reserve(4);
    this.view.setFloat32(this.used, value, true);
    this.used += 4;
    return this;
  }

  f64(value: number): this {
    this.reserve(8);
    this.view.setFloat64(this.used, value, true);
    this.used += 8;
    return this;
  }

  /** Raw bytes, no length prefix. */
  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.used);
    this.used += value.length;
    return this;
  }

  /** A string as u32 byte length + UTF-8 bytes. */
  utf8(value: string): this {
    const encoded = UTF8_ENCODER.encode(value);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** Overwrites a u32 already written, for lengths and checksums known only after the body. */
  patchU32(offset: number, value: number): this {
    assert(Number.isInteger(offset) && offset >= 0 && offset + 4 <= this.used, `patchU32 offset out of range: ${offset}`);
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 out of range: ${value}`);
    this.view.setUint32(offset, value, true);
    return this;
  }

  /** A copy of the bytes written; the writer stays usable. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.used);
  }

  private reserve(extra: number): void {
    const needed = this.used + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.used));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

export class ByteReader {
  private readonly view: DataView;
  private position: number;

  /**
   * @param what names the input in errors (usually the file name), so a CORRUPTED error says which file.
   */
  constructor(
    private readonly data: Uint8Array,
    readonly what: string,
    offset = 0,
  ) {
    assert(Number.isInteger(offset) && offset >= 0 && offset <= data.length, `ByteReader offset out of range: ${offset}`);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.position = offset;
  }

  get offset(): number {
    return this.position;
  }

  get length(): number {
    return this.data.length;
  }

  get remaining(): number {
    return this.data.length - this.position;
  }

  get atEnd(): boolean {
    return this.position >= this.data.length;
  }

  u8(): number {
    const at = this.take(1);
    return this.data[at];
  }

  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  /** A u64 that must fit a safe integer: a larger value cannot have been written by ByteWriter. */
  u64(): number {
    const at = this.take(8);
    const low = this.view.getUint32(at, true);
    const high = this.view.getUint32(at + 4, true);
    if (high > 0x1fffff) {
      throw new QuiverError('CORRUPTED', `${this.what} is corrupted: a u64 at offset ${at} exceeds 2^53.`, {
        what: this.what,
        offset: at,
      });
    }
    return high * 0x1_0000_0000 + low;
  }

  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  /** A view (not a copy) of the next `count` bytes. */
  bytes(count: number): Uint8Array {
    assert(Number.isInteger(count) && count >= 0, `byte count must be a non-negative integer: ${count}`);
    const at = this.take(count);
    return this.data.subarray(at, at + count);
  }

  /** A string written by ByteWriter.utf8: u32 byte length + UTF-8 bytes. */
  utf8(): string {
    const start = this.position;
    const bytes = this.bytes(this.u32());
    try {
      return UTF8_DECODER.decode(bytes);
    } catch (cause) {
      throw new QuiverError('CORRUPTED', `${this.what} is corrupted: invalid UTF-8 in the string at offset ${start}.`, {
        what: this.what,
        offset: start,
      }, { cause });
    }
  }

  skip(count: number): this {
    assert(Number.isInteger(count) && count >= 0, `skip count must be a non-negative integer: ${count}`);
    this.take(count);
    return this;
  }

  /** Reserves `count` bytes and returns where they start, or throws CORRUPTED if the input ends first. */
  private take(count: number): number {
    const at = this.position;
    if (count > this.data.length - at) {
      throw new QuiverError(
        'CORRUPTED',
        `${this.what} is truncated or corrupted: needed ${count} bytes at offset ${at} but only ${this.data.length - at} remain.`,
        { what: this.what, offset: at, needed: count, available: this.data.length - at },
      );
    }
    this.position = at + count;
    return at;
  }
}
