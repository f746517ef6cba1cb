// Code kernels for the 'wasm-simd128' backend (AssemblyScript, built by scripts/build-wasm.mjs into a
// second module beside kernels.ts, compiled on first use so collections without compression never pay
// for it). Row and query layouts, and the TypeScript twin of every kernel, are in
// src/core/kernels/codes.ts: that file is the specification, this one the fast path.
//
// Codes are unpacked in registers (u8 -> i16 for the integer kernels, u8 -> f32 for the float ones,
// nibbles by mask and shift, bits by lane masks): nothing is decoded to memory. Code bytes are read in
// whole 16-byte loads, then an 8-byte and a 4-byte tail load (load64_zero / load32_zero), so a kernel
// reads exactly the row's code bytes and never past the end of the memory.
//
// The traversal kernels (sq8, lvq8, lvq4) multiply codes with the int16 query by i32x4.dot_i16x8_s:
// measured on 768-d rows, the float form (four conversions u8 -> f32 per 16 codes) was compute-bound at
// about the cost of a float32 row, the integer form needs less than half the instructions. Their slot
// kernels score four rows per pass, like the float kernels, so four rows' cache misses overlap.
//
// `kind` is a literal at every exported entry point, so after inlining -O3 folds the dispatch away.

const SQ8 = 1;
const LVQ8 = 2;
const LVQ4 = 3;
const LVQ8X8 = 4;
const LVQ4X8 = 5;
const HAMMING = 6;
const RABITQ = 7;
const PQ8 = 8;
const PQ4 = 9;

/** Bytes of the prepared query's header (float32 k0, k1, k2, S, σ, Sσ, two zeros). */
const HEADER: usize = 32;

@inline function pad4(n: usize): usize {
  return (n + 3) & ~(<usize>3);
}

@inline function pad16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

@inline function u4Bytes(d: usize): usize {
  return ((d + 15) >> 4) << 3;
}

@inline function lanes(a: v128): f32 {
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
}

// Codes are below 2^31, so the signed conversion gives the same floats; x86 has only the signed one in
// hardware (cvtdq2ps), and V8 expands convert_i32x4_u into a sequence that ran this kernel 2x slower.
/** Lanes 0–3 of a u16x8 (codes widened from u8) as f32x4. */
@inline function low4(u16s: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(u16s));
}

/** Lanes 4–7 of a u16x8 as f32x4. */
@inline function high4(u16s: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(u16s));
}

@inline function madd(acc: v128, q: usize, codes: v128): v128 {
  return f32x4.add(acc, f32x4.mul(v128.load(q), codes));
}

/** Σ q_j c_j over `bytes` u8 codes (a multiple of 4; the query is zero-padded to a multiple of 16). */
@inline function dotU8(q: usize, c: usize, bytes: usize): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const end16 = c + (bytes & ~(<usize>15));
  while (c < end16) {
    const v = v128.load(c);
    const lo = i16x8.extend_low_i8x16_u(v);
    const hi = i16x8.extend_high_i8x16_u(v);
    a0 = madd(a0, q, low4(lo));
    a1 = madd(a1, q + 16, high4(lo));
    a2 = madd(a2, q + 32, low4(hi));
    a3 = madd(a3, q + 48, high4(hi));
    c += 16;
    q += 64;
  }
  if (bytes & 8) {
    const lo = i16x8.extend_low_i8x16_u(v128.load64_zero(c));
    a0 = madd(a0, q, low4(lo));
    a1 = madd(a1, q + 16, high4(lo));
    c += 8;
    q += 32;
  }
  if (bytes & 4) {
    a2 = madd(a2, q, low4(i16x8.extend_low_i8x16_u(v128.load32_zero(c))));
  }
  return lanes(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}

/**
 * Σ q_j c_j over the u4 codes of d dimensions: 16-dimension groups of 8 bytes, dimension j of a group in
 * byte j mod 8, low nibble for j < 8. A 16-byte load holds two groups: low nibbles are dimensions 0–7
 * and 16–23, high nibbles 8–15 and 24–31.
 */
@inline function dotU4(q: usize, c: usize, d: usize): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const bytes = u4Bytes(d);
  const end16 = c + (bytes & ~(<usize>15));
  const mask = i8x16.splat(15);
  while (c < end16) {
    const v = v128.load(c);
    const lo = v128.and(v, mask);
    const hi = i8x16.shr_u(v, 4);
    const d0 = i16x8.extend_low_i8x16_u(lo);
    const d8 = i16x8.extend_low_i8x16_u(hi);
    const d16 = i16x8.extend_high_i8x16_u(lo);
    const d24 = i16x8.extend_high_i8x16_u(hi);
    a0 = madd(a0, q, low4(d0));
    a1 = madd(a1, q + 16, high4(d0));
    a2 = madd(a2, q + 32, low4(d8));
    a3 = madd(a3, q + 48, high4(d8));
    a0 = madd(a0, q + 64, low4(d16));
    a1 = madd(a1, q + 80, high4(d16));
    a2 = madd(a2, q + 96, low4(d24));
    a3 = madd(a3, q + 112, high4(d24));
    c += 16;
    q += 128;
  }
  if (bytes & 8) {
    const v = v128.load64_zero(c);
    const d0 = i16x8.extend_low_i8x16_u(v128.and(v, mask));
    const d8 = i16x8.extend_low_i8x16_u(i8x16.shr_u(v, 4));
    a0 = madd(a0, q, low4(d0));
    a1 = madd(a1, q + 16, high4(d0));
    a2 = madd(a2, q + 32, low4(d8));
    a3 = madd(a3, q + 48, high4(d8));
  }
  return lanes(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}

/** Σ qi_j c_j (int16 query, u8 codes) over `bytes` codes (a multiple of 4; qi zero-padded to 16). */
@inline function idotU8(q: usize, c: usize, bytes: usize): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
  const end16 = c + (bytes & ~(<usize>15));
  while (c < end16) {
    const v = v128.load(c);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), v128.load(q)));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), v128.load(q, 16)));
    c += 16;
    q += 32;
  }
  if (bytes & 8) {
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load64_zero(c)), v128.load(q)));
    c += 8;
    q += 16;
  }
  // Four codes: the upper four i16 lanes are zero codes times qi, which is zero-padded or real (either way 0).
  if (bytes & 4) a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load32_zero(c)), v128.load(q)));
  const a = i32x4.add(a0, a1);
  return i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
}

@inline function isum(a: v128): i32 {
  return i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
}

// Four rows' integer sums (the four-row kernels' results; wasm globals, read right after each call).
let sum0: i32 = 0;
let sum1: i32 = 0;
let sum2: i32 = 0;
let sum3: i32 = 0;

@inline function step8(acc: v128, v: v128, q0: v128, q1: v128): v128 {
  return i32x4.add(i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v), q0)), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(v), q1));
}

/** idotU8 of four rows against one query: each query load serves four rows. */
@inline function idotU8x4(q: usize, c0: usize, c1: usize, c2: usize, c3: usize, bytes: usize): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  const end16 = q + ((bytes & ~(<usize>15)) << 1);
  while (q < end16) {
    const q0 = v128.load(q);
    const q1 = v128.load(q, 16);
    a0 = step8(a0, v128.load(c0), q0, q1);
    a1 = step8(a1, v128.load(c1), q0, q1);
    a2 = step8(a2, v128.load(c2), q0, q1);
    a3 = step8(a3, v128.load(c3), q0, q1);
    c0 += 16;
    c1 += 16;
    c2 += 16;
    c3 += 16;
    q += 32;
  }
  if (bytes & 8) {
    const q0 = v128.load(q);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load64_zero(c0)), q0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load64_zero(c1)), q0));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load64_zero(c2)), q0));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load64_zero(c3)), q0));
    c0 += 8;
    c1 += 8;
    c2 += 8;
    c3 += 8;
    q += 16;
  }
  if (bytes & 4) {
    const q0 = v128.load(q);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load32_zero(c0)), q0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load32_zero(c1)), q0));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load32_zero(c2)), q0));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.load32_zero(c3)), q0));
  }
  sum0 = isum(a0);
  sum1 = isum(a1);
  sum2 = isum(a2);
  sum3 = isum(a3);
}

/** One 16-byte load of u4 codes (32 dimensions) against qi[0..32). */
@inline function step4(acc: v128, v: v128, mask: v128, q: usize): v128 {
  const lo = v128.and(v, mask);
  const hi = i8x16.shr_u(v, 4);
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(lo), v128.load(q)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(hi), v128.load(q, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(lo), v128.load(q, 32)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(hi), v128.load(q, 48)));
}

/** The 8-byte tail group of u4 codes (16 dimensions) against qi[0..16). */
@inline function tail4(acc: v128, v: v128, mask: v128, q: usize): v128 {
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(v128.and(v, mask)), v128.load(q)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(i8x16.shr_u(v, 4)), v128.load(q, 16)));
}

/** Σ qi_j c_j over the u4 codes of d dimensions (layout of dotU4). */
@inline function idotU4(q: usize, c: usize, d: usize): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
  const bytes = u4Bytes(d);
  const end32 = c + (bytes & ~(<usize>31));
  const end16 = c + (bytes & ~(<usize>15));
  const mask = i8x16.splat(15);
  while (c < end32) {
    a0 = step4(a0, v128.load(c), mask, q);
    a1 = step4(a1, v128.load(c, 16), mask, q + 64);
    c += 32;
    q += 128;
  }
  if (c < end16) {
    a0 = step4(a0, v128.load(c), mask, q);
    c += 16;
    q += 64;
  }
  if (bytes & 8) a1 = tail4(a1, v128.load64_zero(c), mask, q);
  return isum(i32x4.add(a0, a1));
}

/** idotU4 of four rows against one query. */
@inline function idotU4x4(q: usize, c0: usize, c1: usize, c2: usize, c3: usize, d: usize): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  const bytes = u4Bytes(d);
  const end16 = q + ((bytes & ~(<usize>15)) << 2);
  const mask = i8x16.splat(15);
  while (q < end16) {
    a0 = step4(a0, v128.load(c0), mask, q);
    a1 = step4(a1, v128.load(c1), mask, q);
    a2 = step4(a2, v128.load(c2), mask, q);
    a3 = step4(a3, v128.load(c3), mask, q);
    c0 += 16;
    c1 += 16;
    c2 += 16;
    c3 += 16;
    q += 64;
  }
  if (bytes & 8) {
    a0 = tail4(a0, v128.load64_zero(c0), mask, q);
    a1 = tail4(a1, v128.load64_zero(c1), mask, q);
    a2 = tail4(a2, v128.load64_zero(c2), mask, q);
    a3 = tail4(a3, v128.load64_zero(c3), mask, q);
  }
  sum0 = isum(a0);
  sum1 = isum(a1);
  sum2 = isum(a2);
  sum3 = isum(a3);
}

/** popcount(q xor c) over `bytes` bytes (a multiple of 8). */
@inline function hamming(q: usize, c: usize, bytes: usize): f32 {
  let acc = i32x4.splat(0);
  const end16 = c + (bytes & ~(<usize>15));
  while (c < end16) {
    const counts = i8x16.popcnt(v128.xor(v128.load(q), v128.load(c)));
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(counts)));
    c += 16;
    q += 16;
  }
  let total = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  if (bytes & 8) total += <i32>popcnt<u64>(load<u64>(q) ^ load<u64>(c));
  return <f32>total;
}

/** Σ q_i over the set bits of D bits (D a multiple of 64): each byte becomes two f32x4 lane masks. */
@inline function selectedSum(q: usize, c: usize, D: usize): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const low = i32x4(1, 2, 4, 8);
  const high = i32x4(16, 32, 64, 128);
  const end = c + (D >> 3);
  while (c < end) {
    const b0 = i32x4.splat(<i32>load<u8>(c));
    const b1 = i32x4.splat(<i32>load<u8>(c, 1));
    a0 = f32x4.add(a0, v128.and(i32x4.eq(v128.and(b0, low), low), v128.load(q)));
    a1 = f32x4.add(a1, v128.and(i32x4.eq(v128.and(b0, high), high), v128.load(q, 16)));
    a2 = f32x4.add(a2, v128.and(i32x4.eq(v128.and(b1, low), low), v128.load(q, 32)));
    a3 = f32x4.add(a3, v128.and(i32x4.eq(v128.and(b1, high), high), v128.load(q, 48)));
    c += 2;
    q += 64;
  }
  return lanes(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}

/** Σ_s lut[K s + code_s] over m u8 codes (K = 256). */
@inline function lookup8(lut: usize, c: usize, m: usize): f32 {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  const end4 = c + (m & ~(<usize>3));
  const end = c + m;
  while (c < end4) {
    s0 += load<f32>(lut + ((<usize>load<u8>(c)) << 2));
    s1 += load<f32>(lut + ((256 + <usize>load<u8>(c, 1)) << 2));
    s2 += load<f32>(lut + ((512 + <usize>load<u8>(c, 2)) << 2));
    s3 += load<f32>(lut + ((768 + <usize>load<u8>(c, 3)) << 2));
    c += 4;
    lut += 4096;
  }
  while (c < end) {
    s0 += load<f32>(lut + ((<usize>load<u8>(c)) << 2));
    c += 1;
    lut += 1024;
  }
  return (s0 + s1) + (s2 + s3);
}

/** Σ_s lut[16 s + code_s] over m u4 codes, two sub-spaces per byte (even s in the low nibble). */
@inline function lookup4(lut: usize, c: usize, m: usize): f32 {
  let s0: f32 = 0, s1: f32 = 0;
  const pairs = c + (m >> 1);
  while (c < pairs) {
    const byte = <usize>load<u8>(c);
    s0 += load<f32>(lut + ((byte & 15) << 2));
    s1 += load<f32>(lut + ((16 + (byte >> 4)) << 2));
    c += 1;
    lut += 128;
  }
  if (m & 1) s0 += load<f32>(lut + ((<usize>(load<u8>(c) & 15)) << 2));
  return s0 + s1;
}

/** Where the int16 payload qi starts in a query block. */
@inline function integerPayload(query: usize, width: usize): usize {
  return query + HEADER + (pad16(width) << 2);
}

/** Bytes of a traversal kernel's level-1 codes (where an LVQ row's constants start). */
@inline function levelOneBytes(kind: i32, width: usize): usize {
  return kind == LVQ4 ? u4Bytes(width) : pad4(width);
}

/** A traversal kernel's distance from its integer sum Σ qi_j c_j. */
@inline function finishInteger(kind: i32, query: usize, row: usize, width: usize, sum: i32): f32 {
  const k0 = load<f32>(query);
  const k1 = load<f32>(query, 4);
  const dot = load<f32>(query, 16) * <f32>sum;
  if (kind == SQ8) return k0 + k1 * dot + load<f32>(query, 8) * load<f32>(row + pad4(width));
  const constants = row + levelOneBytes(kind, width);
  return k0 + k1 * (load<f32>(constants) * load<f32>(query, 20) + load<f32>(constants, 4) * dot) + load<f32>(query, 8) * load<f32>(constants, 8);
}

@inline function integerKind(kind: i32): bool {
  return kind == SQ8 || kind == LVQ8 || kind == LVQ4;
}

/** `residual` is the row's second-level row (two-level LVQ only). */
@inline function score(kind: i32, width: usize, query: usize, row: usize, residual: usize): f32 {
  const q = query + HEADER;
  if (integerKind(kind)) {
    const qi = integerPayload(query, width);
    return finishInteger(kind, query, row, width, kind == LVQ4 ? idotU4(qi, row, width) : idotU8(qi, row, pad4(width)));
  }
  const k0 = load<f32>(query);
  const k1 = load<f32>(query, 4);
  const k2 = load<f32>(query, 8);
  const S = load<f32>(query, 12);
  if (kind == LVQ8X8 || kind == LVQ4X8) {
    const eight = kind == LVQ8X8;
    const levelOne = eight ? pad4(width) : u4Bytes(width);
    const dot1 = eight ? dotU8(q, row, levelOne) : dotU4(q, row, width);
    const constants = row + levelOne;
    const l = load<f32>(constants);
    const delta = load<f32>(constants, 4);
    const dot2 = dotU8(q, residual, pad4(width));
    return k0 + k1 * ((l - delta * 0.5) * S + delta * dot1 + (delta / 255) * dot2) + k2 * load<f32>(residual + pad4(width));
  }
  if (kind == HAMMING) return hamming(q, row, ((width + 63) >> 6) << 3);
  if (kind == RABITQ) {
    const selected = selectedSum(q, row, width);
    const constants = row + (width >> 3);
    return k0 + k2 * load<f32>(constants) + k1 * load<f32>(constants, 4) * (2 * selected - S);
  }
  if (kind == PQ8) return k0 + lookup8(q, row, width);
  return k0 + lookup4(q, row, width);
}

/** Bytes of a two-level LVQ's residual row (u8 codes, f32 n2). */
@inline function residualStride(width: usize): usize {
  return pad4(width) + 4;
}

@inline function range(kind: i32, width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  let row = rows + <usize>first * stride;
  const rstride = residualStride(width);
  let residual = residuals + <usize>first * rstride;
  const end = out + (<usize>count << 2);
  while (out < end) {
    store<f32>(out, score(kind, width, query, row, residual));
    row += stride;
    residual += rstride;
    out += 4;
  }
}

@inline function slots(kind: i32, width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  const end = out + (<usize>count << 2);
  if (integerKind(kind)) {
    // Four rows per pass: their cache misses overlap, and each query load serves four rows.
    const qi = integerPayload(query, width);
    const end4 = out + (<usize>(count & ~3) << 2);
    while (out < end4) {
      const r0 = rows + <usize>load<u32>(slotList) * stride;
      const r1 = rows + <usize>load<u32>(slotList, 4) * stride;
      const r2 = rows + <usize>load<u32>(slotList, 8) * stride;
      const r3 = rows + <usize>load<u32>(slotList, 12) * stride;
      if (kind == LVQ4) idotU4x4(qi, r0, r1, r2, r3, width);
      else idotU8x4(qi, r0, r1, r2, r3, pad4(width));
      store<f32>(out, finishInteger(kind, query, r0, width, sum0));
      store<f32>(out, finishInteger(kind, query, r1, width, sum1), 4);
      store<f32>(out, finishInteger(kind, query, r2, width, sum2), 8);
      store<f32>(out, finishInteger(kind, query, r3, width, sum3), 12);
      slotList += 16;
      out += 16;
    }
  }
  const rstride = residualStride(width);
  while (out < end) {
    const slot = <usize>load<u32>(slotList);
    store<f32>(out, score(kind, width, query, rows + slot * stride, residuals + slot * rstride));
    slotList += 4;
    out += 4;
  }
}

export function sq8Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(SQ8, width, query, rows, stride, first, count, out, residuals);
}
export function sq8Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(SQ8, width, query, rows, stride, slotList, count, out, residuals);
}
export function lvq8Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(LVQ8, width, query, rows, stride, first, count, out, residuals);
}
export function lvq8Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(LVQ8, width, query, rows, stride, slotList, count, out, residuals);
}
export function lvq4Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(LVQ4, width, query, rows, stride, first, count, out, residuals);
}
export function lvq4Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(LVQ4, width, query, rows, stride, slotList, count, out, residuals);
}
export function lvq8x8Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(LVQ8X8, width, query, rows, stride, first, count, out, residuals);
}
export function lvq8x8Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(LVQ8X8, width, query, rows, stride, slotList, count, out, residuals);
}
export function lvq4x8Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(LVQ4X8, width, query, rows, stride, first, count, out, residuals);
}
export function lvq4x8Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(LVQ4X8, width, query, rows, stride, slotList, count, out, residuals);
}
export function hammingRange(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(HAMMING, width, query, rows, stride, first, count, out, residuals);
}
export function hammingSlots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(HAMMING, width, query, rows, stride, slotList, count, out, residuals);
}
export function rabitqRange(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(RABITQ, width, query, rows, stride, first, count, out, residuals);
}
export function rabitqSlots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(RABITQ, width, query, rows, stride, slotList, count, out, residuals);
}
export function pq8Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(PQ8, width, query, rows, stride, first, count, out, residuals);
}
export function pq8Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(PQ8, width, query, rows, stride, slotList, count, out, residuals);
}
export function pq4Range(width: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize, residuals: usize): void {
  range(PQ4, width, query, rows, stride, first, count, out, residuals);
}
export function pq4Slots(width: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize, residuals: usize): void {
  slots(PQ4, width, query, rows, stride, slotList, count, out, residuals);
}
