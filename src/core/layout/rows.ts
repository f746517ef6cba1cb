/**
 * The shapes the layout code shares: rows of float32 vectors read in place (an arena's memory with its
 * padded stride, or a packed array), and a k-nearest-neighbour graph in compressed rows.
 */

/** Row i's `dimension` floats start at data[offset + i * stride]. */
export interface Rows {
  readonly data: Float32Array;
  readonly offset: number;
  /** Floats from one row's start to the next (>= dimension). */
  readonly stride: number;
  readonly count: number;
  readonly dimension: number;
}

export function packedRows(data: Float32Array, count: number, dimension: number): Rows {
  return { data, offset: 0, stride: dimension, count, dimension };
}

/**
 * Each point's neighbours, nearest first: point i's are neighbors[offsets[i] .. offsets[i + 1]), with their
 * distances (lower is nearer). Only differences between the distances of one point's list matter, so any
 * monotone distance works (Euclidean, 1 - cosine, negated inner product). No point lists itself.
 */
export interface NeighborGraph {
  readonly count: number;
  readonly offsets: Uint32Array;
  readonly neighbors: Uint32Array;
  readonly distances: Float32Array;
}
