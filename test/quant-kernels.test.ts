/**
 * Every code kernel (src/wasm/assembly/codes.ts) against its TypeScript twin (src/core/kernels/codes.ts):
 * real quantizers train on random data, encode rows into a WASM memory and a reference memory with the
 * same layout, and both score the same prepared queries, by range and by slot list, at the traversal
 * level and with every level (two-level LVQ).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CODE_KERNELS, type CodeKernel, CODE_QUERY_HEADER_BYTES, integerPayloadOffset, lvqLevelOneBytes, referenceCodeDistance, u8CodeBytes } from '../src/core/kernels/codes.js';
import type { KernelMetric } from '../src/core/kernels/kernel.js';
import { referenceBackend } from '../src/core/kernels/reference.js';
import { Prng } from '../src/core/lib/prng.js';
import { CodeArena, createQuantizer, type Quantizer } from '../src/core/quant/index.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { gaussian } from './support/data.js';

const wasm = createWasmBackend();

const NAMES = ['sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary', 'rabitq', 'pq', 'pq4'] as const;

/**
 * Σ of the absolute values of every term the kernel adds (its twin run on |query block| and |row
 * constants|): float32 summation error is a small multiple of this.
 */
function magnitude(kernel: CodeKernel, quantizer: Quantizer, buffer: ArrayBuffer, query: number, row: number, residual: number): number {
  const copy = new ArrayBuffer(quantizer.queryBytes + quantizer.codeBytes + quantizer.residualBytes + 16);
  const bytes = new Uint8Array(copy);
  bytes.set(new Uint8Array(buffer, query, quantizer.queryBytes), 0);
  const rowAt = quantizer.queryBytes;
  const residualAt = rowAt + quantizer.codeBytes;
  bytes.set(new Uint8Array(buffer, row, quantizer.codeBytes), rowAt);
  bytes.set(new Uint8Array(buffer, residual, quantizer.residualBytes), residualAt);
  const f32 = new Float32Array(copy);
  // Float constants and payload, then (sq8, lvq) the int16 payload.
  const integer = kernel === 'sq8' || kernel.startsWith('lvq');
  const floatsEnd = integer ? integerPayloadOffset(quantizer.dimension) : kernel === 'hamming' ? 0 : quantizer.queryBytes;
  for (let i = 0; i < floatsEnd / 4; i++) f32[i] = Math.abs(f32[i]);
  if (integer) {
    const i16 = new Int16Array(copy, floatsEnd, (quantizer.queryBytes - floatsEnd) / 2);
    for (let i = 0; i < i16.length; i++) i16[i] = Math.abs(i16[i]);
  }
  const absAt = (byte: number, n: number) => {
    for (let i = 0; i < n; i++) f32[(byte >> 2) + i] = Math.abs(f32[(byte >> 2) + i]);
  };
  if (kernel.startsWith('lvq')) absAt(rowAt + lvqLevelOneBytes(kernel.startsWith('lvq8') ? 8 : 4, quantizer.dimension), 4);
  if (kernel === 'rabitq') absAt(rowAt + quantizer.kernelWidth / 8, 2);
  if (kernel === 'sq8') absAt(rowAt + u8CodeBytes(quantizer.dimension), 1);
  return referenceCodeDistance(kernel, quantizer.kernelWidth, copy, 0, rowAt, residualAt);
}

function makeQuantizer(name: (typeof NAMES)[number], dimension: number, seed: number): Quantizer {
  if (name === 'pq') return createQuantizer(`pq${Math.max(1, dimension >> 2)}x8`, dimension, { seed, iterations: 2 });
  if (name === 'pq4') return createQuantizer(`pq${dimension}x4`, dimension, { seed, iterations: 2 });
  return createQuantizer(name, dimension, { seed });
}

const scenario = fc.record({
  name: fc.constantFrom(...NAMES),
  // Non-multiples of 4, 16 and 64 included: every tail path of the kernels.
  dimension: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 })),
  rows: fc.integer({ min: 1, max: 20 }),
  slots: fc.array(fc.nat(), { maxLength: 24 }),
  scale: fc.constantFrom(1e-3, 1, 1e3),
  offset: fc.constantFrom(0, 5, -40),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  metric: fc.constantFrom<KernelMetric>('l2', 'dot'),
});

test('every code kernel matches its TypeScript twin (range and slot lists, both levels)', () => {
  const covered = new Set<CodeKernel>();
  fc.assert(
    fc.property(scenario, ({ name, dimension, rows, slots, scale, offset, seed, metric }) => {
      const rng = new Prng(seed);
      const quantizer = makeQuantizer(name, dimension, seed);
      const sampleRows = Math.max(quantizer.minTrainingRows, 8);
      const sample = Float32Array.from({ length: sampleRows * dimension }, () => offset + scale * gaussian(rng));
      quantizer.train(sample, sampleRows);
      const a = new CodeArena(wasm, quantizer, 2, 1 << 24);
      const b = new CodeArena(referenceBackend, quantizer, 2, 1 << 24);
      for (let r = 0; r < rows; r++) {
        // Every third row is constant (a zero LVQ step), the rest drawn like the sample.
        const constant = r % 3 === 2;
        const v = Float32Array.from({ length: dimension }, () => (constant ? offset : offset + scale * gaussian(rng)));
        a.append(v);
        b.append(v);
      }
      const query = Float32Array.from({ length: dimension }, () => offset + scale * gaussian(rng));
      a.setQuery(query);
      b.setQuery(query);
      const list = Uint32Array.from(slots, (s) => s % rows);
      for (const rerank of [false, true]) {
        const kernel = rerank ? quantizer.rerankKernel(metric) : quantizer.kernel(metric);
        covered.add(kernel);
        const fast = (rerank ? a.rerankRange(metric, 0, rows) : a.distancesRange(metric, 0, rows)).slice();
        const spec = (rerank ? b.rerankRange(metric, 0, rows) : b.distancesRange(metric, 0, rows)).slice();
        const fastSlots = (rerank ? a.rerankOf(metric, list) : a.distancesOf(metric, list)).slice();
        const specSlots = (rerank ? b.rerankOf(metric, list) : b.distancesOf(metric, list)).slice();
        const queryAt = metric === 'l2' ? 0 : quantizer.queryBytes;
        const internals = a as unknown as { memory: { buffer: ArrayBuffer }; residualsOffset: number };
        const buffer = internals.memory.buffer;
        const rowsAt = 2 * quantizer.queryBytes;
        const allowed = (row: number) =>
          2e-6 * Math.sqrt(dimension) * magnitude(kernel, quantizer, buffer, queryAt, rowsAt + row * quantizer.codeBytes, internals.residualsOffset + row * quantizer.residualBytes) + 1e-30;
        for (let r = 0; r < rows; r++) {
          const limit = allowed(r);
          assert.ok(Math.abs(fast[r] - spec[r]) <= limit, `${name} ${kernel} d=${dimension} row ${r}: wasm ${fast[r]}, reference ${spec[r]} (allowed ${limit})`);
        }
        for (let i = 0; i < list.length; i++) {
          assert.equal(fastSlots[i], fast[list[i]], `${kernel}: slot ${list[i]} scores the same by list and by range`);
          assert.ok(Math.abs(specSlots[i] - spec[list[i]]) <= allowed(list[i]));
        }
      }
    }),
    { numRuns: 250 },
  );
  assert.deepEqual([...covered].sort(), [...CODE_KERNELS].sort(), 'the runs covered every kernel');
});

test('the twin reads exactly the documented bytes: a query header and payloads, a row', () => {
  // A hand-made LVQ-8 row of dimension 3: codes 0, 10, 255, l = -1, Δ = 0.5, n1 = 7.
  const buffer = new ArrayBuffer(256);
  const f32 = new Float32Array(buffer);
  const u8 = new Uint8Array(buffer);
  f32.set([100, -1, 0, 6, 0.5, 6], 0); // k0, k1, k2, S, σ, Sσ
  f32.set([1, 2, 3], CODE_QUERY_HEADER_BYTES / 4); // float payload (re-ranking kernels)
  new Int16Array(buffer, integerPayloadOffset(3), 3).set([2, 4, 6]); // int16 payload: q = σ · qi
  const row = 192;
  u8.set([0, 10, 255, 0], row);
  f32.set([-1, 0.5, 7], (row + 4) / 4);
  // ⟨q, x̂'⟩ = l·S + Δ·σ·(2·0 + 4·10 + 6·255) = −6 + 0.5·0.5·1570
  assert.equal(referenceCodeDistance('lvq8', 3, buffer, 0, row), 100 - (-6 + 0.25 * 1570));
  const memory = wasm.createMemory(256, 256);
  new Uint8Array(memory.buffer).set(new Uint8Array(buffer));
  memory.codeRange('lvq8', 3, 0, row, 16, 0, 1, 240, 0);
  assert.equal(new Float32Array(memory.buffer)[60], 100 - (-6 + 0.25 * 1570));
});

test('integer sums cannot overflow: the largest dimension, every code at its maximum, an even query', () => {
  const dimension = 16_384;
  for (const name of ['lvq8', 'lvq4', 'sq8'] as const) {
    const quantizer = createQuantizer(name, dimension);
    // Training range [0, 1] everywhere; the row sits at the top of it but for one coordinate (so LVQ's
    // per-vector range is [0, 1] too): every other code is 255 (15 for LVQ-4).
    const sample = new Float32Array(2 * dimension).fill(1, dimension);
    quantizer.train(sample, 2);
    const row = new Float32Array(dimension).fill(1);
    row[0] = 0;
    const query = new Float32Array(dimension).fill(1e6);
    const a = new CodeArena(wasm, quantizer, 1, 1 << 26);
    const b = new CodeArena(referenceBackend, quantizer, 1, 1 << 26);
    a.append(row);
    b.append(row);
    for (const metric of ['l2', 'dot'] as const) {
      a.setQuery(query);
      b.setQuery(query);
      const fast = a.distancesAll(metric)[0];
      const spec = b.distancesAll(metric)[0];
      const truth = metric === 'l2' ? query.reduce((s, v, j) => s + (v - row[j]) ** 2, 0) : -query.reduce((s, v, j) => s + v * row[j], 0);
      assert.ok(Math.abs(fast - spec) <= 1e-5 * Math.abs(spec), `${name} ${metric}: wasm ${fast}, reference ${spec}`);
      assert.ok(Math.abs(fast - truth) <= 1e-3 * Math.abs(truth), `${name} ${metric}: ${fast} vs true ${truth}`);
    }
  }
});

test('code kernels also run on shared memories (worker threads attach to those)', () => {
  assert.equal(wasm.sharedMemory, true);
  const quantizer = createQuantizer('lvq8', 20);
  const rng = new Prng(3);
  const rows = Float32Array.from({ length: 40 * 20 }, () => gaussian(rng));
  quantizer.train(rows, 40);
  const memory = wasm.createMemory(1 << 16, 1 << 16, { shared: true });
  assert.ok(memory.shareable !== undefined);
  const plain = new ArrayBuffer(1 << 16);
  for (const target of [memory.buffer, plain]) {
    const bytes = new Uint8Array(target);
    quantizer.prepareQuery(rows.subarray(0, 20), 'l2', target, 0);
    for (let r = 0; r < 40; r++) quantizer.encodeInto(rows, r * 20, bytes, 4096 + r * quantizer.codeBytes);
  }
  memory.codeRange('lvq8', 20, 0, 4096, quantizer.codeBytes, 0, 40, 32768, 0);
  const out = new Float32Array(memory.buffer, 32768, 40);
  for (let r = 0; r < 40; r++) {
    const spec = referenceCodeDistance('lvq8', 20, plain, 0, 4096 + r * quantizer.codeBytes);
    assert.ok(Math.abs(out[r] - spec) <= 1e-4 * (1 + Math.abs(spec)), `row ${r}: ${out[r]} vs ${spec}`);
  }
});
