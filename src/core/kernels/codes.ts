/**
 * The code kernels: distances from a prepared query to rows of quantized codes, computed on the codes
 * directly (codes are unpacked in registers, never decoded to a buffer). This file is the specification:
 * the byte layout of every kernel's rows and prepared query, and a plain-TypeScript twin of every WASM
 * kernel in src/wasm/assembly/codes.ts. The quantizers (src/core/quant) write rows and queries in these
 * layouts; KernelMemory.codeRange / codeSlots score them.
 *
 * Every kernel takes (width, query, rows, stride, first-or-slots, count, out, residuals) like the float
 * kernels; `width` is the dimension for SQ8 / LVQ / binary, the rotated dimension D for RaBitQ, and the
 * number of sub-spaces m for PQ. `residuals` is where the second-level rows of a two-level LVQ start
 * (row i at residuals + i · residualRowBytes(d)); the other kernels ignore it. Keeping the second level
 * apart keeps traversal rows small (a graph reads only them) and makes it the separate re-rank data. Offsets are byte offsets into the memory; the query block is 16-byte aligned;
 * row offsets (rows + slot * stride) are multiples of 4, so each row's float fields are aligned.
 *
 * Prepared query block: a 32-byte header of float32 constants (k0, k1, k2, S, σ, Sσ, then two zeros),
 * then the payload. Each kernel's distance is an affine combination of one code-space sum and per-row
 * constants:
 *
 *   'sq8'      payload q[pad16(d)], i16 qi[pad16(d)]   row u8 c[pad4(d)], f32 R          dist = k0 + k1 σ Σ qi_j c_j + k2 R
 *   'lvq8'     payload q[pad16(d)], i16 qi[pad16(d)]   row u8 c[pad4(d)], f32 l, Δ, n1   dist = k0 + k1 (l Sσ + Δ σ Σ qi_j c_j) + k2 n1
 *   'lvq4'     payload q[pad16(d)], i16 qi[pad16(d)]   row u4 c[8·⌈d/16⌉], f32 l, Δ, n1  same as lvq8
 *   'lvq8x8'   as lvq8                                 row lvq8; residual row u8 r[pad4(d)], f32 n2
 *                                                          dist = k0 + k1 ((l − Δ/2) S + Δ Σ q_j c_j + (Δ/255) Σ q_j r_j) + k2 n2
 *   'lvq4x8'   as lvq4                                 row lvq4; residual row as lvq8x8  same as lvq8x8
 *   'hamming'  payload bits[8·⌈d/64⌉]                  row bits[8·⌈d/64⌉]               dist = popcount(query xor row)
 *   'rabitq'   payload q[D]  (D a multiple of 64)      row bits[D/8], f32 n, α           dist = k0 + k2 n + k1 α (2 Σ_{b_i=1} q_i − S)
 *   'pq8'      payload lut[m·256]                      row u8 code[pad4(m)]             dist = k0 + Σ_s lut[256 s + code_s]
 *   'pq4'      payload lut[m·16]                       row u4 code[pad4(⌈m/2⌉)]         dist = k0 + Σ_s lut[16 s + code_s]
 *
 * Integer query (sq8, lvq8, lvq4): the traversal kernels multiply codes with qi, the float payload q
 * rounded to int16 at scale σ (q_j ≈ σ qi_j), by i32x4.dot_i16x8_s: integer products are exact and
 * need no u8 -> f32 conversion, which is what bounds a float kernel. σ is chosen so that
 * |qi_j| ≤ 32767 and (2^bits − 1) Σ |qi_j| < 2^31 (no int32 sum can overflow); the rounding moves
 * each q_j by at most σ/2 ≈ max|q| / 65534, far below the codes' own step. Sσ = σ Σ qi_j is S of the
 * rounded query, so a traversal distance is exactly that of the query σ·qi. Two-level kernels re-rank
 * with the float payload.
 *
 * pad4(n) / pad16(n): n rounded up to a multiple of 4 / 16. Code bytes past the dimension are zero, and
 * the query payload is zero past the dimension, so padding adds exactly 0 to every sum.
 * u4 codes (LVQ-4): dimension j lives in byte 8·⌊j/16⌋ + (j mod 8), low nibble for (j mod 16) < 8, high
 * nibble otherwise — a 16-byte load then holds dimensions 0–7 and 16–23 in its low nibbles and 8–15 and
 * 24–31 in its high nibbles, so unpacking needs no shuffle. u4 codes (PQ-4): sub-space s in byte ⌊s/2⌋,
 * low nibble for even s. Bits: dimension j is bit (j mod 8) of byte ⌊j/8⌋.
 * The SQ8 row constant R = Σ_j (s_j c_j)² follows the codes (‖x̂ − lo‖² for the l2 expansion).
 * The LVQ row constants follow the codes: l (lower bound), Δ (step), n1 = ‖level-1 reconstruction‖²,
 * and a two-level LVQ's residual row holds the residual codes r, then n2 = ‖two-level reconstruction‖².
 */
import type { KernelMetric } from './kernel.js';

export type CodeKernel = 'sq8' | 'lvq8' | 'lvq4' | 'lvq8x8' | 'lvq4x8' | 'hamming' | 'rabitq' | 'pq8' | 'pq4';

export const CODE_KERNELS: readonly CodeKernel[] = ['sq8', 'lvq8', 'lvq4', 'lvq8x8', 'lvq4x8', 'hamming', 'rabitq', 'pq8', 'pq4'];

/** Bytes of the prepared query's header: float32 k0, k1, k2, S, σ, Sσ and two zeros. */
export const CODE_QUERY_HEADER_BYTES = 32;

/** Index of the payload's first float in a query block's float32 view. */
export const CODE_QUERY_PAYLOAD = CODE_QUERY_HEADER_BYTES / 4;

/** Byte offset of the int16 payload qi in an sq8 / lvq query block. */
export function integerPayloadOffset(dimension: number): number {
  return CODE_QUERY_HEADER_BYTES + 4 * pad16(dimension);
}

export function pad4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

export function pad16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** Bytes of d 8-bit codes. */
export function u8CodeBytes(dimension: number): number {
  return pad4(dimension);
}

/** Bytes of d 4-bit LVQ codes (16-dimension groups of 8 bytes). */
export function u4CodeBytes(dimension: number): number {
  return 8 * Math.ceil(dimension / 16);
}

/** Bytes of d bits (whole 64-bit words). */
export function bitCodeBytes(dimension: number): number {
  return 8 * Math.ceil(dimension / 64);
}

/** Bytes of the level-1 codes of an LVQ row (where its constants l, Δ, n1 start). */
export function lvqLevelOneBytes(bits: 4 | 8, dimension: number): number {
  return bits === 8 ? u8CodeBytes(dimension) : u4CodeBytes(dimension);
}

/** Bytes of a two-level LVQ's residual row: u8 codes, then f32 n2. */
export function residualRowBytes(dimension: number): number {
  return u8CodeBytes(dimension) + 4;
}

/** Byte offset of u4 LVQ dimension j's byte, and whether it is the high nibble. */
export function u4Position(j: number): { byte: number; high: boolean } {
  return { byte: 8 * (j >> 4) + (j & 7), high: (j & 15) >= 8 };
}

/** Bytes of a prepared query block for a kernel of the given width. */
export function codeQueryBytes(kernel: CodeKernel, width: number): number {
  switch (kernel) {
    case 'sq8':
    case 'lvq8':
    case 'lvq4':
    case 'lvq8x8':
    case 'lvq4x8':
      return CODE_QUERY_HEADER_BYTES + 6 * pad16(width);
    case 'hamming':
      return CODE_QUERY_HEADER_BYTES + bitCodeBytes(width);
    case 'rabitq':
      return CODE_QUERY_HEADER_BYTES + 4 * width;
    case 'pq8':
      return CODE_QUERY_HEADER_BYTES + 4 * 256 * width;
    case 'pq4':
      return CODE_QUERY_HEADER_BYTES + 4 * 16 * width;
  }
}

/**
 * Writes the int16 payload qi and its scale σ from the float payload of a query block (`view` its float32
 * view), for codes of at most `codeMax`: the rules in the comment at the top.
 */
export function writeIntegerPayload(view: Float32Array, dimension: number, codeMax: number): void {
  const q = view.subarray(CODE_QUERY_PAYLOAD, CODE_QUERY_PAYLOAD + dimension);
  let largest = 0;
  let total = 0;
  for (let j = 0; j < dimension; j++) {
    const a = Math.abs(q[j]);
    if (a > largest) largest = a;
    total += a;
  }
  // Rounding adds at most 1/2 per coordinate to Σ|qi|: leave room for it below 2^31.
  const room = 2 ** 31 - 1 - codeMax * (dimension / 2 + 1);
  // Rounded up to float32 (a relative nudge larger than float32's rounding), so the bounds still hold.
  const scale = Math.fround(Math.max(largest / 32767, (total * codeMax) / room) * (1 + 2 ** -20));
  const qi = new Int16Array(view.buffer, view.byteOffset + integerPayloadOffset(dimension), pad16(dimension));
  qi.fill(0);
  view[4] = scale;
  let sum = 0;
  if (scale > 0) {
    for (let j = 0; j < dimension; j++) {
      qi[j] = Math.max(-32767, Math.min(32767, Math.round(q[j] / scale)));
      sum += qi[j];
    }
  }
  view[5] = scale * sum;
}

/** Header constants the quantizers write for each metric (see the table above). */
export function affineHeader(metric: KernelMetric): { k1: number; k2: number } {
  return metric === 'l2' ? { k1: -2, k2: 1 } : { k1: -1, k2: 0 };
}

/**
 * The distance from the query block at `query` to the row at `row` (byte offsets into `buffer`; `residual`
 * the row's second level for 'lvq8x8' / 'lvq4x8'), in float64: the specification every WASM code kernel
 * is tested against (the WASM kernels sum in float32).
 */
export function referenceCodeDistance(kernel: CodeKernel, width: number, buffer: ArrayBuffer, query: number, row: number, residual = -1): number {
  const f32 = new Float32Array(buffer);
  const u8 = new Uint8Array(buffer);
  const i16 = new Int16Array(buffer);
  const q = (query + CODE_QUERY_HEADER_BYTES) >> 2;
  const k0 = f32[query >> 2];
  const k1 = f32[(query >> 2) + 1];
  const k2 = f32[(query >> 2) + 2];
  const S = f32[(query >> 2) + 3];
  const scale = f32[(query >> 2) + 4];
  const roundedS = f32[(query >> 2) + 5];
  const qi = (query + integerPayloadOffset(width)) >> 1;
  const d = width;
  switch (kernel) {
    case 'sq8': {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += i16[qi + j] * u8[row + j];
      return k0 + k1 * scale * sum + k2 * f32[(row + u8CodeBytes(d)) >> 2];
    }
    case 'lvq8':
    case 'lvq4':
    case 'lvq8x8':
    case 'lvq4x8': {
      const bits = kernel === 'lvq8' || kernel === 'lvq8x8' ? 8 : 4;
      const constants = (row + lvqLevelOneBytes(bits, d)) >> 2;
      const l = f32[constants];
      const delta = f32[constants + 1];
      const traversal = kernel === 'lvq8' || kernel === 'lvq4';
      let dot1 = 0;
      for (let j = 0; j < d; j++) {
        let c: number;
        if (bits === 8) c = u8[row + j];
        else {
          const { byte, high } = u4Position(j);
          c = high ? u8[row + byte] >> 4 : u8[row + byte] & 15;
        }
        dot1 += (traversal ? i16[qi + j] : f32[q + j]) * c;
      }
      if (traversal) return k0 + k1 * (l * roundedS + delta * scale * dot1) + k2 * f32[constants + 2];
      let dot2 = 0;
      for (let j = 0; j < d; j++) dot2 += f32[q + j] * u8[residual + j];
      const step2 = Math.fround(delta / 255);
      return k0 + k1 * ((l - delta / 2) * S + delta * dot1 + step2 * dot2) + k2 * f32[(residual + u8CodeBytes(d)) >> 2];
    }
    case 'hamming': {
      let count = 0;
      const bytes = bitCodeBytes(d);
      for (let i = 0; i < bytes; i++) {
        let x = u8[query + CODE_QUERY_HEADER_BYTES + i] ^ u8[row + i];
        while (x !== 0) {
          count += x & 1;
          x >>= 1;
        }
      }
      return count;
    }
    case 'rabitq': {
      let selected = 0;
      for (let i = 0; i < d; i++) if ((u8[row + (i >> 3)] >> (i & 7)) & 1) selected += f32[q + i];
      const constants = (row + d / 8) >> 2;
      return k0 + k2 * f32[constants] + k1 * f32[constants + 1] * (2 * selected - S);
    }
    case 'pq8': {
      let sum = 0;
      for (let s = 0; s < d; s++) sum += f32[q + 256 * s + u8[row + s]];
      return k0 + sum;
    }
    case 'pq4': {
      let sum = 0;
      for (let s = 0; s < d; s++) {
        const byte = u8[row + (s >> 1)];
        sum += f32[q + 16 * s + (s & 1 ? byte >> 4 : byte & 15)];
      }
      return k0 + sum;
    }
  }
}
