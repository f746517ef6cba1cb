/**
 * POST /v1/embeddings on a real server (the built-in model by default): OpenAI's shapes, checked against
 * the server's own OpenAPI document; the vectors are the model's own; model names, dimensions, limits,
 * roles and "none" give typed errors. Then the OpenAI-compatible provider of quiverdb/embed against this
 * route: the same vectors through HTTP, batched, and its typed failures for a wrong key, a wrong model
 * and a batch past the server's limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinEmbedding, openaiEmbedding, type EmbeddingFunction } from '../src/embed/index.js';
import { isQuiverError } from '../src/core/errors.js';
import { decodeF32 } from '../src/protocol/vectors.js';
import { KEYS, READER, type TestServer, assertError, startTestServer } from './support/server.js';

const TEXTS = ['The cat sat on the mat.', 'Stock markets fell sharply today.', 'A kitten is resting on a rug.', '', 'Quivers hold arrows.'];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `component ${i}: ${actual[i]} vs ${expected[i]}`);
}

describe('POST /v1/embeddings', () => {
  let t: TestServer;
  let model: EmbeddingFunction;
  let expected: Float32Array[];

  before(async () => {
    t = await startTestServer({ apiKeys: KEYS, limits: { embeddingInputsMax: 8, embeddingInputBytesMax: 1024 } });
    model = await builtinEmbedding();
    expected = await model.embed(TEXTS);
  });
  after(async () => {
    await model.close();
    await t.close();
  });

  it('embeds a list with the built-in model, in order, in OpenAI\'s shape; a single text too; base64 decodes to the same vectors', async () => {
    const response = await t.call('POST', '/v1/embeddings', { body: { input: TEXTS, model: 'builtin:use-lite' }, key: READER });
    assert.equal(response.status, 200, response.text);
    const body = response.body;
    assert.equal(body.object, 'list');
    assert.equal(body.model, 'builtin:use-lite');
    assert.deepEqual(body.data.map((d: { index: number; object: string }) => [d.index, d.object]), TEXTS.map((_, i) => [i, 'embedding']));
    body.data.forEach((d: { embedding: number[] }, i: number) => assertClose(d.embedding, expected[i]));
    // words, as chunking counts them
    assert.equal(body.usage.prompt_tokens, 6 + 5 + 7 + 0 + 3);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens);

    const single = await t.call('POST', '/v1/embeddings', { body: { input: TEXTS[2] } });
    assert.equal(single.body.data.length, 1);
    assertClose(single.body.data[0].embedding, expected[2]);

    const base64 = await t.call('POST', '/v1/embeddings', { body: { input: TEXTS, encoding_format: 'base64', model: 'builtin', dimensions: 512 } });
    assert.equal(base64.status, 200, base64.text);
    base64.body.data.forEach((d: { embedding: string }, i: number) => assertClose(decodeF32(d.embedding, {}), expected[i]));
  });

  it('refuses another model, other dimensions, an empty list, too many or too long texts, with typed errors', async () => {
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: 'x', model: 'text-embedding-3-small' } }), 404, 'MODEL_NOT_FOUND', /builtin:use-lite/);
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: 'x', dimensions: 256 } }), 400, 'INVALID_ARGUMENT', /512 dimensions/);
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: [] } }), 400, 'INVALID_ARGUMENT', /empty list/);
    const many = await t.call('POST', '/v1/embeddings', { body: { input: Array.from({ length: 9 }, (_, i) => `text ${i}`) } });
    assertError(many, 413, 'LIMIT_EXCEEDED', /embeddingInputsMax/);
    assert.equal(many.body.error.details.maximum, 8);
    const long = await t.call('POST', '/v1/embeddings', { body: { input: ['short', 'é'.repeat(513)] } });
    assertError(long, 413, 'LIMIT_EXCEEDED', /input\[1\] is 1026 bytes/);
    assert.equal(long.body.error.details.limit, 'embeddingInputBytesMax');
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: ['a', 5] } }), 400, 'INVALID_ARGUMENT');
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: 'a', temperature: 1 } }), 400, 'INVALID_ARGUMENT', /temperature/);
  });

  it('needs a key (read access, as for queries)', async () => {
    assertError(await t.call('POST', '/v1/embeddings', { body: { input: 'x' }, key: null }), 401, 'UNAUTHORIZED');
  });

  it('a server configured with embedding "none" answers 501 UNSUPPORTED', async () => {
    const none = await startTestServer({ embedding: 'none' });
    try {
      assertError(await none.call('POST', '/v1/embeddings', { body: { input: 'x' } }), 501, 'UNSUPPORTED', /QUIVER_EMBEDDING/);
    } finally {
      await none.close();
    }
  });

  describe('the OpenAI-compatible provider against this route', () => {
    before(() => {
      process.env.QUIVER_TEST_SERVER_KEY = READER;
      process.env.QUIVER_TEST_WRONG_KEY = 'not-a-key';
    });

    it('learns the dimension, embeds in batches, and gets the model\'s own vectors', async () => {
      const remote = await openaiEmbedding({ baseURL: t.url, model: 'builtin:use-lite', apiKeyEnv: 'QUIVER_TEST_SERVER_KEY', batchSize: 2 });
      assert.equal(remote.name, 'openai:builtin:use-lite');
      assert.equal(remote.dimension, 512);
      const progress: number[] = [];
      const vectors = await remote.embed(TEXTS, { onProgress: (p) => progress.push(p.done) });
      assert.deepEqual(progress, [2, 4, 5]);
      vectors.forEach((v, i) => assertClose(v, expected[i]));
      await remote.close();
    });

    it('fails with EMBEDDING_FAILED naming the status for a wrong key, a wrong model and a batch past the limit', async () => {
      const failure = async (make: () => Promise<EmbeddingFunction>, status: number, message: RegExp): Promise<void> => {
        await assert.rejects(async () => (await make()).embed(TEXTS), (error: unknown) => {
          assert.ok(isQuiverError(error), String(error));
          assert.equal(error.code, 'EMBEDDING_FAILED');
          assert.equal(error.details.status, status);
          assert.match(error.message, message);
          return true;
        });
      };
      await failure(() => openaiEmbedding({ baseURL: t.url, model: 'builtin', apiKeyEnv: 'QUIVER_TEST_WRONG_KEY', dimension: 512, maxRetries: 0 }), 401, /API key/);
      await failure(() => openaiEmbedding({ baseURL: `${t.url}/v1`, model: 'gpt-embed', apiKeyEnv: 'QUIVER_TEST_SERVER_KEY', dimension: 512, maxRetries: 0 }), 404, /builtin:use-lite/);
      const texts = Array.from({ length: 9 }, (_, i) => `text ${i}`);
      const big = await openaiEmbedding({ baseURL: t.url, model: 'builtin', apiKeyEnv: 'QUIVER_TEST_SERVER_KEY', batchSize: 9, maxRetries: 0 });
      await assert.rejects(big.embed(texts), (error: unknown) => isQuiverError(error) && error.details.status === 413 && /embeddingInputsMax/.test(error.message));
    });
  });
});
