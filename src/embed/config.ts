/**
 * api.md's EmbeddingConfig checked: what a collection stores, so never a secret. Pure (no provider code),
 * so the database can check a config in runtimes that load no providers.
 */
import { QuiverError } from '../core/errors.js';
import type { EmbeddingConfig } from './types.js';

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
