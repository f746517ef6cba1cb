/**
 * The quantizers (src/core/quant): decode(encode(x)) within each method's stated bound, serialization
 * round trips and damaged parameter blocks, RaBitQ's estimator unbiasedness and its error bound, bad
 * parameters rejected with clear errors, and the code arena's bookkeeping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CODE_QUERY_HEADER_BYTES, referenceCodeDistance } from '../src/core/kernels/codes.js';
import type { KernelMetric } from '../src/core/kernels/kernel.js';
import { referenceBackend } from '../src/core/kernels/reference.js';
import { Prng } from '../src/core/lib/prng.js';
import { isQuiverError, QuiverError } from '../src/core/errors.js';
import { CodeArena, createQuantizer, deserializeQuantizer, LvqQuantizer, PqQuantizer, type Quantizer, RabitqQuantizer } from '../src/core/quant/index.js';
import { f32AtOrAbove, f32AtOrBelow } from '../src/core/quant/quantizer.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { gaussian } from './support/data.js';

const wasm = createWasmBackend();
const ALL = ['sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary', 'rabitq', 'pq4x8', 'pq8x4'] as const;

function randomRows(rng: Prng, rows: number, dimension: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: rows * dimension }, () => offset + scale * gaussian(rng));
}

function trained(name: string, dimension: number, seed = 1, rows = 300): { quantizer: Quantizer; sample: Float32Array } {
  const quantizer = createQuantizer(name, dimension, { seed, iterations: 4 });
  const sample = randomRows(new Prng(seed), Math.max(rows, quantizer.minTrainingRows), dimension);
  quantizer.train(sample, Math.max(rows, quantizer.minTrainingRows));
  return { quantizer, sample };
}

/** The kernel's distance for one vector and one query through the TypeScript twin. */
function estimate(quantizer: Quantizer, x: ArrayLike<number>, query: ArrayLike<number>, metric: KernelMetric, rerank = true): number {
  const buffer = new ArrayBuffer(quantizer.queryBytes + quantizer.codeBytes + quantizer.residualBytes);
  const bytes = new Uint8Array(buffer);
  const row = quantizer.queryBytes;
  const residual = row + quantizer.codeBytes;
  quantizer.prepareQuery(query, metric, buffer, 0);
  quantizer.encodeInto(x, 0, bytes, row, bytes, residual);
  return referenceCodeDistance(rerank ? quantizer.rerankKernel(metric) : quantizer.kernel(metric), quantizer.kernelWidth, buffer, 0, row, residual);
}

/** A vector's code row and residual row. */
function encodeOne(quantizer: Quantizer, x: ArrayLike<number>): { codes: Uint8Array; residuals: Uint8Array } {
  const codes = new Uint8Array(quantizer.codeBytes);
  const residuals = new Uint8Array(quantizer.residualBytes);
  quantizer.encodeInto(x, 0, codes, 0, residuals, 0);
  return { codes, residuals };
}

/** decode(encode(x)) with every level. */
function roundTrip(quantizer: Quantizer, x: Float32Array): Float32Array {
  const { codes, residuals } = encodeOne(quantizer, x);
  const out = new Float32Array(quantizer.dimension);
  quantizer.decode(codes, 0, out, 0, quantizer.residualBytes > 0 ? residuals : undefined, 0);
  return out;
}

function expectError(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isQuiverError(error), `expected a QuiverError, got ${String(error)}`);
    assert.equal((error as QuiverError).code, code, (error as Error).message);
    if (pattern) assert.match((error as Error).message, pattern);
    return true;
  });
}

describe('float32 rounding helpers', () => {
  it('round down and up to neighbouring float32s', () => {
    for (const v of [0.1, -0.1, 1 / 3, -1e-40, 1e30, 5, 0]) {
      const below = f32AtOrBelow(v);
      const above = f32AtOrAbove(v);
      assert.ok(below <= v && v <= above, `${v}: ${below} ≤ v ≤ ${above}`);
      assert.equal(Math.fround(below), below);
      assert.equal(Math.fround(above), above);
      assert.ok(above - below <= Math.abs(v) * 2 ** -22 + 2e-45);
    }
  });
});

describe('decode(encode(x)) stays within each method\'s bound', () => {
  const cases = fc.record({
    dimension: fc.integer({ min: 1, max: 200 }),
    scale: fc.constantFrom(1e-3, 1, 1e3),
    offset: fc.constantFrom(0, 3, -700),
    // Queries of SQ8 may leave the trained range: the bound adds the distance to it.
    stretch: fc.constantFrom(1, 3),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  });

  for (const name of ['sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary'] as const) {
    it(`${name}: every coordinate within its bound`, () => {
      fc.assert(
        fc.property(cases, ({ dimension, scale, offset, stretch, seed }) => {
          const rng = new Prng(seed);
          const quantizer = createQuantizer(name, dimension);
          quantizer.train(randomRows(rng, 50, dimension, scale, offset), 50);
          for (let trial = 0; trial < 4; trial++) {
            const x = trial === 3 ? new Float32Array(dimension).fill(offset) : randomRows(rng, 1, dimension, scale * stretch, offset);
            const { codes, residuals } = encodeOne(quantizer, x);
            const two = quantizer.residualBytes > 0 ? residuals : undefined;
            const decoded = new Float32Array(dimension);
            quantizer.decode(codes, 0, decoded, 0, two, 0);
            const bound = quantizer.reconstructionBound(x, codes, 0, two, 0).perCoordinate!;
            for (let j = 0; j < dimension; j++) {
              // decode rounds its result to float32: half an ulp of the values involved.
              const slack = 2 ** -23 * (Math.abs(x[j]) + Math.abs(decoded[j]) + bound[j]) + 1e-37;
              assert.ok(Math.abs(x[j] - decoded[j]) <= bound[j] + slack, `${name} d=${dimension} coordinate ${j}: |${x[j]} − ${decoded[j]}| > ${bound[j]}`);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('LVQ steps are what the paper says: Δ = (max − min) / (2^B − 1), two levels Δ/255 finer', () => {
    const rng = new Prng(3);
    for (const [name, levels] of [['lvq8', 255], ['lvq4', 15], ['lvq4x8', 15 * 255], ['lvq8x8', 255 * 255]] as const) {
      const { quantizer } = trained(name, 37);
      const x = randomRows(rng, 1, 37);
      const centre = (quantizer as LvqQuantizer).centre;
      const centred = Array.from(x, (v, j) => v - centre[j]);
      const range = Math.max(...centred) - Math.min(...centred);
      const { codes, residuals } = encodeOne(quantizer, x);
      const bound = quantizer.reconstructionBound(x, codes, 0, quantizer.residualBytes > 0 ? residuals : undefined, 0).perCoordinate![0];
      assert.ok(Math.abs(bound - range / levels / 2) <= (range / levels) * 1e-5, `${name}: bound ${bound}, range/levels/2 ${range / levels / 2}`);
    }
  });

  it('LVQ two-level traversal rows are one-level rows: the same bytes, within Δ/2 alone', () => {
    const rng = new Prng(4);
    for (const [two, one] of [['lvq4x8', 'lvq4'], ['lvq8x8', 'lvq8']] as const) {
      const { quantizer, sample } = trained(two, 50);
      const single = createQuantizer(one, 50);
      single.train(sample, 300);
      const x = randomRows(rng, 1, 50);
      const { codes } = encodeOne(quantizer, x);
      assert.deepEqual(codes, encodeOne(single, x).codes);
      const first = new Float32Array(50);
      quantizer.decode(codes, 0, first);
      const bound = quantizer.reconstructionBound(x, codes, 0).perCoordinate![0];
      for (let j = 0; j < 50; j++) assert.ok(Math.abs(first[j] - x[j]) <= bound + 1e-6);
    }
  });

  it('binary keeps the sign of every centred coordinate', () => {
    const rng = new Prng(5);
    const { quantizer, sample } = trained('binary', 70);
    const mean = Array.from({ length: 70 }, (_, j) => {
      let s = 0;
      for (let r = 0; r < 300; r++) s += sample[r * 70 + j];
      return s / 300;
    });
    const x = randomRows(rng, 1, 70);
    const decoded = roundTrip(quantizer, x);
    for (let j = 0; j < 70; j++) if (Math.abs(x[j] - mean[j]) > 1e-5) assert.equal(Math.sign(decoded[j] - mean[j]), Math.sign(x[j] - mean[j]));
  });

  it('PQ replaces each sub-vector by its nearest centroid', () => {
    const rng = new Prng(6);
    for (const name of ['pq5x8', 'pq7x4']) {
      const { quantizer } = trained(name, 23, 6, 400);
      const pq = quantizer as PqQuantizer;
      // Every centroid, read back through decode of a hand-made row.
      const centroid = (s: number, k: number): Float32Array => {
        const codes = new Uint8Array(pq.codeBytes);
        if (pq.bits === 8) codes[s] = k;
        else codes[s >> 1] = s & 1 ? k << 4 : k;
        const out = new Float32Array(23);
        pq.decode(codes, 0, out);
        return out;
      };
      for (let trial = 0; trial < 5; trial++) {
        const x = randomRows(rng, 1, 23);
        const decoded = roundTrip(pq, x);
        let error = 0;
        for (let s = 0; s < pq.m; s++) {
          const [from, to] = [pq.starts[s], pq.starts[s + 1]];
          const distance = (y: Float32Array) => {
            let sum = 0;
            for (let j = from; j < to; j++) sum += (x[j] - y[j]) ** 2;
            return sum;
          };
          const mine = distance(decoded);
          error += mine;
          for (let k = 0; k < pq.k; k++) assert.ok(mine <= distance(centroid(s, k)) + 1e-9, `${name} sub-space ${s}: centroid ${k} is nearer`);
        }
        const bound = pq.reconstructionBound(x).l2!;
        assert.ok(Math.abs(Math.sqrt(error) - bound) <= 1e-5 * (1 + bound));
      }
    }
  });

  it('PQ trains and encodes the same on the kernel backend as in plain TypeScript', () => {
    const rng = new Prng(8);
    const sample = randomRows(rng, 600, 30);
    const plain = createQuantizer('pq6x8', 30, { iterations: 6 });
    const kernels = createQuantizer('pq6x8', 30, { iterations: 6, backend: wasm });
    plain.train(sample, 600);
    kernels.train(sample, 600);
    const vectors = randomRows(rng, 200, 30);
    const a = plain.encode(vectors, 200).codes;
    const b = kernels.encode(vectors, 200).codes;
    // float32 kernels vs float64 loops may break a near-tie differently; nearly every code agrees.
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    assert.ok(same / a.length > 0.98, `${same}/${a.length} codes agree`);
    // Parameters round-trip with the backend handed in again: the same codes.
    const other = deserializeQuantizer(kernels.serialize(), 'pq parameters', { backend: wasm });
    assert.deepEqual(other.encode(vectors, 200).codes, b);
  });

  it('RaBitQ: ‖x − x̂‖ ≤ ‖x − c‖·√(1 − ⟨ō,o⟩²), ⟨ō,o⟩ ≥ 1/√D, about √(2/π) on spread data', () => {
    const rng = new Prng(7);
    for (const dimension of [3, 64, 100, 200]) {
      const { quantizer } = trained('rabitq', dimension);
      const rabitq = quantizer as RabitqQuantizer;
      let alignments = 0;
      for (let trial = 0; trial < 40; trial++) {
        const x = randomRows(rng, 1, dimension);
        const decoded = roundTrip(rabitq, x);
        const error = Math.sqrt(x.reduce((s, v, j) => s + (v - decoded[j]) ** 2, 0));
        const bound = rabitq.reconstructionBound(x).l2!;
        const alignment = rabitq.codeAlignment(x);
        assert.ok(error <= bound * (1 + 1e-4) + 1e-5, `d=${dimension}: error ${error} > bound ${bound}`);
        assert.ok(alignment >= 1 / Math.sqrt(rabitq.size) - 1e-9 && alignment <= 1 + 1e-9);
        alignments += alignment;
      }
      if (dimension >= 64) assert.ok(Math.abs(alignments / 40 - Math.sqrt(2 / Math.PI)) < 0.05, `mean ⟨ō,o⟩ ${alignments / 40}`);
    }
  });
});

describe('RaBitQ estimator', () => {
  const dimension = 96;
  const rng = new Prng(11);
  const sample = randomRows(rng, 200, dimension);

  it('is unbiased over rotations: the mean estimate of one pair converges to the true distance', () => {
    const x = randomRows(rng, 1, dimension);
    const q = randomRows(rng, 1, dimension);
    for (const metric of ['l2', 'dot'] as const) {
      const truth = metric === 'l2' ? x.reduce((s, v, j) => s + (v - q[j]) ** 2, 0) : -x.reduce((s, v, j) => s + v * q[j], 0);
      const errors: number[] = [];
      for (let seed = 0; seed < 300; seed++) {
        const quantizer = createQuantizer('rabitq', dimension, { seed });
        quantizer.train(sample, 200);
        errors.push(estimate(quantizer, x, q, metric) - truth);
      }
      const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
      const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (errors.length - 1));
      // Unbiased: the mean error is within 4 standard errors of 0 (and the spread is not degenerate).
      assert.ok(sd > 0);
      assert.ok(Math.abs(mean) < (4 * sd) / Math.sqrt(errors.length), `${metric}: mean error ${mean}, standard error ${sd / Math.sqrt(errors.length)}`);
    }
  });

  it('has mean error near 0 over many pairs under one rotation, with the spread the paper\'s bound predicts', () => {
    const quantizer = createQuantizer('rabitq', dimension) as RabitqQuantizer;
    quantizer.train(sample, 200);
    const errors: number[] = [];
    let within19 = 0;
    let within3 = 0;
    const pairs = 2000;
    const centre = new Float32Array(dimension);
    for (let r = 0; r < 200; r++) for (let j = 0; j < dimension; j++) centre[j] += sample[r * dimension + j] / 200;
    for (let p = 0; p < pairs; p++) {
      const x = randomRows(rng, 1, dimension);
      const q = randomRows(rng, 1, dimension);
      const o = x.map((v, j) => v - centre[j]);
      const oNorm = Math.sqrt(o.reduce((s, v) => s + v * v, 0));
      const qNorm = Math.sqrt(q.reduce((s, v) => s + v * v, 0));
      const unitQ = q.map((v) => v / qNorm);
      // ⟨o, q⟩ for unit o and q, estimated through the 'dot' kernel: −dist − ⟨q, c⟩ = ⟨q, x − c⟩.
      const dist = estimate(quantizer, x, unitQ, 'dot');
      const qc = unitQ.reduce((s, v, j) => s + v * centre[j], 0);
      const estimated = (-dist - qc) / oNorm;
      const truth = o.reduce((s, v, j) => s + (v / oNorm) * unitQ[j], 0);
      errors.push(estimated - truth);
      const a = quantizer.codeAlignment(x);
      const unit = Math.sqrt((1 - a * a) / (a * a)) / Math.sqrt(quantizer.size - 1);
      if (Math.abs(estimated - truth) <= 1.9 * unit) within19++;
      if (Math.abs(estimated - truth) <= 3 * unit) within3++;
    }
    const mean = errors.reduce((a, b) => a + b, 0) / pairs;
    const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (pairs - 1));
    assert.ok(Math.abs(mean) < (4 * sd) / Math.sqrt(pairs), `mean error ${mean} vs standard error ${sd / Math.sqrt(pairs)}`);
    // The bound √((1 − ⟨ō,o⟩²)/⟨ō,o⟩²)·ε₀/√(D − 1) is about ε₀ standard deviations of the error: the
    // paper's ε₀ = 1.9 holds for ~94% of pairs (measured 94.8%), ε₀ = 3 for ~99.7%. A rotation that
    // mixed worse than a random one would spread the errors wider and fail these.
    assert.ok(within19 / pairs >= 0.92, `only ${within19}/${pairs} pairs within the ε₀ = 1.9 bound`);
    assert.ok(within3 / pairs >= 0.99, `only ${within3}/${pairs} pairs within the ε₀ = 3 bound`);
  });
});

describe('serialization', () => {
  for (const name of ALL) {
    it(`${name}: deserialize(serialize()) encodes, prepares and decodes identically`, () => {
      const dimension = 45;
      const { quantizer } = trained(name, dimension, 9);
      const bytes = quantizer.serialize();
      const copy = deserializeQuantizer(bytes);
      assert.equal(copy.name, quantizer.name);
      assert.equal(copy.dimension, dimension);
      assert.equal(copy.codeBytes, quantizer.codeBytes);
      assert.deepEqual(copy.serialize(), bytes);
      const rng = new Prng(10);
      const vectors = randomRows(rng, 20, dimension);
      const { codes, residuals } = quantizer.encode(vectors, 20);
      assert.deepEqual(copy.encode(vectors, 20), { codes, residuals });
      assert.equal(residuals.length, 20 * quantizer.residualBytes);
      for (const metric of ['l2', 'dot'] as const) {
        const a = new ArrayBuffer(quantizer.queryBytes);
        const b = new ArrayBuffer(quantizer.queryBytes);
        quantizer.prepareQuery(vectors.subarray(0, dimension), metric, a, 0);
        copy.prepareQuery(vectors.subarray(0, dimension), metric, b, 0);
        assert.deepEqual(new Uint8Array(b), new Uint8Array(a));
      }
      const x = new Float32Array(dimension);
      const y = new Float32Array(dimension);
      quantizer.decode(codes, quantizer.codeBytes, x, 0, residuals, quantizer.residualBytes);
      copy.decode(codes, quantizer.codeBytes, y, 0, residuals, quantizer.residualBytes);
      assert.deepEqual(y, x);
    });
  }

  it('states its layout: version 1, kind, flags, dimension', () => {
    const bytes = trained('lvq8', 10).quantizer.serialize();
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint16(0, true), 1);
    assert.equal(bytes[2], 2);
    assert.equal(bytes[3], 0);
    assert.equal(view.getUint32(4, true), 10);
    assert.equal(bytes.length, 8 + 4 + 4 * 10);
  });

  it('refuses damaged or newer parameter blocks with CORRUPTED / UNSUPPORTED', () => {
    const bytes = trained('pq3x4', 12).quantizer.serialize();
    expectError(() => deserializeQuantizer(bytes.subarray(0, bytes.length - 1), 'seg-7 quantizer'), 'CORRUPTED', /seg-7 quantizer.*truncated/);
    expectError(() => deserializeQuantizer(new Uint8Array([...bytes, 0])), 'CORRUPTED', /trailing/);
    const newer = bytes.slice();
    newer[0] = 2;
    expectError(() => deserializeQuantizer(newer), 'UNSUPPORTED', /newer quiverdb/);
    const flagged = bytes.slice();
    flagged[3] = 1;
    expectError(() => deserializeQuantizer(flagged), 'UNSUPPORTED');
    const unknown = bytes.slice();
    unknown[2] = 99;
    expectError(() => deserializeQuantizer(unknown), 'CORRUPTED', /unknown quantizer kind/);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(12, Number.NaN, true);
    expectError(() => deserializeQuantizer(nan), 'CORRUPTED', /NaN/);
  });

  it('never throws anything but a QuiverError on random or truncated bytes', () => {
    const blocks = ALL.map((name) => trained(name, 9, 2).quantizer.serialize());
    fc.assert(
      fc.property(fc.nat({ max: blocks.length - 1 }), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (which, cut, flips) => {
        const bytes = blocks[which].slice(0, cut % (blocks[which].length + 1));
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        try {
          deserializeQuantizer(bytes);
        } catch (error) {
          assert.ok(error instanceof QuiverError, `not a QuiverError: ${String(error)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('bad parameters are rejected with clear errors', () => {
  it('names, dimensions, PQ shapes, seeds and iterations', () => {
    expectError(() => createQuantizer('lvq3', 8), 'INVALID_ARGUMENT', /Unknown quantizer "lvq3".*'lvq4x8'/);
    expectError(() => createQuantizer('pq0x8', 8), 'INVALID_ARGUMENT');
    expectError(() => createQuantizer('pq4x5', 8), 'INVALID_ARGUMENT', /4 or 8 bits/);
    expectError(() => createQuantizer('pq9x8', 8), 'INVALID_ARGUMENT', /m is at most 8/);
    expectError(() => createQuantizer('sq8', 0), 'INVALID_ARGUMENT', /dimension/);
    expectError(() => createQuantizer('sq8', 1.5), 'INVALID_ARGUMENT', /dimension/);
    expectError(() => createQuantizer('sq8', 20000), 'INVALID_ARGUMENT', /16384/);
    expectError(() => createQuantizer('rabitq', 8, { seed: -1 }), 'INVALID_ARGUMENT', /seed/);
    expectError(() => createQuantizer('pq2x8', 8, { iterations: 1.5 }), 'INVALID_ARGUMENT', /iterations/);
  });

  it('training samples: too few rows, wrong length, non-finite values, wrong type', () => {
    const pq = createQuantizer('pq2x8', 4);
    expectError(() => pq.train(new Float32Array(255 * 4), 255), 'INVALID_ARGUMENT', /at least 256 vectors; got 255/);
    const lvq = createQuantizer('lvq8', 4);
    expectError(() => lvq.train(new Float32Array(7), 2), 'DIMENSION_MISMATCH');
    expectError(() => lvq.train(Float32Array.of(1, 2, 3, Number.NaN), 1), 'INVALID_VECTOR', /position 3/);
    expectError(() => lvq.train([1, 2, 3, 4] as unknown as Float32Array, 1), 'INVALID_ARGUMENT');
    expectError(() => lvq.train(new Float32Array(4), 0), 'INVALID_ARGUMENT');
    assert.equal(lvq.trained, false, 'a rejected sample leaves the quantizer untrained');
  });
});

describe('CodeArena', () => {
  it('grows, refuses to pass its cap, and keeps rows through growth', () => {
    const { quantizer } = trained('lvq8', 20);
    const arena = new CodeArena(wasm, quantizer, 1, 10 * quantizer.codeBytes);
    const rng = new Prng(12);
    const rows = randomRows(rng, 10, 20);
    for (let r = 0; r < 10; r++) assert.equal(arena.append(rows.subarray(r * 20, (r + 1) * 20)), r);
    assert.equal(arena.roomRows, 0);
    expectError(() => arena.append(rows.subarray(0, 20)), 'LIMIT_EXCEEDED', /segmentBytesMax/);
    assert.equal(arena.count, 10);
    assert.equal(arena.rowBytes, 10 * quantizer.codeBytes);
    assert.deepEqual(arena.encoded(), quantizer.encode(rows, 10).codes);
  });

  it('serves the graph surface: setQueryFromRow, distancesOf, packed, appendEncoded', () => {
    for (const name of ALL) {
      const { quantizer } = trained(name, 33, 13);
      const rng = new Prng(14);
      const rows = randomRows(rng, 30, 33);
      const arena = new CodeArena(wasm, quantizer, 4, 1 << 20);
      for (let r = 0; r < 30; r++) arena.append(rows.subarray(r * 33, (r + 1) * 33));
      const copy = new CodeArena(wasm, quantizer, 4, 1 << 20);
      copy.appendEncoded(arena.encoded(0, 20), 20, arena.encodedResiduals(0, 20));
      copy.appendEncoded(arena.encoded(20), 10, arena.encodedResiduals(20));
      assert.deepEqual(copy.encoded(), arena.encoded());
      assert.deepEqual(copy.encodedResiduals(), arena.encodedResiduals());
      assert.equal(arena.residualBytes, 30 * quantizer.residualBytes);
      for (const metric of ['l2', 'dot'] as const) {
        arena.setQueryFromRow(7);
        const fromRow = arena.distancesAll(metric).slice();
        copy.setQuery(arena.row(7));
        assert.deepEqual(copy.distancesAll(metric).slice(), fromRow);
        // Slot lists in any form, scored in list order; the other metric in between changes nothing.
        const list = [29, 0, 7, 7, 13];
        const other = metric === 'l2' ? 'dot' : 'l2';
        copy.distancesOf(other, list);
        assert.deepEqual([...copy.distancesOf(metric, list)], list.map((s) => fromRow[s]));
        const at = copy.scoreSlots(metric, Uint32Array.from(list), 3);
        assert.deepEqual([...copy.floats.subarray(at, at + 3)], list.slice(0, 3).map((s) => fromRow[s]));
      }
      const packed = arena.packed(5, 3);
      for (let r = 0; r < 3; r++) assert.deepEqual(packed.subarray(r * 33, (r + 1) * 33), arena.row(5 + r));
    }
  });

  it('two-level rows re-rank closer to the truth than their first level', () => {
    const rng = new Prng(15);
    for (const name of ['lvq4x8', 'lvq8x8']) {
      const { quantizer } = trained(name, 64, 15);
      const arena = new CodeArena(wasm, quantizer, 8, 1 << 22);
      const rows = randomRows(rng, 200, 64);
      for (let r = 0; r < 200; r++) arena.append(rows.subarray(r * 64, (r + 1) * 64));
      const q = randomRows(rng, 1, 64);
      arena.setQuery(q);
      const first = arena.distancesAll('l2').slice();
      const both = arena.rerankRange('l2', 0, 200).slice();
      let errorFirst = 0;
      let errorBoth = 0;
      for (let r = 0; r < 200; r++) {
        const truth = q.reduce((s, v, j) => s + (v - rows[r * 64 + j]) ** 2, 0);
        errorFirst += Math.abs(first[r] - truth);
        errorBoth += Math.abs(both[r] - truth);
      }
      assert.ok(errorBoth < errorFirst / 10, `${name}: two-level error ${errorBoth} vs first level ${errorFirst}`);
    }
  });

  it('scores cosine as dot over normalised vectors: the estimate tracks 1 − cos', () => {
    const rng = new Prng(16);
    const unit = (v: Float32Array) => {
      const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      return v.map((x) => x / n);
    };
    const { quantizer } = trained('lvq8', 40, 16);
    const x = unit(randomRows(rng, 1, 40));
    const q = unit(randomRows(rng, 1, 40));
    const truth = -x.reduce((s, v, j) => s + v * q[j], 0);
    assert.ok(Math.abs(estimate(quantizer, x, q, 'dot') - truth) < 0.02);
  });

  it('prepares a query block whose header and payload are where codes.ts says', () => {
    const { quantizer } = trained('lvq8', 5);
    const buffer = new ArrayBuffer(quantizer.queryBytes);
    const q = [1, 2, 3, 4, 5];
    quantizer.prepareQuery(q, 'dot', buffer, 0);
    const f32 = new Float32Array(buffer);
    assert.deepEqual([...f32.subarray(CODE_QUERY_HEADER_BYTES / 4, CODE_QUERY_HEADER_BYTES / 4 + 5)], q);
    assert.equal(f32[3], 15, 'S = Σ q');
    assert.equal(quantizer.queryBytes % 16, 0);
  });
});
