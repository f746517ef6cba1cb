/**
 * Vamana (DiskANN, Subramanya et al. 2019; the graph of Intel's SVS): one layer, out-degree at most
 * R = config.degree, searched by beam search from a single entry point, the approximate medoid (the
 * row closest to the mean).
 *
 * Build (insertUpTo on an empty graph): DiskANN's two passes over the points in a seeded random order
 * (in slot order with config.buildOrder 'slots'), the first with alpha = 1 (a sparse, well-navigable
 * base), the second re-inserting every point with alpha = config.alpha (long edges that bound the hop
 * count), each GreedySearch with L = config.buildWindowSize, RobustPrune over the expanded set V,
 * reverse edges pruned once a list exceeds R. Distances are the kernel's: alpha scales SQUARED L2
 * distances, as in DiskANN's code (alpha 1.2 on squared distances is about 1.1 on plain ones).
 *
 * Batched as in ParlayANN (build.ts): prefix-doubling batches (a batch never exceeds the graph built
 * so far, at most 5% of it and 4096 points) whose search and prune phases are read-only on the graph,
 * so they can later run in parallel workers. The order within a batch does not change what its
 * phases compute, so each batch is sorted by the nearest of 64 sampled pivots: consecutive searches
 * then touch the same rows while they are still in cache (-25% build time on Fashion-MNIST, where
 * each row is 3 KB and the rows do not fit the last-level cache).
 *
 * Later inserts (insertUpTo on a non-empty graph): FreshDiskANN's insert, one pass with
 * alpha = config.alpha, through the same batch phases; the entry point is re-chosen whenever the graph
 * has doubled since it was last chosen.
 *
 * Deletes: slots marked deleted stay in the graph and are traversed but never returned, until
 * consolidate() (FreshDiskANN's delete consolidation) rewires every live list that points at them.
 *
 * After a build, a consolidation or a remap (and after inserts into small graphs, or periodically),
 * every live node is made reachable from the entry point (maintain.ts: repairReachability); check()
 * verifies it.
 *
 * The 'dot' metric: see prune.ts (the occlusion test runs on squared L2 distances; for the unit
 * vectors of cosine collections that is exactly Vamana's L2 rule, so alpha = 1.2 applies as is).
 *
 * Files: graph.ts (adjacency storage), search.ts (GreedySearch), prune.ts (RobustPrune), build.ts
 * (batch phases), maintain.ts (medoid, reachability repair, checker), codec.ts (byte layout).
 */
import { QuiverError } from '../../errors.js';
import type { KernelMetric } from '../../kernels/kernel.js';
import { assert } from '../../lib/assert.js';
import type { Bitset } from '../../lib/bitset.js';
import { Prng } from '../../lib/prng.js';
import type { TopK } from '../../lib/topk.js';
import type { GraphArena } from '../../vectors/scoring.js';
import { FilteredSearcher } from '../filtered-search.js';
import type { GraphConfig, GraphFactory, GraphIndex } from '../index.js';
import { BatchBuffers, type BuildContext, batchSize, type VamanaBatchJob, type VamanaBuildWorkers } from './build.js';
import { decodeVamana, encodeVamana } from './codec.js';
import { Adjacency, SlotList, VAMANA_DEGREE_MAX } from './graph.js';
import { approximateMedoid, checkGraph, repairReachability } from './maintain.js';
import { Pruner } from './prune.js';
import { Searcher } from './search.js';

/** Largest batch of one build step (points that do not see each other's edges while inserted). */
export const VAMANA_MAX_BATCH = 4096;
/** ... and never more than this fraction of the graph (ParlayANN uses 0.02; 0.05 measured as good). */
const MAX_BATCH_FRACTION = 0.05;

/** Graphs up to this size get a full reachability check after every insertUpTo (a BFS: cheap). */
const REPAIR_ALWAYS_BELOW = 16_384;

/** The smallest part of a batch handed to a worker (smaller batches run on the calling thread). */
const PARALLEL_PART_MIN = 64;

/** Build batches are reordered for cache locality by their nearest of this many sampled points. */
const LOCALITY_PIVOTS = 64;

/** Counters for measurements (bench scripts); not part of the GraphIndex contract. */
export interface VamanaStats {
  searchDistances: number;
  pruneDistances: number;
  repairs: number;
}

export class VamanaGraph implements GraphIndex {
  readonly kind = 'vamana' as const;
  private arena: GraphArena;
  private readonly metric: KernelMetric;
  private readonly config: GraphConfig;
  private graph: Adjacency;
  private nodes = 0;
  private entry = 0;
  /** The size at which the entry point was last chosen. */
  private medoidBasis = 0;
  private readonly searcher: Searcher;
  private readonly pruner = new Pruner();
  private buffers: BatchBuffers | null = null;
  readonly stats: VamanaStats = { searchDistances: 0, pruneDistances: 0, repairs: 0 };

  constructor(arena: GraphArena, metric: KernelMetric, config: GraphConfig, graph?: Adjacency) {
    assert(Number.isInteger(config.degree) && config.degree >= 1 && config.degree <= VAMANA_DEGREE_MAX, `Vamana degree out of range: ${config.degree}`);
    assert(Number.isInteger(config.buildWindowSize) && config.buildWindowSize >= 1, `Vamana buildWindowSize must be a positive integer: ${config.buildWindowSize}`);
    assert(Number.isFinite(config.alpha) && config.alpha > 0, `Vamana alpha must be positive: ${config.alpha}`);
    this.arena = arena;
    this.metric = metric;
    this.config = config;
    this.graph = graph ?? new Adjacency(config.degree, Math.max(16, arena.count));
    this.searcher = new Searcher(config.degree);
  }

  get size(): number {
    return this.nodes;
  }

  get memoryBytes(): number {
    return this.graph.byteLength;
  }

  /** The entry point (the approximate medoid); meaningless while size is 0. */
  get entryPoint(): number {
    return this.entry;
  }

  insertUpTo(upTo: number): void {
    assert(!this.isBuilding, 'insertUpTo during a parallel build');
    assert(Number.isInteger(upTo) && upTo <= this.arena.count, `insertUpTo(${upTo}) beyond the arena's ${this.arena.count} rows`);
    const from = this.nodes;
    if (upTo <= from) return;
    this.graph.reserve(upTo);
    if (from === 0) this.build(upTo);
    else this.insertIncremental(from, upTo);
    this.buffers = null; // build scratch (megabytes for large batches) is not kept between calls
    this.collectStats();
  }

  /**
   * insertUpTo with the read-only phases of each batch split across `workers` and this thread (the arena
   * must be shared: arena.shareable, with a lane per worker). Between batches the caller's event loop
   * runs: searches may run then (they see the graph of slots [0, size) as before the call; links to
   * nodes still being inserted are skipped), rows may be appended and slots marked deleted, but nothing
   * else may change the graph (no consolidate, remap or insertUpTo) until the promise settles. The graph
   * is not bit-identical to insertUpTo's (batches are split differently), its quality is the same.
   */
  async insertUpToParallel(upTo: number, workers: VamanaBuildWorkers): Promise<void> {
    assert(Number.isInteger(upTo) && upTo <= this.arena.count, `insertUpTo(${upTo}) beyond the arena's ${this.arena.count} rows`);
    assert(this.arena.shareable !== undefined && (this.arena.lanes ?? 1) > workers.threads, 'a parallel build needs a shared arena with a lane per worker');
    assert(!this.isBuilding, 'one parallel build at a time');
    const from = this.nodes;
    if (upTo <= from) return;
    this.isBuilding = true;
    try {
      await this.buildParallel(from, upTo, workers);
    } finally {
      this.isBuilding = false;
    }
  }

  private isBuilding = false;

  get building(): boolean {
    return this.isBuilding;
  }

  private async buildParallel(from: number, upTo: number, workers: VamanaBuildWorkers): Promise<void> {
    workers.attach(this.arena, this.metric);
    this.graph.share();
    this.graph.reserve(upTo);
    if (from === 0) {
      const entry = Math.max(0, approximateMedoid(this.arena, upTo, () => true));
      const random = new Prng(this.config.seed ^ 0x5a4d414e);
      const first = this.passOrder(upTo, 0, random);
      const second = this.passOrder(upTo, 0, random);
      this.entry = entry;
      this.medoidBasis = upTo;
      const ctx = this.buildContext(upTo);
      await this.passParallel(ctx, first, 1, 0, false, false, workers);
      await this.passParallel(ctx, second, this.config.alpha, upTo, true, false, workers);
      this.nodes = upTo;
      this.stats.repairs += repairReachability(this.repairContext(), null);
    } else {
      const random = new Prng((this.config.seed ^ 0x1f5e7d) + from);
      const ctx = this.buildContext(upTo);
      await this.passParallel(ctx, this.passOrder(upTo - from, from, random), this.config.alpha, from, false, true, workers);
      this.finishIncremental(from, upTo);
    }
    this.buffers = null;
    this.collectStats();
  }

  search(marks: Uint8Array, top: TopK, base: number, ef: number): void {
    if (this.nodes === 0 || top.k === 0) return;
    const L = Math.max(1, ef | 0, top.k);
    const searcher = this.searcher;
    searcher.search(this.arena, this.metric, this.graph, this.nodes, this.entry, L, marks, null);
    const beam = searcher.beam;
    for (let i = 0; i < beam.size; i++) if (beam.isLive(i)) top.push(beam.distanceAt(i), base + beam.slotAt(i));
  }

  /** Filtered search from the medoid through the nodes `allowed` holds (../filtered-search.ts). */
  searchFiltered(marks: Uint8Array, allowed: Bitset, top: TopK, base: number, ef: number): number {
    if (this.nodes === 0 || top.k === 0) return 0;
    const width = Math.max(1, ef | 0, top.k);
    const searcher = (this.filtered ??= new FilteredSearcher());
    const layer = { links: this.graph.links, counts: this.graph.counts, stride: this.graph.degree, nodes: this.nodes };
    const found = searcher.search(this.arena, this.metric, layer, this.entry, width, allowed, marks);
    const { distances, slots } = searcher.results;
    for (let i = 0; i < found; i++) if (distances[i] < top.worst) top.push(distances[i], base + slots[i]);
    return found;
  }

  private filtered: FilteredSearcher | null = null;

  consolidate(marks: Uint8Array): void {
    assert(!this.isBuilding, 'consolidate during a parallel build');
    const n = this.nodes;
    if (n === 0) return;
    const deleted = (s: number): boolean => marks[s] === 1;
    let any = false;
    for (let s = 0; s < n && !any; s++) any = deleted(s);
    if (!any) return;
    const graph = this.graph;
    const R = graph.degree;
    const links = graph.links;
    const counts = graph.counts;
    const maxC = this.maxCandidates();
    const stamp = new Uint32Array(n);
    let epoch = 0;
    const cand = new SlotList(R * 4);
    let dists = new Float32Array(R * 4);
    const out = new Uint32Array(R);
    for (let p = 0; p < n; p++) {
      if (deleted(p)) continue;
      const first = p * R;
      const end = first + counts[p];
      let touches = false;
      for (let i = first; i < end && !touches; i++) touches = deleted(links[i]);
      if (!touches) continue;
      // C = live out-neighbours of p, plus the live out-neighbours of its deleted out-neighbours
      epoch++;
      stamp[p] = epoch;
      let m = 0;
      const add = (v: number): void => {
        if (stamp[v] === epoch || deleted(v)) return;
        stamp[v] = epoch;
        cand.reserve(m + 1);
        cand.buffer[m++] = v;
      };
      for (let i = first; i < end; i++) {
        const v = links[i];
        if (!deleted(v)) add(v);
        else for (let j = v * R; j < v * R + counts[v]; j++) add(links[j]);
      }
      if (m <= R) {
        graph.setList(p, cand.buffer, 0, m);
        continue;
      }
      this.arena.setQueryFromRow(p);
      const at = this.arena.scoreSlots(this.metric, cand.view(m), m);
      const floats = this.arena.floats;
      if (dists.length < m) dists = new Float32Array(Math.max(m, dists.length * 2));
      for (let i = 0; i < m; i++) dists[i] = floats[at + i];
      const kept = this.pruner.prune(this.arena, this.metric, p, cand.buffer, dists, 0, m, this.config.alpha, R, maxC, out, 0);
      graph.setList(p, out, 0, kept);
    }
    for (let s = 0; s < n; s++) if (deleted(s)) counts[s] = 0;
    if (deleted(this.entry)) {
      const medoid = approximateMedoid(this.arena, n, (s) => !deleted(s));
      if (medoid >= 0) this.entry = medoid;
    }
    this.stats.repairs += repairReachability(this.repairContext(), marks);
    this.collectStats();
  }

  remap(oldToNew: Int32Array, newCount: number, arena: GraphArena): GraphIndex {
    assert(!this.isBuilding, 'remap during a parallel build');
    const n = this.nodes;
    const R = this.graph.degree;
    let size = 0;
    for (let s = 0; s < n; s++) if (oldToNew[s] >= 0) size++;
    assert(size <= newCount && newCount <= arena.count, `remap: ${size} indexed slots into ${newCount} of ${arena.count} rows`);
    const graph = new Adjacency(R, Math.max(16, size));
    for (let s = 0; s < n; s++) {
      const to = oldToNew[s];
      if (to < 0) continue;
      assert(to < size, `remap: indexed slot ${s} maps to ${to}, past the ${size} indexed slots (compaction must keep slot order)`);
      let c = 0;
      const first = s * R;
      const end = first + this.graph.counts[s];
      for (let i = first; i < end; i++) {
        const v = oldToNew[this.graph.links[i]];
        if (v >= 0) graph.links[to * R + c++] = v;
      }
      graph.counts[to] = c;
    }
    const next = new VamanaGraph(arena, this.metric, this.config, graph);
    next.nodes = size;
    next.medoidBasis = size;
    if (size > 0) {
      const entry = oldToNew[this.entry];
      next.entry = entry >= 0 ? entry : Math.max(0, approximateMedoid(arena, size, (s) => graph.counts[s] > 0 || size === 1));
      next.stats.repairs += repairReachability(next.repairContext(), null);
    }
    return next;
  }

  encode(): Uint8Array {
    if (this.isBuilding) {
      // Mid-build, lists of [0, size) may point at nodes still being inserted: the file gets the graph of
      // [0, size) without those links (the build's rows stay pending in it).
      const R = this.graph.degree;
      const graph = new Adjacency(R, Math.max(1, this.nodes));
      for (let s = 0; s < this.nodes; s++) {
        let c = 0;
        for (let i = s * R; i < s * R + this.graph.counts[s]; i++) {
          const v = this.graph.links[i];
          if (v < this.nodes) graph.links[s * R + c++] = v;
        }
        graph.counts[s] = c;
      }
      return encodeVamana({ graph, size: this.nodes, entry: this.entry, medoidBasis: Math.min(this.medoidBasis, this.nodes) });
    }
    return encodeVamana({ graph: this.graph, size: this.nodes, entry: this.entry, medoidBasis: this.medoidBasis });
  }

  check(marks: Uint8Array): string[] {
    return checkGraph(this.graph, this.nodes, this.entry, marks);
  }

  /** decode's door: the state that encode() wrote. */
  restore(size: number, entry: number, medoidBasis: number): void {
    assert(this.nodes === 0 && size <= this.graph.capacity, 'restore() is for freshly decoded graphs');
    this.nodes = size;
    this.entry = entry;
    this.medoidBasis = medoidBasis;
  }

  /** The out-links of a node (a copy), for tests and tools. */
  neighbours(slot: number): Uint32Array {
    assert(slot >= 0 && slot < this.nodes, `neighbours(${slot}) outside [0, ${this.nodes})`);
    const at = slot * this.graph.degree;
    return this.graph.links.slice(at, at + this.graph.counts[slot]);
  }

  // ---- construction ----

  private maxCandidates(): number {
    return 2 * this.config.buildWindowSize + this.graph.degree;
  }

  private buildContext(nodes: number): BuildContext {
    return {
      arena: this.arena,
      metric: this.metric,
      graph: this.graph,
      nodes,
      entry: this.entry,
      L: this.config.buildWindowSize,
      maxCandidates: this.maxCandidates(),
      searcher: this.searcher,
      pruner: this.pruner,
    };
  }

  private repairContext() {
    return {
      arena: this.arena,
      metric: this.metric,
      graph: this.graph,
      size: this.nodes,
      entry: this.entry,
      L: this.config.buildWindowSize,
      alpha: this.config.alpha,
      searcher: this.searcher,
      pruner: this.pruner,
    };
  }

  private batchBuffers(maxBatch: number, nodes: number): BatchBuffers {
    const maxC = this.maxCandidates();
    if (this.buffers === null || !this.buffers.fits(maxBatch, maxC, this.graph.degree, nodes)) {
      this.buffers = new BatchBuffers(maxBatch, maxC, this.graph.degree, Math.max(nodes, this.graph.capacity));
    }
    return this.buffers;
  }

  /** One pass over `points`: batches of search, prune, apply. `inserted` nodes are in the graph already. */
  private pass(ctx: BuildContext, points: Uint32Array, alpha: number, inserted: number, reinsert: boolean, ensureInEdge: boolean): void {
    const maxBatch = Math.max(1, Math.min(VAMANA_MAX_BATCH, Math.ceil(ctx.nodes * MAX_BATCH_FRACTION), points.length));
    const buffers = this.batchBuffers(maxBatch, ctx.nodes);
    for (let done = 0; done < points.length; ) {
      const count = batchSize(inserted, points.length - done, maxBatch);
      if (count >= 4 * LOCALITY_PIVOTS) this.localityOrder(points, done, count, LOCALITY_PIVOTS);
      buffers.searchPhase(ctx, points, done, done + count, reinsert);
      buffers.prunePhase(ctx, points, done, done + count, alpha);
      buffers.applyPhase(ctx, points, done, done + count, alpha, ensureInEdge);
      done += count;
      inserted += count;
    }
  }

  /**
   * pass() with each batch's search and prune split into parts: parts 1.. go to the workers, part 0 runs
   * here while they work; then the apply phase: lists and grouping here, reverse edges split by target
   * the same way, the in-edge guarantee here.
   */
  private async passParallel(
    ctx: BuildContext,
    order: Uint32Array,
    alpha: number,
    inserted: number,
    reinsert: boolean,
    ensureInEdge: boolean,
    workers: VamanaBuildWorkers,
  ): Promise<void> {
    const maxBatch = Math.max(1, Math.min(VAMANA_MAX_BATCH, Math.ceil(ctx.nodes * MAX_BATCH_FRACTION), order.length));
    const maxC = this.maxCandidates();
    const R = this.graph.degree;
    if (this.buffers === null || !this.buffers.fits(maxBatch, maxC, R, ctx.nodes) || !(this.buffers.newLinks.buffer instanceof SharedArrayBuffer)) {
      this.buffers = new BatchBuffers(maxBatch, maxC, R, Math.max(ctx.nodes, this.graph.capacity), true);
    }
    const buffers = this.buffers;
    const points = new Uint32Array(new SharedArrayBuffer(order.byteLength));
    points.set(order);
    for (let done = 0; done < points.length; ) {
      const count = batchSize(inserted, points.length - done, maxBatch);
      if (count >= 4 * LOCALITY_PIVOTS) this.localityOrder(points, done, count, LOCALITY_PIVOTS);
      // Parts of at least PARALLEL_PART_MIN points: small batches (the first few) stay on this thread.
      const parts = Math.max(1, Math.min(workers.threads + 1, Math.floor(count / PARALLEL_PART_MIN)));
      const job = (phase: 'read' | 'reverse', from: number, to: number, outRow: number): VamanaBatchJob => ({
        phase,
        links: this.graph.links,
        counts: this.graph.counts,
        points,
        newLinks: buffers.newLinks,
        newCount: buffers.newCount,
        touched: buffers.touched,
        groupStart: buffers.groupStart,
        groupCount: buffers.groupCount,
        sources: buffers.sources,
        from,
        to,
        outRow,
        nodes: ctx.nodes,
        entry: ctx.entry,
        L: ctx.L,
        maxCandidates: maxC,
        degree: R,
        alpha,
        reinsert,
      });
      const bounds = (p: number): number => done + Math.floor((count * p) / parts);
      const jobs: VamanaBatchJob[] = [];
      for (let p = 1; p < parts; p++) jobs.push(job('read', bounds(p), bounds(p + 1), bounds(p) - done));
      await this.runParts(workers, jobs, () => {
        buffers.searchPhase(ctx, points, done, bounds(1), reinsert);
        buffers.prunePhase(ctx, points, done, bounds(1), alpha, 0);
      });
      // The apply phase: lists and grouping here, the reverse edges split by target across the threads
      // (each target's list is written by one thread only), then the in-edge guarantee here.
      const targets = buffers.groupReverseEdges(ctx, points, done, done + count);
      const split = Math.max(1, Math.min(workers.threads + 1, Math.floor(targets / PARALLEL_PART_MIN)));
      const targetBounds = (p: number): number => Math.floor((targets * p) / split);
      const reverseJobs: VamanaBatchJob[] = [];
      for (let p = 1; p < split; p++) reverseJobs.push(job('reverse', targetBounds(p), targetBounds(p + 1), 0));
      await this.runParts(workers, reverseJobs, () => {
        buffers.reverseEdges(ctx, buffers.touched, buffers.groupStart, buffers.groupCount, buffers.sources, 0, targetBounds(1), alpha);
      });
      if (ensureInEdge) buffers.ensureInEdges(ctx, points, done, done + count);
      done += count;
      inserted += count;
    }
  }

  /** Starts `jobs` on the workers, runs `own` (part 0) here meanwhile, and waits for the workers. */
  private async runParts(workers: VamanaBuildWorkers, jobs: VamanaBatchJob[], own: () => void): Promise<void> {
    const others = jobs.length > 0 ? workers.run(jobs) : null;
    own();
    if (others === null) return;
    const counts = await others;
    this.stats.searchDistances += counts.searchDistances;
    this.stats.pruneDistances += counts.pruneDistances;
  }

  /**
   * Reorders points[from, from + count) so that points near each other in space are consecutive: each
   * is labelled with its nearest of `pivots` sampled points, then sorted by label. The batch's result
   * does not depend on the order within it (its phases run on a read-only graph), but consecutive
   * nearby searches touch many of the same rows, which are then still in cache.
   */
  private localityOrder(points: Uint32Array, from: number, count: number, pivots: number): void {
    const slice = points.subarray(from, from + count);
    const best = new Float64Array(count).fill(Infinity);
    const label = new Uint32Array(count);
    const step = count / pivots;
    for (let k = 0; k < pivots; k++) {
      const pivot = slice[Math.floor(k * step)];
      this.arena.setQueryFromRow(pivot);
      const d = this.arena.distancesOf('l2', slice);
      for (let i = 0; i < count; i++) {
        if (d[i] < best[i]) {
          best[i] = d[i];
          label[i] = k;
        }
      }
    }
    const order = Array.from(slice.keys()).sort((a, b) => label[a] - label[b] || best[a] - best[b] || a - b);
    const copy = slice.slice();
    for (let i = 0; i < count; i++) slice[i] = copy[order[i]];
  }

  private build(n: number): void {
    this.entry = Math.max(0, approximateMedoid(this.arena, n, () => true));
    this.medoidBasis = n;
    this.nodes = 0;
    const random = new Prng(this.config.seed ^ 0x5a4d414e);
    const ctx = this.buildContext(n);
    this.pass(ctx, this.passOrder(n, 0, random), 1, 0, false, false);
    this.pass(ctx, this.passOrder(n, 0, random), this.config.alpha, n, true, false);
    this.nodes = n;
    this.stats.repairs += repairReachability(this.repairContext(), null);
  }

  private insertIncremental(from: number, upTo: number): void {
    const random = new Prng((this.config.seed ^ 0x1f5e7d) + from);
    const ctx = this.buildContext(upTo);
    this.pass(ctx, this.passOrder(upTo - from, from, random), this.config.alpha, from, false, true);
    this.finishIncremental(from, upTo);
  }

  /** Slots [offset, offset + n) in the order a pass visits them (config.buildOrder). */
  private passOrder(n: number, offset: number, random: Prng): Uint32Array {
    if (this.config.buildOrder === 'slots') return Uint32Array.from({ length: n }, (_, i) => offset + i);
    return shuffled(n, offset, random);
  }

  private finishIncremental(from: number, upTo: number): void {
    this.nodes = upTo;
    if (upTo >= 2 * this.medoidBasis) {
      const counts = this.graph.counts;
      const medoid = approximateMedoid(this.arena, upTo, (s) => counts[s] > 0);
      if (medoid >= 0) this.entry = medoid;
      this.medoidBasis = upTo;
    }
    // A global reachability repair (it catches nodes whose last in-edge a later prune removed) after
    // every insert into a small graph, and for larger ones whenever the size crosses a multiple of a
    // step that grows with the graph (1/16 of it): amortised O(16 R) link reads per insert.
    const step = 2 ** Math.floor(Math.log2(Math.max(1, upTo / 16)));
    if (upTo <= REPAIR_ALWAYS_BELOW || Math.floor(from / step) !== Math.floor(upTo / step)) {
      this.stats.repairs += repairReachability(this.repairContext(), null);
    }
  }

  private collectStats(): void {
    this.stats.searchDistances += this.searcher.distanceCount;
    this.stats.pruneDistances += this.pruner.distanceCount;
    this.searcher.distanceCount = 0;
    this.pruner.distanceCount = 0;
  }
}

/** [offset, offset + n) in a seeded random order (Fisher-Yates). */
function shuffled(n: number, offset: number, random: Prng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = offset + i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export const vamanaFactory: GraphFactory = {
  create(arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex {
    return new VamanaGraph(arena, metric, config);
  },
  decode(bytes: Uint8Array, what: string, arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex {
    if (!(bytes instanceof Uint8Array)) throw new QuiverError('CORRUPTED', `${what}: the Vamana graph section is missing.`, { file: what, offset: 0 });
    const image = decodeVamana(bytes, what, arena.count, config.degree);
    image.graph.reserve(Math.max(16, arena.count));
    const graph = new VamanaGraph(arena, metric, config, image.graph);
    graph.restore(image.size, image.entry, image.medoidBasis);
    return graph;
  },
};
