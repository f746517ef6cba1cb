/**
 * Multi-vector retrieval, core pieces: the MaxSim kernel (WASM vs its TS twin), MUVERA's encodings
 * (deterministic; inner products that track Chamfer similarity), and token pooling.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { referenceBackend } from '../src/core/kernels/reference.js';
import { maxSim } from '../src/core/kernels/maxsim.js';
import { FdeEncoder, MaxSimScorer, MUVERA_DEFAULTS, poolTokens, resolveMultivector, wardClusters } from '../src/core/multivector/index.js';
import { Prng } from '../src/core/lib/prng.js';
import { QuiverError } from '../src/core/errors.js';
import { createWasmBackend } from '../src/wasm/backend.js';
import { gaussian } from './support/data.js';
import { topicMixtureSet } from './support/multivector-data.js';

function randomSet(rng: Prng, count: number, d: number): { tokens: Float32Array; count: number } {
  return { tokens: Float32Array.from({ length: count * d }, () => gaussian(rng)), count };
}

function pearson(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('MaxSim kernel', () => {
  const wasm = createWasmBackend();
  it('matches the packed reference on both backends, any dimension and set sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 6 }), fc.integer(), (d, nq, sizes, seed) => {
        const rng = new Prng(seed);
        const query = randomSet(rng, nq, d);
        const docs = sizes.map((n) => randomSet(rng, n, d));
        const expected = docs.map((doc) => maxSim(query.tokens, query.count, doc.tokens, doc.count, d));
        for (const backend of [wasm, referenceBackend]) {
          const got = new MaxSimScorer(backend, d).score(query, docs);
          got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-4 * (1 + Math.abs(expected[i])), `${backend.name}: ${v} vs ${expected[i]}`));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a scorer reused with smaller sets is not disturbed by what an earlier call left in its memory', () => {
    const rng = new Prng(3);
    const scorer = new MaxSimScorer(wasm, 10);
    scorer.score(randomSet(rng, 20, 10), [randomSet(rng, 50, 10)]);
    const query = randomSet(rng, 3, 10);
    const doc = randomSet(rng, 2, 10);
    assert.ok(Math.abs(scorer.score(query, [doc])[0] - maxSim(query.tokens, 3, doc.tokens, 2, 10)) < 1e-4);
  });
});

describe('MUVERA encodings', () => {
  it('are deterministic from the seed and have the configured dimension', () => {
    const setting = resolveMultivector(24, { simhashBits: 2, projectionDimension: 8, repetitions: 3 }, 1);
    const rng = new Prng(5);
    const doc = randomSet(rng, 7, 24);
    const a = new FdeEncoder(24, setting.muvera).encodeDocument(doc.tokens, doc.count);
    const b = new FdeEncoder(24, setting.muvera).encodeDocument(doc.tokens, doc.count);
    assert.equal(a.length, 3 * 4 * 8);
    assert.deepEqual(a, b);
    const other = new FdeEncoder(24, { ...setting.muvera, seed: 6 }).encodeDocument(doc.tokens, doc.count);
    assert.notDeepEqual(a, other);
    const final = new FdeEncoder(24, { ...setting.muvera, finalDimension: 40 });
    assert.equal(final.encodeQuery(doc.tokens, doc.count).length, 40);
  });

  it('without projection and with one bucket, query·document is Σ_q q·mean(D): the FDE definition', () => {
    const d = 6;
    const setting = resolveMultivector(d, { simhashBits: 0, projectionDimension: d, repetitions: 1 }, 1);
    const encoder = new FdeEncoder(d, setting.muvera);
    const rng = new Prng(9);
    const q = randomSet(rng, 4, d);
    const doc = randomSet(rng, 5, d);
    const fq = encoder.encodeQuery(q.tokens, q.count);
    const fd = encoder.encodeDocument(doc.tokens, doc.count);
    let expected = 0;
    for (let i = 0; i < d; i++) {
      let qs = 0;
      let ds = 0;
      for (let t = 0; t < 4; t++) qs += q.tokens[t * d + i];
      for (let t = 0; t < 5; t++) ds += doc.tokens[t * d + i];
      expected += qs * (ds / 5);
    }
    const got = fq.reduce((s, v, i) => s + v * fd[i], 0);
    assert.ok(Math.abs(got - expected) < 1e-4, `${got} vs ${expected}`);
  });

  it('empty document buckets are filled; empty query buckets stay zero', () => {
    const d = 8;
    const setting = resolveMultivector(d, { simhashBits: 4, projectionDimension: d, repetitions: 2 }, 1);
    const encoder = new FdeEncoder(d, setting.muvera);
    const one = randomSet(new Prng(1), 1, d);
    const doc = encoder.encodeDocument(one.tokens, 1);
    const query = encoder.encodeQuery(one.tokens, 1);
    const blocks = (f: Float32Array) => Array.from({ length: 32 }, (_, b) => f.subarray(b * d, (b + 1) * d).some((x) => x !== 0));
    assert.equal(blocks(doc).filter(Boolean).length, 32, 'every document block holds the only vector');
    assert.equal(blocks(query).filter(Boolean).length, 2, 'one query block per repetition');
    const unfilled = new FdeEncoder(d, { ...setting.muvera, fillEmptyBuckets: false }).encodeDocument(one.tokens, 1);
    assert.equal(blocks(unfilled).filter(Boolean).length, 2);
  });

  it('inner products correlate with Chamfer similarity at the defaults (Pearson >= 0.9) on topic mixtures', () => {
    const d = 64;
    const set = topicMixtureSet({ documents: 400, queries: 12, dimension: d, docTokens: [16, 64], queryTokens: [8, 32], seed: 11 });
    const encoder = new FdeEncoder(d, resolveMultivector(d, undefined, 1).muvera);
    assert.deepEqual(encoder.config, { ...MUVERA_DEFAULTS });
    const docs = set.documents.map((doc) => encoder.encodeDocument(doc.tokens, doc.count));
    const correlations = set.queries.map((q) => {
      const fq = encoder.encodeQuery(q.tokens, q.count);
      const exact = set.documents.map((doc) => maxSim(q.tokens, q.count, doc.tokens, doc.count, d));
      const approx = docs.map((fd) => fd.reduce((s, v, i) => s + v * fq[i], 0));
      return pearson(exact, approx);
    });
    const mean = correlations.reduce((a, b) => a + b) / correlations.length;
    assert.ok(mean >= 0.9, `mean Pearson ${mean.toFixed(3)} (${correlations.map((c) => c.toFixed(2)).join(' ')})`);
  });

  it('refuses settings out of range with INVALID_ARGUMENT or LIMIT_EXCEEDED naming the field', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof QuiverError);
        return `${error.code}:${String(error.details.field ?? error.details.limit)}`;
      }
      return 'none';
    };
    assert.equal(code(() => resolveMultivector(32, { projectionDimension: 64 }, 1)), 'INVALID_ARGUMENT:muvera.projectionDimension');
    assert.equal(code(() => resolveMultivector(32, { bits: 3 }, 1)), 'INVALID_ARGUMENT:muvera.bits');
    assert.equal(code(() => resolveMultivector(32, undefined, 0)), 'INVALID_ARGUMENT:pooling');
    assert.equal(code(() => resolveMultivector(32, { simhashBits: 8, repetitions: 64, projectionDimension: 32 }, 1)), 'LIMIT_EXCEEDED:encodingDimensionMax');
  });
});

describe('token pooling', () => {
  it('factor 1 is no pooling: the same vectors, in order', () => {
    const set = randomSet(new Prng(2), 13, 9);
    const pooled = poolTokens(set.tokens, 13, 9, 1);
    assert.equal(pooled.count, 13);
    assert.deepEqual(pooled.tokens, set.tokens);
  });

  it('keeps ceil(n / factor) vectors, each the mean of a cluster that partitions the rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2, max: 4 }), fc.integer(), (n, factor, seed) => {
        const d = 5;
        const set = randomSet(new Prng(seed), n, d);
        const target = Math.ceil(n / factor);
        const labels = wardClusters(set.tokens, n, d, target);
        assert.equal(new Set(labels).size, target);
        const pooled = poolTokens(set.tokens, n, d, factor);
        assert.equal(pooled.count, target);
        // the pooled rows are the cluster means, in order of each cluster's first row
        const seen: number[] = [];
        for (const l of labels) if (!seen.includes(l)) seen.push(l);
        seen.forEach((label, c) => {
          for (let i = 0; i < d; i++) {
            let sum = 0;
            let size = 0;
            labels.forEach((l, t) => {
              if (l === label) {
                sum += set.tokens[t * d + i];
                size++;
              }
            });
            assert.ok(Math.abs(pooled.tokens[c * d + i] - sum / size) < 1e-5);
          }
        });
      }),
      { numRuns: 40 },
    );
  });

  it('merges the vectors that point the same way (cosine), not merely nearby ones', () => {
    const d = 3;
    // two directions, each with a long and a short vector: Ward on the unit vectors pairs by direction
    const tokens = Float32Array.from([1, 0, 0, 0, 1, 0, 5, 0.1, 0, 0, 0.2, 0.01]);
    const labels = wardClusters(tokens, 4, d, 2);
    assert.equal(labels[0], labels[2]);
    assert.equal(labels[1], labels[3]);
    assert.notEqual(labels[0], labels[1]);
  });

  it('keeps most of the MaxSim top 10 at factor 2 on topic mixtures', () => {
    const d = 32;
    const set = topicMixtureSet({ documents: 200, queries: 10, dimension: d, docTokens: [32, 64], queryTokens: [8, 16], seed: 4 });
    const pooled = set.documents.map((doc) => poolTokens(doc.tokens, doc.count, d, 2));
    assert.ok(pooled.every((p, i) => p.count === Math.ceil(set.documents[i].count / 2)));
    let found = 0;
    for (const q of set.queries) {
      const top = (docs: { tokens: Float32Array; count: number }[]) =>
        docs
          .map((doc, i) => ({ i, s: maxSim(q.tokens, q.count, doc.tokens, doc.count, d) }))
          .sort((a, b) => b.s - a.s)
          .slice(0, 10)
          .map((x) => x.i);
      const truth = new Set(top(set.documents));
      found += top(pooled).filter((i) => truth.has(i)).length;
    }
    const recall = found / (10 * set.queries.length);
    assert.ok(recall >= 0.8, `recall@10 of pooled MaxSim vs exact: ${recall}`);
  });
});
