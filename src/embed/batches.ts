/**
 * The batching loop every provider shares: checks the input, cuts it into batches, reports progress,
 * honours the abort signal between batches and checks that the model answered with one finite vector of
 * the right length per text, so that a misbehaving model or server is caught here and not in an index.
 */
import { QuiverError } from '../core/errors.js';
import { LIMITS } from '../core/lib/limits.js';
import type { EmbedOptions } from './types.js';

/** The texts a caller passed, checked: an array of strings. */
export function checkTexts(texts: unknown): readonly string[] {
  if (!Array.isArray(texts)) throw new QuiverError('INVALID_ARGUMENT', 'embed() takes an array of strings.', { received: typeof texts });
  texts.forEach((text, index) => {
    if (typeof text !== 'string') throw new QuiverError('INVALID_ARGUMENT', `embed(): text ${index} is not a string.`, { index, received: typeof text });
  });
  return texts;
}

export function checkBatchSize(batchSize: unknown, where: string): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > LIMITS.batchRecordsMax) {
    throw new QuiverError('INVALID_ARGUMENT', `${where}: batchSize must be an integer from 1 to ${LIMITS.batchRecordsMax}.`, { received: batchSize });
  }
  return batchSize;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new QuiverError('ABORTED', 'Embedding was aborted by the caller.', {}, { cause: signal.reason });
}

/** Checks one model answer: `expected` vectors of `dimension` finite numbers. */
export function checkVectors(vectors: ArrayLike<number>[], expected: number, dimension: number, name: string): Float32Array[] {
  if (vectors.length !== expected) {
    throw new QuiverError('EMBEDDING_FAILED', `${name} returned ${vectors.length} vectors for ${expected} texts.`, { expected, received: vectors.length });
  }
  return vectors.map((vector, index) => {
    if (vector.length !== dimension) {
      throw new QuiverError('DIMENSION_MISMATCH', `${name} returned a vector of length ${vector.length}, expected ${dimension}: is it the model you configured?`, {
        expected: dimension,
        received: vector.length,
        index,
      });
    }
    const out = vector instanceof Float32Array ? vector : Float32Array.from(vector);
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) throw new QuiverError('EMBEDDING_FAILED', `${name} returned a non-finite number in vector ${index}.`, { index, position: i });
    }
    return out;
  });
}

/** Runs `embedBatch` over consecutive slices of `texts` and concatenates the checked results. */
export async function embedInBatches(
  texts: readonly string[],
  options: EmbedOptions | undefined,
  defaults: { batchSize: number; dimension: number; name: string },
  embedBatch: (batch: readonly string[], signal: AbortSignal | undefined) => Promise<ArrayLike<number>[]>,
): Promise<Float32Array[]> {
  checkTexts(texts);
  const batchSize = options?.batchSize === undefined ? defaults.batchSize : checkBatchSize(options.batchSize, defaults.name);
  const out: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    throwIfAborted(options?.signal);
    const batch = texts.slice(start, start + batchSize);
    out.push(...checkVectors(await embedBatch(batch, options?.signal), batch.length, defaults.dimension, defaults.name));
    options?.onProgress?.({ done: out.length, total: texts.length });
  }
  return out;
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  if (sum > 0) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  }
  return vector;
}
