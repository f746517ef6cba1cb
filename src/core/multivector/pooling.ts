/**
 * Token pooling (Clavié et al. 2024, "Reducing the Footprint of Multi-Vector Retrieval with Minimal
 * Performance Impact via Token Pooling"): a document's vectors are clustered hierarchically and each
 * cluster is replaced by the mean of its vectors, ceil(n / factor) clusters for a pool factor.
 *
 * Clustering: Ward linkage on the cosine geometry (squared Euclidean distance between the vectors scaled to
 * unit length), as the paper found best, computed with the nearest-neighbour chain algorithm: O(n²) time
 * and one n x n distance matrix. Ward is reducible, so the chain's merges sorted by height are the
 * dendrogram; the first n − clusters of them cut it. The pooled vectors are means of the original
 * (not unit-scaled) vectors, in the order of each cluster's first vector.
 */
import { assert } from '../lib/assert.js';

/** `tokens` packs `count` rows of `dimension`; returns the pooled rows packed (a copy of the input at factor 1). */
export function poolTokens(tokens: Float32Array, count: number, dimension: number, factor: number): { tokens: Float32Array; count: number } {
  assert(Number.isInteger(factor) && factor >= 1, `pool factor ${factor}`);
  const clusters = Math.ceil(count / factor);
  if (factor === 1 || clusters >= count) return { tokens: tokens.slice(0, count * dimension), count };
  const labels = wardClusters(tokens, count, dimension, clusters);
  const order = new Int32Array(count).fill(-1);
  let next = 0;
  const sizes = new Uint32Array(clusters);
  const out = new Float32Array(clusters * dimension);
  const sums = new Float64Array(clusters * dimension);
  for (let t = 0; t < count; t++) {
    if (order[labels[t]] === -1) order[labels[t]] = next++;
    const c = order[labels[t]];
    sizes[c]++;
    for (let i = 0; i < dimension; i++) sums[c * dimension + i] += tokens[t * dimension + i];
  }
  assert(next === clusters, `pooling made ${next} clusters, not ${clusters}`);
  for (let c = 0; c < clusters; c++) for (let i = 0; i < dimension; i++) out[c * dimension + i] = sums[c * dimension + i] / sizes[c];
  return { tokens: out, count: clusters };
}

/** A cluster label per row (the root row of its cluster), `clusters` distinct labels. */
export function wardClusters(tokens: Float32Array, n: number, d: number, clusters: number): Int32Array {
  const unit = new Float64Array(n * d);
  for (let t = 0; t < n; t++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += tokens[t * d + i] * tokens[t * d + i];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < d; i++) unit[t * d + i] = tokens[t * d + i] * scale;
  }
  const dist = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) {
        const x = unit[a * d + i] - unit[b * d + i];
        s += x * x;
      }
      dist[a * n + b] = s;
      dist[b * n + a] = s;
    }
  }
  // slot s always holds the cluster containing row s: a merge of slots a and b lives on in min(a, b)
  const size = new Uint32Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const merges: { a: number; b: number; height: number; order: number }[] = [];
  const chain: number[] = [];
  let remaining = n;
  while (remaining > 1) {
    if (chain.length === 0) chain.push(active.indexOf(1));
    const top = chain[chain.length - 1];
    const previous = chain.length > 1 ? chain[chain.length - 2] : -1;
    // nearest active slot; ties go to the previous chain element, which guarantees termination
    let nearest = previous;
    let best = previous >= 0 ? dist[top * n + previous] : Infinity;
    for (let s = 0; s < n; s++) {
      if (!active[s] || s === top) continue;
      const v = dist[top * n + s];
      if (v < best) {
        best = v;
        nearest = s;
      }
    }
    if (nearest !== previous) {
      chain.push(nearest);
      continue;
    }
    chain.length -= 2;
    const keep = Math.min(top, previous);
    const gone = Math.max(top, previous);
    merges.push({ a: keep, b: gone, height: best, order: merges.length });
    const ni = size[keep];
    const nj = size[gone];
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === keep || k === gone) continue;
      const nk = size[k];
      const v = ((ni + nk) * dist[k * n + keep] + (nj + nk) * dist[k * n + gone] - nk * best) / (ni + nj + nk);
      dist[k * n + keep] = v;
      dist[keep * n + k] = v;
    }
    size[keep] = ni + nj;
    active[gone] = 0;
    remaining--;
  }
  merges.sort((x, y) => x.height - y.height || x.order - y.order);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (let m = 0; m < n - clusters; m++) {
    const ra = find(merges[m].a);
    const rb = find(merges[m].b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = find(i);
  return labels;
}
