/**
 * The built-in model (Universal Sentence Encoder lite, weights from node_modules): paraphrases score above
 * unrelated pairs on a fixed set, vectors are 512-d and unit length, batching and progress work, and the
 * EmbeddingConfig factory loads it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinEmbedding, createEmbeddingFunction, checkEmbeddingConfig, type EmbeddingFunction } from '../src/embed/index.js';
import { isQuiverError } from '../src/core/errors.js';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

/** Paraphrase pairs; every cross pair (a sentence with another pair's paraphrase) is unrelated. */
const PARAPHRASES: [string, string][] = [
  ['The cat is sleeping on the sofa.', 'A cat naps on the couch.'],
  ['How do I reset my password?', 'I forgot my password and need to change it.'],
  ['The stock market fell sharply today.', 'Shares dropped steeply in trading today.'],
  ['It is going to rain tomorrow.', 'Tomorrow the weather will be rainy.'],
  ['She plays the violin in an orchestra.', 'She is a violinist in a symphony orchestra.'],
  ['The restaurant serves excellent pizza.', 'That place makes really good pizza.'],
  ['He is learning to drive a car.', 'He is taking driving lessons.'],
  ['The database stores vectors for similarity search.', 'Vectors are kept in the database to find similar items.'],
];

describe('builtin embedding (USE lite)', () => {
  let model: EmbeddingFunction;
  before(async () => {
    model = await builtinEmbedding();
  });
  after(async () => {
    await model.close();
  });

  it('names itself and has 512 dimensions', () => {
    assert.equal(model.name, 'builtin:use-lite');
    assert.equal(model.dimension, 512);
  });

  it('scores every paraphrase pair above every unrelated pair it takes part in', async () => {
    const vectors = await model.embed(PARAPHRASES.flat());
    for (const v of vectors) {
      assert.equal(v.length, 512);
      assert.ok(Math.abs(dot(v, v) - 1) < 1e-5, 'unit length');
    }
    const sim = (i: number, j: number): number => dot(vectors[i], vectors[j]);
    for (let p = 0; p < PARAPHRASES.length; p++) {
      const paraphrase = sim(2 * p, 2 * p + 1);
      for (let q = 0; q < PARAPHRASES.length; q++) {
        if (q === p) continue;
        for (const [i, j] of [[2 * p, 2 * q], [2 * p, 2 * q + 1], [2 * p + 1, 2 * q], [2 * p + 1, 2 * q + 1]]) {
          assert.ok(paraphrase > sim(i, j), `"${PARAPHRASES[p].join('" ~ "')}" (${paraphrase.toFixed(3)}) should beat ${i}~${j} (${sim(i, j).toFixed(3)})`);
        }
      }
    }
  });

  it('gives the same vector for a text whatever batch it is in, and reports progress per batch', async () => {
    const texts = PARAPHRASES.flat();
    const progress: number[] = [];
    const batched = await model.embed(texts, { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    const alone = await model.embed([texts[4]]);
    assert.deepEqual(progress, [3, 6, 9, 12, 15, 16]);
    for (let i = 0; i < alone[0].length; i++) assert.ok(Math.abs(alone[0][i] - batched[4][i]) < 1e-4);
  });

  it('embeds empty and whitespace texts (the encoder drops a trailing one otherwise)', async () => {
    const vectors = await model.embed(['hello', '', '   ']);
    assert.equal(vectors.length, 3);
    assert.equal(await model.embed([]).then((v) => v.length), 0);
  });

  it('rejects what is not an array of strings, and an aborted signal', async () => {
    await assert.rejects(model.embed('text' as never), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(model.embed(['a', 3] as never), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(model.embed(['a'], { signal: AbortSignal.abort() }), (e) => isQuiverError(e, 'ABORTED'));
  });

  it("createEmbeddingFunction('builtin') loads it; configs are checked and never take a key", async () => {
    const fromConfig = await createEmbeddingFunction('builtin');
    assert.equal(fromConfig.dimension, 512);
    await fromConfig.close();
    assert.throws(() => checkEmbeddingConfig({ provider: 'openai', baseURL: 'http://x', model: 'm', apiKeyEnv: 'K', apiKey: 'sk-1' }), (e) => isQuiverError(e, 'INVALID_ARGUMENT') && /apiKeyEnv/.test(e.message));
    assert.throws(() => checkEmbeddingConfig({ provider: 'cohere' }), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => checkEmbeddingConfig({ provider: 'transformers', model: 'm', pooling: 'max' }), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
  });
});
