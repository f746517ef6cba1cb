/**
 * The layout's stochastic gradient descent, as UMAP's optimize_layout_euclidean (LargeVis's edge
 * sampling with negative sampling; Tang et al. 2016, McInnes et al. 2018). An edge of weight w is
 * sampled w / w_max of the epochs; each sample pulls its two ends together along the gradient of
 * log(1 / (1 + a d^2)) and pushes each end away from `negativeRate` points drawn at random, along the
 * gradient of log(1 - 1 / (1 + a d^2)). Gradients are clipped to 4 and the learning rate falls
 * linearly to 0. This file is the layout's hot loop: plain typed arrays, no allocation per step.
 *
 * The low-dimensional similarity is LargeVis's 1 / (1 + a d^2) rather than UMAP's 1 / (1 + a d^2b) with
 * b = 0.895: Math.pow with a fractional exponent made the loop 5x slower, and on our clustered test set
 * the b = 1 curve preserved as many 10-NN (0.738 vs 0.713 at 200 epochs; docs/console.md).
 */
import { assert } from '../lib/assert.js';
import { Prng } from '../lib/prng.js';
import type { FuzzyEdges } from './fuzzy.js';

export interface OptimizeOptions {
  epochs: number;
  seed: number;
  /** Random points each end of a sampled edge is pushed from (UMAP's negative_sample_rate). */
  negativeRate?: number;
  learningRate?: number;
  /** Weight of the repulsion (UMAP's gamma). */
  repulsion?: number;
  /** The low-dimensional similarity 1 / (1 + a d^2); LargeVis's a = 1 is the default. */
  a?: number;
}
const GRADIENT_CLIP = 4;
/** Keeps the repulsion finite between points that land on the same spot. */
const REPULSION_EPSILON = 0.001;

export class LayoutOptimizer {
  readonly epochs: number;
  /** The coordinates, (x, y) per point, in float64 while they move. */
  private readonly position: Float64Array;
  private epoch = 0;
  private readonly count: number;
  private readonly head: Uint32Array;
  private readonly tail: Uint32Array;
  private readonly epochsPerSample: Float64Array;
  private readonly nextSample: Float64Array;
  private readonly epochsPerNegative: Float64Array;
  private readonly nextNegative: Float64Array;
  private random: number;
  private readonly learningRate: number;
  private readonly repulsion: number;
  private readonly a: number;
  /** Edge samples processed so far (attractions), for reports and tests. */
  samples = 0;

  constructor(coordinates: Float32Array, edges: FuzzyEdges, options: OptimizeOptions) {
    assert(coordinates.length % 2 === 0, 'LayoutOptimizer: coordinates are (x, y) pairs');
    assert(Number.isInteger(options.epochs) && options.epochs >= 1, `LayoutOptimizer: epochs ${options.epochs}`);
    this.position = Float64Array.from(coordinates);
    this.count = coordinates.length / 2;
    this.epochs = options.epochs;
    this.random = new Prng(options.seed).u32() | 1;
    this.learningRate = options.learningRate ?? 1;
    this.repulsion = options.repulsion ?? 1;
    this.a = options.a ?? 1;
    const negativeRate = options.negativeRate ?? 5;
    let maxWeight = 0;
    for (const w of edges.weight) maxWeight = Math.max(maxWeight, w);
    // As UMAP: edges too weak to be sampled even once in `epochs` are dropped.
    let kept = 0;
    for (const w of edges.weight) if (w >= maxWeight / this.epochs) kept++;
    this.head = new Uint32Array(kept);
    this.tail = new Uint32Array(kept);
    this.epochsPerSample = new Float64Array(kept);
    this.epochsPerNegative = new Float64Array(kept);
    for (let e = 0, at = 0; e < edges.weight.length; e++) {
      const w = edges.weight[e];
      if (w < maxWeight / this.epochs) continue;
      this.head[at] = edges.head[e];
      this.tail[at] = edges.tail[e];
      this.epochsPerSample[at] = maxWeight / w;
      this.epochsPerNegative[at++] = maxWeight / w / negativeRate;
    }
    this.nextSample = this.epochsPerSample.slice();
    this.nextNegative = this.epochsPerNegative.slice();
  }

  /** The current coordinates, (x, y) per point. */
  get coordinates(): Float32Array {
    return Float32Array.from(this.position);
  }

  get done(): boolean {
    return this.epoch >= this.epochs;
  }

  get epochsRun(): number {
    return this.epoch;
  }

  /** Edges the optimiser samples (those strong enough to be sampled at least once). */
  get edgeCount(): number {
    return this.head.length;
  }

  /** Runs up to `count` more epochs; returns how many ran. */
  run(count: number): number {
    let ran = 0;
    while (ran < count && this.epoch < this.epochs) {
      this.runEpoch(this.epoch);
      this.epoch++;
      ran++;
    }
    return ran;
  }

  private runEpoch(epoch: number): void {
    const y = this.position;
    const { head, tail, epochsPerSample, nextSample, epochsPerNegative, nextNegative, a, count } = this;
    const alpha = this.learningRate * (1 - epoch / this.epochs);
    const attract = -2 * a;
    const repel = 2 * this.repulsion;
    const edges = head.length;
    // xorshift32 in a local: the negative samples' draws are the loop's most frequent operation
    let random = this.random;
    let samples = 0;
    for (let e = 0; e < edges; e++) {
      if (nextSample[e] > epoch + 1) continue;
      const ix = 2 * head[e];
      const jx = 2 * tail[e];
      let dx = y[ix] - y[jx];
      let dy = y[ix + 1] - y[jx + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const coefficient = attract / (a * d2 + 1);
        const gx = clip(coefficient * dx) * alpha;
        const gy = clip(coefficient * dy) * alpha;
        y[ix] += gx;
        y[ix + 1] += gy;
        y[jx] -= gx;
        y[jx + 1] -= gy;
      }
      nextSample[e] += epochsPerSample[e];
      samples++;

      const negatives = Math.floor((epoch + 1 - nextNegative[e]) / epochsPerNegative[e]);
      if (negatives <= 0) continue;
      nextNegative[e] += negatives * epochsPerNegative[e];
      // each end is pushed from its own random points (UMAP samples both directions of an edge)
      for (let end = 0; end < 2; end++) {
        const p = end === 0 ? ix : jx;
        let px = y[p];
        let py = y[p + 1];
        for (let s = 0; s < negatives; s++) {
          random ^= random << 13;
          random ^= random >>> 17;
          random ^= random << 5;
          const ox = 2 * (((random >>> 0) * count) / 4294967296 >>> 0);
          if (ox === p) continue;
          dx = px - y[ox];
          dy = py - y[ox + 1];
          d2 = dx * dx + dy * dy;
          if (d2 > 0) {
            const coefficient = repel / ((REPULSION_EPSILON + d2) * (a * d2 + 1));
            px += clip(coefficient * dx) * alpha;
            py += clip(coefficient * dy) * alpha;
          } else {
            // two points on the same spot: pushed apart by the clip, in a direction the random bits pick
            px += (random & 1 ? GRADIENT_CLIP : -GRADIENT_CLIP) * alpha;
            py += (random & 2 ? GRADIENT_CLIP : -GRADIENT_CLIP) * alpha;
          }
        }
        y[p] = px;
        y[p + 1] = py;
      }
    }
    this.random = random;
    this.samples += samples;
  }
}

function clip(value: number): number {
  return value > GRADIENT_CLIP ? GRADIENT_CLIP : value < -GRADIENT_CLIP ? -GRADIENT_CLIP : value;
}
