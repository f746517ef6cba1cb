/**
 * Making quantizers: from an API name (`createQuantizer('lvq4x8', 768)`) or from serialized parameters
 * (`deserializeQuantizer(bytes)`), with every bad parameter rejected as a QuiverError that names it.
 */
import { QuiverError } from '../errors.js';
import { LIMITS } from '../lib/limits.js';
import { BinaryQuantizer } from './binary.js';
import { LvqQuantizer } from './lvq.js';
import { ParamReader, readParamHeader } from './params.js';
import { PqQuantizer } from './pq.js';
import { QUANTIZER_KINDS, type Quantizer, type QuantizerOptions } from './quantizer.js';
import { RABITQ_DEFAULT_SEED, RabitqQuantizer, rabitqSize } from './rabitq.js';
import { FhtKacRotation } from './rotation.js';
import { Sq8Quantizer } from './sq8.js';

export type { Quantizer, QuantizerName, QuantizerOptions, ReconstructionBound } from './quantizer.js';
export { BinaryQuantizer } from './binary.js';
export { CodeArena } from './code-arena.js';
export { LvqQuantizer } from './lvq.js';
export { PqQuantizer } from './pq.js';
export { RabitqQuantizer } from './rabitq.js';
export { Sq8Quantizer } from './sq8.js';

const NAMES = "'sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary', 'rabitq' or 'pq<m>x<bits>'";

function invalid(message: string, details: Record<string, unknown>): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, details);
}

/** A fresh, untrained quantizer. */
export function createQuantizer(name: string, dimension: number, options: QuantizerOptions = {}): Quantizer {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > LIMITS.dimensionMax) {
    throw invalid(`A quantizer's dimension is a whole number from 1 to ${LIMITS.dimensionMax}; got ${String(dimension)}.`, { field: 'dimension', received: dimension });
  }
  const seed = options.seed;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    throw invalid(`quantizer seed is a whole number from 0 to 2^32 − 1; got ${String(seed)}.`, { field: 'seed', received: seed });
  }
  const iterations = options.iterations;
  if (iterations !== undefined && (!Number.isInteger(iterations) || iterations < 0 || iterations > 1000)) {
    throw invalid(`PQ iterations is a whole number from 0 to 1000; got ${String(iterations)}.`, { field: 'iterations', received: iterations });
  }
  switch (name) {
    case 'sq8':
      return new Sq8Quantizer(dimension);
    case 'lvq8':
      return new LvqQuantizer(dimension, 8, 0);
    case 'lvq4':
      return new LvqQuantizer(dimension, 4, 0);
    case 'lvq4x8':
      return new LvqQuantizer(dimension, 4, 8);
    case 'lvq8x8':
      return new LvqQuantizer(dimension, 8, 8);
    case 'binary':
      return new BinaryQuantizer(dimension);
    case 'rabitq':
      return RabitqQuantizer.create(dimension, seed ?? RABITQ_DEFAULT_SEED);
  }
  const pq = typeof name === 'string' ? name.match(/^pq([1-9][0-9]*)x([1-9][0-9]*)$/) : null;
  if (!pq) throw invalid(`Unknown quantizer ${JSON.stringify(name)}; use ${NAMES}.`, { field: 'quantize', received: name });
  const m = Number(pq[1]);
  const bits = Number(pq[2]);
  if (bits !== 4 && bits !== 8) throw invalid(`PQ codes have 4 or 8 bits per sub-space; got ${bits} in ${JSON.stringify(name)}.`, { field: 'quantize', received: name });
  if (m > dimension || m > 65535) {
    throw invalid(`PQ splits the ${dimension} dimensions into m sub-spaces, so m is at most ${Math.min(dimension, 65535)}; got ${m} in ${JSON.stringify(name)}.`, { field: 'quantize', received: name });
  }
  return new PqQuantizer(dimension, m, bits, { seed, iterations, backend: options.backend });
}

/**
 * A trained quantizer from serialize() bytes. Damaged bytes are CORRUPTED naming `what`; a layout from
 * a newer quiverdb is UNSUPPORTED.
 */
export function deserializeQuantizer(bytes: Uint8Array, what = 'quantizer parameters', options: Pick<QuantizerOptions, 'backend'> = {}): Quantizer {
  const r = new ParamReader(bytes, what);
  const { kind, dimension } = readParamHeader(r);
  if (dimension < 1 || dimension > LIMITS.dimensionMax) throw r.corrupted(`dimension ${dimension} is out of range`);
  let quantizer: Quantizer;
  switch (kind) {
    case QUANTIZER_KINDS.sq8: {
      const lower = r.f32s(dimension);
      const step = r.f32s(dimension);
      if (step.some((s) => s < 0)) throw r.corrupted('a negative SQ8 step');
      quantizer = new Sq8Quantizer(dimension, lower, step);
      break;
    }
    case QUANTIZER_KINDS.lvq: {
      const bits = r.u8();
      const residual = r.u8();
      r.u16();
      if ((bits !== 4 && bits !== 8) || (residual !== 0 && residual !== 8)) throw r.corrupted(`LVQ bits ${bits}x${residual}`);
      quantizer = new LvqQuantizer(dimension, bits, residual, r.f32s(dimension));
      break;
    }
    case QUANTIZER_KINDS.binary: {
      const mean = r.f32s(dimension);
      quantizer = new BinaryQuantizer(dimension, mean, r.f32s(dimension));
      break;
    }
    case QUANTIZER_KINDS.pq: {
      const m = r.u16();
      const bits = r.u8();
      r.u8();
      if ((bits !== 4 && bits !== 8) || m < 1 || m > dimension) throw r.corrupted(`PQ m=${m} bits=${bits} for dimension ${dimension}`);
      const shape = new PqQuantizer(dimension, m, bits);
      quantizer = new PqQuantizer(dimension, m, bits, { backend: options.backend }, r.f32s(shape.codebookFloats));
      break;
    }
    case QUANTIZER_KINDS.rabitq: {
      const size = r.u32();
      const rounds = r.u8();
      r.u8();
      r.u16();
      if (size !== rabitqSize(dimension) || rounds < 1) throw r.corrupted(`RaBitQ size ${size} and ${rounds} rounds for dimension ${dimension}`);
      const centroid = r.f32s(dimension);
      const rotation = new FhtKacRotation(size, rounds, r.raw((rounds * size) / 8));
      quantizer = new RabitqQuantizer(dimension, rotation, centroid);
      break;
    }
    default:
      throw r.corrupted(`unknown quantizer kind ${kind}`);
  }
  r.end();
  return quantizer;
}
