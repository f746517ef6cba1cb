/**
 * A multi-vector collection's settings: the MUVERA encoding (Fixed Dimensional Encodings) its documents
 * are indexed by, and the token pooling applied at ingest. Fixed when the collection is created (the
 * encodings in its index depend on them). docs/multivector.md gives the defaults and the trade-offs.
 */
import { QuiverError } from '../errors.js';

export interface MuveraConfig {
  /** k_sim: SimHash hyperplanes per repetition; 2^k_sim buckets. */
  simhashBits: number;
  /** d_proj: each bucket's vector is projected to this many dimensions (= the token dimension: no projection). */
  projectionDimension: number;
  /** R_reps: independent repetitions, concatenated. */
  repetitions: number;
  /** d_final: a count-sketch projection of the whole encoding to this many dimensions (0: none). */
  finalDimension: number;
  /** Documents' empty buckets take the projection of the token whose SimHash is nearest (Hamming). */
  fillEmptyBuckets: boolean;
  /** Seeds the hyperplanes and projections: the same seed gives the same encodings. */
  seed: number;
}

export interface MultivectorSetting {
  /** Dimension of each token vector (the collection's rows hold the encodings instead). */
  dimension: number;
  muvera: MuveraConfig;
  /** Token pooling factor: a document of n vectors keeps ceil(n / factor) (1: no pooling). */
  pooling: number;
}

export const MUVERA_DEFAULTS: MuveraConfig = {
  simhashBits: 3,
  projectionDimension: 32,
  repetitions: 20,
  finalDimension: 0,
  fillEmptyBuckets: true,
  seed: 42,
};

export const MULTIVECTOR_LIMITS = {
  simhashBitsMax: 8,
  repetitionsMax: 64,
  /** Dimensions of an encoding (R_reps · 2^k_sim · d_proj, or d_final). */
  encodingDimensionMax: 16_384,
  poolingMax: 16,
} as const;

/** Dimensions of the encodings a configuration makes. */
export function encodingDimension(config: MuveraConfig): number {
  return config.finalDimension > 0 ? config.finalDimension : config.repetitions * (1 << config.simhashBits) * config.projectionDimension;
}

function whole(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QuiverError('INVALID_ARGUMENT', `${field} is a whole number from ${min} to ${max}; got ${JSON.stringify(value) ?? String(value)}.`, { field, minimum: min, maximum: max });
  }
  return value;
}

/**
 * Validates a createCollection's multi-vector options against the token dimension; unknown fields and
 * out-of-range values are INVALID_ARGUMENT naming the field.
 */
export function resolveMultivector(dimension: number, muvera: unknown, pooling: unknown): MultivectorSetting {
  if (muvera !== undefined && (typeof muvera !== 'object' || muvera === null || Array.isArray(muvera))) {
    throw new QuiverError('INVALID_ARGUMENT', 'muvera is an object such as { simhashBits: 3, projectionDimension: 32, repetitions: 20 }.', { field: 'muvera' });
  }
  const given = (muvera ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in MUVERA_DEFAULTS)) {
      throw new QuiverError('INVALID_ARGUMENT', `Unknown field "muvera.${key}". Known fields: ${Object.keys(MUVERA_DEFAULTS).join(', ')}.`, { field: `muvera.${key}` });
    }
  }
  const config: MuveraConfig = {
    simhashBits: whole(given.simhashBits ?? MUVERA_DEFAULTS.simhashBits, 'muvera.simhashBits', 0, MULTIVECTOR_LIMITS.simhashBitsMax),
    projectionDimension: whole(given.projectionDimension ?? Math.min(MUVERA_DEFAULTS.projectionDimension, dimension), 'muvera.projectionDimension', 1, dimension),
    repetitions: whole(given.repetitions ?? MUVERA_DEFAULTS.repetitions, 'muvera.repetitions', 1, MULTIVECTOR_LIMITS.repetitionsMax),
    finalDimension: whole(given.finalDimension ?? 0, 'muvera.finalDimension', 0, MULTIVECTOR_LIMITS.encodingDimensionMax),
    fillEmptyBuckets: given.fillEmptyBuckets ?? MUVERA_DEFAULTS.fillEmptyBuckets,
    seed: whole(given.seed ?? MUVERA_DEFAULTS.seed, 'muvera.seed', 0, 0xffffffff),
  } as MuveraConfig;
  if (typeof config.fillEmptyBuckets !== 'boolean') {
    throw new QuiverError('INVALID_ARGUMENT', 'muvera.fillEmptyBuckets is true or false.', { field: 'muvera.fillEmptyBuckets' });
  }
  const raw = config.repetitions * (1 << config.simhashBits) * config.projectionDimension;
  if (raw > MULTIVECTOR_LIMITS.encodingDimensionMax * 4 || encodingDimension(config) > MULTIVECTOR_LIMITS.encodingDimensionMax) {
    throw new QuiverError(
      'LIMIT_EXCEEDED',
      `The encoding would have ${raw} dimensions (repetitions ${config.repetitions} x 2^simhashBits ${1 << config.simhashBits} x projectionDimension ${config.projectionDimension}); the limit is ${MULTIVECTOR_LIMITS.encodingDimensionMax} (${MULTIVECTOR_LIMITS.encodingDimensionMax * 4} before a finalDimension projection). Use fewer repetitions or bits, a smaller projectionDimension, or set finalDimension.`,
      { limit: 'encodingDimensionMax', received: raw, maximum: MULTIVECTOR_LIMITS.encodingDimensionMax },
    );
  }
  return { dimension, muvera: config, pooling: whole(pooling ?? 1, 'pooling', 1, MULTIVECTOR_LIMITS.poolingMax) };
}
