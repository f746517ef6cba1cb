/**
 * Observable recall: a sample of live approximate queries is kept, re-run exactly in the background by
 * the db layer (which has the float32 rows, in memory or in segment files), and the recall of what the
 * query returned against the exact answer is averaged over the last RECALL_SAMPLING.keep checked
 * queries. So users see what a graph and compression cost them, measured on their own queries.
 *
 * Sampling is deterministic: every round(1 / rate)-th eligible query (no randomness in core).
 */

export const RECALL_SAMPLING = {
  /** Share of eligible queries sampled (Quiver.open's recallSampleRate; 0 turns sampling off). */
  rate: 0.01,
  /** Checked queries the estimate averages over (the most recent). */
  keep: 200,
  /** Sampled queries waiting for their exact re-run, at most (older ones are dropped first). */
  pendingMax: 200,
} as const;

export interface RecallSample {
  vector: Float32Array;
  /** min(k, 10): recall@10 is measured on the first 10 hits (or all of them when k < 10). */
  k: number;
  /** Keys the query returned, best first (the first `k`). */
  keys: string[];
}

export class RecallSampler {
  private readonly every: number;
  private counter = 0;
  private pending: RecallSample[] = [];
  private readonly recalls = new Float64Array(RECALL_SAMPLING.keep);
  private checked = 0;
  private sum = 0;

  constructor(rate: number = RECALL_SAMPLING.rate) {
    this.every = rate > 0 ? Math.max(1, Math.round(1 / rate)) : 0;
  }

  /** Counts an eligible query; true when this one is to be sampled. */
  shouldSample(): boolean {
    if (this.every === 0) return false;
    return ++this.counter % this.every === 0;
  }

  add(sample: RecallSample): void {
    this.pending.push(sample);
    if (this.pending.length > RECALL_SAMPLING.pendingMax) this.pending.shift();
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Takes up to `max` pending samples for an exact re-run. */
  take(max: number): RecallSample[] {
    return this.pending.splice(0, max);
  }

  record(recall: number): void {
    const slot = this.checked++ % RECALL_SAMPLING.keep;
    if (this.checked > RECALL_SAMPLING.keep) this.sum -= this.recalls[slot];
    this.recalls[slot] = recall;
    this.sum += recall;
  }

  /** The mean recall of the last checked samples, or null before the first. */
  estimate(): { recallAt10: number; sampleSize: number } | null {
    const size = Math.min(this.checked, RECALL_SAMPLING.keep);
    if (size === 0) return null;
    let sum = 0;
    for (let i = 0; i < size; i++) sum += this.recalls[i];
    return { recallAt10: sum / size, sampleSize: size };
  }
}

/**
 * recall@k of `returned` against the exact distances: a returned key counts when its exact distance is
 * within the k-th exact distance (ties count, as ann-benchmarks counts them). `exactKth` is the k-th best
 * exact distance; `distanceOf` the exact distance of a returned key (undefined: deleted since).
 */
export function recallOf(returned: readonly string[], k: number, exactKth: number, distanceOf: (key: string) => number | undefined): number {
  if (k === 0) return 1;
  const tolerance = 1e-6 * Math.max(1, Math.abs(exactKth));
  let hits = 0;
  for (const key of returned.slice(0, k)) {
    const d = distanceOf(key);
    if (d !== undefined && d <= exactKth + tolerance) hits++;
  }
  return hits / k;
}
