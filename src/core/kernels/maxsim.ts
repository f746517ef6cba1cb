/**
 * MaxSim (Chamfer similarity), the late-interaction score of ColBERT-style retrieval:
 *   maxSim(Q, D) = Σ over query vectors q of max over document vectors x of q·x
 * This plain-TS version is the specification the WASM kernel (src/wasm/assembly/multivector.ts, through
 * KernelMemory.maxSim) is tested against, and what the reference backend runs.
 * Sets are packed: `count` rows of `dimension` float32s, row-major, no padding.
 */
export function maxSim(query: Float32Array, queryCount: number, doc: Float32Array, docCount: number, dimension: number): number {
  let total = 0;
  for (let q = 0; q < queryCount; q++) {
    const qAt = q * dimension;
    let best = -Infinity;
    for (let r = 0; r < docCount; r++) {
      const rAt = r * dimension;
      let dot = 0;
      for (let i = 0; i < dimension; i++) dot += query[qAt + i] * doc[rAt + i];
      if (dot > best) best = dot;
    }
    total += best;
  }
  return total;
}
