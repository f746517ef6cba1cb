// Distance kernels for the 'wasm-simd128' backend (AssemblyScript, built by scripts/build-wasm.mjs).
// Semantics are those of KernelMemory.distanceRange / distanceSlots in src/core/kernels/kernel.ts:
//   l2  -> sum((q - x)^2)      dot -> -sum(q * x)
// All offsets are byte offsets into the imported memory.
//
// Layout assumption: the query and every row are 16-byte aligned and zero-padded up to the stride, so a
// row may be read as ceil(dimension / 4) whole f32x4 lanes. The padding floats are 0 in both query and
// row, which adds (0 - 0)^2 = 0 or 0 * 0 = 0: no scalar tail loop is needed for odd dimensions.
//
// Shape, chosen by measurement (Node 20, 60,000 x 784 rows, one core whose plain read loop streams ~28 GB/s):
// every pass scores FOUR rows against one query lane, so each query load serves four rows and the rows
// give four independent add chains. distanceRange takes its four rows from the four quarters of the range,
// not four neighbours: four far-apart sequential streams keep full bandwidth (~28 GB/s, and ~20% faster
// than a one-row loop when rows are in cache), while four interleaved neighbouring rows ran at ~11 GB/s.
// For slot lists four rows at a time overlap four cache-miss streams: ~1.7x a one-row loop on random slots.
// Leftover rows (< 4) use a one-row loop with four accumulators over 16 floats per step.
// Relaxed-SIMD FMA is not enabled by default in Node 20, so this uses plain f32x4.mul + f32x4.add.

// `l2` is a literal at every exported entry point, so after inlining -O3 folds the metric branch away.
@inline function term(l2: bool, acc: v128, q: v128, x: v128): v128 {
  if (l2) {
    const d = f32x4.sub(q, x);
    return f32x4.add(acc, f32x4.mul(d, d));
  }
  return f32x4.add(acc, f32x4.mul(q, x));
}

@inline function finish(l2: bool, acc: v128): f32 {
  const sum = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  return l2 ? sum : -sum;
}

/** One row: four accumulators, 16 floats per step, then whole lanes. */
@inline function one(l2: bool, q: usize, lanes: usize, x: usize): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const end16 = q + ((lanes & ~3) << 4);
  const end = q + (lanes << 4);
  let p = q;
  while (p < end16) {
    a0 = term(l2, a0, v128.load(p), v128.load(x));
    a1 = term(l2, a1, v128.load(p, 16), v128.load(x, 16));
    a2 = term(l2, a2, v128.load(p, 32), v128.load(x, 32));
    a3 = term(l2, a3, v128.load(p, 48), v128.load(x, 48));
    p += 64;
    x += 64;
  }
  while (p < end) {
    a0 = term(l2, a0, v128.load(p), v128.load(x));
    p += 16;
    x += 16;
  }
  return finish(l2, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}

/** Four rows per pass over the query; results go to out0..out3. */
@inline function four(l2: bool, q: usize, lanes: usize, x0: usize, x1: usize, x2: usize, x3: usize, out0: usize, out1: usize, out2: usize, out3: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const end = q + (lanes << 4);
  for (let p = q; p < end; p += 16) {
    const qv = v128.load(p);
    a0 = term(l2, a0, qv, v128.load(x0));
    a1 = term(l2, a1, qv, v128.load(x1));
    a2 = term(l2, a2, qv, v128.load(x2));
    a3 = term(l2, a3, qv, v128.load(x3));
    x0 += 16;
    x1 += 16;
    x2 += 16;
    x3 += 16;
  }
  store<f32>(out0, finish(l2, a0));
  store<f32>(out1, finish(l2, a1));
  store<f32>(out2, finish(l2, a2));
  store<f32>(out3, finish(l2, a3));
}

@inline function range(l2: bool, dimension: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize): void {
  const lanes = <usize>((dimension + 3) >> 2);
  const quarter = <usize>(count >> 2);
  const base = rows + <usize>first * stride;
  const rowStep = quarter * stride;
  const outStep = quarter << 2;
  let x = base;
  let o = out;
  for (let r: usize = 0; r < quarter; r++) {
    four(l2, query, lanes, x, x + rowStep, x + 2 * rowStep, x + 3 * rowStep, o, o + outStep, o + 2 * outStep, o + 3 * outStep);
    x += stride;
    o += 4;
  }
  x = base + 4 * rowStep;
  o = out + 4 * outStep;
  for (let r = quarter << 2; r < <usize>count; r++) {
    store<f32>(o, one(l2, query, lanes, x));
    x += stride;
    o += 4;
  }
}

@inline function slots(l2: bool, dimension: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize): void {
  const lanes = <usize>((dimension + 3) >> 2);
  const end4 = slotList + (<usize>(count & ~3) << 2);
  const end = slotList + (<usize>count << 2);
  let s = slotList;
  let o = out;
  while (s < end4) {
    four(
      l2, query, lanes,
      rows + <usize>load<u32>(s) * stride, rows + <usize>load<u32>(s, 4) * stride,
      rows + <usize>load<u32>(s, 8) * stride, rows + <usize>load<u32>(s, 12) * stride,
      o, o + 4, o + 8, o + 12,
    );
    s += 16;
    o += 16;
  }
  while (s < end) {
    store<f32>(o, one(l2, query, lanes, rows + <usize>load<u32>(s) * stride));
    s += 4;
    o += 4;
  }
}

export function l2Range(dimension: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize): void {
  range(true, dimension, query, rows, stride, first, count, out);
}

export function dotRange(dimension: u32, query: usize, rows: usize, stride: usize, first: u32, count: u32, out: usize): void {
  range(false, dimension, query, rows, stride, first, count, out);
}

export function l2Slots(dimension: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize): void {
  slots(true, dimension, query, rows, stride, slotList, count, out);
}

export function dotSlots(dimension: u32, query: usize, rows: usize, stride: usize, slotList: usize, count: u32, out: usize): void {
  slots(false, dimension, query, rows, stride, slotList, count, out);
}
