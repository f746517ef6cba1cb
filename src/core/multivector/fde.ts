/**
 * MUVERA's Fixed Dimensional Encodings (Dhulipala et al. 2024): one vector per set of vectors whose inner
 * product approximates Chamfer (MaxSim) similarity, so any single-vector index can find candidates.
 *
 * Per repetition r (R_reps of them, concatenated):
 *   - SimHash: k_sim Gaussian hyperplanes; a vector's bucket is its sign pattern (bit j = side of plane j),
 *     2^k_sim buckets;
 *   - a query's block for bucket b is the SUM of its vectors in b; a document's is their AVERAGE, so the
 *     block inner product is Σ_q q·(average of the document's vectors near q), MaxSim's shape;
 *   - a document's empty bucket takes the vector whose sign pattern is nearest in Hamming distance
 *     (otherwise query vectors falling there would score 0);
 *   - each block is projected to d_proj dimensions by a random ±1/√d_proj matrix (none when d_proj = d).
 *     Projection is linear, so bucket sums are projected once instead of every vector.
 * An optional final count-sketch projection maps the R_reps · 2^k_sim · d_proj dimensions to d_final.
 * Everything is drawn from the seed: the same configuration always encodes the same way.
 */
import { Prng } from '../lib/prng.js';
import type { MuveraConfig } from './config.js';
import { normal } from './prng-normal.js';

export class FdeEncoder {
  readonly dimension: number;
  readonly config: MuveraConfig;
  /** Dimensions of an encoding. */
  readonly outputDimension: number;
  private readonly buckets: number;
  private readonly blockDimension: number;
  /** R x k_sim x d hyperplane normals. */
  private readonly planes: Float32Array;
  /** R x d_proj x d projection rows (empty when d_proj = d: no projection). */
  private readonly projections: Float32Array;
  /** Final count sketch: target coordinate and sign per raw coordinate (empty without d_final). */
  private readonly sketchTarget: Uint32Array;
  private readonly sketchSign: Float32Array;

  constructor(dimension: number, config: MuveraConfig) {
    this.dimension = dimension;
    this.config = config;
    this.buckets = 1 << config.simhashBits;
    const projected = config.projectionDimension < dimension;
    this.blockDimension = projected ? config.projectionDimension : dimension;
    const prng = new Prng(config.seed);
    const R = config.repetitions;
    this.planes = new Float32Array(R * config.simhashBits * dimension);
    for (let i = 0; i < this.planes.length; i++) this.planes[i] = normal(prng);
    this.projections = new Float32Array(projected ? R * config.projectionDimension * dimension : 0);
    const scale = 1 / Math.sqrt(config.projectionDimension);
    for (let i = 0; i < this.projections.length; i++) this.projections[i] = prng.u32() & 1 ? scale : -scale;
    const raw = R * this.buckets * this.blockDimension;
    const final = config.finalDimension;
    this.sketchTarget = new Uint32Array(final > 0 ? raw : 0);
    this.sketchSign = new Float32Array(final > 0 ? raw : 0);
    for (let i = 0; i < this.sketchTarget.length; i++) {
      this.sketchTarget[i] = prng.int(final);
      this.sketchSign[i] = prng.u32() & 1 ? 1 : -1;
    }
    this.outputDimension = final > 0 ? final : raw;
  }

  /** A query's encoding: per-bucket sums. `tokens` packs `count` rows of `dimension`. */
  encodeQuery(tokens: Float32Array, count: number): Float32Array {
    return this.encode(tokens, count, false);
  }

  /** A document's encoding: per-bucket averages, empty buckets filled (unless configured off). */
  encodeDocument(tokens: Float32Array, count: number): Float32Array {
    return this.encode(tokens, count, true);
  }

  private encode(tokens: Float32Array, count: number, document: boolean): Float32Array {
    const d = this.dimension;
    const { simhashBits: k, repetitions: R } = this.config;
    const B = this.buckets;
    const p = this.blockDimension;
    const raw = new Float32Array(R * B * p);
    const sketches = new Uint32Array(count);
    const sums = new Float64Array(B * d);
    const sizes = new Uint32Array(B);
    const bucketVector = new Float32Array(d);
    for (let r = 0; r < R; r++) {
      sums.fill(0);
      sizes.fill(0);
      for (let t = 0; t < count; t++) {
        const at = t * d;
        let bits = 0;
        for (let j = 0; j < k; j++) {
          const plane = (r * k + j) * d;
          let dot = 0;
          for (let i = 0; i < d; i++) dot += this.planes[plane + i] * tokens[at + i];
          if (dot > 0) bits |= 1 << j;
        }
        sketches[t] = bits;
        sizes[bits]++;
        const sumAt = bits * d;
        for (let i = 0; i < d; i++) sums[sumAt + i] += tokens[at + i];
      }
      for (let b = 0; b < B; b++) {
        const out = (r * B + b) * p;
        if (sizes[b] > 0) {
          const scale = document ? 1 / sizes[b] : 1;
          for (let i = 0; i < d; i++) bucketVector[i] = sums[b * d + i] * scale;
        } else if (document && this.config.fillEmptyBuckets && count > 0) {
          const nearest = nearestSketch(sketches, count, b);
          bucketVector.set(tokens.subarray(nearest * d, (nearest + 1) * d));
        } else {
          continue;
        }
        this.project(r, bucketVector, raw, out);
      }
    }
    if (this.config.finalDimension === 0) return raw;
    const out = new Float32Array(this.config.finalDimension);
    for (let i = 0; i < raw.length; i++) out[this.sketchTarget[i]] += this.sketchSign[i] * raw[i];
    return out;
  }

  /** out[at .. at + blockDimension) = repetition r's projection of v (a copy without projection). */
  private project(r: number, v: Float32Array, out: Float32Array, at: number): void {
    const d = this.dimension;
    if (this.projections.length === 0) {
      out.set(v, at);
      return;
    }
    const p = this.config.projectionDimension;
    for (let j = 0; j < p; j++) {
      const row = (r * p + j) * d;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += this.projections[row + i] * v[i];
      out[at + j] = dot;
    }
  }
}

/** The first token whose sketch is nearest to `bucket` in Hamming distance. */
function nearestSketch(sketches: Uint32Array, count: number, bucket: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let t = 0; t < count; t++) {
    const distance = popcount(sketches[t] ^ bucket);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = t;
    }
  }
  return best;
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}
