/**
 * Drift: when new vectors stop looking like the sample a quantizer was trained on, its codes lose
 * precision (SQ8's ranges clip, PQ's centroids sit far from the data, a far mean widens LVQ's steps). The
 * measure is the one training took as its baseline: the mean relative reconstruction error
 * ‖x − x̂‖² / ‖x‖² at the traversal level. Every DRIFT.every-th inserted vector is measured; once the last DRIFT.window measurements average
 * more than DRIFT.ratio times the baseline, the collection is re-trained in the background on a sample of
 * all its rows. Same-distribution inserts measure within a few percent of the baseline (test/compose.test.ts
 * measures it), so the ratio leaves room for noise and catches a real shift quickly.
 *
 * A reducer is watched the same way with the quantity its fit maximised (docs/reduction.md, "Drift"):
 * the share of the measured rows' energy its database map loses, 1 − retained, over the same share on
 * the training sample. Data that moved out of the kept directions raises it; a reducer whose map learns
 * nothing (Matryoshka, FFT's fixed band) is not watched.
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

/** Measured rows whose energy share a reducer keeps is taken together (one retained() call per batch). */
const REDUCER_BATCH = 64;

export class DriftMonitor {
  readonly codebook: Codebook;
  private readonly meter: ReconstructionMeter | null;
  private readonly errors = new Float64Array(DRIFT.window);
  private seen = 0;
  private measured = 0;
  private sum = 0;
  /** The reducer's side: measured rows gathered into batches, and each batch's lost energy share. */
  private readonly batch: Float32Array | null;
  private batched = 0;
  private readonly losses = new Float64Array(DRIFT.window / REDUCER_BATCH);
  private batches = 0;
  private reduced: Float32Array | null;

  constructor(codebook: Codebook) {
    this.codebook = codebook;
    this.meter = codebook.quantizer ? new ReconstructionMeter(codebook.quantizer) : null;
    const reducer = codebook.reducer;
    // a reducer that learns nothing (Matryoshka, FFT's fixed band) is not watched: re-training changes nothing
    this.batch = reducer !== null && codebook.reducerBaseline > 0 ? new Float32Array(REDUCER_BATCH * reducer.inputDimension) : null;
    this.reduced = reducer !== null ? new Float32Array(reducer.dimension) : null;
  }

  /** Called for every vector inserted under this codebook. */
  observe(vector: ArrayLike<number>): void {
    if (this.seen++ % DRIFT.every !== 0) return;
    const reducer = this.codebook.reducer;
    if (this.batch !== null && reducer !== null) {
      this.batch.set(vector, this.batched++ * reducer.inputDimension);
      if (this.batched === REDUCER_BATCH) {
        this.losses[this.batches++ % this.losses.length] = 1 - reducer.retained({ data: this.batch, count: REDUCER_BATCH, dimension: reducer.inputDimension });
        this.batched = 0;
      }
    }
    if (this.meter === null) return;
    // under a reducer the quantizer encodes reduced vectors
    const measured = reducer !== null ? reducer.transformDatabase(Float32Array.from(vector), this.reduced!) : vector;
    const slot = this.measured++ % DRIFT.window;
    const error = this.meter.error(measured);
    this.sum += error - this.errors[slot];
    this.errors[slot] = error;
  }

  /**
   * The larger of the two drift measures whose window is full: the quantizer's mean reconstruction error
   * over its training baseline, and the energy share the reducer loses over its share on the training
   * sample. Null until a window is full.
   */
  get ratio(): number | null {
    let ratio: number | null = null;
    // re-summed now and then would cost nothing, but the running sum drifts only by float64 rounding
    if (this.meter !== null && this.measured >= DRIFT.window) ratio = Math.max(0, this.sum) / DRIFT.window / this.codebook.baseline;
    if (this.batch !== null && this.batches >= this.losses.length) {
      let loss = 0;
      for (const l of this.losses) loss += l;
      const reducerRatio = loss / this.losses.length / this.codebook.reducerBaseline;
      ratio = ratio === null ? reducerRatio : Math.max(ratio, reducerRatio);
    }
    return ratio;
  }

  get drifted(): boolean {
    const ratio = this.ratio;
    return ratio !== null && ratio > DRIFT.ratio;
  }

  /** Measurements so far (for stats). */
  get measurements(): number {
    return Math.max(this.measured, this.batches * REDUCER_BATCH);
  }
}
