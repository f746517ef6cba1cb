/**
 * Vectors on the wire: a JSON array of numbers, or `{ "f32": "<base64>" }` holding the little-endian
 * float32 bytes. Portable (browsers and Node, no node:* imports): Node's Buffer is used when present
 * because it decodes base64 natively; elsewhere atob/btoa.
 */
import { QuiverError } from '../core/errors.js';

export interface F32Vector {
  f32: string;
}

interface BufferLike {
  from(data: string, encoding: 'base64'): Uint8Array;
  from(data: ArrayBuffer, offset: number, length: number): { toString(encoding: 'base64'): string };
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isF32Vector(value: unknown): value is F32Vector {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as F32Vector).f32 === 'string';
}

/** Base64 of the vector's float32 bytes, little-endian. */
export function encodeF32(vector: Float32Array): string {
  let bytes = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  if (!LITTLE_ENDIAN) bytes = swapWords(bytes);
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/**
 * The Float32Array a base64 string holds. When the decoded bytes sit at a 4-byte-aligned offset the
 * result is a view on them (no per-element copy); otherwise one byte copy aligns them. `owned` asks for
 * an array with a buffer of its own (Node decodes small strings into a shared pool), for results handed
 * to users. `where` names the vector in errors (for example { index: 3, key: 'p1' }).
 */
export function decodeF32(base64: string, where: Record<string, unknown> = {}, owned = false): Float32Array {
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
    throw new QuiverError('INVALID_VECTOR', `f32 is not valid base64 (RFC 4648 with padding, ${base64.length} characters)${describeWhere(where)}. Encode the vector's little-endian float32 bytes.`, {
      ...where,
      field: 'f32',
    });
  }
  let bytes: Uint8Array;
  if (NodeBuffer) bytes = NodeBuffer.from(base64, 'base64');
  else {
    const binary = atob(base64);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  }
  if (bytes.byteLength % 4 !== 0) {
    throw new QuiverError('INVALID_VECTOR', `f32 decodes to ${bytes.byteLength} bytes, not a whole number of float32 values (4 bytes each)${describeWhere(where)}.`, {
      ...where,
      field: 'f32',
      received: bytes.byteLength,
    });
  }
  if (!LITTLE_ENDIAN) bytes = swapWords(bytes);
  else if (bytes.byteOffset % 4 !== 0 || (owned && bytes.byteLength !== bytes.buffer.byteLength)) bytes = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** A wire vector (JSON array or f32) as the embedded API takes it. */
export function vectorFromWire(vector: unknown, where: Record<string, unknown> = {}): Float32Array | number[] {
  if (isF32Vector(vector)) return decodeF32(vector.f32, where);
  return vector as number[];
}

function swapWords(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}

function describeWhere(where: Record<string, unknown>): string {
  const parts = Object.entries(where).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
