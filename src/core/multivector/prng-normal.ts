import type { Prng } from '../lib/prng.js';

/** A standard normal draw (Box–Muller over the seeded PRNG): SimHash hyperplanes are Gaussian. */
export function normal(prng: Prng): number {
  let u = prng.next();
  while (u === 0) u = prng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * prng.next());
}
