/**
 * The index seams. An index answers k-nearest-neighbour searches over one segment's slots; it never sees
 * keys or metadata (the collection maps slots to records and merges segments). Distances are the
 * kernel's: lower is better ('l2' squared Euclidean, 'dot' negated inner product; cosine is 'dot' over
 * unit vectors).
 */
import type { KernelMetric } from '../kernels/kernel.js';
import type { Bitset } from '../lib/bitset.js';
import type { TopK } from '../lib/topk.js';
import type { GraphArena, ScoringArena } from '../vectors/scoring.js';

export interface SegmentView {
  readonly arena: ScoringArena;
  /** Index by slot; 1 means the slot is deleted and must not be returned. */
  readonly marks: Uint8Array;
  readonly count: number;
}

export interface SearchParams {
  /** Beam width of graph indexes (HNSW's ef, Vamana's L); ignored by exact search. */
  ef?: number;
}

export interface VectorIndex {
  readonly kind: 'flat' | 'hnsw' | 'vamana';
  /**
   * Pushes (distance, base + slot) for this segment's best candidates into `top`. `query` is already
   * prepared (normalised for cosine). Distances are the kernel's: lower is better.
   */
  search(segment: SegmentView, metric: KernelMetric, query: Float32Array, top: TopK, base: number, params: SearchParams): void;
}

/**
 * A proximity graph over one segment's rows (HNSW, Vamana). It reads vectors only through the arena:
 * `arena.setQuery(q)` / `arena.setQueryFromRow(slot)` prepare a query in the segment's memory, and
 * `arena.distancesOf(metric, slots)` scores a list of slots against it in one kernel call.
 *
 * Slots [0, size) are in the graph; rows past `size` exist in the arena but are not indexed yet (the
 * collection scans them exactly until they are). Deleted slots stay in the graph, traversed but never
 * returned, until consolidate() repairs the lists that point at them and compaction remaps them away.
 * Everything is deterministic given the config's seed.
 */
export interface GraphIndex {
  readonly kind: 'hnsw' | 'vamana';
  /** Slots [0, size) are indexed. */
  readonly size: number;
  /** Bytes the graph holds in memory (for stats' bytesPerVector.graph). */
  readonly memoryBytes: number;
  /** Indexes slots [size, upTo): rows already in the arena. Incremental; upTo <= arena.count. */
  insertUpTo(upTo: number): void;
  /**
   * Searches with the prepared query already in the arena (arena.setQuery was called). Pushes the best
   * live slots (marks[slot] === 0) into `top` as (distance, base + slot). `ef` is the beam width, at
   * least top.k is used.
   */
  search(marks: Uint8Array, top: TopK, base: number, ef: number): void;
  /**
   * Filtered search (filtered-search.ts): like search, but only slots that `allowed` holds are results,
   * and the beam moves through them (two hops over the others) instead of post-filtering. Returns how
   * many results the beam found: min(max(ef, top.k), live allowed slots in the graph), whatever the
   * filter's selectivity or how its slots lie in the graph.
   */
  searchFiltered(marks: Uint8Array, allowed: Bitset, top: TopK, base: number, ef: number): number;
  /**
   * Repairs every live node's neighbour list that points at a deleted slot (marks[slot] === 1), so no
   * live node depends on a deleted one for reachability. Deleted slots end with no edges in or out, and
   * the entry point is moved off deleted slots.
   */
  consolidate(marks: Uint8Array): void;
  /**
   * The graph for a compacted segment: `oldToNew[slot]` is the slot's new number or -1 where it was
   * dropped (dropped slots must have been consolidated away first). `arena` holds the new rows.
   */
  remap(oldToNew: Int32Array, newCount: number, arena: GraphArena): GraphIndex;
  /** Serialises the graph (the segment file's graph section). */
  encode(): Uint8Array;
  /**
   * Invariant checks for tests and `quiver verify`: degree bounds, no self or duplicate links, every
   * link in range, every live indexed node reachable from the entry point. Returns the problems found.
   */
  check(marks: Uint8Array): string[];
  /**
   * Graphs that can build on several threads: insertUpTo with the work split across `workers` and the
   * calling thread (the arena must be shared, with a lane per worker). While the promise is pending
   * (`building`), search and encode work as on a graph of slots [0, size), rows may be appended and slots
   * marked deleted, but nothing else may change the graph.
   */
  insertUpToParallel?(upTo: number, workers: BuildWorkers<never>): Promise<void>;
  readonly building?: boolean;
}

/**
 * Threads that run the read-only phases of a graph build's batches (src/wasm's BuildPool over
 * node:worker_threads implements it; core only describes the jobs). `Job` is the index's own message.
 */
export interface BuildWorkers<Job = unknown> {
  /** Parts that run at once besides the calling thread's own. */
  readonly threads: number;
  /** Points the workers at an arena's shared memory (lanes 1..threads) for the next jobs. */
  attach(arena: GraphArena, metric: KernelMetric): void;
  /** Runs job i on worker i; resolves when all are done, with their distance counts. */
  run(jobs: Job[]): Promise<{ searchDistances: number; pruneDistances: number }>;
}

/** Parameters of a graph, resolved from IndexConfig with defaults. */
export interface GraphConfig {
  /** HNSW M / Vamana R: links per node (HNSW keeps 2M on layer 0). */
  degree: number;
  /** HNSW efConstruction / Vamana L at build. */
  buildWindowSize: number;
  /** Vamana's alpha (pruning slack); unused by HNSW. */
  alpha: number;
  /** Default beam width of searches. */
  ef: number;
  seed: number;
  /**
   * The order a Vamana build's passes visit the rows: 'shuffled' (a seeded random order, DiskANN's; the
   * default) or 'slots' (slot order, for rows written in the order they should be inserted — what
   * insertionOrder 'lid' does). HNSW always inserts in slot order.
   */
  buildOrder?: 'shuffled' | 'slots';
}

export interface GraphFactory {
  create(arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex;
  /** Rebuilds a graph from encode() bytes; throws QuiverError CORRUPTED naming `what` on bad bytes. */
  decode(bytes: Uint8Array, what: string, arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex;
}
