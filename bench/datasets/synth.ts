/**
 * synth-768: deterministic stand-in for sentence embeddings (see docs/benchmarks.md).
 *
 * A mixture of `clusters` Gaussian clusters in a `latent`-d space (uneven cluster sizes and spreads, a
 * decaying spectrum over the latent axes, a shared offset so vectors sit in a cone as real embeddings
 * do) is lifted to `dim` by a fixed random linear map A, plus small isotropic noise, then normalised;
 * cosine. In-distribution queries are drawn the same way. Out-of-distribution queries draw the latent
 * point from the same mixture but lift it through a different map B = A + perturbation plus a fixed
 * "modality gap" offset (like text queries against image embeddings).
 * Vectors, queries and exact ground truth are cached under bench/data/, keyed by the parameters.
 */
import path from 'node:path';
import { spreadIds } from '../lib/measure.js';
import { Rng } from '../lib/rng.js';
import { cacheDir, readArray, writeArray } from './cache.js';
import { loadOrComputeGroundTruth } from './ground-truth.js';
import type { Dataset, DatasetSpec } from './types.js';

export interface SynthParams {
  count: number;
  dim: number;
  latent: number;
  clusters: number;
  queriesIn: number;
  queriesOod: number;
  /** per-coordinate noise std in the output space, relative to the mean signal coordinate */
  noise: number;
  /** relative size of B - A for out-of-distribution queries */
  oodPerturbation: number;
  /** norm of the OOD offset, relative to the mean signal norm */
  oodGap: number;
  seed: number;
  version: number; // bump when the generator changes
}

export const SYNTH_768: SynthParams = {
  count: 100_000,
  dim: 768,
  latent: 48,
  clusters: 200,
  queriesIn: 1_000,
  queriesOod: 1_000,
  noise: 0.2,
  oodPerturbation: 0.6,
  oodGap: 0.5,
  seed: 768,
  version: 1,
};

interface Mixture {
  centres: Float64Array; // clusters x latent
  spreads: Float64Array; // clusters
  cdf: Float64Array; // cumulative cluster weights
  scale: Float64Array; // latent axis scales (decaying spectrum)
}

function makeMixture(p: SynthParams, rng: Rng): Mixture {
  const { latent, clusters } = p;
  const scale = new Float64Array(latent);
  for (let i = 0; i < latent; i++) scale[i] = 1 / Math.sqrt(1 + i / 6);
  const shared = new Float64Array(latent);
  rng.fillNormal(shared, 0.8);
  const centres = new Float64Array(clusters * latent);
  for (let c = 0; c < clusters; c++)
    for (let i = 0; i < latent; i++) centres[c * latent + i] = shared[i] + rng.normal();
  const spreads = new Float64Array(clusters);
  const cdf = new Float64Array(clusters);
  let total = 0;
  for (let c = 0; c < clusters; c++) {
    spreads[c] = 0.35 + 0.35 * rng.uniform();
    total += Math.exp(rng.normal()); // log-normal cluster sizes
    cdf[c] = total;
  }
  for (let c = 0; c < clusters; c++) cdf[c] /= total;
  return { centres, spreads, cdf, scale };
}

function randomMap(p: SynthParams, rng: Rng): Float64Array {
  const a = new Float64Array(p.dim * p.latent); // row-major: dim rows of `latent`
  rng.fillNormal(a, 1 / Math.sqrt(p.latent));
  return a;
}

/** Draws `n` unit vectors: latent z from the mixture, x = map z + offset + noise, normalised. */
function draw(
  p: SynthParams,
  n: number,
  mix: Mixture,
  map: Float64Array,
  offset: Float64Array | null,
  rng: Rng,
): Float32Array {
  const { dim, latent } = p;
  const out = new Float32Array(n * dim);
  const z = new Float64Array(latent);
  const x = new Float64Array(dim);
  const noiseStd = p.noise / Math.sqrt(dim) * signalNorm(mix);
  for (let v = 0; v < n; v++) {
    const u = rng.uniform();
    let c = 0;
    while (c < mix.cdf.length - 1 && mix.cdf[c] < u) c++;
    for (let i = 0; i < latent; i++) z[i] = (mix.centres[c * latent + i] + mix.spreads[c] * rng.normal()) * mix.scale[i];
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      let s = offset ? offset[d] : 0;
      const row = d * latent;
      for (let i = 0; i < latent; i++) s += map[row + i] * z[i];
      s += noiseStd * rng.normal();
      x[d] = s;
      norm += s * s;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[v * dim + d] = x[d] * inv;
  }
  return out;
}

/** Typical |z| of the mixture (the map roughly preserves norms): used to size the noise and the OOD gap. */
function signalNorm(mix: Mixture): number {
  const latent = mix.scale.length;
  const clusters = mix.spreads.length;
  let s = 0;
  for (let c = 0; c < clusters; c++)
    for (let i = 0; i < latent; i++) {
      const m = mix.centres[c * latent + i];
      s += (m * m + mix.spreads[c] ** 2) * mix.scale[i] ** 2;
    }
  return Math.sqrt(s / clusters);
}

/**
 * `count` out-of-distribution queries that are not among a synth dataset's own (the generator's OOD
 * stream past its first `queriesOod` rows): LeanVec-OOD's training sample, never timed.
 */
export function synthOodTrainingQueries(ds: Dataset, count: number): Float32Array {
  const ood = ds.querySets.find((s) => s.name === 'ood');
  if (ood === undefined) throw new Error(`${ds.name} has no OOD queries`);
  const D = ds.dimension;
  const all = generateSynth({ ...SYNTH_768, count: 0, queriesIn: 0, queriesOod: ood.count + count }).queriesOod;
  for (let i = 0; i < D; i++) if (all[i] !== ood.vectors[i]) throw new Error('synth-768 query generator changed: the cached OOD queries are not its first rows');
  return all.slice(ood.count * D);
}

export function generateSynth(p: SynthParams): { base: Float32Array; queriesIn: Float32Array; queriesOod: Float32Array } {
  const rng = new Rng(p.seed);
  const mix = makeMixture(p, rng);
  const a = randomMap(p, rng);
  // The OOD map: A plus an independent perturbation, and a fixed offset (the modality gap).
  const b = randomMap(p, rng);
  for (let i = 0; i < b.length; i++) b[i] = a[i] + p.oodPerturbation * b[i];
  const gap = new Float64Array(p.dim);
  rng.fillNormal(gap, (p.oodGap * signalNorm(mix)) / Math.sqrt(p.dim));
  // Independent streams so changing one count does not change the other sets.
  const base = draw(p, p.count, mix, a, null, new Rng(p.seed * 31 + 1));
  const queriesIn = draw(p, p.queriesIn, mix, a, null, new Rng(p.seed * 31 + 2));
  const queriesOod = draw(p, p.queriesOod, mix, b, gap, new Rng(p.seed * 31 + 3));
  return { base, queriesIn, queriesOod };
}

function loadOrGenerate(name: string, p: SynthParams, dir: string) {
  const files = { base: path.join(dir, 'base.f32'), queriesIn: path.join(dir, 'queries-in.f32'), queriesOod: path.join(dir, 'queries-ood.f32') };
  const base = readArray(files.base, Float32Array);
  const queriesIn = readArray(files.queriesIn, Float32Array);
  const queriesOod = readArray(files.queriesOod, Float32Array);
  if (base && queriesIn && queriesOod) return { base, queriesIn, queriesOod };
  const t0 = performance.now();
  const data = generateSynth(p);
  for (const key of ['base', 'queriesIn', 'queriesOod'] as const) writeArray(files[key], data[key]);
  console.log(`  generated ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${dir})`);
  return data;
}

export interface SynthOptions {
  /**
   * Ground truth for only this many queries of each set (spread evenly, lib/measure.ts spreadIds), and the
   * query sets cut to them: for the 1M-vector set, where exact search over every query is slow.
   */
  gtQueries?: number;
}

export function synthDataset(name: string, p: SynthParams, opts: SynthOptions = {}): DatasetSpec {
  return {
    name,
    async load(): Promise<Dataset> {
      const dir = cacheDir(name, p);
      const { base, queriesIn, queriesOod } = loadOrGenerate(name, p, dir);
      const sets = [
        { name: 'in-dist', label: 'in', vectors: queriesIn, count: p.queriesIn },
        { name: 'ood', label: 'ood', vectors: queriesOod, count: p.queriesOod },
      ].filter((s) => s.count > 0);
      const querySets = sets.map((s) => {
        if (opts.gtQueries === undefined || opts.gtQueries >= s.count) {
          return { name: s.name, vectors: s.vectors, count: s.count, gt: loadOrComputeGroundTruth(dir, s.label, base, s.vectors, p.dim, 'cosine') };
        }
        const ids = spreadIds(s.count, opts.gtQueries);
        const vectors = new Float32Array(ids.length * p.dim);
        ids.forEach((q, j) => vectors.set(s.vectors.subarray(q * p.dim, (q + 1) * p.dim), j * p.dim));
        const gt = loadOrComputeGroundTruth(dir, `${s.label}-${ids.length}of${s.count}`, base, vectors, p.dim, 'cosine');
        return { name: s.name, vectors, count: ids.length, gt };
      });
      const q = querySets.map((s) => `${s.count} ${s.name}`).join(' + ');
      return {
        name,
        description: `${p.count} x ${p.dim} unit vectors (${p.clusters} clusters in ${p.latent}-d, seed ${p.seed}), ${q} queries, cosine`,
        metric: 'cosine',
        dimension: p.dim,
        base,
        count: p.count,
        querySets,
      };
    },
  };
}
