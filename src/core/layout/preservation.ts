/**
 * k-NN preservation: for each evaluated point, the share of its k true nearest neighbours in the
 * original space that are also among its k nearest in the 2-D layout, averaged over the points
 * (the "neighbourhood hit" / trustworthiness-style figure of Venna & Kaski, and what Espadoto et al.
 * 2019 call neighbourhood preservation). 1 means every local neighbourhood survived the projection.
 */
import { assert } from '../lib/assert.js';
import { TopK } from '../lib/topk.js';

/**
 * `points[r]`'s true neighbours are truth[r * k .. (r + 1) * k) (fewer when a row is padded with
 * NO_NEIGHBOR); `coordinates` holds (x, y) for every point of the layout.
 */
export function neighborPreservation(points: Uint32Array, truth: Uint32Array, k: number, coordinates: Float32Array): number {
  const tally = new PreservationTally(points, truth, k, coordinates);
  tally.add(0, points.length);
  return tally.mean;
}

/** The same figure accumulated over ranges of the evaluated points (so a caller can pause between them). */
export class PreservationTally {
  private total = 0;
  private evaluated = 0;
  private readonly top: TopK;
  private readonly found = new Set<number>();

  constructor(
    private readonly points: Uint32Array,
    private readonly truth: Uint32Array,
    private readonly k: number,
    private readonly coordinates: Float32Array,
  ) {
    assert(truth.length === points.length * k, `neighborPreservation: ${truth.length} truth entries for ${points.length} points x ${k}`);
    this.top = new TopK(Math.max(0, Math.min(k, coordinates.length / 2 - 1)));
  }

  /** The mean over the points added so far; 1 when none could be evaluated. */
  get mean(): number {
    return this.evaluated === 0 ? 1 : this.total / this.evaluated;
  }

  /** Evaluates points[from .. to). */
  add(from: number, to: number): void {
    const { points, truth, k, coordinates, top, found } = this;
    const count = coordinates.length / 2;
    for (let r = from; r < to; r++) {
      const p = points[r];
      const px = coordinates[2 * p];
      const py = coordinates[2 * p + 1];
      for (let q = 0; q < count; q++) {
        const dx = coordinates[2 * q] - px;
        const dy = coordinates[2 * q + 1] - py;
        const d2 = dx * dx + dy * dy;
        if (d2 < top.worst && q !== p) top.push(d2, q);
      }
      found.clear();
      for (const id of top.drain().ids) found.add(id);
      let expected = 0;
      let kept = 0;
      for (let t = r * k; t < (r + 1) * k; t++) {
        if (truth[t] === NO_NEIGHBOR) continue;
        expected++;
        if (found.has(truth[t])) kept++;
      }
      if (expected === 0) continue;
      this.total += kept / expected;
      this.evaluated++;
    }
  }
}

/** Pads a truth row that has fewer than k neighbours (a collection with at most k points). */
export const NO_NEIGHBOR = 0xffffffff;
