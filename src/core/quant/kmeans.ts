/**
 * k-means for PQ codebooks: k-means++ seeding (Arthur & Vassilvitskii 2007) then Lloyd iterations, all
 * random choices from a seeded Prng so training replays. Points are rows of `dim` floats read through a
 * column window (`offset`, `dim`) of rows `stride` floats apart, so PQ trains each sub-space without the
 * caller copying the sample.
 *
 * The distance work (n × k × dim per iteration) runs on the kernel backend when one is handed in — the
 * float32 'l2' kernel scoring a point against every centroid, or a centroid against every point, in one
 * call — and in plain TypeScript otherwise; both choose the same nearest centroids up to float rounding.
 */
import { type KernelBackend, type KernelMemory, type KernelMetric, strideFor } from '../kernels/kernel.js';
import { Prng } from '../lib/prng.js';

export interface KmeansInput {
  data: Float32Array;
  rows: number;
  /** Floats between consecutive rows in `data`. */
  stride: number;
  /** First column of the window. */
  offset: number;
  /** Columns in the window (the points' dimension). */
  dim: number;
}

/** The window's points packed contiguously: sub-spaces are narrow, so strided reads would waste cache lines. */
function gather({ data, rows, stride, offset, dim }: KmeansInput): Float32Array {
  const points = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) points.set(data.subarray(r * stride + offset, r * stride + offset + dim), r * dim);
  return points;
}

function squared(points: Float32Array, p: number, centroids: Float32Array, c: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const diff = points[p * dim + j] - centroids[c * dim + j];
    sum += diff * diff;
  }
  return sum;
}

/**
 * Nearest-centroid search for many points against one codebook. The codebook is kept transposed
 * (coordinate-major: k values of coordinate 0, then of coordinate 1, …) so the inner loop runs over
 * all k centroids for one coordinate — long, contiguous loops V8 compiles well, where a centroid-major
 * loop of a few coordinates per sub-space spends its time on loop overhead. Scores are ‖c‖² − 2⟨x, c⟩
 * (the point's own ‖x‖² is common to all centroids).
 */
export class CodebookSearch {
  private readonly transposed: Float32Array;
  private readonly norms: Float64Array;
  private readonly scores: Float64Array;

  constructor(
    centroids: ArrayLike<number>,
    readonly k: number,
    readonly dim: number,
  ) {
    this.transposed = new Float32Array(k * dim);
    this.norms = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < dim; j++) {
        const v = centroids[c * dim + j];
        this.transposed[j * k + c] = v;
        this.norms[c] += v * v;
      }
    }
    this.scores = new Float64Array(k);
  }

  /** The index of the centroid nearest to points[at, at + dim). */
  nearest(points: ArrayLike<number>, at: number): number {
    const { k, dim, transposed, scores } = this;
    scores.set(this.norms);
    for (let j = 0; j < dim; j++) {
      const x = -2 * points[at + j];
      const row = j * k;
      for (let c = 0; c < k; c++) scores[c] += x * transposed[row + c];
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[c] < scores[best]) best = c;
    return best;
  }
}

/**
 * Blocks of float32 rows in one kernel memory, each scored against one query per call:
 * [query][block 0 rows][block 1 rows]…[distances]. PQ keeps every sub-space's codebook as a block of
 * one memory (each WebAssembly memory reserves address space of its own, so not one per sub-space).
 */
export class KernelRows {
  private readonly memory: KernelMemory;
  /** Each block's current row shape (dim, stride) within the room its constructor shape reserved. */
  private readonly blocks: { dim: number; rows: number; stride: number; at: number }[] = [];
  private readonly outAt: number;
  private readonly queryFloats: number;

  constructor(backend: KernelBackend, shapes: readonly { dim: number; rows: number }[]) {
    this.queryFloats = Math.max(...shapes.map((b) => strideFor(b.dim))) >> 2;
    let at = this.queryFloats * 4;
    for (const { dim, rows } of shapes) {
      this.blocks.push({ dim, rows, stride: strideFor(dim), at });
      at += rows * strideFor(dim);
    }
    this.outAt = at;
    const bytes = at + Math.max(...shapes.map((b) => b.rows)) * 4;
    this.memory = backend.createMemory(bytes, bytes);
  }

  /**
   * Writes rows [0, rows) of a block from packed[from…], rows of `dim` floats (at most the block's shape:
   * PQ's sub-spaces differ by one dimension and share the training blocks).
   */
  load(block: number, packed: ArrayLike<number>, rows = this.blocks[block].rows, dim = this.blocks[block].dim, from = 0): void {
    const shape = this.blocks[block];
    shape.dim = dim;
    shape.stride = strideFor(dim);
    const { stride, at } = shape;
    const f32 = new Float32Array(this.memory.buffer);
    const strideFloats = stride >> 2;
    for (let r = 0; r < rows; r++) {
      const row = (at >> 2) + r * strideFloats;
      for (let j = 0; j < dim; j++) f32[row + j] = packed[from + r * dim + j];
      f32.fill(0, row + dim, row + strideFloats);
    }
  }

  /**
   * Distances (squared l2, or −⟨q, row⟩ for 'dot') from query[at, at + dim) to the block's `rows` first
   * rows (a view valid until the next call).
   */
  distances(block: number, query: ArrayLike<number>, at: number, rows = this.blocks[block].rows, metric: KernelMetric = 'l2'): Float32Array {
    const { dim, stride, at: rowsAt } = this.blocks[block];
    const f32 = new Float32Array(this.memory.buffer);
    for (let j = 0; j < dim; j++) f32[j] = query[at + j];
    f32.fill(0, dim, this.queryFloats);
    this.memory.distanceRange(metric, dim, 0, rowsAt, stride, 0, rows, this.outAt);
    return new Float32Array(this.memory.buffer, this.outAt, rows);
  }
}

export function argmin(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  return best;
}

/** k-means++: each next centre drawn with probability proportional to the squared distance to the nearest chosen one. */
function seed(points: Float32Array, rows: number, dim: number, k: number, rng: Prng, scan: KernelRows | null): Float32Array {
  const centroids = new Float32Array(k * dim);
  const nearest = new Float64Array(rows).fill(Infinity);
  scan?.load(0, points, rows, dim);
  let chosen = rng.int(rows);
  for (let c = 0; c < k; c++) {
    centroids.set(points.subarray(chosen * dim, (chosen + 1) * dim), c * dim);
    const toCentre = scan?.distances(0, centroids, c * dim, rows);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const d = toCentre ? toCentre[r] : squared(points, r, centroids, c, dim);
      if (d < nearest[r]) nearest[r] = d;
      total += nearest[r];
    }
    if (c + 1 === k) break;
    if (total === 0) {
      // Every point coincides with a centre already: more centres cannot lower the error; repeat one.
      chosen = rng.int(rows);
      continue;
    }
    let target = rng.next() * total;
    chosen = rows - 1;
    for (let r = 0; r < rows; r++) {
      target -= nearest[r];
      if (target < 0) {
        chosen = r;
        break;
      }
    }
  }
  return centroids;
}

/**
 * k centroids (k × dim floats) of the window's points. Lloyd stops after `iterations` rounds or once no
 * assignment changes; an empty cluster takes the point farthest from its centroid, so all k stay in use.
 * `scan`, when given, is a KernelRows with block 0 for the points (rows × dim) and block 1 for the
 * centroids (k × dim).
 */
export function kmeans(input: KmeansInput, k: number, iterations: number, rng: Prng, scan?: KernelRows): Float32Array {
  const { rows, dim } = input;
  const points = gather(input);
  const centroids = seed(points, rows, dim, k, rng, scan ?? null);
  const assignment = new Int32Array(rows).fill(-1);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const search = scan ? null : new CodebookSearch(centroids, k, dim);
    scan?.load(1, centroids, k, dim);
    let changed = 0;
    for (let r = 0; r < rows; r++) {
      const best = search ? search.nearest(points, r * dim) : argmin(scan!.distances(1, points, r * dim, k));
      if (assignment[r] !== best) changed++;
      assignment[r] = best;
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let r = 0; r < rows; r++) {
      const c = assignment[r];
      counts[c]++;
      for (let j = 0; j < dim; j++) sums[c * dim + j] += points[r * dim + j];
    }
    let farthest: Float64Array | null = null;
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j] / counts[c];
        continue;
      }
      if (farthest === null) {
        farthest = new Float64Array(rows);
        for (let r = 0; r < rows; r++) farthest[r] = squared(points, r, centroids, assignment[r], dim);
      }
      let far = 0;
      for (let r = 1; r < rows; r++) if (farthest[r] > farthest[far]) far = r;
      farthest[far] = 0;
      centroids.set(points.subarray(far * dim, (far + 1) * dim), c * dim);
    }
  }
  return centroids;
}
