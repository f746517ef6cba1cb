// MaxSim (Chamfer) kernel for the 'wasm-simd128' backend (AssemblyScript, built by scripts/build-wasm.mjs).
// Semantics are those of KernelMemory.maxSim in src/core/kernels/kernel.ts, whose plain-TS twin is
// src/core/kernels/maxsim.ts (through the reference backend):
//   out[i] = -( Σ over query rows q of max over the rows r of document i of q·r )
// Documents are u32 pairs (first row, row count) at `docs`, rows counted from `rows`.
// Layout as in kernels.ts: 16-byte aligned rows zero-padded to the stride, so whole f32x4 lanes are read.
// A separate module from kernels.ts, compiled on first use, so that one stays under the 4 KiB
// synchronous-compile limit of older browsers.
//
// Shape: each query row is scored against four document rows per pass (one query load serves four
// rows, four independent add chains), as the distance kernels do for slot lists.

@inline function hsum(acc: v128): f32 {
  return (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
}

@inline function dot1(q: usize, lanes: usize, x: usize): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  const end2 = q + ((lanes & ~1) << 4);
  const end = q + (lanes << 4);
  let p = q;
  while (p < end2) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p), v128.load(x)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(p, 16), v128.load(x, 16)));
    p += 32;
    x += 32;
  }
  if (p < end) a0 = f32x4.add(a0, f32x4.mul(v128.load(p), v128.load(x)));
  return hsum(f32x4.add(a0, a1));
}

/** The best inner product of query row q with rows [x, x + count · stride). */
@inline function best(q: usize, lanes: usize, x: usize, stride: usize, count: u32): f32 {
  let top: f32 = -Infinity;
  const quads = count >> 2;
  for (let r: u32 = 0; r < quads; r++) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    const x1 = x + stride;
    const x2 = x1 + stride;
    const x3 = x2 + stride;
    for (let l: usize = 0; l < lanes; l++) {
      const o = l << 4;
      const qv = v128.load(q + o);
      a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(x + o)));
      a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(x1 + o)));
      a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(x2 + o)));
      a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(x3 + o)));
    }
    top = max(top, max(max(hsum(a0), hsum(a1)), max(hsum(a2), hsum(a3))));
    x = x3 + stride;
  }
  for (let r = quads << 2; r < count; r++) {
    top = max(top, dot1(q, lanes, x));
    x += stride;
  }
  return top;
}

export function maxSim(dimension: u32, query: usize, queryCount: u32, rows: usize, stride: usize, docs: usize, docCount: u32, out: usize): void {
  const lanes = <usize>((dimension + 3) >> 2);
  for (let i: u32 = 0; i < docCount; i++) {
    const first = load<u32>(docs + (<usize>i << 3));
    const count = load<u32>(docs + (<usize>i << 3), 4);
    const x = rows + <usize>first * stride;
    let total: f32 = 0;
    let q = query;
    for (let j: u32 = 0; j < queryCount; j++) {
      total += best(q, lanes, x, stride, count);
      q += stride;
    }
    store<f32>(out + (<usize>i << 2), -total);
  }
}
