/**
 * The reducers' dense linear algebra (src/core/reduce/linalg.ts) and projection kernel (project.ts),
 * checked against definitions: A·v = λ·v with orthonormal v for the eigensolver (random, repeated and
 * degenerate spectra), naive float64 sums for the moments, the SVD's properties for the polar factor.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Prng } from '../src/core/lib/prng.js';
import {
  meanOf,
  multiply,
  multiplyTransposeA,
  multiplyTransposeB,
  orthonormalizeRows,
  polarFactor,
  principalCosines,
  rowsOf,
  secondMoment,
  symmetricEigen,
  transpose,
} from '../src/core/reduce/linalg.js';
import { project, projectReference } from '../src/core/reduce/project.js';
import { gaussian, randomOrthogonal } from './support/reduce-data.js';

function randomSymmetric(n: number, rng: Prng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = gaussian(rng);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** Q · diag(values) · Qᵀ for a random orthogonal Q: a symmetric matrix with exactly these eigenvalues. */
function withSpectrum(values: number[], rng: Prng): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, rng); // rows are the eigenvectors
  const a = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += values[k] * q[k * n + i] * q[k * n + j];
  return a;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Checks A·vₖ = λₖ·vₖ, orthonormal rows, descending values; returns nothing, asserts with a tolerance relative to ‖A‖. */
function checkEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors } = symmetricEigen(a, n);
  const scale = Math.max(maxAbs(a), 1e-300) * n;
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(values[k] <= values[k - 1], 'eigenvalues descend');
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * vectors[k * n + j];
      assert.ok(Math.abs(s - values[k] * vectors[k * n + i]) <= 1e-12 * scale, `A v = λ v for eigenpair ${k} (n = ${n})`);
    }
  }
  const gram = multiplyTransposeB(vectors, vectors, n, n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(gram[i * n + j] - (i === j ? 1 : 0)) < 1e-12 * n, 'eigenvectors are orthonormal');
  let tr = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    tr += a[i * n + i];
    sum += values[i];
  }
  assert.ok(Math.abs(tr - sum) <= 1e-12 * scale, 'the eigenvalues sum to the trace');
  return { values, vectors };
}

describe('symmetricEigen', () => {
  it('solves random symmetric matrices of any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (n, seed) => {
        checkEigen(randomSymmetric(n, new Prng(seed)), n);
      }),
      { numRuns: 60 },
    );
  });

  it('is accurate at n = 200', () => {
    checkEigen(randomSymmetric(200, new Prng(200)), 200);
  });

  it('finds planted eigenvalues, repeated ones included, with orthonormal vectors', () => {
    const rng = new Prng(3);
    const planted = [5, 5, 5, 2, 2, 1e-9, 0, 0, -1, -3];
    const { values } = checkEigen(withSpectrum(planted, rng), planted.length);
    const sorted = [...planted].sort((x, y) => y - x);
    for (let k = 0; k < planted.length; k++) assert.ok(Math.abs(values[k] - sorted[k]) < 1e-12, `eigenvalue ${k}`);
  });

  it('handles diagonal, zero and 1 x 1 matrices', () => {
    const diag = Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]);
    const { values, vectors } = checkEigen(diag, 3);
    assert.deepEqual([...values], [3, 2, 1]);
    assert.deepEqual([...vectors], [1, 0, 0, 0, 0, 1, 0, 1, 0]);
    checkEigen(new Float64Array(16), 4);
    assert.deepEqual([...symmetricEigen(Float64Array.of(-7), 1).values], [-7]);
  });

  it('fixes each eigenvector’s sign: its largest entry is positive', () => {
    const { vectors } = symmetricEigen(randomSymmetric(12, new Prng(9)), 12);
    for (let k = 0; k < 12; k++) {
      const row = Array.from(vectors.subarray(k * 12, k * 12 + 12));
      const big = row.reduce((b, v) => (Math.abs(v) > Math.abs(b) ? v : b), 0);
      assert.ok(big > 0);
    }
  });
});

describe('secondMoment', () => {
  function naive(data: Float32Array, count: number, n: number, centre: Float64Array | null): Float64Array {
    const out = new Float64Array(n * n);
    for (let r = 0; r < count; r++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) out[i * n + j] += (data[r * n + i] - (centre?.[i] ?? 0)) * (data[r * n + j] - (centre?.[j] ?? 0));
      }
    }
    return out.map((v) => v / count);
  }

  it('equals the plain float64 sums, centred and not, for row counts around the block size', () => {
    const rng = new Prng(11);
    for (const [count, n] of [[1, 3], [63, 7], [64, 5], [130, 17], [257, 33]]) {
      const data = Float32Array.from({ length: count * n }, () => gaussian(rng));
      const rows = rowsOf(data, n);
      const mean = meanOf(rows);
      for (const centre of [null, mean]) {
        const got = secondMoment(rows, centre);
        const want = naive(data, count, n, centre);
        assert.ok(maxAbs(got.map((v, i) => v - want[i])) < 1e-12, `count ${count}, n ${n}, centred ${centre !== null}`);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(got[i * n + j], got[j * n + i], 'symmetric');
      }
    }
  });

  it('keeps the covariance of data far from the origin (no E[xx] - mean² cancellation)', () => {
    const rng = new Prng(12);
    const n = 4;
    const count = 5000;
    const data = new Float32Array(count * n);
    for (let r = 0; r < count; r++) for (let i = 0; i < n; i++) data[r * n + i] = 1e4 + (i + 1) * gaussian(rng);
    const rows = rowsOf(data, n);
    const got = secondMoment(rows, meanOf(rows));
    const want = naive(data, count, n, meanOf(rows));
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i * n + i] - want[i * n + i]) < 1e-9 * want[i * n + i], `variance ${i}`);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i * n + i] / (i + 1) ** 2 - 1) < 0.1, 'the variances are the planted ones');
  });
});

describe('products, polar factor, orthonormalisation, principal angles', () => {
  it('multiply, multiplyTransposeA/B agree with the definition', () => {
    const rng = new Prng(21);
    const [m, k, n] = [5, 7, 3];
    const a = Float64Array.from({ length: m * k }, () => gaussian(rng));
    const b = Float64Array.from({ length: k * n }, () => gaussian(rng));
    const c = multiply(a, b, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        assert.ok(Math.abs(c[i * n + j] - s) < 1e-12);
      }
    }
    assert.ok(maxAbs(multiplyTransposeA(transpose(a, m, k), b, k, m, n).map((v, i) => v - c[i])) < 1e-12);
    assert.ok(maxAbs(multiplyTransposeB(a, transpose(b, k, n), m, k, n).map((v, i) => v - c[i])) < 1e-12);
  });

  it('polarFactor gives orthonormal columns that maximise <m, Z> (= the sum of singular values)', () => {
    const rng = new Prng(22);
    for (const [rows, cols, rank] of [[9, 4, 4], [30, 6, 6], [12, 5, 2]]) {
      // m = L·R with inner size `rank`: rank-deficient when rank < cols
      const l = Float64Array.from({ length: rows * rank }, () => gaussian(rng));
      const r = Float64Array.from({ length: rank * cols }, () => gaussian(rng));
      const m = multiply(l, r, rows, rank, cols);
      const p = polarFactor(m, rows, cols);
      const gram = multiplyTransposeA(p, p, rows, cols, cols);
      const sigmas = symmetricEigen(multiplyTransposeA(m, m, rows, cols, cols), cols).values.map((v) => Math.sqrt(Math.max(v, 0)));
      let nuclear = 0;
      for (const s of sigmas) if (s > 1e-6 * sigmas[0]) nuclear += s;
      let inner = 0;
      for (let i = 0; i < m.length; i++) inner += m[i] * p[i];
      assert.ok(Math.abs(inner - nuclear) < 1e-9 * nuclear, `<m, polar(m)> is the nuclear norm (${rows}x${cols}, rank ${rank})`);
      if (rank === cols) {
        for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) assert.ok(Math.abs(gram[i * cols + j] - (i === j ? 1 : 0)) < 1e-10, 'orthonormal columns');
      } else {
        const spectrum = symmetricEigen(gram, cols).values; // a partial isometry: singular values 1 (rank of them) and 0
        for (let k = 0; k < cols; k++) assert.ok(Math.abs(spectrum[k] - (k < rank ? 1 : 0)) < 1e-9);
      }
    }
  });

  it('orthonormalizeRows keeps the span and skips dependent rows', () => {
    const rng = new Prng(23);
    const n = 10;
    const a = Float64Array.from({ length: 2 * n }, () => gaussian(rng));
    const m = new Float64Array(4 * n);
    m.set(a.subarray(0, n), 0);
    m.set(a.subarray(n), n);
    for (let i = 0; i < n; i++) m[2 * n + i] = 2 * a[i] - 3 * a[n + i]; // dependent
    for (let i = 0; i < n; i++) m[3 * n + i] = gaussian(rng);
    const { basis, rank } = orthonormalizeRows(m, 4, n);
    assert.equal(rank, 3);
    const gram = multiplyTransposeB(basis, basis, 3, n, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(gram[i * 3 + j] - (i === j ? 1 : 0)) < 1e-12);
    const cos = principalCosines(basis, 3, orthonormalizeRows(Float64Array.from([...a, ...m.subarray(3 * n)]), 3, n).basis, 3, n);
    for (const c of cos) assert.ok(Math.abs(c - 1) < 1e-12, 'same span');
  });

  it('principalCosines: 1 for shared directions, 0 for orthogonal ones', () => {
    const q = randomOrthogonal(8, new Prng(24));
    const cos = principalCosines(q.subarray(0, 3 * 8), 3, q.subarray(2 * 8, 6 * 8), 4, 8);
    assert.equal(cos.length, 3);
    assert.ok(Math.abs(cos[0] - 1) < 1e-12, 'row 2 is in both');
    assert.ok(cos[1] < 1e-7 && cos[2] < 1e-7, 'the rest are orthogonal');
  });
});

describe('project', () => {
  it('equals its one-dot-at-a-time twin exactly, for every shape', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (d, D, count, seed) => {
        const rng = new Prng(seed);
        const w = Float32Array.from({ length: d * D }, () => gaussian(rng));
        const x = Float32Array.from({ length: count * D }, () => gaussian(rng));
        const fast = new Float32Array(count * d);
        const slow = new Float32Array(count * d);
        project(w, d, D, x, count, fast);
        projectReference(w, d, D, x, count, slow);
        assert.deepEqual(fast, slow);
      }),
      { numRuns: 200 },
    );
  });
});
