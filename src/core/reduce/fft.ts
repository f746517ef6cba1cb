/**
 * FFT reduction ("Dimensionality Reduction in Sentence Transformer Vector Databases with Fast Fourier
 * Transform", Bulgakov & Segal): treat an embedding as a signal of D samples, take its discrete Fourier
 * transform and keep a band of coefficients.
 *
 * We use the orthonormal REAL DFT: the D real basis functions
 *   j = 0            DC          1/√D
 *   j = 2k − 1       cos k       √(2/D) · cos(2π k n / D)     k = 1 .. ⌈D/2⌉ − 1
 *   j = 2k           sin k       √(2/D) · sin(2π k n / D)
 *   j = D − 1, D even  Nyquist   (−1)ⁿ / √D                   (k = D/2)
 * (coefficient j has frequency ⌊(j + 1)/2⌋). They form an orthonormal basis of R^D, so with every
 * coefficient kept inner products, distances and norms are exactly those of the input (Parseval), and a
 * band is an orthogonal projection: reduced inner products are the inner products of the projections.
 * The paper keeps the magnitudes |c_k| of the complex coefficients instead; that drops the phase, is not
 * linear, and does not preserve inner products even with every coefficient, so we keep the real and
 * imaginary parts (the cos and sin coefficients) instead.
 *
 * The band: 'low' keeps the d lowest-frequency coefficients, the paper's low-pass choice; 'energy' keeps
 * the d coefficients with the most mean energy on the sample, a data-driven band for embeddings whose
 * coordinates have no natural order (then the "low frequencies" mean nothing in particular).
 *
 * The transform is the d × D basis matrix applied like any other linear reducer (D·d multiply-adds per
 * vector, the same as PCA's), not an FFT: at d = D/4 a mixed-radix FFT of the D = 768 or 784 inputs would
 * save at most about 4x per vector, and the map is then exactly the same code as the other reducers'.
 */
import { assert } from '../lib/assert.js';
import type { Rows } from './linalg.js';
import { project } from './project.js';

/** The frequency of basis function j. */
export function frequencyOf(j: number): number {
  return (j + 1) >> 1;
}

/** Basis function j of the orthonormal real DFT of length D, at sample n. */
function basisValue(D: number, j: number, n: number): number {
  if (j === 0) return 1 / Math.sqrt(D);
  const k = frequencyOf(j);
  if (2 * k === D) return (n % 2 === 0 ? 1 : -1) / Math.sqrt(D);
  // Reduce k·n modulo D before scaling, so the angle stays in [0, 2π) and keeps its precision at any D.
  const angle = (2 * Math.PI * ((k * n) % D)) / D;
  return Math.sqrt(2 / D) * (j % 2 === 1 ? Math.cos(angle) : Math.sin(angle));
}

/** Rows = the basis functions `coefficients` (ascending, < D): a d × D float32 matrix. */
export function realDftBasis(D: number, coefficients: Uint32Array): Float32Array {
  const d = coefficients.length;
  const out = new Float32Array(d * D);
  for (let r = 0; r < d; r++) {
    const j = coefficients[r];
    assert(j < D && (r === 0 || j > coefficients[r - 1]), 'FFT coefficients must be ascending and below D');
    for (let n = 0; n < D; n++) out[r * D + n] = basisValue(D, j, n);
  }
  return out;
}

/** The lowest-frequency band of d coefficients: 0 .. d − 1. */
export function lowBand(d: number): Uint32Array {
  return Uint32Array.from({ length: d }, (_, j) => j);
}

/** Sample rows used to estimate coefficient energies: enough for a stable ranking, cheap at D². */
const ENERGY_ROWS_MAX = 4096;

/**
 * The d coefficients with the most energy (mean square over the sample; at most ENERGY_ROWS_MAX rows,
 * spread evenly over it), ascending. Ties go to the lower frequency.
 */
export function energyBand(sample: Rows, d: number): Uint32Array {
  const D = sample.dimension;
  const energy = coefficientEnergy(sample);
  const order = Array.from({ length: D }, (_, j) => j).sort((a, b) => energy[b] - energy[a] || a - b);
  return Uint32Array.from(order.slice(0, d)).sort();
}

/** Mean squared value of every coefficient over (a spread subset of) the sample. */
export function coefficientEnergy(sample: Rows): Float64Array {
  const D = sample.dimension;
  const basis = realDftBasis(D, Uint32Array.from({ length: D }, (_, j) => j));
  const rows = Math.min(sample.count, ENERGY_ROWS_MAX);
  const energy = new Float64Array(D);
  const chunk = 64;
  const input = new Float32Array(chunk * D);
  const coefficients = new Float32Array(chunk * D);
  for (let first = 0; first < rows; first += chunk) {
    const n = Math.min(chunk, rows - first);
    for (let r = 0; r < n; r++) {
      const row = Math.floor(((first + r) * sample.count) / rows);
      input.set(sample.data.subarray(row * D, row * D + D), r * D);
    }
    project(basis, D, D, input, n, coefficients);
    for (let r = 0; r < n; r++) for (let j = 0; j < D; j++) energy[j] += coefficients[r * D + j] ** 2;
  }
  if (rows > 0) for (let j = 0; j < D; j++) energy[j] /= rows;
  return energy;
}
