/** Deterministic batches shared by the crash test and its child writer. */
export const DIM = 24;
export const BATCH = 20;

export function batchKeys(batch: number): string[] {
  return Array.from({ length: BATCH }, (_, j) => `b${batch}-${j}`);
}

export function vectorFor(batch: number, j: number): Float32Array {
  return Float32Array.from({ length: DIM }, (_, i) => Math.sin(batch * 31 + j * 7 + i) * 10);
}
