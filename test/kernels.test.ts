import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { strideFor, type KernelMemory, type KernelMetric } from '../src/core/kernels/kernel.js';
import { referenceDistance } from '../src/core/kernels/reference.js';
import { createWasmBackend, decodeBase64, defaultKernelBackend, wasmSimdSupported } from '../src/wasm/backend.js';
import { KERNELS_WASM_BASE64 } from '../src/wasm/kernels.generated.js';

const PAGE = 65536;
const wasm = createWasmBackend();

/** Deterministic floats in [-scale, scale) from a seed, so a failing case replays from its counterexample. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** float32 tolerance: the kernels sum in f32 in a different order than the (f64) reference. */
function tolerance(metric: KernelMetric, f32: Float32Array, qAt: number, xAt: number, dimension: number): number {
  let magnitude = 0;
  for (let i = 0; i < dimension; i++) {
    magnitude += metric === 'l2' ? (f32[qAt + i] - f32[xAt + i]) ** 2 : Math.abs(f32[qAt + i] * f32[xAt + i]);
  }
  return magnitude * 1e-5 + 1e-30;
}

function assertClose(actual: number, expected: number, allowed: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= allowed, `${what}: got ${actual}, expected ${expected} (allowed error ${allowed})`);
}

const scenario = fc.record({
  metric: fc.constantFrom<KernelMetric>('l2', 'dot'),
  dimension: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4096 })),
  rows: fc.integer({ min: 1, max: 24 }),
  first: fc.nat(),
  count: fc.nat(),
  slots: fc.array(fc.nat(), { maxLength: 24 }),
  scale: fc.constantFrom(1e-3, 1, 1e3),
  seed: fc.integer(),
  // Grown: start at one page, reserve() the room, and put the rows flush against the end of the memory.
  grown: fc.boolean(),
});

test('wasm distanceRange and distanceSlots match the reference kernels', () => {
  fc.assert(
    fc.property(scenario, ({ metric, dimension, rows, first, count, slots, scale, seed, grown }) => {
      const stride = strideFor(dimension);
      const start = first % rows;
      const rangeCount = count % (rows - start + 1);
      const slotList = slots.map((slot) => slot % rows);
      // Layout: query, out, slot list, then rows; the rows go last so they can sit at the very end.
      const outAt = stride;
      const slotsAt = outAt + 4 * 32;
      const rowsBytes = rows * stride;
      const needed = slotsAt + 4 * 32 + rowsBytes;

      const memory: KernelMemory = wasm.createMemory(grown ? 1 : needed, needed + 4 * PAGE);
      if (grown) assert.equal(memory.reserve(needed), true);
      const rowsAt = grown ? memory.byteLength - rowsBytes : needed - rowsBytes;
      const f32 = new Float32Array(memory.buffer);
      const u32 = new Uint32Array(memory.buffer);
      const next = random(seed);
      const write = (at: number) => {
        for (let i = 0; i < dimension; i++) f32[(at >> 2) + i] = next() * scale;
      };
      write(0);
      for (let r = 0; r < rows; r++) write(rowsAt + r * stride);
      u32.set(slotList, slotsAt >> 2);

      const check = (rowOf: (i: number) => number, n: number, what: string) => {
        for (let i = 0; i < n; i++) {
          const xAt = (rowsAt + rowOf(i) * stride) >> 2;
          const expected = Math.fround(referenceDistance(metric, f32, f32, 0, xAt, dimension));
          assertClose(f32[(outAt >> 2) + i], expected, tolerance(metric, f32, 0, xAt, dimension), `${what} ${i}`);
        }
      };
      memory.distanceRange(metric, dimension, 0, rowsAt, stride, start, rangeCount, outAt);
      check((i) => start + i, rangeCount, 'range row');
      memory.distanceSlots(metric, dimension, 0, rowsAt, stride, slotsAt, slotList.length, outAt);
      check((i) => slotList[i], slotList.length, 'slot');
    }),
    { numRuns: 300 },
  );
});

test('kernels write exactly count outputs, padding ignored past the dimension', () => {
  const dimension = 5;
  const stride = strideFor(dimension);
  const memory = wasm.createMemory(PAGE, PAGE);
  const f32 = new Float32Array(memory.buffer);
  const rowsAt = 1024;
  const outAt = 512;
  const out = outAt >> 2;
  f32.fill(1, 0, dimension);
  for (let r = 0; r < 8; r++) f32.fill(3, (rowsAt + r * stride) >> 2, ((rowsAt + r * stride) >> 2) + dimension);
  for (const [metric, expected] of [['l2', 20], ['dot', -15]] as const) {
    f32.fill(-7, out, out + 16);
    memory.distanceRange(metric, dimension, 0, rowsAt, stride, 1, 6, outAt);
    assert.deepEqual([...f32.subarray(out, out + 7)], [...Array(6).fill(expected), -7]);
    memory.distanceSlots(metric, dimension, 0, rowsAt, stride, rowsAt, 0, outAt);
    assert.equal(f32[out], expected);
  }
});

test('reserve grows within the maximum and refuses beyond it', () => {
  const memory = wasm.createMemory(100, 3 * PAGE);
  assert.equal(memory.byteLength, PAGE);
  assert.equal(memory.reserve(PAGE), true);
  assert.equal(memory.byteLength, PAGE);
  assert.equal(memory.reserve(3 * PAGE + 1), false);
  assert.equal(memory.byteLength, PAGE);
  assert.equal(memory.reserve(2 * PAGE + 1), true);
  assert.equal(memory.byteLength, 3 * PAGE);
  assert.equal(memory.reserve(3 * PAGE), true);
  assert.equal(memory.reserve(2 ** 33), false);
});

test('a grown memory keeps its contents and exposes the new buffer', () => {
  const memory = wasm.createMemory(PAGE, 64 * PAGE);
  const before = memory.buffer;
  const bytes = new Uint8Array(before);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  assert.equal(memory.reserve(5 * PAGE), true);
  assert.notEqual(memory.buffer, before);
  assert.equal(before.byteLength, 0, 'growing detaches the old buffer');
  assert.ok(memory.byteLength >= 5 * PAGE);
  assert.equal(memory.buffer.byteLength, memory.byteLength);
  const after = new Uint8Array(memory.buffer);
  for (let i = 0; i < PAGE; i++) assert.equal(after[i], (i * 31 + 7) & 0xff);
  assert.ok(after.subarray(PAGE).every((b) => b === 0));
});

test('memories are independent', () => {
  const a = wasm.createMemory(PAGE, PAGE);
  const b = wasm.createMemory(PAGE, PAGE);
  new Float32Array(a.buffer).fill(2, 0, 8);
  new Float32Array(b.buffer).fill(3, 0, 8);
  a.distanceRange('dot', 4, 0, 16, 16, 0, 1, 64);
  b.distanceRange('dot', 4, 0, 16, 16, 0, 1, 64);
  assert.equal(new Float32Array(a.buffer)[16], -16);
  assert.equal(new Float32Array(b.buffer)[16], -36);
});

test('defaultKernelBackend is the wasm-simd128 backend on Node 20', () => {
  assert.equal(wasmSimdSupported(), true);
  assert.equal(defaultKernelBackend().name, 'wasm-simd128');
  assert.equal(defaultKernelBackend(), defaultKernelBackend());
});

test('base64 decoding works without atob', () => {
  const samples = [KERNELS_WASM_BASE64, '', 'AA==', 'AAE=', 'AAEC', btoa('\u00ff\u00fe\u0000\u0080z')];
  const saved = globalThis.atob;
  try {
    (globalThis as { atob?: unknown }).atob = undefined;
    for (const text of samples) assert.deepEqual(decodeBase64(text), new Uint8Array(Buffer.from(text, 'base64')));
  } finally {
    globalThis.atob = saved;
  }
  assert.deepEqual(decodeBase64(KERNELS_WASM_BASE64), new Uint8Array(Buffer.from(KERNELS_WASM_BASE64, 'base64')));
});
