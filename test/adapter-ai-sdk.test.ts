/**
 * quiverdb/ai through the AI SDK's own calls: `embed` and `embedMany` from 'ai' with the built-in model
 * wrapped as an EmbeddingModelV3 give the model's own vectors, in order, split into calls of
 * maxEmbeddingsPerCall; `cosineSimilarity` from 'ai' ranks a paraphrase above an unrelated text; an
 * aborted signal stops the call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cosineSimilarity, embed, embedMany } from 'ai';
import { builtinEmbedding, type EmbeddingFunction } from '../src/embed/index.js';
import { quiverEmbeddingModel } from '../src/adapters/ai-sdk.js';

const TEXTS = ['The cat sat on the mat.', 'A kitten is resting on a rug.', 'Stock markets fell sharply today.', 'Quivers hold arrows.', 'The central bank kept rates unchanged.'];

describe('AI SDK adapter', () => {
  let embedder: EmbeddingFunction;
  let expected: Float32Array[];

  before(async () => {
    embedder = await builtinEmbedding();
    expected = await embedder.embed(TEXTS);
  });
  after(() => embedder.close());

  it('is an EmbeddingModelV3 named after the function', () => {
    const model = quiverEmbeddingModel(embedder);
    assert.equal(model.specificationVersion, 'v3');
    assert.equal(model.provider, 'quiver.builtin');
    assert.equal(model.modelId, 'use-lite');
  });

  it('embed and embedMany give the model\'s vectors, in order, across several calls', async () => {
    const calls: number[] = [];
    const model = quiverEmbeddingModel(embedder, { maxEmbeddingsPerCall: 2 });
    const counting = { ...model, doEmbed: (options: Parameters<typeof model.doEmbed>[0]) => (calls.push(options.values.length), model.doEmbed(options)) };
    const { embeddings, values } = await embedMany({ model: counting, values: TEXTS });
    assert.deepEqual(values, TEXTS);
    assert.deepEqual(calls, [2, 2, 1]);
    embeddings.forEach((vector, i) => assert.deepEqual(vector, Array.from(expected[i])));

    const { embedding, value } = await embed({ model, value: TEXTS[1] });
    assert.equal(value, TEXTS[1]);
    assert.deepEqual(embedding, Array.from(expected[1]));
    assert.ok(cosineSimilarity(embeddings[0], embedding) > cosineSimilarity(embeddings[2], embedding));
  });

  it('an aborted signal stops the call', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(embed({ model: quiverEmbeddingModel(embedder), value: 'x', abortSignal: controller.signal, maxRetries: 0 }));
  });
});
