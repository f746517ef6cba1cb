/**
 * Vamana construction as batches of three phases (ParlayANN's batched formulation of DiskANN's build):
 *
 *   1. searchPhase  for each point p of the batch, GreedySearch(p, L) from the entry point on the graph
 *                   as it stood before the batch, recording V (the expanded nodes) as p's candidates;
 *                   when re-inserting (the second pass), p's current out-neighbours join them.
 *                   Reads the graph and the vectors only.
 *   2. prunePhase   for each p, RobustPrune(p, candidates, alpha, R) -> p's new out-list, into the
 *                   batch's buffers. Reads the vectors only.
 *   3. applyPhase   writes the new out-lists, then adds the reverse edges grouped by target: a target
 *                   whose list still has room just appends; one that would exceed R is pruned once
 *                   over (its list U its new sources). Each target's list is written by its own step
 *                   only, so the targets can be split across workers too.
 *
 * Phases 1 and 2 are independent per point and read-only on the graph, so workers sharing the arena's
 * memory and the adjacency run them over slices of a batch (VamanaGraph.insertUpToParallel, with
 * runBatchJob on the worker side); phase 3's reverse edges split by target the same way.
 * Batches grow by prefix doubling (a batch is never larger than the graph already built, as in
 * ParlayANN) up to `maxBatch`: points of one batch do not see each other, which is harmless while a
 * batch is small against the graph, and grouping the reverse edges of a batch prunes each crowded target
 * once per batch instead of once per edge (the cost that dominates a one-at-a-time build).
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import type { GraphArena } from '../../vectors/scoring.js';
import type { BuildWorkers } from '../index.js';
import { Adjacency, SlotList } from './graph.js';
import type { Pruner } from './prune.js';
import type { Searcher } from './search.js';

export interface BuildContext {
  arena: GraphArena;
  metric: KernelMetric;
  graph: Adjacency;
  /** Slots that may appear in the graph during this build: [0, nodes). */
  nodes: number;
  entry: number;
  /** Beam width of construction searches (config.buildWindowSize). */
  L: number;
  /** Candidates recorded per point (V and, when re-inserting, the old out-list): RobustPrune's C. */
  maxCandidates: number;
  searcher: Searcher;
  pruner: Pruner;
}

/** Per-batch buffers, sized for `maxBatch` points; reused from batch to batch. */
export class BatchBuffers {
  readonly maxBatch: number;
  readonly maxCandidates: number;
  readonly candSlots: Uint32Array;
  readonly candDists: Float32Array;
  readonly candCount: Uint32Array;
  readonly newLinks: Uint32Array;
  readonly newCount: Uint16Array;
  // reverse-edge grouping, indexed by slot
  private pending: Uint32Array;
  private start: Uint32Array;
  private stamp: Uint32Array;
  private epoch = 0;
  /** The targets of a batch's reverse edges, and per target its sources' run in `sources`. */
  readonly touched: Uint32Array;
  readonly sources: Uint32Array;
  readonly groupStart: Uint32Array;
  readonly groupCount: Uint32Array;
  private readonly merge = new SlotList(256);
  private mergeDists = new Float32Array(256);
  private readonly extra = new SlotList(64);

  /**
   * `shared`: the batch's results (newLinks, newCount) live in SharedArrayBuffers that build workers
   * write their parts of; `candidateRows` then sizes the candidate buffers for this thread's part only.
   */
  constructor(maxBatch: number, maxCandidates: number, degree: number, nodes: number, shared = false, candidateRows = maxBatch) {
    this.maxBatch = maxBatch;
    this.maxCandidates = maxCandidates;
    this.candSlots = new Uint32Array(candidateRows * maxCandidates);
    this.candDists = new Float32Array(candidateRows * maxCandidates);
    this.candCount = new Uint32Array(candidateRows);
    this.newLinks = shared ? new Uint32Array(new SharedArrayBuffer(maxBatch * degree * 4)) : new Uint32Array(maxBatch * degree);
    this.newCount = shared ? new Uint16Array(new SharedArrayBuffer(Math.ceil(maxBatch / 2) * 4)) : new Uint16Array(maxBatch);
    this.pending = new Uint32Array(nodes);
    this.start = new Uint32Array(nodes);
    this.stamp = new Uint32Array(nodes);
    const u32 = (n: number): Uint32Array => (shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n));
    this.touched = u32(maxBatch * degree);
    this.sources = u32(maxBatch * degree);
    this.groupStart = u32(maxBatch * degree);
    this.groupCount = u32(maxBatch * degree);
  }

  fits(maxBatch: number, maxCandidates: number, degree: number, nodes: number): boolean {
    return maxBatch <= this.maxBatch && this.candCount.length >= maxBatch && maxCandidates === this.maxCandidates && this.newLinks.length >= maxBatch * degree && nodes <= this.pending.length;
  }

  /** A fresh epoch for the slot stamps (membership tests without clearing). */
  nextEpoch(): number {
    this.epoch++;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }

  /** Phase 1: candidates of points[from, to) into candSlots/candDists (batch row b = point - from). */
  searchPhase(ctx: BuildContext, points: Uint32Array, from: number, to: number, includeOwnLinks: boolean): void {
    const { arena, metric, graph, searcher } = ctx;
    const maxC = this.maxCandidates;
    const R = graph.degree;
    const sink = { slots: this.candSlots, dists: this.candDists, at: 0, max: maxC };
    for (let b = 0; b < to - from; b++) {
      const p = points[from + b];
      arena.setQueryFromRow(p);
      sink.at = b * maxC;
      sink.max = includeOwnLinks ? maxC - R : maxC;
      let n = searcher.search(arena, metric, graph, ctx.nodes, ctx.entry, ctx.L, null, sink);
      if (includeOwnLinks && graph.counts[p] > 0) {
        // p's current out-neighbours join V (DiskANN's second pass prunes over both); score those
        // V does not hold already, in one call (the query is still p).
        const epoch = this.nextEpoch();
        const stamp = this.stamp;
        for (let i = 0; i < n; i++) stamp[this.candSlots[sink.at + i]] = epoch;
        const extra = this.extra.buffer;
        let k = 0;
        const first = p * R;
        const end = first + graph.counts[p];
        for (let i = first; i < end; i++) {
          const v = graph.links[i];
          if (stamp[v] !== epoch) extra[k++] = v;
        }
        if (k > 0) {
          const at = arena.scoreSlots(metric, this.extra.view(k), k);
          const floats = arena.floats;
          searcher.distanceCount += k;
          for (let i = 0; i < k; i++) {
            this.candSlots[sink.at + n] = extra[i];
            this.candDists[sink.at + n] = floats[at + i];
            n++;
          }
        }
      }
      this.candCount[b] = n;
    }
  }

  /**
   * Phase 2: RobustPrune of each point's candidates into newLinks/newCount, at batch rows outRow + b
   * (a worker's part of a batch writes where the whole batch's rows are).
   */
  prunePhase(ctx: BuildContext, points: Uint32Array, from: number, to: number, alpha: number, outRow = 0, newLinks = this.newLinks, newCount = this.newCount): void {
    const { arena, metric, graph, pruner } = ctx;
    const R = graph.degree;
    const maxC = this.maxCandidates;
    for (let b = 0; b < to - from; b++) {
      const p = points[from + b];
      const row = outRow + b;
      newCount[row] = pruner.prune(arena, metric, p, this.candSlots, this.candDists, b * maxC, this.candCount[b], alpha, R, maxC, newLinks, row * R);
    }
  }

  /**
   * Phase 3: installs the new out-lists and the reverse edges. With `ensureInEdge`, a point whose
   * every reverse edge was pruned away again gets one from its closest out-neighbour, so a point is
   * never left unreachable by its own insertion (used by incremental inserts, which run no global
   * reachability repair).
   */
  applyPhase(ctx: BuildContext, points: Uint32Array, from: number, to: number, alpha: number, ensureInEdge: boolean): void {
    const targets = this.groupReverseEdges(ctx, points, from, to);
    this.reverseEdges(ctx, this.touched, this.groupStart, this.groupCount, this.sources, 0, targets, alpha);
    if (ensureInEdge) this.ensureInEdges(ctx, points, from, to);
  }

  /**
   * Phase 3a: installs the new out-lists and groups the batch's reverse edges (j <- p) by target j:
   * touched[t] = j, its sources at sources[groupStart[t], + groupCount[t]). Returns the number of targets.
   */
  groupReverseEdges(ctx: BuildContext, points: Uint32Array, from: number, to: number): number {
    const { graph } = ctx;
    const R = graph.degree;
    const count = to - from;
    for (let b = 0; b < count; b++) graph.setList(points[from + b], this.newLinks, b * R, this.newCount[b]);

    // counting sort over the touched targets
    const pending = this.pending;
    const start = this.start;
    const touched = this.touched;
    let touchedCount = 0;
    for (let b = 0; b < count; b++) {
      const end = b * R + this.newCount[b];
      for (let i = b * R; i < end; i++) {
        const j = this.newLinks[i];
        if (pending[j]++ === 0) touched[touchedCount++] = j;
      }
    }
    let running = 0;
    for (let t = 0; t < touchedCount; t++) {
      const j = touched[t];
      start[j] = running;
      running += pending[j];
      pending[j] = 0;
    }
    const sources = this.sources;
    for (let b = 0; b < count; b++) {
      const p = points[from + b];
      const end = b * R + this.newCount[b];
      for (let i = b * R; i < end; i++) {
        const j = this.newLinks[i];
        sources[start[j] + pending[j]++] = p;
      }
    }
    for (let t = 0; t < touchedCount; t++) {
      const j = touched[t];
      this.groupStart[t] = start[j];
      this.groupCount[t] = pending[j];
      pending[j] = 0;
    }
    return touchedCount;
  }

  /**
   * Phase 3b: the reverse edges of targets touched[t0, t1). Each target's list is read and written by
   * its own step only (the prunes read vectors), so disjoint target ranges can run on different threads.
   */
  reverseEdges(ctx: BuildContext, touched: Uint32Array, groupStart: Uint32Array, groupCount: Uint32Array, sources: Uint32Array, t0: number, t1: number, alpha: number): void {
    for (let t = t0; t < t1; t++) this.addReverseEdges(ctx, touched[t], sources, groupStart[t], groupCount[t], alpha);
  }

  /**
   * Phase 3c (incremental inserts): a point whose every reverse edge was pruned away again gets one from
   * its closest out-neighbour, so a point is never left unreachable by its own insertion.
   */
  ensureInEdges(ctx: BuildContext, points: Uint32Array, from: number, to: number): void {
    const { graph } = ctx;
    const R = graph.degree;
    const count = to - from;
    for (let b = 0; b < count; b++) {
      const p = points[from + b];
      const first = b * R;
      const n = this.newCount[b];
      let linked = false;
      for (let i = first; i < first + n && !linked; i++) linked = graph.hasLink(this.newLinks[i], p);
      if (linked || n === 0) continue;
      const j = this.newLinks[first];
      const c = graph.counts[j];
      if (c < R) {
        graph.links[j * R + c] = p;
        graph.counts[j] = c + 1;
      } else {
        // j's last link v makes way for p, and p takes over v (j -> p -> v): v stays reachable
        const v = graph.links[j * R + R - 1];
        graph.links[j * R + R - 1] = p;
        if (v !== p && !graph.hasLink(p, v)) {
          const cp = graph.counts[p];
          if (cp < R) {
            graph.links[p * R + cp] = v;
            graph.counts[p] = cp + 1;
          } else {
            graph.links[p * R + R - 1] = v;
          }
        }
      }
    }
  }

  /** Adds p -> j edges for the `k` sources at sources[at..]; prunes j's list once if it overflows R. */
  private addReverseEdges(ctx: BuildContext, j: number, sources: Uint32Array, at: number, k: number, alpha: number): void {
    const { arena, metric, graph, pruner } = ctx;
    const R = graph.degree;
    const links = graph.links;
    const base = j * R;
    const c = graph.counts[j];
    const epoch = this.nextEpoch();
    const stamp = this.stamp;
    for (let i = base; i < base + c; i++) stamp[links[i]] = epoch;
    stamp[j] = epoch;
    this.merge.reserve(c + k);
    const merge = this.merge.buffer;
    for (let i = 0; i < c; i++) merge[i] = links[base + i];
    let m = c;
    for (let i = 0; i < k; i++) {
      const s = sources[at + i];
      if (stamp[s] !== epoch) {
        stamp[s] = epoch;
        merge[m++] = s;
      }
    }
    if (m === c) return;
    if (m <= R) {
      for (let i = c; i < m; i++) links[base + i] = merge[i];
      graph.counts[j] = m;
      return;
    }
    if (this.mergeDists.length < m) this.mergeDists = new Float32Array(Math.max(m, this.mergeDists.length * 2));
    arena.setQueryFromRow(j);
    const f = arena.scoreSlots(metric, this.merge.view(m), m);
    const floats = arena.floats;
    const dists = this.mergeDists;
    for (let i = 0; i < m; i++) dists[i] = floats[f + i];
    pruner.distanceCount += m;
    graph.counts[j] = pruner.prune(arena, metric, j, merge, dists, 0, m, alpha, R, Math.max(m, this.maxCandidates), links, base);
  }
}

/** The size of the batch starting after `inserted` nodes: prefix doubling, capped. */
export function batchSize(inserted: number, remaining: number, maxBatch: number): number {
  return Math.min(remaining, maxBatch, Math.max(1, inserted));
}

/**
 * One thread's part of a parallel build batch: the read-only phases (search, prune) of
 * points[from, to), results into the batch's shared newLinks/newCount at rows outRow + (i - from).
 * Every array is backed by a SharedArrayBuffer; the vectors are the arena's shared memory.
 */
export interface VamanaBatchJob {
  /**
   * 'read': search and prune points[from, to). 'reverse': the reverse edges of targets touched[from, to)
   * (phase 3b), writing those targets' lists in `links`/`counts` — no other thread touches them meanwhile.
   */
  phase: 'read' | 'reverse';
  links: Uint32Array;
  counts: Uint16Array;
  points: Uint32Array;
  newLinks: Uint32Array;
  newCount: Uint16Array;
  touched: Uint32Array;
  groupStart: Uint32Array;
  groupCount: Uint32Array;
  sources: Uint32Array;
  from: number;
  to: number;
  outRow: number;
  nodes: number;
  entry: number;
  L: number;
  maxCandidates: number;
  degree: number;
  alpha: number;
  reinsert: boolean;
}

/** Worker threads that run batch parts (src/wasm's build pool implements it over node:worker_threads). */
export type VamanaBuildWorkers = BuildWorkers<VamanaBatchJob>;

/** A worker's side of a job: its own buffers, searcher and pruner over a lane view of the arena. */
export function runBatchJob(job: VamanaBatchJob, arena: GraphArena, metric: KernelMetric, searcher: Searcher, pruner: Pruner, buffers: BatchBuffers | null): BatchBuffers {
  const rows = job.phase === 'read' ? job.to - job.from : 1;
  const graph = Adjacency.over(job.degree, job.links, job.counts);
  if (buffers === null || !buffers.fits(rows, job.maxCandidates, job.degree, job.nodes)) {
    buffers = new BatchBuffers(Math.max(rows, buffers?.maxBatch ?? 0), job.maxCandidates, job.degree, job.nodes);
  }
  const ctx: BuildContext = { arena, metric, graph, nodes: job.nodes, entry: job.entry, L: job.L, maxCandidates: job.maxCandidates, searcher, pruner };
  if (job.phase === 'reverse') {
    buffers.reverseEdges(ctx, job.touched, job.groupStart, job.groupCount, job.sources, job.from, job.to, job.alpha);
    return buffers;
  }
  buffers.searchPhase(ctx, job.points, job.from, job.to, job.reinsert);
  buffers.prunePhase(ctx, job.points, job.from, job.to, job.alpha, job.outRow, job.newLinks, job.newCount);
  return buffers;
}
