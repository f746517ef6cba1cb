/**
 * Drift: when new vectors stop looking like the sample a quantizer was trained on, its codes lose
 * precision (SQ8's ranges clip, PQ's centroids sit far from the data, a far mean widens LVQ's steps). The
 * measure is the one training took as its baseline: the mean relative reconstruction error
 * ‖x − x̂‖² / ‖x‖² at the traversal level. Every DRIFT.every-th inserted vector is measured; once the last DRIFT.window measurements average
 * more than DRIFT.ratio times the baseline, the collection is re-trained in the background on a sample of
 * all its rows. Same-distribution inserts measure within a few percent of the baseline (test/compose.test.ts
 * measures it), so the ratio leaves room for noise and catches a real shift quickly.
 */
import { type Codebook, ReconstructionMeter } from './codebook.js';

export const DRIFT = {
  /** One inserted vector in this many is measured. */
  every: 8,
  /** Measurements averaged (so a drift is seen after every × window inserts at the earliest). */
  window: 512,
  /** Re-train once the window's mean error exceeds this multiple of the training baseline. */
  ratio: 1.5,
} as const;

export class DriftMonitor {
  readonly codebook: Codebook;
  private readonly meter: ReconstructionMeter;
  private readonly errors = new Float64Array(DRIFT.window);
  private seen = 0;
  private measured = 0;
  private sum = 0;

  constructor(codebook: Codebook) {
    this.codebook = codebook;
    this.meter = new ReconstructionMeter(codebook.quantizer);
  }

  /** Called for every vector inserted under this codebook. */
  observe(vector: ArrayLike<number>): void {
    if (this.seen++ % DRIFT.every !== 0) return;
    const slot = this.measured++ % DRIFT.window;
    const error = this.meter.error(vector);
    this.sum += error - this.errors[slot];
    this.errors[slot] = error;
  }

  /** Mean error of the window over the baseline; null until the window is full. */
  get ratio(): number | null {
    if (this.measured < DRIFT.window) return null;
    // re-summed now and then would cost nothing, but the running sum drifts only by float64 rounding
    return Math.max(0, this.sum) / DRIFT.window / this.codebook.baseline;
  }

  get drifted(): boolean {
    const ratio = this.ratio;
    return ratio !== null && ratio > DRIFT.ratio;
  }

  /** Measurements so far (for stats). */
  get measurements(): number {
    return this.measured;
  }
}
