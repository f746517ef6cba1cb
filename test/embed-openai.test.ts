/**
 * The OpenAI-compatible provider against a real HTTP server on loopback: a small fastify app that serves
 * /v1/embeddings with the built-in model's vectors (the server's own route comes with the server issue),
 * and that can be told to answer the next requests with 429 (Retry-After), 500 or 401 to exercise
 * retries, rate limiting and typed failures.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { builtinEmbedding, openaiEmbedding, createEmbeddingFunction, type EmbeddingFunction } from '../src/embed/index.js';
import { retryAfterMs } from '../src/embed/openai.js';
import { isQuiverError } from '../src/core/errors.js';

interface Failure {
  status: number;
  headers?: Record<string, string>;
}

describe('OpenAI-compatible provider', () => {
  let app: FastifyInstance;
  let baseURL: string;
  let builtin: EmbeddingFunction;
  let failures: Failure[] = [];
  let requests: { inputs: number; authorization?: string }[] = [];

  before(async () => {
    builtin = await builtinEmbedding();
    app = Fastify();
    app.post('/v1/embeddings', async (request, reply) => {
      const body = request.body as { model: string; input: string[] | string };
      const input = typeof body.input === 'string' ? [body.input] : body.input;
      requests.push({ inputs: input.length, authorization: request.headers.authorization });
      const failure = failures.shift();
      if (failure) return reply.code(failure.status).headers(failure.headers ?? {}).send({ error: { message: `scripted ${failure.status}` } });
      if (request.headers.authorization !== 'Bearer test-key') return reply.code(401).send({ error: { message: 'Incorrect API key provided' } });
      const vectors = await builtin.embed(input);
      // Shuffled on purpose: clients must order by `index`.
      const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: Array.from(v) })).reverse();
      return { object: 'list', model: body.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } };
    });
    baseURL = await app.listen({ host: '127.0.0.1', port: 0 });
    process.env.QUIVER_TEST_EMBEDDING_KEY = 'test-key';
  });
  after(async () => {
    await app.close();
    await builtin.close();
  });
  beforeEach(() => {
    failures = [];
    requests = [];
  });

  const fast = { initialRetryDelayMs: 5, maxRetryDelayMs: 200 };

  it('embeds in batches through /v1/embeddings, in order, with the key from apiKeyEnv; same vectors as the model', async () => {
    const embedder = await createEmbeddingFunction({ provider: 'openai', baseURL, model: 'use-lite', apiKeyEnv: 'QUIVER_TEST_EMBEDDING_KEY' });
    assert.equal(embedder.name, 'openai:use-lite');
    assert.equal(embedder.dimension, 512, 'learnt from a probe request');
    requests = [];
    const texts = Array.from({ length: 7 }, (_, i) => `Sentence number ${i} about quivers and arrows.`);
    const progress: number[] = [];
    const vectors = await embedder.embed(texts, { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(requests.map((r) => r.inputs), [3, 3, 1]);
    assert.deepEqual(progress, [3, 6, 7]);
    assert.ok(requests.every((r) => r.authorization === 'Bearer test-key'));
    const direct = await builtin.embed(texts);
    vectors.forEach((v, i) => v.forEach((x, j) => assert.ok(Math.abs(x - direct[i][j]) < 1e-6)));
  });

  it('retries 500s and 429s (waiting what Retry-After asks), then succeeds', async () => {
    const embedder = await openaiEmbedding({ baseURL: `${baseURL}/v1`, model: 'm', apiKey: 'test-key', dimension: 512, ...fast });
    failures = [{ status: 500 }, { status: 429, headers: { 'retry-after': '0.05' } }, { status: 503 }];
    const [v] = await embedder.embed(['retry me']);
    assert.equal(v.length, 512);
    assert.equal(requests.length, 4);
  });

  it('gives up with EMBEDDING_RATE_LIMITED after maxRetries 429s, or at once when Retry-After is beyond maxRetryDelayMs', async () => {
    const embedder = await openaiEmbedding({ baseURL, model: 'm', apiKey: 'test-key', dimension: 512, maxRetries: 2, ...fast });
    failures = [{ status: 429 }, { status: 429 }, { status: 429 }, { status: 429 }];
    await assert.rejects(embedder.embed(['x']), (e) => isQuiverError(e, 'EMBEDDING_RATE_LIMITED') && e.details.attempts === 3 && e.category === 'unavailable');
    assert.equal(requests.length, 3);
    requests = [];
    failures = [{ status: 429, headers: { 'retry-after': '3600' } }];
    await assert.rejects(embedder.embed(['x']), (e) => isQuiverError(e, 'EMBEDDING_RATE_LIMITED') && e.details.retryAfterMs === 3_600_000);
    assert.equal(requests.length, 1);
  });

  it('fails at once with EMBEDDING_FAILED and the endpoint message on 401 / 400; after retries on persistent 5xx', async () => {
    const wrongKey = await openaiEmbedding({ baseURL, model: 'm', apiKey: 'wrong', dimension: 512, ...fast });
    await assert.rejects(wrongKey.embed(['x']), (e) => isQuiverError(e, 'EMBEDDING_FAILED') && e.details.status === 401 && /Incorrect API key/.test(e.message) && /apiKeyEnv/.test(e.message));
    assert.equal(requests.length, 1);
    const embedder = await openaiEmbedding({ baseURL, model: 'm', apiKey: 'test-key', dimension: 512, maxRetries: 1, ...fast });
    requests = [];
    failures = [{ status: 400 }];
    await assert.rejects(embedder.embed(['x']), (e) => isQuiverError(e, 'EMBEDDING_FAILED') && e.details.status === 400);
    assert.equal(requests.length, 1);
    failures = [{ status: 502 }, { status: 502 }];
    await assert.rejects(embedder.embed(['x']), (e) => isQuiverError(e, 'EMBEDDING_FAILED') && e.details.attempts === 2);
  });

  it('a dimension other than the declared one is DIMENSION_MISMATCH; an unreachable server is EMBEDDING_FAILED', async () => {
    const declared = await openaiEmbedding({ baseURL, model: 'm', apiKey: 'test-key', dimension: 768, ...fast });
    await assert.rejects(declared.embed(['x']), (e) => isQuiverError(e, 'DIMENSION_MISMATCH') && e.details.expected === 768 && e.details.received === 512);
    const closedPort = await (async () => {
      const probe = Fastify();
      const url = await probe.listen({ host: '127.0.0.1', port: 0 });
      await probe.close();
      return url;
    })();
    await assert.rejects(openaiEmbedding({ baseURL: closedPort, model: 'm', maxRetries: 1, ...fast }), (e) => isQuiverError(e, 'EMBEDDING_FAILED') && e.details.attempts === 2);
  });

  it('checks its options: a bad URL, a missing key variable', async () => {
    await assert.rejects(openaiEmbedding({ baseURL: 'not a url', model: 'm' }), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(openaiEmbedding({ baseURL, model: 'm', apiKeyEnv: 'QUIVER_TEST_UNSET_VARIABLE' }), (e) => isQuiverError(e, 'INVALID_ARGUMENT') && /QUIVER_TEST_UNSET_VARIABLE/.test(e.message));
  });

  it('reads Retry-After as seconds, as a date, and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' }), now), 2000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now), 3000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now), 150);
    assert.equal(retryAfterMs(new Headers({}), now), null);
  });
});
