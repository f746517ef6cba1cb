/**
 * quiverdb/embed: text in, vectors out. `createEmbeddingFunction(config)` takes api.md's EmbeddingConfig
 * (what a collection stores) and loads the provider it names; each provider's own factory takes the full
 * options. Providers are imported on demand, so importing this module loads no model runtime, and a
 * browser bundle only pulls the provider it uses.
 */
import { checkEmbeddingConfig } from './config.js';
import type { EmbeddingConfig, EmbeddingFunction } from './types.js';

export type { EmbeddingConfig, EmbeddingFunction, EmbedOptions, EmbeddingProgress } from './types.js';
export type { BuiltinEmbeddingOptions } from './builtin.js';
export type { TransformersEmbeddingOptions, TransformersPooling } from './transformers.js';
export type { OpenAIEmbeddingOptions } from './openai.js';
export type { DownloadProgress } from './download-progress.js';
export { chunkText, chunkDocuments, chunkKey, parseChunkKey, type Chunk, type ChunkOptions, type ChunkRecord } from './chunking.js';

export { checkEmbeddingConfig } from './config.js';

export const BUILTIN_EMBEDDING = { name: 'builtin:use-lite', dimension: 512 } as const;

export async function builtinEmbedding(options?: import('./builtin.js').BuiltinEmbeddingOptions): Promise<EmbeddingFunction> {
  return (await import('./builtin.js')).builtinEmbedding(options);
}

export async function transformersEmbedding(options: import('./transformers.js').TransformersEmbeddingOptions): Promise<EmbeddingFunction> {
  return (await import('./transformers.js')).transformersEmbedding(options);
}

export async function openaiEmbedding(options: import('./openai.js').OpenAIEmbeddingOptions): Promise<EmbeddingFunction> {
  return (await import('./openai.js')).openaiEmbedding(options);
}

/** Loads the embedding function an EmbeddingConfig names. */
export async function createEmbeddingFunction(config: EmbeddingConfig): Promise<EmbeddingFunction> {
  const checked = checkEmbeddingConfig(config);
  if (checked === 'builtin') return builtinEmbedding();
  if (checked.provider === 'transformers') return transformersEmbedding(checked);
  return openaiEmbedding(checked);
}

/**
 * The function for a collection's EmbeddingConfig: `dimension`, when the collection knows it, spares the
 * openai provider its probe request (its first answer is still checked against it). What runtime entry
 * points hand the database (db/runtime.ts) so that db/ itself loads no provider code.
 */
export async function loadEmbeddingFunction(config: EmbeddingConfig, options: { dimension?: number } = {}): Promise<EmbeddingFunction> {
  const checked = checkEmbeddingConfig(config);
  if (typeof checked === 'object' && checked.provider === 'openai' && options.dimension !== undefined) return openaiEmbedding({ ...checked, dimension: options.dimension });
  return createEmbeddingFunction(checked);
}
