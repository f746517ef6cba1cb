/**
 * quiverdb/embed: text in, vectors out. `createEmbeddingFunction(config)` takes api.md's EmbeddingConfig
 * (what a collection stores) and loads the provider it names; each provider's own factory takes the full
 * options. Providers are imported on demand, so importing this module loads no model runtime, and a
 * browser bundle only pulls the provider it uses.
 */
import { QuiverError } from '../core/errors.js';
import type { EmbeddingConfig, EmbeddingFunction } from './types.js';

export type { EmbeddingConfig, EmbeddingFunction, EmbedOptions, EmbeddingProgress } from './types.js';
export type { BuiltinEmbeddingOptions } from './builtin.js';
export type { TransformersEmbeddingOptions, TransformersPooling } from './transformers.js';
export type { OpenAIEmbeddingOptions } from './openai.js';
export type { DownloadProgress } from './download-progress.js';
export { chunkText, chunkDocuments, chunkKey, parseChunkKey, type Chunk, type ChunkOptions, type ChunkRecord } from './chunking.js';

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

const FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  transformers: { required: ['model'], optional: ['localPath', 'pooling', 'normalize'] },
  openai: { required: ['baseURL', 'model', 'apiKeyEnv'], optional: [] },
};

/** Checks an EmbeddingConfig's shape (the provider checks the values when it loads). */
export function checkEmbeddingConfig(config: unknown): EmbeddingConfig {
  if (config === 'builtin') return config;
  const provider = (config as { provider?: unknown } | null)?.provider;
  const fields = typeof provider === 'string' ? FIELDS[provider] : undefined;
  if (typeof config !== 'object' || config === null || !fields) {
    throw new QuiverError('INVALID_ARGUMENT', "embedding must be 'builtin', { provider: 'transformers', model, ... } or { provider: 'openai', baseURL, model, apiKeyEnv }.", { received: config });
  }
  for (const field of Object.keys(config)) {
    if (field !== 'provider' && !fields.required.includes(field) && !fields.optional.includes(field)) {
      const secret = /key|token|secret/i.test(field) ? ' Secrets never go in a config: name their environment variable in apiKeyEnv.' : '';
      throw new QuiverError('INVALID_ARGUMENT', `embedding: unknown field ${field} for provider ${provider}.${secret}`, { field, provider });
    }
  }
  for (const field of fields.required) {
    const value = (config as Record<string, unknown>)[field];
    if (typeof value !== 'string' || value === '') throw new QuiverError('INVALID_ARGUMENT', `embedding: provider ${provider} needs ${field} (a non-empty string).`, { field, provider });
  }
  const { pooling, normalize } = config as { pooling?: unknown; normalize?: unknown };
  if (pooling !== undefined && pooling !== 'mean' && pooling !== 'cls') throw new QuiverError('INVALID_ARGUMENT', "embedding: pooling must be 'mean' or 'cls'.", { received: pooling });
  if (normalize !== undefined && typeof normalize !== 'boolean') throw new QuiverError('INVALID_ARGUMENT', 'embedding: normalize must be a boolean.', { received: normalize });
  return config as EmbeddingConfig;
}

/** Loads the embedding function an EmbeddingConfig names. */
export async function createEmbeddingFunction(config: EmbeddingConfig): Promise<EmbeddingFunction> {
  const checked = checkEmbeddingConfig(config);
  if (checked === 'builtin') return builtinEmbedding();
  if (checked.provider === 'transformers') return transformersEmbedding(checked);
  return openaiEmbedding(checked);
}
