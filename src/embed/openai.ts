/**
 * Embeddings from any OpenAI-compatible HTTP endpoint (`POST {baseURL}/embeddings`: OpenAI, Azure's
 * compatible routes, Ollama, vLLM, LM Studio, text-embeddings-inference, Quiver's own server). Uses
 * fetch only, so it runs in browsers too.
 *
 * Batches of `batchSize` texts per request. A request that fails in a way a later try may not (network
 * error, timeout, 408, 409, 5xx, 429) is retried `maxRetries` times with capped exponential backoff and
 * full jitter; a 429 or 503 waits what its Retry-After / retry-after-ms header asks instead. Everything
 * else fails at once with a QuiverError that carries the status and the endpoint's message.
 */
import { QuiverError } from '../core/errors.js';
import { embedInBatches } from './batches.js';
import type { EmbedOptions, EmbeddingFunction } from './types.js';

export interface OpenAIEmbeddingOptions {
  /** `https://api.openai.com/v1`; a bare origin (`http://localhost:6333`) means its `/v1`. */
  baseURL: string;
  model: string;
  /** The API key itself; prefer apiKeyEnv so that configs hold no secret. */
  apiKey?: string;
  /** Name of the environment variable that holds the key (api.md's EmbeddingConfig stores only this). */
  apiKeyEnv?: string;
  /** Ask the model for shorter vectors (OpenAI's text-embedding-3 `dimensions` parameter). */
  dimensions?: number;
  /** The vectors' length when known: skips the probe request. */
  dimension?: number;
  /** Texts per request (default 256; OpenAI accepts up to 2048). */
  batchSize?: number;
  /** Tries after the first (default 5). */
  maxRetries?: number;
  /** First backoff (default 500 ms), doubled per retry up to maxRetryDelayMs. */
  initialRetryDelayMs?: number;
  /** Longest wait between tries (default 30 s); a Retry-After beyond it fails with EMBEDDING_RATE_LIMITED. */
  maxRetryDelayMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Whether the endpoint's vectors have unit length (OpenAI's do; default true). */
  normalized?: boolean;
  /** Extra headers (an Azure `api-key`, an organisation id). */
  headers?: Record<string, string>;
}

const RETRY_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

function endpoint(baseURL: string): string {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new QuiverError('INVALID_ARGUMENT', `The openai provider's baseURL is not a URL: ${JSON.stringify(baseURL)}.`, { baseURL });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new QuiverError('INVALID_ARGUMENT', `The openai provider's baseURL must be http(s): ${baseURL}.`, { baseURL });
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = `${path === '' ? '/v1' : path}/embeddings`;
  return url.toString();
}

/** Milliseconds a 429/503 asks to wait: retry-after-ms (OpenAI), else Retry-After in seconds or as a date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new QuiverError('ABORTED', 'Embedding was aborted by the caller.', {}, { cause: signal.reason }));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new QuiverError('ABORTED', 'Embedding was aborted by the caller.', {}, { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The endpoint's own error message, if its body has one (OpenAI: { error: { message } }). */
function upstreamMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text itself, shortened below
  }
  return body.slice(0, 300);
}

function decodeEmbedding(value: unknown, index: number, url: string): ArrayLike<number> {
  if (Array.isArray(value)) return value as number[];
  if (typeof value === 'string') {
    // encoding_format 'base64': little-endian float32
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    if (bytes.length % 4 === 0) return new Float32Array(bytes.buffer, 0, bytes.length / 4);
  }
  throw new QuiverError('EMBEDDING_FAILED', `${url} answered an embedding that is neither a number array nor base64 float32 (item ${index}).`, { index });
}

/** Creates an OpenAI-compatible embedding function; without `dimension` it embeds one text to learn it. */
export async function openaiEmbedding(options: OpenAIEmbeddingOptions): Promise<EmbeddingFunction> {
  const url = endpoint(options?.baseURL);
  if (typeof options.model !== 'string' || options.model === '') throw new QuiverError('INVALID_ARGUMENT', 'The openai provider needs a model name.', {});
  let apiKey = options.apiKey;
  if (apiKey === undefined && options.apiKeyEnv !== undefined) {
    apiKey = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[options.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      throw new QuiverError('INVALID_ARGUMENT', `The environment variable ${options.apiKeyEnv} (the openai provider's apiKeyEnv) is not set: export the API key in it.`, { apiKeyEnv: options.apiKeyEnv });
    }
  }
  const batchSize = options.batchSize ?? 256;
  const maxRetries = options.maxRetries ?? 5;
  const initialDelay = options.initialRetryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const name = `openai:${options.model}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...options.headers };

  async function request(batch: readonly string[], signal: AbortSignal | undefined): Promise<ArrayLike<number>[]> {
    const body = JSON.stringify({ model: options.model, input: batch, encoding_format: 'float', ...(options.dimensions ? { dimensions: options.dimensions } : {}) });
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new QuiverError('ABORTED', 'Embedding was aborted by the caller.', {}, { cause: signal.reason });
      const backoff = Math.min(maxDelay, initialDelay * 2 ** attempt) * Math.random();
      const last = attempt >= maxRetries;
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        response = await fetch(url, { method: 'POST', headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (error) {
        if (signal?.aborted) throw new QuiverError('ABORTED', 'Embedding was aborted by the caller.', {}, { cause: signal.reason });
        if (last) {
          throw new QuiverError('EMBEDDING_FAILED', `${url} could not be reached after ${attempt + 1} tries: ${(error as Error).message}. Check baseURL and that the server is up.`, { url, attempts: attempt + 1 }, { cause: error });
        }
        await sleep(backoff, signal);
        continue;
      }
      if (response.ok) {
        const json = (await response.json().catch(() => null)) as { data?: { embedding?: unknown; index?: number }[] } | null;
        if (!json || !Array.isArray(json.data)) throw new QuiverError('EMBEDDING_FAILED', `${url} answered 200 without a data array: is it an OpenAI-compatible embeddings endpoint?`, { url });
        const ordered = [...json.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
        return ordered.map((item, index) => decodeEmbedding(item.embedding, index, url));
      }
      const text = await response.text().catch(() => '');
      const status = response.status;
      if (!RETRY_STATUSES.has(status)) {
        const hint = status === 401 || status === 403 ? ' Check the API key (apiKeyEnv).' : status === 404 ? ' Check baseURL and the model name.' : '';
        throw new QuiverError('EMBEDDING_FAILED', `${url} rejected the request with ${status}: ${upstreamMessage(text)}.${hint}`, { url, status, body: upstreamMessage(text) });
      }
      const asked = status === 429 || status === 503 ? retryAfterMs(response.headers) : null;
      if (status === 429 && (last || (asked !== null && asked > maxDelay))) {
        throw new QuiverError('EMBEDDING_RATE_LIMITED', `${url} is rate limiting (429) after ${attempt + 1} tries${asked !== null ? ` and asks to wait ${Math.ceil(asked)} ms` : ''}: retry later or send fewer texts.`, { url, status, attempts: attempt + 1, retryAfterMs: asked, body: upstreamMessage(text) });
      }
      if (last) {
        throw new QuiverError('EMBEDDING_FAILED', `${url} answered ${status} ${attempt + 1} times: ${upstreamMessage(text)}.`, { url, status, attempts: attempt + 1, body: upstreamMessage(text) });
      }
      await sleep(asked !== null ? Math.min(asked, maxDelay) : backoff, signal);
    }
  }

  let dimension = options.dimension ?? options.dimensions;
  if (dimension === undefined) {
    const [probe] = await request(['dimension'], undefined);
    if (!probe || probe.length === 0) throw new QuiverError('EMBEDDING_FAILED', `${url} answered no vector for a probe text.`, { url });
    dimension = probe.length;
  }
  const known = dimension;
  let closed = false;
  return {
    name,
    dimension: known,
    normalized: options.normalized ?? true,
    batchSize,
    async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new QuiverError('CLOSED', 'This embedding function was closed.', { name });
      return embedInBatches(texts, embedOptions, { batchSize, dimension: known, name }, request);
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
