/**
 * A fitted reducer's bytes (docs/formats.md, "Reducer parameters"). Little-endian. Meant to be stored
 * inside a checksummed container (a segment or manifest section), so it carries no checksum of its own.
 *
 *   offset  size   field
 *   0       4      magic "QVRD"
 *   4       2      format version (1); a newer one is refused with UNSUPPORTED
 *   6       2      flags (0)
 *   8       1      method: 1 pca, 2 leanvec (ID), 3 leanvec-ood, 4 fft, 5 matryoshka
 *   9       1      metric: 1 l2, 2 dot, 3 cosine
 *   10      1      renormalise reduced vectors to unit length: 0 no, 1 yes (cosine only)
 *   11      1      fft band: 1 low, 2 energy; 0 for the other methods
 *   12      4      input dimension D (1 .. 16384)
 *   16      4      reduced dimension d (1 .. D)
 *   20      4      sample rows the fit used
 *   24      4      training queries the fit used (leanvec-ood; else 0)
 *   28      8      f64 retained: the fraction of the sample's energy kept at fit (0..1), NaN when not measured
 *   36      ...    body, by method (f32 / f64 / u32 arrays, row-major):
 *     pca          D f32 mean; d·D f32 components (rows); d f64 variances; f64 total variance
 *     leanvec      d·D f32 components (rows); d f64 second moments; f64 total second moment
 *     leanvec-ood  d·D f32 query map; d·D f32 database map; f64 relative inner-product error
 *     fft          d u32 coefficient indices, strictly ascending, < D (the basis is recomputed from them)
 *     matryoshka   nothing
 *   end            nothing follows.
 *
 * The decoder trusts nothing: the length must be exactly what the header implies, every float finite
 * (the retained field may be NaN), every count and index in range, so a decoded reducer cannot fail or
 * produce NaN later. Damage is a QuiverError CORRUPTED with { file, offset }.
 */
import { QuiverError } from '../errors.js';
import { LIMITS } from '../lib/limits.js';
import type { ReducerParts } from './fitted.js';
import type { ReduceMethod, ReduceMetric } from './reducer.js';

const MAGIC = 0x44525651; // "QVRD" read as a little-endian u32
export const REDUCER_FORMAT_VERSION = 1;
const HEADER_BYTES = 36;
const METHODS: ReduceMethod[] = ['pca', 'leanvec', 'leanvec-ood', 'fft', 'matryoshka'];
const METRICS: ReduceMetric[] = ['l2', 'dot', 'cosine'];

function bodyBytes(method: ReduceMethod, D: number, d: number): number {
  switch (method) {
    case 'pca':
      return 4 * D + 4 * d * D + 8 * d + 8;
    case 'leanvec':
      return 4 * d * D + 8 * d + 8;
    case 'leanvec-ood':
      return 8 * d * D + 8;
    case 'fft':
      return 4 * d;
    case 'matryoshka':
      return 0;
  }
}

export function encodeReducer(parts: ReducerParts): Uint8Array {
  const D = parts.inputDimension;
  const d = parts.dimension;
  const bytes = new Uint8Array(HEADER_BYTES + bodyBytes(parts.method, D, d));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, REDUCER_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  bytes[8] = METHODS.indexOf(parts.method) + 1;
  bytes[9] = METRICS.indexOf(parts.metric) + 1;
  bytes[10] = Number(parts.renormalize);
  bytes[11] = parts.method === 'fft' ? (parts.band === 'low' ? 1 : 2) : 0;
  view.setUint32(12, D, true);
  view.setUint32(16, d, true);
  view.setUint32(20, parts.fit.sampleCount, true);
  view.setUint32(24, parts.fit.queryCount, true);
  view.setFloat64(28, parts.fit.retained, true);
  let at = HEADER_BYTES;
  const f32s = (values: Float32Array): void => {
    for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i], true);
  };
  const f64s = (values: ArrayLike<number>): void => {
    for (let i = 0; i < values.length; i++, at += 8) view.setFloat64(at, values[i], true);
  };
  switch (parts.method) {
    case 'pca':
      f32s(parts.mean);
      f32s(parts.components);
      f64s(parts.variances);
      f64s([parts.totalVariance]);
      break;
    case 'leanvec':
      f32s(parts.components);
      f64s(parts.moments);
      f64s([parts.totalMoment]);
      break;
    case 'leanvec-ood':
      f32s(parts.queryMap);
      f32s(parts.databaseMap);
      f64s([parts.relativeError]);
      break;
    case 'fft':
      for (let i = 0; i < d; i++, at += 4) view.setUint32(at, parts.coefficients[i], true);
      break;
    case 'matryoshka':
      break;
  }
  return bytes;
}

function corrupted(what: string, offset: number, message: string): QuiverError {
  return new QuiverError('CORRUPTED', `${what} is damaged at byte ${offset}: ${message}. Train the reducer again (col.optimize()) or restore the file from a backup.`, { file: what, offset });
}

/** The parameters encoded in `bytes`; `what` names the source in errors (a file name). */
export function decodeReducerParts(bytes: Uint8Array, what: string): ReducerParts {
  if (bytes.length < HEADER_BYTES) throw corrupted(what, bytes.length, `reducer parameters need at least ${HEADER_BYTES} bytes, found ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupted(what, 0, 'not reducer parameters (bad magic)');
  const version = view.getUint16(4, true);
  if (version > REDUCER_FORMAT_VERSION) {
    throw new QuiverError('UNSUPPORTED', `${what} holds reducer parameters of format version ${version}; this Quiver reads up to version ${REDUCER_FORMAT_VERSION}. Upgrade quiverdb to open it.`, {
      file: what,
      version,
      supported: REDUCER_FORMAT_VERSION,
    });
  }
  if (version === 0) throw corrupted(what, 4, 'format version 0');
  if (view.getUint16(6, true) !== 0) throw corrupted(what, 6, 'unknown flags');
  const method = METHODS[bytes[8] - 1];
  if (method === undefined) throw corrupted(what, 8, `unknown method ${bytes[8]}`);
  const metric = METRICS[bytes[9] - 1];
  if (metric === undefined) throw corrupted(what, 9, `unknown metric ${bytes[9]}`);
  if (bytes[10] > 1) throw corrupted(what, 10, `renormalise flag ${bytes[10]} is not 0 or 1`);
  const renormalize = bytes[10] === 1;
  if (renormalize && metric !== 'cosine') throw corrupted(what, 10, 'renormalisation without cosine');
  const band = bytes[11];
  if (method === 'fft' ? band !== 1 && band !== 2 : band !== 0) throw corrupted(what, 11, `band ${band} is not valid for ${method}`);
  const D = view.getUint32(12, true);
  if (D < 1 || D > LIMITS.dimensionMax) throw corrupted(what, 12, `input dimension ${D} is out of range`);
  const d = view.getUint32(16, true);
  if (d < 1 || d > D) throw corrupted(what, 16, `reduced dimension ${d} is not in 1..${D}`);
  if (method === 'leanvec-ood' && metric === 'l2') throw corrupted(what, 9, 'leanvec-ood with metric l2');
  const expected = HEADER_BYTES + bodyBytes(method, D, d);
  if (bytes.length !== expected) throw corrupted(what, Math.min(bytes.length, expected), `expected ${expected} bytes for ${method} ${D} -> ${d}, found ${bytes.length}`);
  const sampleCount = view.getUint32(20, true);
  const queryCount = view.getUint32(24, true);
  const retained = view.getFloat64(28, true);
  if (!Number.isNaN(retained) && !(retained >= 0 && retained <= 1)) throw corrupted(what, 28, `retained ${retained} is not a fraction`);
  if (method !== 'leanvec-ood' && queryCount !== 0) throw corrupted(what, 24, 'training queries recorded for a method without them');

  let at = HEADER_BYTES;
  const f32s = (count: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++, at += 4) {
      out[i] = view.getFloat32(at, true);
      if (!Number.isFinite(out[i])) throw corrupted(what, at, 'a parameter is not a finite number');
    }
    return out;
  };
  const f64s = (count: number): Float64Array => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++, at += 8) {
      out[i] = view.getFloat64(at, true);
      if (!Number.isFinite(out[i])) throw corrupted(what, at, 'a parameter is not a finite number');
    }
    return out;
  };
  const common = { metric, inputDimension: D, dimension: d, renormalize, fit: { sampleCount, queryCount, retained } };
  switch (method) {
    case 'pca': {
      const mean = f32s(D);
      const components = f32s(d * D);
      const variances = f64s(d);
      const [totalVariance] = f64s(1);
      return { method, ...common, mean, components, variances, totalVariance };
    }
    case 'leanvec': {
      const components = f32s(d * D);
      const moments = f64s(d);
      const [totalMoment] = f64s(1);
      return { method, ...common, components, moments, totalMoment };
    }
    case 'leanvec-ood': {
      const queryMap = f32s(d * D);
      const databaseMap = f32s(d * D);
      const [relativeError] = f64s(1);
      return { method, ...common, queryMap, databaseMap, relativeError };
    }
    case 'fft': {
      const coefficients = new Uint32Array(d);
      for (let i = 0; i < d; i++, at += 4) {
        coefficients[i] = view.getUint32(at, true);
        if (coefficients[i] >= D || (i > 0 && coefficients[i] <= coefficients[i - 1])) throw corrupted(what, at, 'FFT coefficients must be ascending and below D');
      }
      return { method, ...common, band: band === 1 ? 'low' : 'energy', coefficients };
    }
    case 'matryoshka':
      return { method, ...common };
  }
}
