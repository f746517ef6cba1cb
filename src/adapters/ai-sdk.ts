/**
 * quiverdb/ai: a Quiver EmbeddingFunction as an AI SDK embedding model (the `ai` package's
 * EmbeddingModelV3 specification, which ai 6 expects), for `embed` and `embedMany`. Only the types come
 * from `ai` (an optional peer dependency): this module loads nothing of it at run time.
 */
import type { EmbeddingModel } from 'ai';
import { createEmbeddingFunction } from '../embed/index.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';

/** The AI SDK's embedding model specification version 3. */
export type QuiverEmbeddingModel = Extract<EmbeddingModel, { specificationVersion: 'v3' }> & { readonly embedder: EmbeddingFunction };

/**
 * Wraps an embedding function. `embedMany` splits its values into calls of at most
 * `maxEmbeddingsPerCall` (the function's batch size) and may run them in parallel; the function batches
 * again inside a call.
 */
export function quiverEmbeddingModel(embedder: EmbeddingFunction, options: { maxEmbeddingsPerCall?: number } = {}): QuiverEmbeddingModel {
  const separator = embedder.name.indexOf(':');
  return {
    specificationVersion: 'v3',
    provider: `quiver.${separator > 0 ? embedder.name.slice(0, separator) : embedder.name}`,
    modelId: separator > 0 ? embedder.name.slice(separator + 1) : embedder.name,
    maxEmbeddingsPerCall: options.maxEmbeddingsPerCall ?? Math.max(embedder.batchSize, 1),
    // a local model shares the CPU between calls; remote endpoints take parallel requests
    supportsParallelCalls: embedder.name.startsWith('openai:'),
    embedder,
    async doEmbed({ values, abortSignal }) {
      const vectors = await embedder.embed(values, abortSignal ? { signal: abortSignal } : undefined);
      return { embeddings: vectors.map((v) => Array.from(v)), warnings: [] };
    },
  };
}

/** Loads the embedding function an EmbeddingConfig names ('builtin' by default) as an AI SDK model. */
export async function quiverEmbeddingModelFromConfig(config: EmbeddingConfig = 'builtin', options: { maxEmbeddingsPerCall?: number } = {}): Promise<QuiverEmbeddingModel> {
  return quiverEmbeddingModel(await createEmbeddingFunction(config), options);
}
