/**
 * HNSW (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using Hierarchical
 * Navigable Small World graphs") over one segment's arena.
 *
 * Layout: typed arrays only, no object per node.
 *   links0   Uint32Array(capacity * 2M)  layer 0: node v's links at [v*2M, v*2M + counts0[v])
 *   counts0  Uint16Array(capacity)       layer-0 link counts
 *   levels   Uint8Array(capacity)        the top layer of each node (0 for ~(1 - 1/M) of them)
 *   removed  Uint8Array(capacity)        1 for deleted nodes consolidate() took out: no links in or out
 *   upperAt  Int32Array(capacity)        where node v's upper lists start in `upper`, -1 if level 0
 *   upper    Uint32Array                 per node with level L >= 1, L blocks of (1 + M) u32: a count then
 *                                        M links, for layers 1..L; blocks are appended in insertion order
 * Layer 0 is the hot one (every search expands ~ef nodes there), so it is one flat array with a fixed
 * stride; the upper layers are compact because only ~1/M of the nodes have them.
 *
 * Distances are always the arena's kernel calls, batched: expanding a node scores all its unvisited
 * neighbours in one scoreSlots call. The prepared query lives in the arena's memory, so construction
 * switches it (setQueryFromRow) and re-prepares it as it goes; nothing here keeps a distance across a
 * kernel call without copying it out first.
 *
 * Construction is hnswlib's: a node's level is floor(-ln(U) * mL) with mL = 1/ln(M); greedy descent with
 * ef = 1 above the node's level, then per layer a beam search with efConstruction, the diversity heuristic
 * picks up to M neighbours (keep a candidate only if it is closer to the new node than to every neighbour
 * already kept; discarded candidates are not used to fill up, as in hnswlib — measured: filling raised
 * recall at a given ef, but at equal recall it gained 4-10% QPS on Fashion-MNIST and nothing beyond noise
 * on synth-768 in or out of distribution), and back links re-select with
 * the same heuristic when a list overflows (M on upper layers, 2M on layer 0). The insert is three phases —
 * search for candidates, select neighbours (both read-only on the graph), link (writes) — so a parallel
 * build can run the first two on a frozen graph.
 *
 * Parallel build (insertUpToParallel, parallel.ts): batches of consecutive slots are planned against the
 * graph as it stood before the batch by worker threads and this one, each through its own arena lane,
 * then linked here in slot order. The arrays the workers read (links0, counts0, levels, upperAt, upper)
 * move into SharedArrayBuffers for it and stay there as they grow. Levels come from the same seeded
 * stream in slot order. The batched graph is not the one-at-a-time graph (nodes of a batch do not see
 * each other), but the same whatever the number of threads; the single-threaded insertUpTo is untouched.
 *
 * Reachability: pruning back links can leave a node with no path from the entry point (hnswlib has
 * this too). Layer 0 keeps every node's in-degree; a re-selection never drops a node's last in-link (it
 * gives up its farthest link whose target has another one instead), and a new node that every neighbour
 * pruned is linked from its nearest neighbour. A group of nodes linking only among themselves can still
 * be cut off, so a BFS from the entry point finds stranded nodes and links each from its nearest reachable
 * ones: after every consolidate(), and after insert batches when it is cheap or amortised (insertUpTo).
 * Searches that run dry before filling their beam continue from the entry point, so a search as wide as
 * the graph returns every live node.
 *
 * Deletes: consolidate() repairs the lists that point at deleted nodes (candidates: the live links and
 * the live nodes reached through the deleted ones, re-selected by the heuristic), then removes the deleted
 * nodes (no links in or out, flagged `removed`, never attached again) and moves the entry point to a live
 * node of the highest level.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import { assert } from '../../lib/assert.js';
import { Prng } from '../../lib/prng.js';
import type { Bitset } from '../../lib/bitset.js';
import type { TopK } from '../../lib/topk.js';
import { VisitedSet } from '../../lib/visited.js';
import type { VectorArena } from '../../vectors/arena.js';
import type { GraphArena } from '../../vectors/scoring.js';
import type { GraphConfig, GraphIndex } from '../index.js';
import { checkHnsw } from './check.js';
import { encodeHnsw } from './codec.js';
import { CandidateHeap, ResultHeap, sortPairs } from '../../lib/heap.js';
import { type HnswBuildWorkers, type HnswPlanJob, hnswBatchSize, HNSW_CHUNK_MAX, HNSW_MAX_BATCH, HNSW_PARALLEL_MIN } from './parallel.js';
import { FilteredSearcher } from '../filtered-search.js';

/** Levels are capped (P(level > 31) = M^-31: never in practice) so a level fits a byte with room. */
export const HNSW_LEVEL_MAX = 31;
/** Graphs up to this many nodes verify reachability after every insert batch (the BFS is that cheap). */
const VERIFY_ALWAYS_BELOW = 4096;
/** Degree bound the graph accepts (the collection's connectivity range is narrower). */
export const HNSW_DEGREE_MAX = 512;

/** The state the codec and the checker read; fields of HnswGraph. */
export interface HnswParts {
  degree: number;
  seed: number;
  size: number;
  entry: number;
  levels: Uint8Array;
  removed: Uint8Array;
  counts0: Uint16Array;
  links0: Uint32Array;
  upperAt: Int32Array;
  upper: Uint32Array;
  upperUsed: number;
}

export class HnswGraph implements GraphIndex {
  readonly kind = 'hnsw' as const;
  readonly arena: GraphArena;
  readonly metric: KernelMetric;
  /**
   * The metric the links are chosen by: always 'l2'. On unit vectors (cosine) it orders pairs exactly as
   * the inner product does (|x - y|^2 = 2 - 2 x.y). On other vectors the inner product is no metric — a
   * vector is not its own nearest neighbour, large norms are "near" everything — and the heuristic built
   * on it strands most nodes (measured: 16,083 of 20,000 unreachable on clustered data with spread norms;
   * recall@10 0.39 at ef 10); built on l2 and searched with the inner product, every node is reachable.
   */
  readonly buildMetric: KernelMetric;
  /** The metric of the kernel calls in flight: `metric` while searching, `buildMetric` while building. */
  private scoring: KernelMetric;
  /** M: links per node on the upper layers. */
  readonly degree: number;
  /** 2M: links per node on layer 0. */
  readonly degree0: number;
  readonly efConstruction: number;
  readonly defaultEf: number;
  /** The level generator's seed (u32), kept in the encoding so inserts after a reload continue its stream. */
  readonly seed: number;
  private readonly levelScale: number;
  private readonly prng: Prng;

  size = 0;
  capacity = 0;
  entry = -1;
  maxLevel = -1;
  links0: Uint32Array = new Uint32Array(0);
  counts0: Uint16Array = new Uint16Array(0);
  levels: Uint8Array = new Uint8Array(0);
  removed: Uint8Array = new Uint8Array(0);
  upperAt: Int32Array = new Int32Array(0);
  upper: Uint32Array = new Uint32Array(0);
  upperUsed = 0;
  /** Layer-0 in-degree of each node (how many lists link to it). */
  private indegree: Uint32Array = new Uint32Array(0);
  /** Set when a node is known to have lost its last in-link: the batch ends with a reachability repair. */
  private stranded = false;
  /** Nodes inserted since reachability was last verified (see insertUpTo). */
  private sinceVerified = 0;
  /** The arrays build workers read live in SharedArrayBuffers (after the first parallel build). */
  private shared = false;
  private isBuilding = false;

  // ---- scratch (per graph; searches and inserts on one graph are not reentrant) ----
  private readonly visited: VisitedSet;
  private readonly candidates: CandidateHeap;
  private readonly results: ResultHeap;
  /** Neighbours gathered for one kernel call, and views of its prefixes (so scoring allocates nothing). */
  private readonly gather: Uint32Array;
  private readonly gatherViews: Uint32Array[];
  /** A layer's search results, closest first (the heuristic's input). */
  private poolSlots: Uint32Array;
  private poolDistances: Float32Array;
  /** The heuristic's own scratch. */
  private selectAlive: Uint8Array;
  private selectGather: Uint32Array;
  private selectIndex: Uint32Array;
  /** Neighbours chosen for the node being inserted, M per layer. */
  private readonly planSlots: Uint32Array;
  private readonly planCounts: Uint16Array;
  /** Result of greedyUpper. */
  private greedyNode = 0;
  private greedyDistance = 0;
  /** Scratch of filtered searches, made on the first one. */
  private filtered: FilteredSearcher | null = null;

  constructor(arena: GraphArena, metric: KernelMetric, config: GraphConfig, seed: number, initialCapacity: number) {
    const m = config.degree;
    assert(Number.isInteger(m) && m >= 2 && m <= HNSW_DEGREE_MAX, `HNSW degree must be an integer in [2, ${HNSW_DEGREE_MAX}]: ${m}`);
    assert(Number.isInteger(config.buildWindowSize) && config.buildWindowSize >= 1, `HNSW efConstruction must be a positive integer: ${config.buildWindowSize}`);
    this.arena = arena;
    this.metric = metric;
    this.buildMetric = 'l2';
    this.scoring = this.buildMetric;
    this.degree = m;
    this.degree0 = 2 * m;
    this.efConstruction = Math.max(config.buildWindowSize, m);
    this.defaultEf = Math.max(1, Math.floor(config.ef) || 1);
    this.seed = seed >>> 0;
    this.levelScale = 1 / Math.log(m);
    this.prng = new Prng(this.seed);

    const beam = Math.max(this.efConstruction, this.defaultEf, 16);
    this.visited = new VisitedSet(16);
    this.candidates = new CandidateHeap(beam * 2);
    this.results = new ResultHeap(beam);
    this.gather = new Uint32Array(this.degree0 + 1);
    this.gatherViews = [];
    for (let i = 0; i <= this.degree0 + 1; i++) this.gatherViews.push(this.gather.subarray(0, i));
    this.poolSlots = new Uint32Array(beam);
    this.poolDistances = new Float32Array(beam);
    this.selectAlive = new Uint8Array(beam);
    this.selectGather = new Uint32Array(beam);
    this.selectIndex = new Uint32Array(beam);
    this.planSlots = new Uint32Array((HNSW_LEVEL_MAX + 1) * m);
    this.planCounts = new Uint16Array(HNSW_LEVEL_MAX + 1);
    this.ensureCapacity(initialCapacity);
  }

  get memoryBytes(): number {
    return (
      this.links0.byteLength +
      this.indegree.byteLength +
      this.counts0.byteLength +
      this.levels.byteLength +
      this.removed.byteLength +
      this.upperAt.byteLength +
      this.upper.byteLength +
      this.capacity * 2 + // the visited set's tags
      this.candidates.bytes +
      this.results.bytes +
      this.poolSlots.byteLength * 4 + // pool slots + distances, the heuristic's gather + index
      this.selectAlive.byteLength +
      this.gather.byteLength +
      this.planSlots.byteLength
    );
  }

  // ---------------------------------------------------------------- search

  search(marks: Uint8Array, top: TopK, base: number, ef: number): void {
    if (this.entry < 0 || top.k === 0) return;
    const width = Math.max(Math.floor(ef) || 0, top.k, 1);
    this.descend();
    this.beam0(this.greedyNode, this.greedyDistance, width, marks);
    const results = this.results;
    const d = results.distances;
    const s = results.slots;
    let worst = top.worst;
    for (let i = 0; i < results.size; i++) {
      if (d[i] < worst) {
        top.push(d[i], base + s[i]);
        worst = top.worst;
      }
    }
  }

  /**
   * Filtered search (../filtered-search.ts): the unfiltered greedy descent of the upper layers finds the
   * query's region, then layer 0 is searched through the nodes `allowed` holds. Pushes the best live
   * allowed slots into `top`; returns how many the beam found (min(width, live allowed nodes)).
   */
  searchFiltered(marks: Uint8Array, allowed: Bitset, top: TopK, base: number, ef: number): number {
    if (this.entry < 0 || top.k === 0) return 0;
    const width = Math.max(Math.floor(ef) || 0, top.k, 1);
    this.descend();
    const searcher = (this.filtered ??= new FilteredSearcher());
    const layer = { links: this.links0, counts: this.counts0, stride: this.degree0, nodes: this.size };
    const found = searcher.search(this.arena, this.metric, layer, this.greedyNode, width, allowed, marks);
    const { distances, slots } = searcher.results;
    for (let i = 0; i < found; i++) if (distances[i] < top.worst) top.push(distances[i], base + slots[i]);
    return found;
  }

  /** Greedy descent from the entry point through the upper layers: the layer-0 entry in greedyNode/greedyDistance. */
  private descend(): void {
    this.scoring = this.metric;
    const entry = this.entry;
    this.gather[0] = entry;
    let node = entry;
    let distance = this.arena.floats[this.score(1)];
    this.visited.reset(this.capacity);
    this.visited.add(entry);
    for (let level = this.maxLevel; level >= 1; level--) {
      this.greedyUpper(level, node, distance);
      node = this.greedyNode;
      distance = this.greedyDistance;
    }
    this.greedyNode = node;
    this.greedyDistance = distance;
  }

  /** Scores gather[0, count) against the prepared query; returns the index of the first distance in arena.floats. */
  private score(count: number): number {
    return this.arena.scoreSlots(this.scoring, this.gatherViews[count], count);
  }

  /**
   * Greedy descent on an upper layer (ef = 1): moves to the best neighbour while one is closer. A descent
   * (all its layers) shares one visited set and scores each node once: a node scored before is no closer
   * than the current one (the current distance is the minimum of all scored so far), so skipping it
   * changes nothing but the work (28% fewer distances in the descent on Fashion-MNIST).
   * The caller resets `visited` and marks the entry point.
   */
  private greedyUpper(level: number, start: number, startDistance: number): void {
    const upper = this.upper;
    const upperAt = this.upperAt;
    const gather = this.gather;
    const visited = this.visited;
    const stride = this.degree + 1;
    const arena = this.arena;
    let node = start;
    let distance = startDistance;
    for (let changed = true; changed; ) {
      changed = false;
      const block = upperAt[node] + (level - 1) * stride;
      const end = block + 1 + upper[block];
      let count = 0;
      for (let i = block + 1; i < end; i++) {
        const v = upper[i];
        if (visited.add(v)) gather[count++] = v;
      }
      if (count === 0) break;
      const at = this.score(count);
      const floats = arena.floats;
      for (let i = 0; i < count; i++) {
        const d = floats[at + i];
        if (d < distance) {
          distance = d;
          node = gather[i];
          changed = true;
        }
      }
    }
    this.greedyNode = node;
    this.greedyDistance = distance;
  }

  /**
   * Beam search on layer 0 from one entry: leaves the best `width` nodes in `results` (unordered). With
   * marks, deleted nodes are expanded but never enter the results; the search stops once the closest
   * unexpanded candidate is farther than the worst of `width` live results.
   */
  private beam0(entry: number, entryDistance: number, width: number, marks: Uint8Array | null): void {
    const visited = this.visited;
    const candidates = this.candidates;
    const results = this.results;
    const links = this.links0;
    const counts = this.counts0;
    const gather = this.gather;
    const stride = this.degree0;
    const arena = this.arena;
    visited.reset(this.capacity);
    candidates.size = 0;
    results.reset(width);
    visited.add(entry);
    candidates.push(entryDistance, entry);
    if (marks === null || marks[entry] === 0) results.push(entryDistance, entry);
    let bound = results.worst;
    for (;;) {
      if (candidates.size === 0 || candidates.distances[0] > bound) {
        // Layer 0 is directed: the landing node of the descent may not reach every node the entry point
        // does. A beam that ran dry before filling up continues from the entry point, so a search as wide
        // as the graph finds every live node.
        const entryPoint = this.entry;
        if (results.size >= width || entryPoint < 0 || !visited.add(entryPoint)) break;
        gather[0] = entryPoint;
        const d = arena.floats[this.score(1)];
        candidates.push(d, entryPoint);
        if (marks === null || marks[entryPoint] === 0) {
          results.push(d, entryPoint);
          bound = results.worst;
        }
        continue;
      }
      const node = candidates.slots[0];
      candidates.pop();
      const first = node * stride;
      const end = first + counts[node];
      let n = 0;
      for (let i = first; i < end; i++) {
        const v = links[i];
        if (visited.add(v)) gather[n++] = v;
      }
      if (n > 0) bound = this.admitScored(n, bound, marks);
    }
  }

  /** Beam search on an upper layer (construction only): the best `width` nodes in `results`. */
  private beamUpper(level: number, entry: number, entryDistance: number, width: number): void {
    const visited = this.visited;
    const candidates = this.candidates;
    const results = this.results;
    const upper = this.upper;
    const upperAt = this.upperAt;
    const gather = this.gather;
    const stride = this.degree + 1;
    visited.reset(this.capacity);
    candidates.size = 0;
    results.reset(width);
    visited.add(entry);
    candidates.push(entryDistance, entry);
    results.push(entryDistance, entry);
    let bound = results.worst;
    while (candidates.size > 0) {
      if (candidates.distances[0] > bound) break;
      const node = candidates.slots[0];
      candidates.pop();
      const block = upperAt[node] + (level - 1) * stride;
      const count = upper[block];
      let n = 0;
      for (let i = 0; i < count; i++) {
        const v = upper[block + 1 + i];
        if (visited.add(v)) gather[n++] = v;
      }
      if (n > 0) bound = this.admitScored(n, bound, null);
    }
  }

  /**
   * Scores the n gathered neighbours and admits those under `bound` as candidates, and the live ones
   * (marks null: all) as results. Returns the new bound. Shared by the layer-0 and upper-layer beams.
   */
  private admitScored(n: number, bound: number, marks: Uint8Array | null): number {
    const at = this.score(n);
    const floats = this.arena.floats;
    const gather = this.gather;
    const candidates = this.candidates;
    const results = this.results;
    for (let i = 0; i < n; i++) {
      const d = floats[at + i];
      if (d < bound) {
        const v = gather[i];
        candidates.push(d, v);
        if (marks === null || marks[v] === 0) {
          results.push(d, v);
          bound = results.worst;
        }
      }
    }
    return bound;
  }

  // ---------------------------------------------------------------- insert

  insertUpTo(upTo: number): void {
    assert(!this.isBuilding, 'insertUpTo during a parallel build');
    assert(Number.isInteger(upTo) && upTo <= this.arena.count, `insertUpTo(${upTo}) beyond the arena's ${this.arena.count} rows`);
    if (upTo <= this.size) return;
    this.ensureCapacity(upTo);
    this.scoring = this.buildMetric;
    const inserted = upTo - this.size;
    for (let slot = this.size; slot < upTo; slot++) this.insert(slot);
    this.afterInserts(inserted);
  }

  /** After `inserted` new nodes: the reachability check when it is due. */
  private afterInserts(inserted: number): void {
    // In-degrees keep single nodes from being stranded; a group that only links among itself can still
    // be cut off, rarely. A BFS from the entry finds and links such nodes: O(size), so it runs when a node
    // is known stranded, on small graphs, and once the nodes inserted since the last run reach 1/8 of the
    // graph (any single batch that large, a whole build among them): a few link reads per insert.
    this.sinceVerified += inserted;
    if (this.stranded || this.size <= VERIFY_ALWAYS_BELOW || this.sinceVerified * 8 >= this.size) {
      this.connectStranded(null);
      this.sinceVerified = 0;
    }
  }

  private insert(q: number): void {
    const level = this.drawLevel();
    this.place(q, level);
    if (this.entry < 0) {
      this.entry = q;
      this.maxLevel = level;
      this.size = q + 1;
      return;
    }
    const top = Math.min(level, this.maxLevel);
    this.plan(q, top);
    this.link(q, top);
    if (level > this.maxLevel) {
      this.entry = q;
      this.maxLevel = level;
    }
    this.size = q + 1;
  }

  // ---------------------------------------------------------------- parallel build

  /**
   * insertUpTo in batches whose plans are split across `workers` and this thread (the arena must be
   * shared, with a lane per worker; see parallel.ts). Between batches the caller's event loop runs:
   * searches and encode() then see a consistent graph of slots [0, size), where `size` grows batch by
   * batch; rows may be appended and slots marked deleted, but nothing else may change the graph (no
   * insertUpTo, consolidate or remap) until the promise settles.
   */
  async insertUpToParallel(upTo: number, workers: HnswBuildWorkers): Promise<void> {
    assert(Number.isInteger(upTo) && upTo <= this.arena.count, `insertUpTo(${upTo}) beyond the arena's ${this.arena.count} rows`);
    assert(this.arena.shareable !== undefined && (this.arena.lanes ?? 1) > workers.threads, 'a parallel build needs a shared arena with a lane per worker');
    assert(!this.isBuilding, 'one parallel build at a time');
    if (upTo <= this.size) return;
    this.isBuilding = true;
    try {
      await this.buildParallel(upTo, workers);
    } finally {
      this.isBuilding = false;
    }
  }

  get building(): boolean {
    return this.isBuilding;
  }

  private async buildParallel(upTo: number, workers: HnswBuildWorkers): Promise<void> {
    workers.attach(this.arena, this.buildMetric);
    this.share();
    this.ensureCapacity(upTo);
    const inserted = upTo - this.size;
    const m = this.degree;
    const cursor = new Int32Array(new SharedArrayBuffer(4));
    const first = new Uint32Array(new SharedArrayBuffer(HNSW_MAX_BATCH * 4));
    let counts: Uint16Array = new Uint16Array(0);
    let slots: Uint32Array = new Uint32Array(0);
    while (this.size < upTo) {
      this.scoring = this.buildMetric;
      if (this.entry < 0) {
        this.insert(this.size);
        continue;
      }
      const from = this.size;
      let to = from + hnswBatchSize(from, upTo - from);
      // Levels in slot order, as insertUpTo draws them. A node that rises above the top layer ends its
      // batch, so the nodes after it descend from it as they would one at a time.
      const frozenTop = this.maxLevel;
      let records = 0;
      for (let q = from; q < to; q++) {
        const level = this.drawLevel();
        this.place(q, level);
        first[q - from] = records;
        records += Math.min(level, frozenTop) + 1;
        if (level > frozenTop) to = q + 1;
      }
      if (counts.length < records) {
        const size = Math.max(records, counts.length * 2);
        counts = new Uint16Array(new SharedArrayBuffer(size * 2));
        slots = new Uint32Array(new SharedArrayBuffer(size * m * 4));
      }
      cursor[0] = 0;
      const count = to - from;
      const threads = count >= HNSW_PARALLEL_MIN ? workers.threads : 0;
      const job: HnswPlanJob = {
        kind: 'hnsw-plan',
        links0: this.links0,
        counts0: this.counts0,
        levels: this.levels,
        upperAt: this.upperAt,
        upper: this.upper,
        size: from,
        entry: this.entry,
        maxLevel: frozenTop,
        degree: m,
        efConstruction: this.efConstruction,
        from,
        to,
        chunk: Math.max(1, Math.min(HNSW_CHUNK_MAX, Math.floor(count / (4 * (threads + 1))))),
        cursor,
        first,
        counts,
        slots,
      };
      const others = threads > 0 ? workers.run(new Array<HnswPlanJob>(threads).fill(job)) : null;
      try {
        this.planClaimed(job);
      } finally {
        // the workers read the graph until they answer: nothing may change it before
        if (others !== null) await others;
      }
      // Searches may have run meanwhile (they switch the metric and the prepared query).
      this.scoring = this.buildMetric;
      for (let q = from; q < to; q++) {
        const level = this.levels[q];
        const top = Math.min(level, frozenTop);
        const at = first[q - from];
        for (let l = 0; l <= top; l++) {
          const n = counts[at + l];
          this.planCounts[l] = n;
          this.planSlots.set(slots.subarray((at + l) * m, (at + l) * m + n), l * m);
        }
        this.link(q, top);
        if (level > this.maxLevel) {
          this.entry = q;
          this.maxLevel = level;
        }
      }
      this.size = to;
    }
    this.afterInserts(inserted);
  }

  /**
   * Plans the nodes of a batch that this thread claims (job.cursor), into the job's result arrays. Reads
   * the graph (this one's arrays, which are the job's) as it stood before the batch.
   */
  private planClaimed(job: HnswPlanJob): void {
    this.scoring = this.buildMetric;
    const m = this.degree;
    const count = job.to - job.from;
    const top = job.maxLevel;
    for (;;) {
      const start = Atomics.add(job.cursor, 0, job.chunk);
      if (start >= count) return;
      const end = Math.min(count, start + job.chunk);
      for (let b = start; b < end; b++) {
        const q = job.from + b;
        const nodeTop = Math.min(this.levels[q], top);
        this.plan(q, nodeTop);
        const first = job.first[b];
        for (let level = 0; level <= nodeTop; level++) {
          const n = this.planCounts[level];
          job.counts[first + level] = n;
          job.slots.set(this.planSlots.subarray(level * m, level * m + n), (first + level) * m);
        }
      }
    }
  }

  /**
   * A build worker's side of a batch: plans what it claims through a view of the job's graph arrays over
   * `arena` (the worker's lane of the shared memory).
   */
  static runPlanJob(job: HnswPlanJob, arena: VectorArena, metric: KernelMetric): void {
    const config: GraphConfig = { degree: job.degree, buildWindowSize: job.efConstruction, alpha: 1, ef: 1, seed: 0 };
    const view = new HnswGraph(arena, metric, config, 0, 0);
    view.links0 = job.links0;
    view.counts0 = job.counts0;
    view.levels = job.levels;
    view.upperAt = job.upperAt;
    view.upper = job.upper;
    view.capacity = job.levels.length;
    view.size = job.size;
    view.entry = job.entry;
    view.maxLevel = job.maxLevel;
    view.planClaimed(job);
  }

  /** The next level from the seeded stream: floor(-ln(U) * mL), U in (0, 1]. */
  private drawLevel(): number {
    const u = 1 - this.prng.next();
    return Math.min(HNSW_LEVEL_MAX, Math.floor(-Math.log(u) * this.levelScale));
  }

  /** Gives node q its level and empty lists. */
  private place(q: number, level: number): void {
    this.levels[q] = level;
    this.removed[q] = 0;
    this.counts0[q] = 0;
    this.indegree[q] = 0;
    if (level === 0) {
      this.upperAt[q] = -1;
      return;
    }
    const words = level * (this.degree + 1);
    this.reserveUpper(this.upperUsed + words);
    this.upperAt[q] = this.upperUsed;
    this.upper.fill(0, this.upperUsed, this.upperUsed + words);
    this.upperUsed += words;
  }

  /**
   * Phases 1 and 2 of an insert, read-only on the graph: descends to layer `top` and, on each layer
   * top..0, beam-searches efConstruction candidates and selects up to M neighbours by the heuristic into
   * planSlots[layer * M ..] / planCounts[layer].
   */
  private plan(q: number, top: number): void {
    const arena = this.arena;
    const m = this.degree;
    arena.setQueryFromRow(q);
    this.gather[0] = this.entry;
    let node = this.entry;
    let distance = arena.floats[this.score(1)];
    this.visited.reset(this.capacity);
    this.visited.add(node);
    for (let level = this.maxLevel; level > top; level--) {
      this.greedyUpper(level, node, distance);
      node = this.greedyNode;
      distance = this.greedyDistance;
    }
    for (let level = top; level >= 0; level--) {
      if (level !== top) arena.setQueryFromRow(q); // the previous layer's selection switched the query
      if (level === 0) this.beam0(node, distance, this.efConstruction, null);
      else this.beamUpper(level, node, distance, this.efConstruction);
      const n = this.results.drainAscending(this.poolSlots, this.poolDistances);
      node = this.poolSlots[0];
      distance = this.poolDistances[0];
      this.planCounts[level] = this.select(this.poolSlots, this.poolDistances, n, m, this.planSlots, level * m);
    }
  }

  /**
   * The diversity heuristic (hnswlib's getNeighborsByHeuristic2): candidates slots[0, n) sorted by their
   * distance to the base node, closest first; keeps a candidate only if it is closer to the base node than
   * to every candidate kept before it, up to `max`. Fewer than `max` candidates are all kept.
   *
   * Batched the other way round from hnswlib, with the same result: each time a candidate is kept, one
   * kernel call scores it against every candidate after it that is still alive, and those closer to it
   * than to the base node die. So a selection makes one query switch per kept neighbour, not one per
   * candidate. Overwrites the arena's prepared query. Writes the kept slots to out[outAt ..].
   */
  private select(slots: Uint32Array, distances: Float32Array, n: number, max: number, out: Uint32Array, outAt: number): number {
    if (n < max) {
      for (let i = 0; i < n; i++) out[outAt + i] = slots[i];
      return n;
    }
    if (this.selectAlive.length < n) this.growSelect(n);
    const alive = this.selectAlive;
    const gather = this.selectGather;
    const index = this.selectIndex;
    const arena = this.arena;
    alive.fill(1, 0, n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      const r = slots[i];
      out[outAt + kept++] = r;
      if (kept === max) break;
      let c = 0;
      for (let j = i + 1; j < n; j++) {
        if (alive[j] !== 0) {
          gather[c] = slots[j];
          index[c++] = j;
        }
      }
      if (c === 0) break;
      arena.setQueryFromRow(r);
      const at = arena.scoreSlots(this.buildMetric, gather, c);
      const floats = arena.floats;
      for (let t = 0; t < c; t++) {
        const j = index[t];
        if (floats[at + t] < distances[j]) alive[j] = 0;
      }
    }
    return kept;
  }

  private growSelect(n: number): void {
    const size = Math.max(n, this.selectAlive.length * 2);
    this.selectAlive = new Uint8Array(size);
    this.selectGather = new Uint32Array(size);
    this.selectIndex = new Uint32Array(size);
  }

  /** Phase 3 of an insert: q's own lists from the plan, then a back link from every chosen neighbour. */
  private link(q: number, top: number): void {
    const m = this.degree;
    const plan = this.planSlots;
    for (let level = top; level >= 0; level--) {
      const count = this.planCounts[level];
      const from = level * m;
      if (level === 0) {
        const at = q * this.degree0;
        for (let i = 0; i < count; i++) {
          this.links0[at + i] = plan[from + i];
          this.indegree[plan[from + i]]++;
        }
        this.counts0[q] = count;
      } else {
        const block = this.upperAt[q] + (level - 1) * (m + 1);
        for (let i = 0; i < count; i++) this.upper[block + 1 + i] = plan[from + i];
        this.upper[block] = count;
      }
      let accepted = 0;
      for (let i = 0; i < count; i++) if (this.addLink(plan[from + i], q, level)) accepted++;
      // Every neighbour pruned q: its nearest links it anyway, or nothing would lead to q.
      if (level === 0 && accepted === 0 && count > 0) this.forceLink(plan[from], q);
    }
  }

  /**
   * Adds `to` to `node`'s list on `level`; a full list is re-selected by the heuristic among its links
   * and `to`. Returns whether `to` is in the list afterwards.
   */
  private addLink(node: number, to: number, level: number): boolean {
    const isZero = level === 0;
    const list = isZero ? this.links0 : this.upper;
    const first = isZero ? node * this.degree0 : this.upperAt[node] + (level - 1) * (this.degree + 1) + 1;
    const count = isZero ? this.counts0[node] : this.upper[first - 1];
    const max = isZero ? this.degree0 : this.degree;
    if (count < max) {
      list[first + count] = to;
      if (isZero) {
        this.counts0[node] = count + 1;
        this.indegree[to]++;
      } else {
        this.upper[first - 1] = count + 1;
      }
      return true;
    }
    // Overflow: the candidates are the current links plus `to`, scored from `node` in one call.
    const gather = this.gather;
    for (let i = 0; i < count; i++) gather[i] = list[first + i];
    gather[count] = to;
    const n = count + 1;
    this.arena.setQueryFromRow(node);
    const at = this.score(n);
    const floats = this.arena.floats;
    const slots = this.poolSlots;
    const distances = this.poolDistances;
    for (let i = 0; i < n; i++) {
      slots[i] = gather[i];
      distances[i] = floats[at + i];
    }
    sortPairs(slots, distances, n);
    const kept = this.select(slots, distances, n, max, list, first);
    if (!isZero) {
      this.upper[first - 1] = kept;
      for (let i = 0; i < kept; i++) if (list[first + i] === to) return true;
      return false;
    }
    return this.settle(node, slots, n, kept, to);
  }

  /**
   * After select() wrote node's new layer-0 list (the first `count` of it) from candidates slots[0, n),
   * every one but `fresh` linked from node before: updates in-degrees, and never lets a node lose its
   * last in-link — such a node takes the place of the farthest kept link whose target keeps another one
   * (or a free place; if neither exists the graph is marked for repair). Returns whether `fresh` is kept.
   */
  private settle(node: number, slots: Uint32Array, n: number, count: number, fresh: number): boolean {
    const list = this.links0;
    const first = node * this.degree0;
    const max = this.degree0;
    const indegree = this.indegree;
    const kept = this.selectAlive; // free again after select(): reused as "is kept", by candidate index
    kept.fill(0, 0, n);
    for (let i = 0, k = 0; i < n && k < count; i++) {
      if (slots[i] === list[first + k]) {
        kept[i] = 1;
        k++;
      }
    }
    for (let i = 1; i < n; i++) {
      const v = slots[i];
      if (kept[i] !== 0 || v === fresh || indegree[v] !== 1) continue;
      // node holds v's only in-link: keep v.
      if (count < max) {
        list[first + count++] = v;
        kept[i] = 1;
        continue;
      }
      let placed = false;
      for (let j = count - 1; j >= 1 && !placed; j--) {
        const w = list[first + j];
        if (w === fresh ? indegree[w] < 1 : indegree[w] < 2) continue;
        let wi = 0;
        while (slots[wi] !== w) wi++;
        kept[wi] = 0;
        kept[i] = 1;
        list[first + j] = v;
        placed = true;
      }
      if (!placed) this.stranded = true;
    }
    let freshKept = false;
    for (let i = 0; i < n; i++) {
      const v = slots[i];
      if (v === fresh) {
        indegree[v] += kept[i];
        freshKept = kept[i] !== 0;
      } else {
        indegree[v] += kept[i] - 1;
      }
    }
    this.counts0[node] = count;
    return freshKept;
  }

  /**
   * Links q from `host` on layer 0 although the heuristic pruned it there: in a free place, else in place
   * of host's farthest link whose target keeps another in-link (if none does, the graph is marked for repair).
   */
  private forceLink(host: number, q: number): void {
    const first = host * this.degree0;
    const count = this.counts0[host];
    if (count < this.degree0) {
      this.links0[first + count] = q;
      this.counts0[host] = count + 1;
      this.indegree[q]++;
      return;
    }
    const gather = this.gather;
    for (let i = 0; i < count; i++) gather[i] = this.links0[first + i];
    this.arena.setQueryFromRow(host);
    const at = this.score(count);
    const floats = this.arena.floats;
    let worst = -1;
    for (let i = 0; i < count; i++) {
      if (this.indegree[gather[i]] >= 2 && (worst < 0 || floats[at + i] > floats[at + worst])) worst = i;
    }
    if (worst < 0) {
      this.stranded = true;
      return;
    }
    this.indegree[gather[worst]]--;
    this.links0[first + worst] = q;
    this.indegree[q]++;
  }

  // ---------------------------------------------------------------- storage

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, this.capacity * 2, 16);
    const shared = this.shared;
    this.links0 = grown(this.links0, capacity * this.degree0, shared);
    this.counts0 = grown(this.counts0, capacity, shared);
    this.levels = grown(this.levels, capacity, shared);
    this.removed = grown(this.removed, capacity);
    this.upperAt = grown(this.upperAt, capacity, shared);
    this.indegree = grown(this.indegree, capacity);
    this.capacity = capacity;
  }

  private reserveUpper(words: number): void {
    if (words <= this.upper.length) return;
    this.upper = grown(this.upper.subarray(0, this.upperUsed), Math.max(words, this.upper.length * 2, 64), this.shared);
  }

  /** Moves the arrays build workers read into SharedArrayBuffers (a copy, once; growth keeps them there). */
  private share(): void {
    if (this.shared) return;
    this.shared = true;
    this.links0 = grown(this.links0, this.links0.length, true);
    this.counts0 = grown(this.counts0, this.counts0.length, true);
    this.levels = grown(this.levels, this.levels.length, true);
    this.upperAt = grown(this.upperAt, this.upperAt.length, true);
    this.upper = grown(this.upper, this.upper.length, true);
  }

  private ensurePool(n: number): void {
    if (n <= this.poolSlots.length) return;
    const size = Math.max(n, this.poolSlots.length * 2);
    this.poolSlots = new Uint32Array(size);
    this.poolDistances = new Float32Array(size);
  }

  /** Recounts layer-0 in-degrees from the lists. */
  private recountIndegree(): void {
    const indegree = this.indegree;
    indegree.fill(0);
    const links = this.links0;
    const stride = this.degree0;
    for (let node = 0; node < this.size; node++) {
      const first = node * stride;
      const end = first + this.counts0[node];
      for (let i = first; i < end; i++) indegree[links[i]]++;
    }
  }

  // ---------------------------------------------------------------- deletes

  consolidate(marks: Uint8Array): void {
    assert(!this.isBuilding, 'consolidate during a parallel build');
    const size = this.size;
    assert(marks.length >= size, `consolidate: marks cover ${marks.length} slots, the graph ${size}`);
    let deleted = 0;
    let top = 0;
    for (let node = 0; node < size; node++) {
      if (marks[node] === 1 && this.removed[node] === 0) deleted++;
      if (this.levels[node] > top) top = this.levels[node];
    }
    if (deleted === 0) return;
    this.scoring = this.buildMetric;
    for (let level = 0; level <= top; level++) this.repairLayer(level, marks);
    const stride = this.degree + 1;
    for (let node = 0; node < size; node++) {
      if (marks[node] !== 1) continue;
      this.removed[node] = 1;
      this.counts0[node] = 0;
      for (let level = 1; level <= this.levels[node]; level++) this.upper[this.upperAt[node] + (level - 1) * stride] = 0;
    }
    this.recountIndegree();
    if (this.entry < 0 || marks[this.entry] === 1) {
      let best = -1;
      for (let node = 0; node < size; node++) if (marks[node] !== 1 && (best < 0 || this.levels[node] > this.levels[best])) best = node;
      this.entry = best;
      this.maxLevel = best < 0 ? -1 : this.levels[best];
    }
    this.connectStranded(marks);
  }

  /**
   * Every live node on `level` that links to a deleted node re-selects its list by the heuristic among its
   * live links and the live nodes reached through its deleted links (following chains of deleted nodes up
   * to as many as the list holds). Deleted nodes' lists are read, not changed, so the order of repairs
   * does not matter.
   */
  private repairLayer(level: number, marks: Uint8Array): void {
    const isZero = level === 0;
    const list = isZero ? this.links0 : this.upper;
    const max = isZero ? this.degree0 : this.degree;
    const stride = this.degree + 1;
    const firstOf = (node: number): number => (isZero ? node * this.degree0 : this.upperAt[node] + (level - 1) * stride + 1);
    const countOf = (node: number): number => (isZero ? this.counts0[node] : this.upper[this.upperAt[node] + (level - 1) * stride]);
    const expand = new Uint32Array(max * (max + 1));
    this.ensurePool(max * (max + 2));
    const visited = this.visited;
    for (let node = 0; node < this.size; node++) {
      if (this.levels[node] < level || marks[node] === 1) continue;
      const first = firstOf(node);
      const count = countOf(node);
      let broken = false;
      for (let i = 0; i < count; i++) if (marks[list[first + i]] === 1) broken = true;
      if (!broken) continue;
      visited.reset(this.capacity);
      visited.add(node);
      const pool = this.poolSlots;
      let n = 0;
      let queued = 0;
      for (let i = 0; i < count; i++) {
        const v = list[first + i];
        if (!visited.add(v)) continue;
        if (marks[v] !== 1) pool[n++] = v;
        else expand[queued++] = v;
      }
      for (let e = 0; e < queued && e < max; e++) {
        const d = expand[e];
        const dFirst = firstOf(d);
        const dCount = countOf(d);
        for (let i = 0; i < dCount; i++) {
          const w = list[dFirst + i];
          if (!visited.add(w)) continue;
          if (marks[w] !== 1) pool[n++] = w;
          else if (queued < expand.length) expand[queued++] = w;
        }
      }
      let kept = 0;
      if (n > 0) {
        this.arena.setQueryFromRow(node);
        const at = this.arena.scoreSlots(this.buildMetric, pool, n);
        this.poolDistances.set(this.arena.floats.subarray(at, at + n));
        sortPairs(pool, this.poolDistances, n);
        kept = this.select(pool, this.poolDistances, n, max, list, first);
      }
      if (isZero) this.counts0[node] = kept;
      else this.upper[first - 1] = kept;
    }
  }

  /**
   * Makes every live node reachable from the entry point on layer 0: a BFS finds the stranded ones, and
   * each is linked from the nearest reachable live node with room in its list (else from the nearest one,
   * in place of its farthest link whose target keeps another in-link); a stranded node with no links of
   * its own also gets its neighbours by the heuristic.
   */
  private connectStranded(marks: Uint8Array | null): void {
    const size = this.size;
    if (this.entry < 0) return;
    const reached = new Uint8Array(size);
    const queue = new Uint32Array(size);
    let tail = 0;
    const spread = (from: number): void => {
      let head = tail;
      reached[from] = 1;
      queue[tail++] = from;
      while (head < tail) {
        const node = queue[head++];
        const first = node * this.degree0;
        const end = first + this.counts0[node];
        for (let i = first; i < end; i++) {
          const to = this.links0[i];
          if (reached[to] === 0) {
            reached[to] = 1;
            queue[tail++] = to;
          }
        }
      }
    };
    // A link replaced to attach a node may strand another: go round until a pass replaces none.
    for (let round = 0; round < 8; round++) {
      this.stranded = false;
      reached.fill(0);
      tail = 0;
      spread(this.entry);
      for (let node = 0; node < size; node++) {
        if (reached[node] !== 0 || this.removed[node] !== 0 || (marks !== null && marks[node] === 1)) continue;
        this.attach(node, marks, reached);
        spread(node);
      }
      if (!this.stranded) return;
    }
  }

  /** Links a stranded node u from its nearest reachable live nodes (see connectStranded). */
  private attach(u: number, marks: Uint8Array | null, reached: Uint8Array): void {
    const arena = this.arena;
    arena.setQueryFromRow(u);
    this.gather[0] = this.entry;
    let node = this.entry;
    let distance = arena.floats[this.score(1)];
    this.visited.reset(this.capacity);
    this.visited.add(node);
    for (let level = this.maxLevel; level >= 1; level--) {
      this.greedyUpper(level, node, distance);
      node = this.greedyNode;
      distance = this.greedyDistance;
    }
    this.beam0(node, distance, this.efConstruction, marks);
    this.ensurePool(this.results.size);
    const found = this.results.drainAscending(this.poolSlots, this.poolDistances);
    // The descent may pass through upper layers to nodes layer 0 does not reach (u among them): keep
    // only reached ones.
    const pool = this.poolSlots;
    let n = 0;
    for (let i = 0; i < found; i++) {
      if (reached[pool[i]] === 0) continue;
      pool[n] = pool[i];
      this.poolDistances[n++] = this.poolDistances[i];
    }
    if (n === 0) {
      pool[0] = this.entry;
      n = 1;
    }
    if (this.counts0[u] === 0) {
      const first = u * this.degree0;
      const kept = this.select(pool, this.poolDistances, n, this.degree, this.links0, first);
      this.counts0[u] = kept;
      for (let i = 0; i < kept; i++) this.indegree[this.links0[first + i]]++;
    }
    for (let i = 0; i < n; i++) {
      const host = pool[i];
      const count = this.counts0[host];
      if (count < this.degree0) {
        this.links0[host * this.degree0 + count] = u;
        this.counts0[host] = count + 1;
        this.indegree[u]++;
        return;
      }
    }
    this.forceLink(pool[0], u);
  }

  // ---------------------------------------------------------------- compaction

  remap(oldToNew: Int32Array, newCount: number, arena: GraphArena): GraphIndex {
    assert(!this.isBuilding, 'remap during a parallel build');
    const size = this.size;
    assert(oldToNew.length >= size, `remap: the map covers ${oldToNew.length} slots, the graph ${size}`);
    let newSize = 0;
    for (let slot = 0; slot < size; slot++) if (oldToNew[slot] >= 0) newSize++;
    assert(newSize <= newCount, `remap: ${newSize} indexed slots kept but the new segment holds ${newCount}`);
    const config: GraphConfig = { degree: this.degree, buildWindowSize: this.efConstruction, alpha: 1, ef: this.defaultEf, seed: this.seed };
    const g = new HnswGraph(arena, this.metric, config, this.seed, newSize);
    const stride = this.degree + 1;
    const seen = new Uint8Array(newSize);
    let upperWords = 0;
    for (let slot = 0; slot < size; slot++) if (oldToNew[slot] >= 0) upperWords += this.levels[slot] * stride;
    g.reserveUpper(upperWords);
    for (let slot = 0; slot < size; slot++) {
      const to = oldToNew[slot];
      const level = this.levels[slot];
      if (to < 0) {
        let links = this.counts0[slot];
        for (let l = 1; l <= level; l++) links += this.upper[this.upperAt[slot] + (l - 1) * stride];
        assert(links === 0, `remap: dropped slot ${slot} still has ${links} links (consolidate first)`);
        continue;
      }
      assert(to < newSize && seen[to] === 0, `remap: indexed slot ${slot} maps to ${to}, not a distinct slot below ${newSize}`);
      seen[to] = 1;
      g.levels[to] = level;
      g.removed[to] = this.removed[slot];
      const count = this.counts0[slot];
      g.counts0[to] = count;
      const from = slot * this.degree0;
      const dest = to * this.degree0;
      for (let i = 0; i < count; i++) g.links0[dest + i] = this.mapLink(oldToNew, slot, this.links0[from + i]);
      if (level === 0) {
        g.upperAt[to] = -1;
        continue;
      }
      g.upperAt[to] = g.upperUsed;
      for (let l = 1; l <= level; l++) {
        const src = this.upperAt[slot] + (l - 1) * stride;
        const dst = g.upperUsed + (l - 1) * stride;
        const n = this.upper[src];
        g.upper[dst] = n;
        for (let i = 1; i <= n; i++) g.upper[dst + i] = this.mapLink(oldToNew, slot, this.upper[src + i]);
      }
      g.upperUsed += level * stride;
    }
    g.size = newSize;
    if (this.entry >= 0 && newSize > 0) {
      assert(oldToNew[this.entry] >= 0, `remap: the entry point ${this.entry} is dropped (consolidate first)`);
      g.entry = oldToNew[this.entry];
      g.maxLevel = this.maxLevel;
    }
    g.finishLoad();
    return g;
  }

  private mapLink(oldToNew: Int32Array, from: number, to: number): number {
    const mapped = oldToNew[to];
    assert(mapped >= 0, `remap: slot ${from} links to dropped slot ${to} (consolidate first)`);
    return mapped;
  }

  /**
   * After the lists were filled in directly (remap, decode): recount in-degrees and advance the level
   * stream past the nodes already placed, so later inserts draw what one continuous build would.
   */
  finishLoad(): void {
    this.recountIndegree();
    for (let i = 0; i < this.size; i++) this.prng.next();
    this.maxLevel = this.entry < 0 ? -1 : this.levels[this.entry];
  }

  /** Takes over decoded lists (codec.ts validated them); the graph's capacity becomes their size. */
  adopt(parts: HnswParts): void {
    assert(parts.degree === this.degree && parts.seed === this.seed && this.size === 0, 'adopt: a fresh graph of the same degree and seed');
    const size = parts.size;
    this.links0 = parts.links0;
    this.counts0 = parts.counts0;
    this.levels = parts.levels;
    this.removed = parts.removed;
    this.upperAt = parts.upperAt;
    this.upper = parts.upper;
    this.upperUsed = parts.upperUsed;
    this.indegree = new Uint32Array(size);
    this.capacity = size;
    this.size = size;
    this.entry = parts.entry;
    this.finishLoad();
  }

  encode(): Uint8Array {
    return encodeHnsw(this);
  }

  check(marks: Uint8Array): string[] {
    return checkHnsw(this, marks);
  }
}

type GrowableArray = Uint32Array | Uint16Array | Uint8Array | Int32Array;

/** A copy of `array` with room for `length` elements (the rest zero), in a SharedArrayBuffer if `shared`. */
function grown<T extends GrowableArray>(array: T, length: number, shared = false): T {
  const Type = array.constructor as new (buffer: ArrayBufferLike | number) => T;
  const next = shared ? new Type(new SharedArrayBuffer(length * array.BYTES_PER_ELEMENT)) : new Type(length);
  next.set(array);
  return next;
}
