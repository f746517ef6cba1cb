/**
 * A random orthogonal rotation of R^D (D a multiple of 64) that costs O(D log D) to apply and a few bits
 * per dimension to store — the structured rotation the RaBitQ authors' library uses in place of a dense
 * random matrix (FhtKacRotator). Each of `rounds` rounds:
 *   1. flips the sign of every coordinate whose random sign bit is set,
 *   2. applies the orthonormal Walsh–Hadamard transform to a block of T = 2^⌊log2 D⌋ coordinates, the
 *      first T in even rounds and the last T in odd rounds (overlapping when D is not a power of two),
 *   3. when T < D, mixes the two halves: (a, b) -> ((a + b)/√2, (a − b)/√2) for pairs (i, i + D/2).
 * Every step is orthogonal, so the rotation preserves norms and inner products. A dense D × D matrix
 * would cost D² per vector and D² floats of parameters (2.4 MB at D = 768).
 */
import { Prng } from '../lib/prng.js';

export class FhtKacRotation {
  readonly size: number;
  readonly rounds: number;
  /** rounds × size sign bits: bit i of round r at byte r·size/8 + ⌊i/8⌋, bit i mod 8. */
  readonly signs: Uint8Array;
  private readonly block: number;

  constructor(size: number, rounds: number, signs: Uint8Array) {
    this.size = size;
    this.rounds = rounds;
    this.signs = signs;
    this.block = 1 << Math.floor(Math.log2(size));
  }

  static random(size: number, rounds: number, seed: number): FhtKacRotation {
    const rng = new Prng(seed);
    const signs = new Uint8Array((rounds * size) / 8);
    for (let i = 0; i < signs.length; i++) signs[i] = rng.u32() & 0xff;
    return new FhtKacRotation(size, rounds, signs);
  }

  /** x ← R x, in place (x has `size` entries). */
  rotate(x: Float64Array): void {
    for (let r = 0; r < this.rounds; r++) {
      this.flip(x, r);
      this.hadamard(x, r % 2 === 0 ? 0 : this.size - this.block);
      if (this.block < this.size) this.butterfly(x);
    }
  }

  /** x ← Rᵀ x, in place: the steps in reverse (each step is its own inverse). */
  inverse(x: Float64Array): void {
    for (let r = this.rounds - 1; r >= 0; r--) {
      if (this.block < this.size) this.butterfly(x);
      this.hadamard(x, r % 2 === 0 ? 0 : this.size - this.block);
      this.flip(x, r);
    }
  }

  private flip(x: Float64Array, round: number): void {
    const base = (round * this.size) >> 3;
    for (let i = 0; i < this.size; i++) if ((this.signs[base + (i >> 3)] >> (i & 7)) & 1) x[i] = -x[i];
  }

  /** Orthonormal fast Walsh–Hadamard transform of x[start, start + block). */
  private hadamard(x: Float64Array, start: number): void {
    const n = this.block;
    for (let h = 1; h < n; h <<= 1) {
      for (let i = start; i < start + n; i += h << 1) {
        for (let j = i; j < i + h; j++) {
          const a = x[j];
          const b = x[j + h];
          x[j] = a + b;
          x[j + h] = a - b;
        }
      }
    }
    const scale = 1 / Math.sqrt(n);
    for (let i = start; i < start + n; i++) x[i] *= scale;
  }

  private butterfly(x: Float64Array): void {
    const half = this.size >> 1;
    for (let i = 0; i < half; i++) {
      const a = x[i];
      const b = x[i + half];
      x[i] = (a + b) * Math.SQRT1_2;
      x[i + half] = (a - b) * Math.SQRT1_2;
    }
  }
}
