/**
 * The reducers (src/core/reduce): what each one preserves, measured against definitions and float64 brute
 * force — PCA finds a planted subspace, the real DFT is orthonormal (Parseval), LeanVec-OOD beats PCA on
 * planted out-of-distribution queries, and on a seeded 20,000-vector set every reducer at a quarter of the
 * dimension reaches recall@10 >= 0.95 with exact search on the reduced vectors and a float32 re-rank of
 * the top candidates. Plus the byte round trip, the decoder on damaged bytes, and the errors users get.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isQuiverError, QuiverError } from '../src/core/errors.js';
import { Prng } from '../src/core/lib/prng.js';
import { decodeReducer, type FitOptions, fitReducer, minimumSample, type ReduceConfig, type Reducer, rowsOf, sampleIndices } from '../src/core/reduce/index.js';
import { frequencyOf, realDftBasis } from '../src/core/reduce/fft.js';
import { multiplyTransposeB, principalCosines } from '../src/core/reduce/linalg.js';
import { distance, embeddingSet, exactTopK, gaussian, type Metric, randomOrthogonal, recallWithRerank } from './support/reduce-data.js';

function throwsCode(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isQuiverError(e), `expected a QuiverError, got ${String(e)}`);
    assert.equal((e as QuiverError).code, code, (e as QuiverError).message);
    if (pattern) assert.match((e as QuiverError).message, pattern);
    return true;
  });
}

/** Rows x = U·z + noise: z has `rank` coordinates of scale 3..1 (planted subspace U, rank × D), plus an offset. */
function planted(count: number, D: number, rank: number, seed: number, offset = 0) {
  const rng = new Prng(seed);
  const u = randomOrthogonal(D, rng).slice(0, rank * D);
  const data = new Float32Array(count * D);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < rank; k++) {
      const z = gaussian(rng) * (3 - (2 * k) / rank);
      for (let i = 0; i < D; i++) data[r * D + i] += z * u[k * D + i];
    }
    for (let i = 0; i < D; i++) data[r * D + i] += offset + 0.001 * gaussian(rng);
  }
  return { rows: rowsOf(data, D), subspace: u };
}

/** The reducer's d × D map, read off by transforming the unit vectors. */
function mapOf(reducer: Reducer, side: 'query' | 'database' = 'database'): Float64Array {
  const { inputDimension: D, dimension: d } = reducer;
  const identity = new Float32Array(D * D);
  for (let i = 0; i < D; i++) identity[i * D + i] = 1;
  const out = side === 'query' ? reducer.transformQuery(identity) : reducer.transformDatabase(identity); // row i = column i of the map
  const map = new Float64Array(d * D);
  for (let i = 0; i < D; i++) for (let k = 0; k < d; k++) map[k * D + i] = out[i * d + k];
  return map;
}

function dot(a: Float32Array, at: number, b: Float32Array, bt: number, n: number): number {
  return -distance('dot', a, at, b, bt, n);
}

describe('PCA and LeanVec-ID', () => {
  it('PCA recovers a planted low-rank subspace (principal angles ~ 0), away from the origin too', () => {
    for (const [D, rank, offset] of [[40, 6, 0], [96, 12, 5]]) {
      const { rows, subspace } = planted(3000, D, rank, D, offset);
      const pca = fitReducer({ method: 'pca', dimension: rank }, rows, { metric: 'l2' });
      const cos = principalCosines(mapOf(pca), rank, subspace, rank, D);
      for (const c of cos) assert.ok(c > 1 - 1e-6, `every principal angle ~ 0 (cos ${c}) at D ${D}`);
      assert.ok(pca.fit.retained > 0.999, 'the planted subspace holds all but the noise');
      assert.ok(Math.abs(pca.retained(rows) - pca.fit.retained) < 1e-6, 'retained() measures what the fit reported');
    }
  });

  it('at embedding scale (D = 768, 20,000 rows, d = 64): the planted subspace, and LeanVec-OOD on it (QUIVER_LONG)', { skip: process.env.QUIVER_LONG !== '1' }, () => {
    const D = 768;
    const all = planted(22_000, D, 64, 768, 0.5);
    const rows = rowsOf(all.rows.data.subarray(0, 20_000 * D), D);
    const queries = rowsOf(all.rows.data.subarray(20_000 * D), D);
    const pca = fitReducer({ method: 'pca', dimension: 64 }, rows, { metric: 'l2' });
    for (const c of principalCosines(mapOf(pca), 64, all.subspace, 64, D)) assert.ok(c > 1 - 1e-6, `principal angle ~ 0 (cos ${c})`);
    // with the offset, the data's inner products live in the planted subspace plus the mean direction
    const ood = fitReducer({ method: 'leanvec-ood', dimension: 65 }, rows, { metric: 'dot', trainQueries: queries, iterations: 5 });
    assert.ok(ood.fit.retained > 0.99, `LeanVec-OOD keeps the data's energy (${ood.fit.retained})`);
  });

  it('PCA components are orthonormal and ordered by variance; LeanVec-ID spends a direction on the mean', () => {
    const { rows, subspace } = planted(3000, 48, 5, 4, 2);
    const pca = fitReducer({ method: 'pca', dimension: 5 }, rows, { metric: 'dot' });
    const map = mapOf(pca);
    const gram = multiplyTransposeB(map, map, 5, 48, 5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(gram[i * 5 + j] - (i === j ? 1 : 0)) < 1e-6);
    // LeanVec-ID fits the uncentred second moment: with a mean of norm 2·√48 it keeps the mean direction,
    // so 5 directions no longer cover the planted 5-d subspace, while 6 do.
    const id5 = fitReducer({ method: 'leanvec', dimension: 5 }, rows, { metric: 'dot' });
    const id6 = fitReducer({ method: 'leanvec', dimension: 6 }, rows, { metric: 'dot' });
    const mean = Float64Array.from({ length: 48 }, () => 1 / Math.sqrt(48));
    assert.ok(principalCosines(mapOf(id5), 5, mean, 1, 48)[0] > 0.99, 'LeanVec-ID keeps the mean direction');
    assert.ok(Math.min(...principalCosines(mapOf(id5), 5, subspace, 5, 48)) < 0.9);
    assert.ok(Math.min(...principalCosines(mapOf(id6), 6, subspace, 5, 48)) > 0.999);
  });

  it('with every dimension kept, PCA is an orthogonal map: distances and inner products survive', () => {
    const { rows } = planted(500, 16, 16, 9);
    const pca = fitReducer({ method: 'pca', dimension: 16 }, rows, { metric: 'l2' });
    const y = pca.transform(rows.data);
    for (let a = 0; a < 20; a++) {
      for (let b = 0; b < 20; b++) {
        const full = distance('l2', rows.data, a * 16, rows.data, b * 16, 16);
        assert.ok(Math.abs(distance('l2', y, a * 16, y, b * 16, 16) - full) < 1e-4 * (1 + full));
        assert.ok(Math.abs(dot(y, a * 16, y, b * 16, 16) - dot(rows.data, a * 16, rows.data, b * 16, 16)) < 1e-4 * (1 + Math.abs(full)));
      }
    }
  });
});

describe('FFT (orthonormal real DFT)', () => {
  it('the full basis is orthonormal, for odd and even lengths', () => {
    for (const D of [1, 2, 7, 37, 64, 100]) {
      const basis = Float64Array.from(realDftBasis(D, Uint32Array.from({ length: D }, (_, j) => j)));
      const gram = multiplyTransposeB(basis, basis, D, D, D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) assert.ok(Math.abs(gram[i * D + j] - (i === j ? 1 : 0)) < 1e-6, `D ${D}: <b${i}, b${j}>`);
    }
  });

  it('with every coefficient kept it preserves inner products, distances and norms (Parseval)', () => {
    for (const D of [37, 64, 100]) {
      const rng = new Prng(D);
      const x = Float32Array.from({ length: 30 * D }, () => gaussian(rng));
      const fft = fitReducer({ method: 'fft', dimension: D }, rowsOf(x, D), { metric: 'dot' });
      const y = fft.transform(x);
      for (let a = 0; a < 30; a++) {
        for (let b = a; b < 30; b++) {
          const full = dot(x, a * D, x, b * D, D);
          assert.ok(Math.abs(dot(y, a * D, y, b * D, D) - full) < 1e-4 * D, `<x${a}, x${b}> at D ${D}`);
          const l2 = distance('l2', x, a * D, x, b * D, D);
          assert.ok(Math.abs(distance('l2', y, a * D, y, b * D, D) - l2) < 1e-4 * D);
        }
      }
      assert.ok(Math.abs(fft.retained(rowsOf(x, D)) - 1) < 1e-6, 'all the energy is kept');
    }
  });

  it('matches the DFT: a pure cosine of frequency k lands on coefficient 2k − 1 only', () => {
    const D = 64;
    const k = 5;
    const x = Float32Array.from({ length: D }, (_, n) => Math.cos((2 * Math.PI * k * n) / D));
    const y = fitReducer({ method: 'fft', dimension: D }, rowsOf(new Float32Array(0), D), { metric: 'l2' }).transform(x);
    for (let j = 0; j < D; j++) assert.ok(Math.abs(y[j] - (j === 2 * k - 1 ? Math.sqrt(D / 2) : 0)) < 1e-4, `coefficient ${j}`);
    assert.equal(frequencyOf(2 * k - 1), k);
    assert.equal(frequencyOf(2 * k), k);
  });

  it("band 'low' keeps the lowest frequencies; 'energy' the coefficients with the most energy on the sample", () => {
    const D = 32;
    const rng = new Prng(5);
    // signals made of frequencies 6 and 11 (random phases), plus a little noise
    const x = new Float32Array(200 * D);
    for (let r = 0; r < 200; r++) {
      const [p6, p11] = [rng.next() * 6.3, rng.next() * 6.3];
      for (let n = 0; n < D; n++) x[r * D + n] = Math.cos((2 * Math.PI * 6 * n) / D + p6) + 0.5 * Math.sin((2 * Math.PI * 11 * n) / D + p11) + 0.01 * gaussian(rng);
    }
    const low = fitReducer({ method: 'fft', dimension: 4 }, rowsOf(x, D), { metric: 'l2' });
    const energy = fitReducer({ method: 'fft', dimension: 4 }, rowsOf(x, D), { metric: 'l2', band: 'energy' });
    const kept = (r: Reducer) => {
      const map = mapOf(r);
      return Array.from({ length: 4 }, (_, row) => {
        const full = Array.from({ length: D }, (_, j) => j);
        return full.find((j) => Math.abs(realDftBasis(D, Uint32Array.of(j)).reduce((s, v, i) => s + v * map[row * D + i], 0) - 1) < 1e-5);
      });
    };
    assert.deepEqual(kept(low), [0, 1, 2, 3]);
    assert.deepEqual(kept(energy), [11, 12, 21, 22]); // cos/sin of frequency 6 and 11
    assert.ok(low.fit.retained < 0.01 && energy.fit.retained > 0.99);
  });
});

describe('Matryoshka', () => {
  it('keeps the first d dimensions; renormalises them for cosine unless told not to', () => {
    const x = Float32Array.of(3, 4, 12, 0, 0, 0, 5, 0);
    const cosine = fitReducer({ method: 'matryoshka', dimension: 2 }, rowsOf(new Float32Array(0), 4), { metric: 'cosine' });
    assert.deepEqual([...cosine.transform(x)], [0.6, 0.8, 0, 0].map(Math.fround)); // a zero prefix stays zero
    const raw = fitReducer({ method: 'matryoshka', dimension: 2 }, rowsOf(new Float32Array(0), 4), { metric: 'cosine', renormalize: false });
    assert.deepEqual([...raw.transform(x)], [3, 4, 0, 0]);
    const l2 = fitReducer({ method: 'matryoshka', dimension: 3 }, rowsOf(x, 4), { metric: 'l2' });
    assert.deepEqual([...l2.transformQuery(x)], [3, 4, 12, 0, 0, 5]);
    assert.equal(l2.fit.retained, (9 + 16 + 144 + 25) / (9 + 16 + 144 + 25));
    assert.equal(l2.searchMetric, 'l2');
    assert.equal(cosine.searchMetric, 'dot');
  });
});

describe('metric semantics', () => {
  it('cosine reducers return unit vectors unless told not to; dot and l2 keep lengths', () => {
    const { rows } = planted(400, 20, 4, 13, 1);
    const unit = rowsOf(rows.data.slice(), 20);
    for (let r = 0; r < 400; r++) {
      let n = 0;
      for (let i = 0; i < 20; i++) n += unit.data[r * 20 + i] ** 2;
      for (let i = 0; i < 20; i++) unit.data[r * 20 + i] /= Math.sqrt(n);
    }
    const norms = (y: Float32Array, d: number) => Array.from({ length: y.length / d }, (_, r) => Math.hypot(...y.subarray(r * d, r * d + d)));
    for (const method of ['pca', 'leanvec', 'fft', 'matryoshka'] as const) {
      const cosine = fitReducer({ method, dimension: 3 }, unit, { metric: 'cosine' });
      assert.equal(cosine.renormalize, true);
      assert.equal(cosine.searchMetric, 'dot');
      for (const n of norms(cosine.transform(unit.data), 3)) assert.ok(Math.abs(n - 1) < 1e-6, `${method}: unit rows`);
      const raw = fitReducer({ method, dimension: 3 }, unit, { metric: 'cosine', renormalize: false });
      assert.ok(norms(raw.transform(unit.data), 3).some((n) => n < 0.99), `${method}: raw rows keep the projection's length`);
      const dot = fitReducer({ method, dimension: 3 }, rows, { metric: 'dot' });
      assert.equal(dot.renormalize, false);
      assert.ok(norms(dot.transform(rows.data), 3).some((n) => Math.abs(n - 1) > 0.01));
      assert.equal(fitReducer({ method, dimension: 3 }, rows, { metric: 'l2' }).searchMetric, 'l2');
    }
  });
});

describe('the renormalisation choice (cosine)', () => {
  it('cosine reducers renormalise; LeanVec-OOD keeps whichever rule ranks its training queries better; the choice ranks test queries better', () => {
    const D = 128;
    const { base, queries } = embeddingSet({ count: 8000, dimension: D, latent: 24, clusters: 50, noise: 0.3, normalize: true, seed: 8 }, 100);
    const truth = exactTopK('cosine', base, queries, D, 10);
    const sample = rowsOf(base, D);
    const ood = outOfDistribution(64);
    const oodTruth = exactTopK('cosine', ood.base, ood.test, 64, 10);
    const cases = [
      { name: 'PCA at d = 8 on clustered data', train: (renormalize?: boolean) => fitReducer({ method: 'pca', dimension: 8 }, sample, { metric: 'cosine', renormalize }), base, queries, truth, D, expected: true },
      { name: 'FFT at d = 32', train: (renormalize?: boolean) => fitReducer({ method: 'fft', dimension: 32 }, sample, { metric: 'cosine', renormalize }), base, queries, truth, D, expected: true },
      {
        name: 'LeanVec-OOD on the planted out-of-distribution set',
        train: (renormalize?: boolean) => fitReducer({ method: 'leanvec-ood', dimension: 8 }, rowsOf(ood.base, 64), { metric: 'cosine', renormalize, trainQueries: rowsOf(ood.train, 64) }),
        base: ood.base,
        queries: ood.test,
        truth: oodTruth,
        D: 64,
        expected: false,
      },
    ];
    for (const c of cases) {
      const chosen = c.train();
      assert.equal(chosen.renormalize, c.expected, c.name);
      const [auto] = recallWithRerank(chosen, 'cosine', c.base, c.queries, c.truth, 10, [50]);
      const [other] = recallWithRerank(c.train(!c.expected), 'cosine', c.base, c.queries, c.truth, 10, [50]);
      assert.ok(auto > other, `${c.name}: the chosen rule (${auto}) ranks test queries better than the other (${other})`);
    }
  });
});

/** Database and queries from different mixes of three 8-d subspaces (queries' main subspace is the database's second). */
function outOfDistribution(D: number) {
  const rng = new Prng(7);
  const u = randomOrthogonal(D, rng);
  const draw = (n: number, weights: number[], stream: Prng): Float32Array => {
    const out = new Float32Array(n * D);
    for (let v = 0; v < n; v++) {
      for (let b = 0; b < weights.length; b++) {
        for (let j = 0; j < 8; j++) {
          const z = gaussian(stream) * weights[b];
          for (let k = 0; k < D; k++) out[v * D + k] += z * u[(b * 8 + j) * D + k];
        }
      }
      let norm = 0;
      for (let k = 0; k < D; k++) {
        out[v * D + k] += 0.05 * gaussian(stream);
        norm += out[v * D + k] ** 2;
      }
      for (let k = 0; k < D; k++) out[v * D + k] /= Math.sqrt(norm);
    }
    return out;
  };
  const database = [3, 1.5, 0.5, 0.2];
  const queries = [0.5, 3, 1.5, 0.2];
  return { base: draw(10_000, database, new Prng(1)), train: draw(2_000, queries, new Prng(2)), test: draw(200, queries, new Prng(3)) };
}

/** Mean (qᵀx − (aq)ᵀ(bx))² / mean (qᵀx)² over every test query and the first `pairs` database rows. */
function innerProductError(r: Reducer, base: Float32Array, queries: Float32Array, pairs: number): number {
  const { inputDimension: D, dimension: d } = r;
  const rb = r.transformDatabase(base.subarray(0, pairs * D));
  const rq = r.transformQuery(queries);
  let error = 0;
  let total = 0;
  for (let q = 0; q < queries.length / D; q++) {
    for (let x = 0; x < pairs; x++) {
      const full = dot(queries, q * D, base, x * D, D);
      error += (full - dot(rq, q * d, rb, x * d, d)) ** 2;
      total += full ** 2;
    }
  }
  return error / total;
}

describe('LeanVec-OOD', () => {
  it('beats PCA on planted out-of-distribution queries: lower inner-product error, higher recall after re-rank', (t) => {
    const D = 64;
    const d = 8;
    const { base, train, test } = outOfDistribution(D);
    const truth = exactTopK('cosine', base, test, D, 10);
    const counts = [20, 50, 100];
    const pca = fitReducer({ method: 'pca', dimension: d }, rowsOf(base, D), { metric: 'cosine' });
    const ood = fitReducer({ method: 'leanvec-ood', dimension: d }, rowsOf(base, D), { metric: 'cosine', trainQueries: rowsOf(train, D) });
    assert.equal(ood.asymmetric, true);
    assert.equal(ood.renormalize, false, 'the fit measured that raw inner products rank these queries better');
    // the inner-product error is a property of the maps: PCA's measured without the cosine renormalisation
    const rawPca = fitReducer({ method: 'pca', dimension: d }, rowsOf(base, D), { metric: 'cosine', renormalize: false });
    const errors = [rawPca, ood].map((r) => innerProductError(r, base, test, 1000));
    const recalls = [pca, ood].map((r) => recallWithRerank(r, 'cosine', base, test, truth, 10, counts));
    t.diagnostic(`relative inner-product error: PCA ${errors[0].toFixed(3)}, LeanVec-OOD ${errors[1].toFixed(3)}`);
    t.diagnostic(`recall@10 after re-ranking ${counts.join('/')} candidates: PCA ${recalls[0].map((r) => r.toFixed(3)).join('/')}, LeanVec-OOD ${recalls[1].map((r) => r.toFixed(3)).join('/')}`);
    assert.ok(errors[1] < errors[0] / 5, 'LeanVec-OOD has far lower inner-product error');
    for (let i = 0; i < counts.length; i++) assert.ok(recalls[1][i] > recalls[0][i] + 0.3, `higher recall at ${counts[i]} candidates`);
    assert.ok(recalls[1][2] >= 0.95, 'LeanVec-OOD reaches 0.95 with 100 candidates');
  });

  it('is never worse than LeanVec-ID on its training sets (the eigen-search starts there), and Frank-Wolfe only lowers the error', () => {
    const D = 64;
    const { base, train } = outOfDistribution(D);
    const fitSet = rowsOf(base.subarray(0, 1500 * D), D);
    const queries = train.subarray(0, 1500 * D);
    // the training objective exactly: every training query against every fitted database row
    const objective = (r: Reducer) => innerProductError(r, fitSet.data, queries, 1500);
    const id = fitReducer({ method: 'leanvec', dimension: 6 }, fitSet, { metric: 'cosine', renormalize: false });
    const errors = [0, 3, 30].map((iterations) => objective(fitReducer({ method: 'leanvec-ood', dimension: 6 }, fitSet, { metric: 'cosine', trainQueries: rowsOf(queries, D), iterations })));
    assert.ok(errors[0] <= objective(id) * (1 + 1e-5), `eigen-search ${errors[0]} vs LeanVec-ID ${objective(id)}`);
    assert.ok(errors[1] <= errors[0] * (1 + 1e-5) && errors[2] <= errors[1] * (1 + 1e-5), `errors by iterations: ${errors.join(', ')}`);
  });
});

describe('every reducer on a seeded 20,000-vector set at d = D/4', () => {
  const D = 128;
  const d = 32;
  const setup = { count: 20_000, dimension: D, latent: 24, clusters: 50, noise: 0.3, seed: 5 };
  const counts = [10, 20, 50, 100, 200, 500, 1000];
  const cases: { metric: Metric; config: ReduceConfig; options?: Partial<FitOptions> }[] = [
    { metric: 'cosine', config: { method: 'pca', dimension: d } },
    { metric: 'cosine', config: { method: 'leanvec', dimension: d } },
    { metric: 'cosine', config: { method: 'leanvec-ood', dimension: d } },
    { metric: 'cosine', config: { method: 'fft', dimension: d } },
    { metric: 'cosine', config: { method: 'fft', dimension: d }, options: { band: 'energy' } },
    { metric: 'cosine', config: { method: 'matryoshka', dimension: d } },
    { metric: 'l2', config: { method: 'pca', dimension: d } },
    { metric: 'l2', config: { method: 'fft', dimension: d } },
    { metric: 'dot', config: { method: 'leanvec', dimension: d } },
  ];
  const data = new Map<Metric, { base: Float32Array; queries: Float32Array; train: Float32Array; truth: Uint32Array[] }>();
  const dataFor = (metric: Metric) => {
    let set = data.get(metric);
    if (set === undefined) {
      const { base, queries } = embeddingSet({ ...setup, normalize: metric === 'cosine' }, 2_200);
      const test = queries.slice(0, 200 * D);
      set = { base, queries: test, train: queries.slice(200 * D), truth: exactTopK(metric, base, test, D, 10) };
      data.set(metric, set);
    }
    return set;
  };
  for (const { metric, config, options } of cases) {
    const name = `${config.method}${options?.band ? ` (${options.band} band)` : ''} ${metric}`;
    it(`${name}: exact search on reduced vectors + float32 re-rank reaches recall@10 >= 0.95`, (t) => {
      const { base, queries, train, truth } = dataFor(metric);
      const sample = rowsOf(base.subarray(0, 5000 * D), D); // fit on a quarter of the set, as a collection would
      const reducer = fitReducer(config, sample, { metric, ...options, ...(config.method === 'leanvec-ood' ? { trainQueries: rowsOf(train, D) } : {}) });
      const recalls = recallWithRerank(reducer, metric, base, queries, truth, 10, counts);
      const first = counts.findIndex((_, i) => recalls[i] >= 0.95);
      t.diagnostic(`recall@10 by candidates re-ranked: ${counts.map((c, i) => `${c}: ${recalls[i].toFixed(3)}`).join(', ')}; retained ${reducer.fit.retained.toFixed(3)}`);
      t.diagnostic(first >= 0 ? `reaches 0.95 at ${counts[first]} candidates of 20,000` : 'never reaches 0.95');
      assert.ok(first >= 0, `${name} reaches recall@10 >= 0.95 at some candidate count up to ${counts.at(-1)}`);
      assert.ok(recalls.every((r, i) => i === 0 || r >= recalls[i - 1]), 'more candidates never lose recall');
    });
  }
});

describe('parameters as bytes', () => {
  const D = 24;
  const rng = new Prng(31);
  const base = rowsOf(Float32Array.from({ length: 300 * D }, () => gaussian(rng)), D);
  const queries = rowsOf(Float32Array.from({ length: 100 * D }, () => gaussian(rng)), D);
  const fitted: Reducer[] = [
    fitReducer({ method: 'pca', dimension: 6 }, base, { metric: 'l2' }),
    fitReducer({ method: 'leanvec', dimension: 5 }, base, { metric: 'dot' }),
    fitReducer({ method: 'leanvec-ood', dimension: 4 }, base, { metric: 'cosine', trainQueries: queries, iterations: 5 }),
    fitReducer({ method: 'fft', dimension: 7 }, base, { metric: 'cosine', band: 'energy' }),
    fitReducer({ method: 'fft', dimension: 8 }, rowsOf(new Float32Array(0), D), { metric: 'l2' }),
    fitReducer({ method: 'matryoshka', dimension: 9 }, base, { metric: 'cosine' }),
    fitReducer({ method: 'matryoshka', dimension: 9 }, base, { metric: 'dot' }),
  ];

  it('round trip: a decoded reducer transforms bit for bit like the fitted one and encodes to the same bytes', () => {
    const probe = Float32Array.from({ length: 5 * D }, () => gaussian(rng));
    for (const r of fitted) {
      const bytes = r.encode();
      const back = decodeReducer(bytes, 'test.qvrd');
      for (const key of ['method', 'metric', 'inputDimension', 'dimension', 'searchMetric', 'asymmetric'] as const) assert.equal(back[key], r[key], key);
      assert.deepEqual(back.fit, r.fit);
      assert.deepEqual(back.transformDatabase(probe), r.transformDatabase(probe));
      assert.deepEqual(back.transformQuery(probe), r.transformQuery(probe));
      assert.deepEqual(back.encode(), bytes);
    }
  });

  it('fitting is deterministic: the same inputs give the same bytes', () => {
    assert.deepEqual(fitReducer({ method: 'pca', dimension: 6 }, base, { metric: 'l2' }).encode(), fitted[0].encode());
    assert.deepEqual(fitReducer({ method: 'leanvec-ood', dimension: 4 }, base, { metric: 'cosine', trainQueries: queries, iterations: 5 }).encode(), fitted[2].encode());
  });

  it('damaged bytes are CORRUPTED (or UNSUPPORTED for a newer version), never another error', () => {
    const originals = fitted.map((r) => r.encode());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: originals.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (which, at, xor, truncate) => {
        const bytes = originals[which].slice();
        const damaged = truncate ? bytes.subarray(0, at % bytes.length) : (bytes[at % bytes.length] ^= xor, bytes);
        try {
          const r = decodeReducer(damaged, 'test.qvrd');
          // a flip inside a float parameter can decode; it must still give finite output
          const out = r.transformQuery(new Float32Array(r.inputDimension).fill(1));
          assert.ok(out.every(Number.isFinite));
        } catch (e) {
          assert.ok(isQuiverError(e, 'CORRUPTED') || isQuiverError(e, 'UNSUPPORTED'), String(e));
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeReducer(bytes, 'junk');
        } catch (e) {
          assert.ok(isQuiverError(e, 'CORRUPTED') || isQuiverError(e, 'UNSUPPORTED'), String(e));
        }
      }),
    );
    const newer = originals[0].slice();
    new DataView(newer.buffer).setUint16(4, 2, true);
    throwsCode(() => decodeReducer(newer, 'test.qvrd'), 'UNSUPPORTED', /version 2/);
    throwsCode(() => decodeReducer(originals[0].subarray(0, 40), 'seg-7.qseg'), 'CORRUPTED', /seg-7\.qseg/);
  });
});

describe('bad parameters', () => {
  const D = 16;
  const rng = new Prng(41);
  const sample = rowsOf(Float32Array.from({ length: 100 * D }, () => gaussian(rng)), D);

  it('a reduced dimension above the original, below 1 or not whole is INVALID_ARGUMENT', () => {
    throwsCode(() => fitReducer({ method: 'pca', dimension: 17 }, sample, { metric: 'l2' }), 'INVALID_ARGUMENT', /larger than the vectors' dimension \(16\)/);
    for (const dimension of [0, -3, 2.5, Number.NaN]) throwsCode(() => fitReducer({ method: 'fft', dimension }, sample, { metric: 'l2' }), 'INVALID_ARGUMENT', /at least 1/);
    throwsCode(() => fitReducer({ method: 'svd' as 'pca', dimension: 4 }, sample, { metric: 'l2' }), 'INVALID_ARGUMENT', /reduce\.method/);
    throwsCode(() => fitReducer({ method: 'pca', dimension: 4 }, sample, { metric: 'hamming' as 'l2' }), 'INVALID_ARGUMENT', /metric/);
  });

  it('too few samples is INVALID_ARGUMENT naming the number needed', () => {
    const few = rowsOf(sample.data.subarray(0, 8 * D), D);
    assert.deepEqual(minimumSample({ method: 'pca', dimension: 8 }), { rows: 9, queries: 0 });
    throwsCode(() => fitReducer({ method: 'pca', dimension: 8 }, few, { metric: 'l2' }), 'INVALID_ARGUMENT', /at least 9 sample vectors; got 8/);
    throwsCode(() => fitReducer({ method: 'leanvec', dimension: 8 }, few, { metric: 'dot' }), 'INVALID_ARGUMENT', /at least 9/);
    throwsCode(() => fitReducer({ method: 'fft', dimension: 8 }, few, { metric: 'dot', band: 'energy' }), 'INVALID_ARGUMENT', /at least 9/);
    throwsCode(() => fitReducer({ method: 'leanvec-ood', dimension: 8 }, sample, { metric: 'dot', trainQueries: few }), 'INVALID_ARGUMENT', /at least 9 training queries; got 8/);
    // methods without a learned part need no sample
    fitReducer({ method: 'fft', dimension: 8 }, rowsOf(new Float32Array(0), D), { metric: 'l2' });
    fitReducer({ method: 'matryoshka', dimension: 8 }, rowsOf(new Float32Array(0), D), { metric: 'l2' });
  });

  it('options that do not apply are rejected, with what to do instead', () => {
    throwsCode(() => fitReducer({ method: 'leanvec-ood', dimension: 4 }, sample, { metric: 'dot' }), 'INVALID_ARGUMENT', /trainQueries/);
    throwsCode(() => fitReducer({ method: 'leanvec-ood', dimension: 4 }, sample, { metric: 'l2', trainQueries: sample }), 'INVALID_ARGUMENT', /'pca' or 'leanvec'/);
    throwsCode(() => fitReducer({ method: 'pca', dimension: 4 }, sample, { metric: 'dot', trainQueries: sample }), 'INVALID_ARGUMENT', /leanvec-ood/);
    throwsCode(() => fitReducer({ method: 'pca', dimension: 4 }, sample, { metric: 'dot', band: 'low' }), 'INVALID_ARGUMENT', /band/);
    throwsCode(() => fitReducer({ method: 'matryoshka', dimension: 4 }, sample, { metric: 'dot', renormalize: true }), 'INVALID_ARGUMENT', /cosine/);
    throwsCode(() => fitReducer({ method: 'leanvec-ood', dimension: 4 }, sample, { metric: 'dot', trainQueries: sample, iterations: -1 }), 'INVALID_ARGUMENT', /iterations/);
  });

  it('bad rows: NaN is INVALID_VECTOR, a wrong dimension is DIMENSION_MISMATCH, at fit and at transform', () => {
    const bad = sample.data.slice();
    bad[5 * D + 3] = Number.NaN;
    throwsCode(() => fitReducer({ method: 'pca', dimension: 4 }, rowsOf(bad, D), { metric: 'l2' }), 'INVALID_VECTOR', /row 5 .* component 3/);
    const zeros = sample.data.slice();
    zeros.fill(0, 2 * D, 3 * D);
    throwsCode(() => fitReducer({ method: 'pca', dimension: 4 }, rowsOf(zeros, D), { metric: 'cosine' }), 'INVALID_VECTOR', /all zeros/);
    throwsCode(() => fitReducer({ method: 'leanvec-ood', dimension: 4 }, sample, { metric: 'dot', trainQueries: rowsOf(new Float32Array(20 * 8), 8) }), 'DIMENSION_MISMATCH');
    const pca = fitReducer({ method: 'pca', dimension: 4 }, sample, { metric: 'l2' });
    throwsCode(() => pca.transform(new Float32Array(D + 1)), 'DIMENSION_MISMATCH');
    throwsCode(() => pca.transformQuery(new Float32Array(0)), 'DIMENSION_MISMATCH');
    throwsCode(() => pca.transform(new Float32Array(D), new Float32Array(3)), 'INVALID_ARGUMENT', /4 values/);
  });

  it('cosine fits see unit vectors: training queries are normalised, stored rows are taken as they are', () => {
    const scaled = rowsOf(sample.data.map((v) => v * 7), D);
    const unit = rowsOf(sample.data.slice(), D);
    for (let r = 0; r < 100; r++) {
      let n = 0;
      for (let i = 0; i < D; i++) n += unit.data[r * D + i] ** 2;
      for (let i = 0; i < D; i++) unit.data[r * D + i] /= Math.sqrt(n);
    }
    const a = fitReducer({ method: 'leanvec-ood', dimension: 4 }, unit, { metric: 'cosine', trainQueries: scaled, iterations: 3 });
    const b = fitReducer({ method: 'leanvec-ood', dimension: 4 }, unit, { metric: 'cosine', trainQueries: unit, iterations: 3 });
    const [ya, yb] = [a, b].map((r) => r.transformQuery(unit.data));
    for (let i = 0; i < ya.length; i++) assert.ok(Math.abs(ya[i] - yb[i]) < 1e-4, 'the same fit, up to rounding');
    assert.equal(scaled.data[0], Math.fround(sample.data[0] * 7), 'the caller’s rows are not modified');
  });
});

describe('sampleIndices', () => {
  it('draws distinct ascending indices in range, reproducibly from the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 300 }), fc.integer(), (total, want, seed) => {
        const ids = sampleIndices(total, want, seed);
        assert.equal(ids.length, Math.min(total, want));
        for (let i = 0; i < ids.length; i++) {
          assert.ok(ids[i] < total);
          if (i > 0) assert.ok(ids[i] > ids[i - 1]);
        }
        assert.deepEqual(sampleIndices(total, want, seed), ids);
      }),
      { numRuns: 100 },
    );
  });
});
