/**
 * What a parallel HNSW build sends its worker threads (HnswGraph.insertUpToParallel; the worker side is
 * HnswGraph.runPlanJob), and how it sizes its batches.
 *
 * A batch is a run of consecutive slots. Its nodes are planned (descent, beam searches, heuristic
 * selection: read-only) against the graph as it stood before the batch, by the workers and the calling
 * thread together; then the calling thread links them in slot order. Nodes of one batch do not see each
 * other while planning, so a batch is kept small against the graph (ParlayANN's prefix doubling, capped
 * at a fraction of the graph): each node misses at most that fraction of the nodes before it.
 *
 * Threads claim chunks of the batch from a shared counter (Atomics), so a thread that is slowed down
 * (another process on its core, the event loop) simply plans fewer nodes. Every node's plan depends only
 * on the frozen graph and the node, and the batch boundaries only on the sizes, so the graph a parallel
 * build makes is the same whatever the number of threads: deterministic given the seed.
 */
import type { BuildWorkers } from '../index.js';

/** Largest batch: bounds the plan buffers and how long the calling thread is busy with its share. */
export const HNSW_MAX_BATCH = 4096;
/**
 * A batch is at most this fraction of the nodes already in the graph. Measured on Fashion-MNIST (20k,
 * M 16, efConstruction 128), recall@10 at ef 10 against the one-at-a-time build's 0.951: 0.951 at 0.02,
 * 0.948 at 0.05, 0.939 at 0.1, 0.933 with plain prefix doubling (1.0). ParlayANN's HNSW doubles up to
 * 2% of the whole data set; a cap on the graph so far is stricter early on and costs nothing measurable.
 */
export const HNSW_BATCH_FRACTION = 0.02;
/** Batches smaller than this are planned on the calling thread alone (a message round trip costs more). */
export const HNSW_PARALLEL_MIN = 32;

/** Nodes a thread claims at a time: small, so the threads finish a batch together (a plan is ~0.1-0.5 ms). */
export const HNSW_CHUNK_MAX = 8;

/** The number of nodes in the batch that starts with `size` nodes in the graph. */
export function hnswBatchSize(size: number, remaining: number): number {
  return Math.max(1, Math.min(remaining, HNSW_MAX_BATCH, Math.floor(size * HNSW_BATCH_FRACTION)));
}

/**
 * One batch's plan work, shared by every thread that takes part. Every array is backed by a
 * SharedArrayBuffer; the vectors are the arena's shared memory.
 */
export interface HnswPlanJob {
  kind: 'hnsw-plan';
  // the graph as it stood before the batch (read-only while the batch is planned)
  links0: Uint32Array;
  counts0: Uint16Array;
  levels: Uint8Array;
  upperAt: Int32Array;
  upper: Uint32Array;
  /** Nodes [0, size) are linked. */
  size: number;
  entry: number;
  maxLevel: number;
  degree: number;
  efConstruction: number;
  // the batch: slots [from, to), claimed `chunk` at a time through cursor[0] (slots past `from`)
  from: number;
  to: number;
  chunk: number;
  cursor: Int32Array;
  /**
   * Results. Node from + b has min(level, maxLevel) + 1 layer records starting at record first[b]:
   * record r holds count[r] neighbours at slots[r * degree ..], layer 0 first.
   */
  first: Uint32Array;
  counts: Uint16Array;
  slots: Uint32Array;
}

/** Worker threads that plan batch parts (src/wasm's build pool implements it over node:worker_threads). */
export type HnswBuildWorkers = BuildWorkers<HnswPlanJob>;
