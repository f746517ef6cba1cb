/** Parsing of option values shared by commands: whole numbers in range, lists, vectors. */
import type { CollectionConfig } from '../../index.js';
import { LIMITS } from '../../core/lib/limits.js';
import { usage } from '../exit.js';

export function parseInteger(value: string | undefined, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(`${option} is a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}; got ${JSON.stringify(value)}.`, { option, received: value });
  }
  return n;
}

export function parseBatchSize(value: string | undefined, fallback: number): number {
  return parseInteger(value, '--batch-size', fallback, 1, LIMITS.batchRecordsMax);
}

export function parseDimension(value: string): number {
  return parseInteger(value, '--dimension', 0, 1, LIMITS.dimensionMax);
}

/** "a,b, c" -> ['a', 'b', 'c']; empty entries are an error. */
export function parseList(value: string, option: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw usage(`${option} is a comma-separated list of names; got ${JSON.stringify(value)}.`, { option });
  return items;
}

const INCLUDE = ['metadata', 'document', 'vector'] as const;
export type IncludeField = (typeof INCLUDE)[number];

export function parseInclude(value: string | undefined, fallback: IncludeField[]): IncludeField[] {
  if (value === undefined) return fallback;
  if (value === 'none' || value === '') return [];
  const items = parseList(value, '--include');
  for (const item of items) if (!(INCLUDE as readonly string[]).includes(item)) throw usage(`--include takes ${INCLUDE.join(', ')} (comma-separated) or none; got ${JSON.stringify(item)}.`, { option: '--include' });
  return items as IncludeField[];
}

/** --embedding: 'builtin' or an EmbeddingConfig as JSON ('{"provider":"transformers","model":"...","localPath":"..."}'). */
export function parseEmbedding(value: string): CollectionConfig['embedding'] {
  if (value === 'builtin') return 'builtin';
  try {
    return JSON.parse(value) as CollectionConfig['embedding'];
  } catch {
    throw usage(`--embedding is 'builtin' or an EmbeddingConfig as JSON (docs/embeddings.md); got ${JSON.stringify(value)}.`, { option: '--embedding' });
  }
}

/** --chunking: BY:SIZE[:OVERLAP], e.g. sentences:200:1 or tokens:256:32. */
export function parseChunking(value: string): CollectionConfig['chunking'] {
  const match = /^(tokens|sentences):(\d+)(?::(\d+))?$/.exec(value);
  if (!match) throw usage(`--chunking is BY:SIZE[:OVERLAP] with BY tokens or sentences, e.g. sentences:200:1; got ${JSON.stringify(value)}.`, { option: '--chunking' });
  return { by: match[1] as 'tokens' | 'sentences', size: Number(match[2]), overlap: match[3] === undefined ? 0 : Number(match[3]) };
}
