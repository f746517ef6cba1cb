/**
 * Small dense linear algebra for the reducers: second-moment matrices of a sample, a symmetric
 * eigensolver, products, and the polar factor. Plain TypeScript in float64 (inputs may be float32), no
 * dependency, because core must run anywhere and these run once per training, not per query.
 *
 * Conventions: a matrix is a row-major Float64Array with its shape passed alongside. Symmetric solvers
 * read the whole matrix, not one triangle.
 *
 * Numerical care, and why:
 * - Covariances are accumulated from mean-centred rows (mean computed first, in float64): the textbook
 *   E[xxᵀ] − μμᵀ cancels catastrophically when the mean is large against the spread, as it is for
 *   embeddings that sit in a cone.
 * - The eigensolver is Householder tridiagonalisation followed by the implicit QL algorithm with Wilkinson
 *   shifts (the EISPACK tred2/tql2 pair): backward stable, orthonormal eigenvectors to working precision
 *   even for clustered eigenvalues, which power-style iterations do not guarantee.
 * - Hot loops are written over contiguous memory (the eigenvector matrix is kept transposed while the
 *   solver runs) because cache misses, not flops, decide the time at d = 768..1536.
 */
import { assert } from '../lib/assert.js';

/** Rows of float32 vectors, row-major, `count` rows of `dimension` values each. */
export interface Rows {
  readonly data: Float32Array;
  readonly count: number;
  readonly dimension: number;
}

export function rowsOf(data: Float32Array, dimension: number): Rows {
  assert(Number.isInteger(dimension) && dimension > 0 && data.length % dimension === 0, `rows of ${data.length} values do not divide into dimension ${dimension}`);
  return { data, count: data.length / dimension, dimension };
}

/** The mean of the rows (float64). */
export function meanOf(rows: Rows): Float64Array {
  const { data, count, dimension } = rows;
  const mean = new Float64Array(dimension);
  for (let r = 0; r < count; r++) {
    const at = r * dimension;
    for (let i = 0; i < dimension; i++) mean[i] += data[at + i];
  }
  if (count > 0) for (let i = 0; i < dimension; i++) mean[i] /= count;
  return mean;
}

/** Rows are gathered this many at a time, transposed, so each product below is a contiguous dot. */
const BLOCK_ROWS = 64;

/**
 * (1/count) · Σ (x − centre)(x − centre)ᵀ over the rows: the covariance when `centre` is the mean, the
 * (uncentred) second moment when `centre` is null. Symmetric, dimension × dimension, float64.
 *
 * Cost: count · dimension² / 2 multiply-adds, the bulk of a PCA fit. The rows are taken BLOCK_ROWS at a
 * time into a transposed block (one contiguous run of BLOCK_ROWS values per coordinate), so the n × n
 * accumulator is swept count / BLOCK_ROWS times instead of count times, and each sweep computes 2 × 4
 * tiles of entries at once: eight independent sums, each loaded value used two or four times. Measured
 * under V8 at n = 768: about 1 G multiply-adds per second, 1.7x the one-entry-at-a-time loop.
 */
export function secondMoment(rows: Rows, centre: Float64Array | null): Float64Array {
  const { data, count, dimension: n } = rows;
  assert(centre === null || centre.length === n, 'centre has the wrong dimension');
  const out = new Float64Array(n * n);
  // Padded to whole tiles: rows n.. of the block stay zero, and their products are never stored.
  const padded = Math.ceil(n / 4) * 4;
  const block = new Float64Array(padded * BLOCK_ROWS);
  for (let first = 0; first < count; first += BLOCK_ROWS) {
    const b = Math.min(BLOCK_ROWS, count - first);
    if (b < BLOCK_ROWS) block.fill(0);
    for (let r = 0; r < b; r++) {
      const at = (first + r) * n;
      for (let i = 0; i < n; i++) block[i * BLOCK_ROWS + r] = data[at + i] - (centre === null ? 0 : centre[i]);
    }
    for (let i = 0; i < n; i += 2) {
      const i1 = Math.min(i + 1, n - 1);
      const a0 = i * BLOCK_ROWS;
      const a1 = i1 * BLOCK_ROWS;
      // j from the tile holding column i: entries below the diagonal are computed and overwritten later
      for (let j = i - (i % 4); j < n; j += 4) {
        const b0 = j * BLOCK_ROWS;
        const b1 = b0 + BLOCK_ROWS;
        const b2 = b1 + BLOCK_ROWS;
        const b3 = b2 + BLOCK_ROWS;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
        for (let r = 0; r < BLOCK_ROWS; r++) {
          const x0 = block[a0 + r];
          const x1 = block[a1 + r];
          const y0 = block[b0 + r];
          const y1 = block[b1 + r];
          const y2 = block[b2 + r];
          const y3 = block[b3 + r];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
        }
        const o0 = i * n + j;
        out[o0] += s00;
        if (j + 1 < n) out[o0 + 1] += s01;
        if (j + 2 < n) out[o0 + 2] += s02;
        if (j + 3 < n) out[o0 + 3] += s03;
        if (i1 !== i) {
          const o1 = i1 * n + j;
          out[o1] += s10;
          if (j + 1 < n) out[o1 + 1] += s11;
          if (j + 2 < n) out[o1 + 2] += s12;
          if (j + 3 < n) out[o1 + 3] += s13;
        }
      }
    }
  }
  // The upper triangle (j >= i) is complete; mirror it.
  const scale = count > 0 ? 1 / count : 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = out[i * n + j] * scale;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Row k is the unit eigenvector of values[k] (n × n, row-major), its sign fixed as in fixSigns. */
  vectors: Float64Array;
}

/**
 * Every eigenvalue and eigenvector of the symmetric n × n matrix `a` (not modified), largest first.
 * Householder reduction to tridiagonal form, then implicit QL with Wilkinson shifts. Time ~ 9n³ flops.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  assert(Number.isInteger(n) && n > 0 && a.length === n * n, `symmetricEigen needs an n x n matrix (n = ${n}, length ${a.length})`);
  // w holds the transformation transposed: w[c * n + r] is entry (r, c) of the accumulated orthogonal
  // matrix V, so the loops below that walk a column of V walk contiguous memory.
  const w = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) w[c * n + r] = 0.5 * (a[r * n + c] + a[c * n + r]);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalise(w, d, e, n);
  tridiagonalQl(w, d, e, n);
  // Sort descending; row k of `vectors` is eigenvector k (a row of w, since w is V transposed).
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    values[k] = d[order[k]];
    vectors.set(w.subarray(order[k] * n, order[k] * n + n), k * n);
  }
  fixSigns(vectors, n, n);
  return { values, vectors };
}

/**
 * Householder tridiagonalisation (EISPACK tred2). On entry w is the symmetric matrix (its transpose, the
 * same thing); on exit w is the accumulated orthogonal transformation, transposed, d the diagonal and
 * e[1..n-1] the sub-diagonal of the tridiagonal matrix.
 */
function tridiagonalise(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  // V(r, c) = w[c * n + r]
  for (let j = 0; j < n; j++) d[j] = w[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + i - 1];
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j];
        w[i * n + j] = f;
        g = e[j] + w[col + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += w[col + k] * d[k];
          e[k] += w[col + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        const col = j * n;
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) w[col + k] -= f * e[k] + g * d[k];
        d[j] = w[col + i - 1];
        w[col + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    w[i * n + n - 1] = w[i * n + i];
    w[i * n + i] = 1;
    const h = d[i + 1];
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[next + k] / h;
      for (let j = 0; j <= i; j++) {
        const col = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[next + k] * w[col + k];
        for (let k = 0; k <= i; k++) w[col + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) w[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + n - 1];
    w[j * n + n - 1] = 0;
  }
  w[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** QL iterations on the tridiagonal (d, e) (EISPACK tql2), rotating the rows of w (columns of V). */
function tridiagonalQl(w: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        // QL needs two or three sweeps per eigenvalue in practice; 100 means something is broken.
        assert(++iterations <= 100, 'symmetricEigen: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ri = i * n;
          const rj = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            h = w[rj + k];
            w[rj + k] = s * w[ri + k] + c * h;
            w[ri + k] = c * w[ri + k] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/**
 * Makes signs deterministic: each of the `count` rows (length n) is flipped so that its entry of largest
 * magnitude (the first such) is positive. Eigenvectors are defined up to sign; fixing it makes fitted
 * parameters identical across runs and platforms that agree to the last bit, and easy to compare.
 */
export function fixSigns(rows: Float64Array, count: number, n: number): void {
  for (let k = 0; k < count; k++) {
    const at = k * n;
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(rows[at + i]) > Math.abs(rows[at + best])) best = i;
    if (rows[at + best] < 0) for (let i = 0; i < n; i++) rows[at + i] = -rows[at + i];
  }
}

/** c = a · b with a (m × k), b (k × n). */
export function multiply(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  assert(a.length === m * k && b.length === k * n, 'multiply: shapes do not match');
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
  return c;
}

/** c = aᵀ · b with a (k × m), b (k × n): c is m × n. */
export function multiplyTransposeA(a: Float64Array, b: Float64Array, k: number, m: number, n: number): Float64Array {
  assert(a.length === k * m && b.length === k * n, 'multiplyTransposeA: shapes do not match');
  const c = new Float64Array(m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i];
      if (api === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
    }
  }
  return c;
}

/** c = a · bᵀ with a (m × k), b (n × k): c is m × n, each entry a dot product of two contiguous rows. */
export function multiplyTransposeB(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  assert(a.length === m * k && b.length === n * k, 'multiplyTransposeB: shapes do not match');
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Σ a ⊙ b: the trace inner product ⟨a, b⟩ = tr(aᵀ b) of two matrices of the same shape. */
export function frobeniusDot(a: Float64Array, b: Float64Array): number {
  assert(a.length === b.length, 'frobeniusDot: shapes do not match');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function trace(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i];
  return s;
}

/** The transpose of a (m × n). */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/**
 * The polar factor U·Vᵀ of m (rows × cols, rows >= cols) from its thin SVD m = U·S·Vᵀ: the matrix with
 * orthonormal columns nearest to m, and the maximiser of ⟨m, Z⟩ over the spectral-norm unit ball (what
 * a Frank-Wolfe step over that ball needs). Computed as m · V · S⁻¹ · Vᵀ from the eigendecomposition of
 * mᵀm (cols × cols). Singular values below 1e-7 of the largest are dropped: forming mᵀm squares them,
 * so below that they are rounding noise with no defined direction (scaling noise by 1/σ would blow it
 * up); the result is then a partial isometry, still a maximiser of ⟨m, Z⟩ up to that noise.
 */
export function polarFactor(m: Float64Array, rows: number, cols: number): Float64Array {
  assert(rows >= cols && m.length === rows * cols, 'polarFactor needs a tall matrix');
  const gram = multiplyTransposeA(m, m, rows, cols, cols);
  const { values, vectors } = symmetricEigen(gram, cols);
  const floor = Math.max(values[0], 0) * 1e-14; // squared singular values: a relative 1e-7 in sigma
  // inverse root: V · diag(1/σ) · Vᵀ over the kept singular values
  const inv = new Float64Array(cols * cols);
  for (let k = 0; k < cols; k++) {
    if (!(values[k] > floor)) continue;
    const scale = 1 / Math.sqrt(values[k]);
    const vk = k * cols;
    for (let i = 0; i < cols; i++) {
      const vi = vectors[vk + i] * scale;
      if (vi === 0) continue;
      for (let j = 0; j < cols; j++) inv[i * cols + j] += vi * vectors[vk + j];
    }
  }
  return multiply(m, inv, rows, cols, cols);
}

/**
 * Cosines of the principal angles between the subspaces spanned by the rows of u (p × n) and of v (q × n),
 * both with orthonormal rows: the singular values of u·vᵀ, largest first (min(p, q) of them). 1 means a
 * shared direction; all ones means one subspace contains the other.
 */
export function principalCosines(u: Float64Array, p: number, v: Float64Array, q: number, n: number): Float64Array {
  const uvt = multiply(u, transpose(v, q, n), p, n, q);
  const small = Math.min(p, q);
  const gram = p <= q ? multiply(uvt, transpose(uvt, p, q), p, q, p) : multiplyTransposeA(uvt, uvt, p, q, q);
  const { values } = symmetricEigen(gram, small);
  return values.map((x) => Math.sqrt(Math.min(1, Math.max(0, x))));
}

/**
 * Orthonormal rows spanning the rows of m (rows × cols), by modified Gram-Schmidt with a second pass
 * (one pass loses orthogonality when rows are nearly dependent; twice is enough). A row that adds no new
 * direction (relative norm below 1e-10 after the passes) is skipped: the result has `rank` rows.
 */
export function orthonormalizeRows(m: Float64Array, rows: number, cols: number): { basis: Float64Array; rank: number } {
  assert(m.length === rows * cols, 'orthonormalizeRows: shape does not match');
  const basis = new Float64Array(rows * cols);
  const v = new Float64Array(cols);
  let rank = 0;
  for (let r = 0; r < rows; r++) {
    let before = 0;
    for (let i = 0; i < cols; i++) {
      v[i] = m[r * cols + i];
      before += v[i] * v[i];
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < rank; j++) {
        const bj = j * cols;
        let s = 0;
        for (let i = 0; i < cols; i++) s += v[i] * basis[bj + i];
        for (let i = 0; i < cols; i++) v[i] -= s * basis[bj + i];
      }
    }
    let norm = 0;
    for (let i = 0; i < cols; i++) norm += v[i] * v[i];
    if (!(norm > 1e-20 * before) || norm === 0) continue;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < cols; i++) basis[rank * cols + i] = v[i] * scale;
    rank++;
  }
  return { basis: basis.subarray(0, rank * cols), rank };
}
