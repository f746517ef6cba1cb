/**
 * Little-endian writing and reading of quantizer parameters (layouts in docs/formats.md). The reader
 * treats its bytes as untrusted: a read past the end is CORRUPTED naming `what` and the offset, so a
 * damaged parameter block is refused, never misread. (core/format has the file-level equivalents; it
 * sits above quant in the arrows, so quant keeps this small pair of its own.)
 */
import { QuiverError } from '../errors.js';
import { QUANTIZER_LAYOUT_VERSION } from './quantizer.js';

export class ParamWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private used = 0;

  private reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.view.setUint8(this.used, v);
    this.used += 1;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.view.setUint16(this.used, v, true);
    this.used += 2;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.used, v, true);
    this.used += 4;
    return this;
  }

  f32s(values: ArrayLike<number>): this {
    this.reserve(4 * values.length);
    for (let i = 0; i < values.length; i++) this.view.setFloat32(this.used + 4 * i, values[i], true);
    this.used += 4 * values.length;
    return this;
  }

  raw(values: Uint8Array): this {
    this.reserve(values.length);
    this.bytes.set(values, this.used);
    this.used += values.length;
    return this;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.used);
  }
}

export class ParamReader {
  private readonly view: DataView;
  private at = 0;

  constructor(
    private readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  corrupted(message: string): QuiverError {
    return new QuiverError('CORRUPTED', `${this.what}: ${message}; restore from a backup or re-train the index (col.optimize()).`, { file: this.what, offset: this.at });
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw this.corrupted(`truncated at byte ${this.at} (needs ${n} more of ${this.bytes.length})`);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  /** n float32 values; non-finite ones are damage (no trained parameter is NaN or infinite). */
  f32s(n: number): Float32Array {
    this.need(4 * n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.view.getFloat32(this.at + 4 * i, true);
      if (!Number.isFinite(v)) throw this.corrupted(`parameter ${i} at byte ${this.at + 4 * i} is ${v}`);
      out[i] = v;
    }
    this.at += 4 * n;
    return out;
  }

  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Every byte must have been read: trailing bytes mean the layout was not what its header says. */
  end(): void {
    if (this.at !== this.bytes.length) throw this.corrupted(`${this.bytes.length - this.at} unexpected trailing bytes`);
  }
}

/** The common 8-byte header: u16 version, u8 kind, u8 flags (0), u32 dimension. */
export function writeParamHeader(w: ParamWriter, kind: number, dimension: number): ParamWriter {
  return w.u16(QUANTIZER_LAYOUT_VERSION).u8(kind).u8(0).u32(dimension);
}

export function readParamHeader(r: ParamReader): { kind: number; dimension: number } {
  const version = r.u16();
  if (version > QUANTIZER_LAYOUT_VERSION) {
    throw new QuiverError('UNSUPPORTED', `${r.what} use layout version ${version}; this quiverdb reads up to ${QUANTIZER_LAYOUT_VERSION}. Open the database with a newer quiverdb.`, {
      file: r.what,
      version,
      newest: QUANTIZER_LAYOUT_VERSION,
    });
  }
  if (version === 0) throw r.corrupted('layout version 0');
  const kind = r.u8();
  const flags = r.u8();
  if (flags !== 0) {
    throw new QuiverError('UNSUPPORTED', `${r.what} carry flags ${flags} this quiverdb does not understand. Open the database with a newer quiverdb.`, { file: r.what, flags });
  }
  const dimension = r.u32();
  return { kind, dimension };
}
