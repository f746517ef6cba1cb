/**
 * A small seeded PRNG (sfc32, seeded through splitmix32), because core may not use Math.random: every
 * random choice (graph construction, sampling, fault injection in tests) must replay from its seed.
 * Not cryptographic.
 */
import { assert } from './assert.js';

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    assert(Number.isFinite(seed), `Prng seed must be a finite number: ${seed}`);
    // splitmix32 spreads any seed (0, 1, 2, ...) over the whole state, so nearby seeds give unrelated streams.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // sfc32's first outputs are weakly mixed; discarding a few is the usual remedy.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n), n a positive integer up to 2^32. */
  int(n: number): number {
    assert(Number.isInteger(n) && n > 0 && n <= 0x1_0000_0000, `Prng.int bound must be an integer in [1, 2^32]: ${n}`);
    return Math.floor(this.next() * n);
  }
}
