/** Float64 reference distances, lower-is-better, in Quiver's convention (squared L2; 1 - cosine). */
export type Metric = 'l2' | 'cosine';

export function l2sq64(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const d = a[ao + i] - b[bo + i];
    s += d * d;
  }
  return s;
}

export function cosineDistance64(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < dim; i++) {
    const x = a[ao + i];
    const y = b[bo + i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
}

export function distance64(metric: Metric) {
  return metric === 'l2' ? l2sq64 : cosineDistance64;
}
