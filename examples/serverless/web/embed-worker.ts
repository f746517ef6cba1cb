/**
 * The embedding worker: the built-in embedder's model (Universal Sentence Encoder lite, 512-d) on
 * TensorFlow.js's WebAssembly backend — the same graph, weights and kernels the Node build embedded the
 * corpus with (src/embed/builtin.ts), so a query embedded here lands in the same space as the stored
 * vectors. Its ~27 MB of files come from this site's model/ folder once and are then kept in Cache
 * Storage, so later visits load it without the network.
 */
import * as core from '@energetic-ai/core';
import { initModel } from '@energetic-ai/embeddings';
import { MODEL_DIR, MODEL_FILES } from '../assets.js';
import type { EmbedReply, EmbedRequest, ModelLoad } from './embed-protocol.js';

/** The slice of TensorFlow.js (as bundled by @energetic-ai/core, which ships no usable types) used here. */
interface Platform {
  fetch(path: string, init?: RequestInit): Promise<Response>;
}
interface TensorFlow {
  env(): { set(flag: string, value: boolean): void; platform: Platform };
  setPlatform(name: string, platform: Platform): void;
  setWasmPath(path: string, usePlatformFetch: boolean): void;
  loadGraphModel(url: string): Promise<unknown>;
  getBackend(): string;
}
const tf = core as unknown as TensorFlow;

const CACHE = 'quiver-papers-model-v1';
const send = (reply: EmbedReply) => postMessage(reply);
const base = new URL(MODEL_DIR, import.meta.url); // model/ next to this bundle

const load: Omit<ModelLoad, 'ms' | 'backend'> = { files: 0, fromCache: 0, downloadedBytes: 0, cachedBytes: 0 };

/** fetch through Cache Storage: a file of the model is downloaded once per version of the site. */
async function cachedFetch(input: RequestInfo | URL): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, base).href;
  const cache = await caches.open(CACHE);
  load.files++;
  const hit = await cache.match(url);
  if (hit) {
    load.fromCache++;
    load.cachedBytes += Number(hit.headers.get('content-length') ?? 0);
    return hit;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  load.downloadedBytes += bytes.byteLength;
  const headers = { 'content-type': response.headers.get('content-type') ?? 'application/octet-stream', 'content-length': String(bytes.byteLength) };
  await cache.put(url, new Response(bytes, { headers }));
  return new Response(bytes, { headers });
}

/** A WebAssembly module with one SIMD instruction: validates where SIMD is supported (wasm-feature-detect's test). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/**
 * Importing @energetic-ai/core already starts the WebAssembly backend (it calls setBackend('wasm')): the
 * backend evaluates its flags at once and then, after a few awaits, picks and fetches its binary. So what
 * changes how it loads must be set now, synchronously, before this module yields:
 * - one binary, named by us: the backend would otherwise pick its multi-threaded build on a cross-origin
 *   isolated page, whose threads start through importScripts(), which module workers lack (setting
 *   WASM_HAS_MULTITHREAD_SUPPORT is too late: it was evaluated on import). setWasmPath (deprecated in
 *   favour of setWasmPaths, which cannot say this) is the backend's way to name one binary.
 * - every file TensorFlow.js loads (the .wasm, model.json, the weight shards) goes through the platform's
 *   fetch: this one keeps them in Cache Storage.
 */
function configure(): void {
  tf.env().set('PROD', true); // no debug checks, and no warning for the platform swap
  tf.env().set('DEPRECATION_WARNINGS_ENABLED', false);
  tf.setPlatform('browser', Object.assign(Object.create(tf.env().platform) as Platform, { fetch: (path: string) => cachedFetch(path) }));
  const binary = WebAssembly.validate(SIMD_PROBE) ? MODEL_FILES.wasmSimd : MODEL_FILES.wasm;
  tf.setWasmPath(new URL(binary, base).href, true);
}

async function start() {
  const started = performance.now();
  const model = await initModel(async () => {
    const [graph, vocabulary] = await Promise.all([tf.loadGraphModel(new URL(MODEL_FILES.graph, base).href), cachedFetch(MODEL_FILES.vocabulary).then((r) => r.json())]);
    return { model: graph as never, vocabulary };
  });
  send({ type: 'ready', load: { ...load, ms: Math.round(performance.now() - started), backend: tf.getBackend() } });
  return model;
}

configure();
const model = start();
model.catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : JSON.stringify(error) }));

addEventListener('message', async (event: MessageEvent<EmbedRequest>) => {
  const { id, texts } = event.data;
  try {
    // the encoder skips texts without tokens; a space encodes (as src/embed/builtin.ts does)
    const rows = await (await model).embed(texts.map((text) => (text.trim() === '' ? ' ' : text)));
    send({ type: 'vectors', id, vectors: rows.map((row) => Float32Array.from(row)) });
  } catch (error) {
    send({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
  }
});
