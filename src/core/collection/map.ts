/**
 * A collection's 2-D map (the console's map page): a seeded sample of its records laid out from the
 * k-NN graph by core/layout (UMAP's fuzzy graph and negative-sampling SGD from a PCA start), with the
 * layout's 10-NN preservation measured against exact neighbours and compared with the PCA projection.
 *
 * Neighbours come from Quiver's own graphs: the collection's HNSW / Vamana index when the map covers the
 * whole collection and nearly every row is indexed; otherwise (a sample of a larger collection, a Flat
 * collection, or many rows still pending) a transient HNSW built over the sampled vectors with the same
 * code. The job is a generator: each `yield` is a point where the db layer may hand the event loop back,
 * so a map of 50,000 points never blocks queries and writes for more than a slice.
 */
import { fitPcaSteps, projectPca, sampleIndices } from '../layout/pca.js';
import { createLayout, normaliseCoordinates } from '../layout/layout.js';
import { FuzzyUnion, membershipsOf } from '../layout/fuzzy.js';
import { NO_NEIGHBOR, PreservationTally } from '../layout/preservation.js';
import type { NeighborGraph, Rows } from '../layout/rows.js';
import { hnswFactory } from '../index/hnsw/hnsw.js';
import { type KernelBackend, type KernelMetric, strideFor } from '../kernels/kernel.js';
import { Prng } from '../lib/prng.js';
import { TopK } from '../lib/topk.js';
import { VectorArena } from '../vectors/arena.js';
import type { CollectionEngine } from './collection.js';
import type { Metadata } from './records.js';
import { type Topics, topicsOf } from './topics.js';

/** What a map job is doing when it pauses (each yield names its phase). */
export type MapPhase = 'sample' | 'neighbors' | 'truth' | 'pca' | 'layout' | 'preservation' | 'topics';

export interface MapOptions {
  /** Neighbours per point in the graph the layout is computed from (UMAP's n_neighbors). */
  k: number;
  /** Records laid out at most (a seeded uniform sample above it). */
  sample: number;
  seed: number;
  /** SGD epochs; default: chosen from the graph's size (core/layout defaultEpochs). */
  epochs?: number;
  includeMetadata: boolean;
  /** Clusters to find and label (core/collection/topics); 0 for none. */
  topics?: number;
}

export interface MapResult {
  keys: string[];
  /** (x, y) per key, centred and scaled into [-1, 1]. */
  coordinates: Float32Array;
  /** The PCA projection of the same points, scaled the same way: the baseline. */
  pca: Float32Array;
  /** Aligned with keys when asked for: the record's metadata or null. */
  metadata?: (Metadata | null)[];
  /** Live records in the collection when the map was made. */
  count: number;
  neighbors: { k: number; source: 'index' | 'sample-graph'; ef: number };
  epochs: number;
  seed: number;
  /**
   * Share of each evaluated point's `k` exact nearest neighbours (original space) among its `k` nearest
   * in 2-D, averaged: for the layout and for the PCA projection, over the same `evaluated` points.
   * Null when there are fewer than 3 points.
   */
  preservation: { k: number; layout: number; pca: number; evaluated: number } | null;
  /** When topics were asked for: each point's topic and the topics, labelled by their documents' terms. */
  topics?: Topics;
}

/** The neighbourhood size the preservation figure is measured at. */
export const PRESERVATION_K = 10;
/** Points whose exact neighbours are computed for the preservation figure, at most and at least. */
const EVALUATION_POINTS_MAX = 1_000;
const EVALUATION_POINTS_MIN = 100;
/** Exact neighbours cost points x sample x dimension float reads; the evaluation sample keeps under this. */
const EVALUATION_FLOAT_BUDGET = 3e9;
/** The collection's own graphs answer only while at most this many rows are unindexed (scanned exactly per query). */
const INDEX_UNINDEXED_MAX = 4_096;
/** The transient graph over a sample: HNSW with M = 12, efConstruction = 48 (k-NN recall ~0.95 at ef 64). */
const SAMPLE_GRAPH = { degree: 12, buildWindowSize: 48 };
/**
 * The beam width of the k-NN searches: at least twice the neighbours asked for. A layout needs good,
 * not exact, neighbour lists; on the 5,000-point test set ef 32 and 64 gave the same preservation.
 */
const KNN_EF_MIN = 32;
/** Units of work between yields. */
const SAMPLE_ROWS_PER_STEP = 1_024;
const GRAPH_INSERTS_PER_STEP = 128;
const QUERIES_PER_STEP = 64;
const MEMBERSHIPS_PER_STEP = 4_096;
/** Edges an SGD step walks through (whole epochs, at least one). */
const EDGES_PER_STEP = 100_000;
/** Floats of vectors a PCA projection step reads. */
const PROJECTED_FLOATS_PER_STEP = 2_000_000;
/** 2-D distances a preservation step computes. */
const PLANE_DISTANCES_PER_STEP = 500_000;

/**
 * The map job. Runs to completion by iterating; the result is the generator's return value. The caller
 * checks between steps that the collection still exists (a concurrent drop ends the job).
 */
export function* mapCollection(engine: CollectionEngine, backend: KernelBackend, options: MapOptions): Generator<MapPhase, MapResult> {
  const metric = engine.kernelMetric;
  const dimension = engine.definition.dimension;
  const count = engine.count;
  const size = Math.min(options.sample, count);

  // 1. The sample: vectors copied into a transient arena (writes may go on while the job runs: a record
  // replaced meanwhile may be met twice, and is taken once; one deleted meanwhile may be missed).
  const arena = new VectorArena(backend, dimension, Math.max(1, size), Math.max(1, size) * strideFor(dimension));
  const keys: string[] = [];
  const taken = new Set<string>();
  const metadata: (Metadata | null)[] | undefined = options.includeMetadata ? [] : undefined;
  const documents: (string | undefined)[] | undefined = options.topics ? [] : undefined;
  const chosen = sampleIndices(count, size, new Prng(options.seed));
  let ordinal = 0;
  let next = 0;
  for (const segment of engine.segments) {
    for (let slot = 0; slot < segment.count && next < chosen.length; slot++) {
      if (segment.isDeleted(slot)) continue;
      if (ordinal++ !== chosen[next]) continue;
      next++;
      const key = segment.keys[slot];
      if (taken.has(key)) continue;
      // a quantized segment whose float32 rows are on disk gives its codes' reconstruction: close enough to
      // place a point; rows kept only reduced (a reducer without full-dimensional re-rank data) are left out
      const row = segment.approximateRow(slot);
      if (row === null) continue;
      taken.add(key);
      arena.append(row);
      keys.push(key);
      if (metadata) metadata.push(segment.metadata[slot] === undefined ? null : structuredClone(segment.metadata[slot]!));
      documents?.push(segment.documents[slot]);
      if (keys.length % SAMPLE_ROWS_PER_STEP === 0) yield 'sample';
    }
  }
  yield 'sample';
  const n = keys.length;
  const k = Math.max(0, Math.min(options.k, n - 1));

  // 2. The k-NN graph, from the collection's index or a transient graph over the sample.
  const useIndex = engine.graphFactory !== null && n === count && engine.unindexed <= INDEX_UNINDEXED_MAX;
  const ef = Math.max(KNN_EF_MIN, 2 * (k + 1));
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(n * k);
  const distances = new Float32Array(n * k);
  const layoutDistance = (kernelDistance: number) => (metric === 'l2' ? Math.sqrt(Math.max(0, kernelDistance)) : kernelDistance);
  let filled = 0;
  const add = (i: number, j: number, kernelDistance: number): boolean => {
    if (j === i || filled - offsets[i] >= k) return false;
    neighbors[filled] = j;
    distances[filled++] = layoutDistance(kernelDistance);
    return true;
  };
  if (k > 0 && useIndex) {
    const indexOf = new Map<string, number>();
    keys.forEach((key, i) => indexOf.set(key, i));
    const noFields = new Set<never>();
    for (let i = 0; i < n; i++) {
      offsets[i] = filled;
      const hits = engine.query({ vector: arena.row(i), k: k + 1, include: noFields, search: { ef } });
      for (const hit of hits) {
        const j = indexOf.get(hit.key);
        // records written since the sample was taken are not in the map (vector hits always carry a distance)
        if (j !== undefined) add(i, j, kernelDistanceOf(hit.distance!, engine.definition.metric));
      }
      if (i % QUERIES_PER_STEP === QUERIES_PER_STEP - 1) yield 'neighbors';
    }
  } else if (k > 0) {
    const graph = hnswFactory.create(arena, metric, { ...SAMPLE_GRAPH, alpha: 1, ef, seed: options.seed });
    for (let upTo = Math.min(n, GRAPH_INSERTS_PER_STEP); graph.size < n; upTo = Math.min(n, upTo + GRAPH_INSERTS_PER_STEP)) {
      graph.insertUpTo(upTo);
      yield 'neighbors';
    }
    const marks = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      offsets[i] = filled;
      const top = new TopK(k + 1);
      arena.setQueryFromRow(i);
      graph.search(marks, top, 0, ef);
      const found = top.drain();
      for (let r = 0; r < found.ids.length; r++) add(i, found.ids[r], found.distances[r]);
      if (i % QUERIES_PER_STEP === QUERIES_PER_STEP - 1) yield 'neighbors';
    }
  }
  offsets[n] = filled;
  const graph: NeighborGraph = { count: n, offsets, neighbors: neighbors.subarray(0, filled), distances: distances.subarray(0, filled) };

  // 3. Exact neighbours of the evaluation points (the preservation figure's truth).
  const evaluationK = Math.min(PRESERVATION_K, n - 1);
  const budgetPoints = Math.floor(EVALUATION_FLOAT_BUDGET / Math.max(1, n * dimension));
  const evaluationCount = n < 3 ? 0 : Math.min(n, EVALUATION_POINTS_MAX, Math.max(EVALUATION_POINTS_MIN, budgetPoints));
  const evaluated = sampleIndices(n, evaluationCount, new Prng(options.seed + 2));
  const truth = new Uint32Array(evaluated.length * Math.max(0, evaluationK)).fill(NO_NEIGHBOR);
  for (let r = 0; r < evaluated.length; r++) {
    exactNeighbors(arena, metric, evaluated[r], evaluationK, truth, r * evaluationK);
    if (r % 16 === 15) yield 'truth';
  }

  // 4. PCA: the starting point and the baseline.
  const rows: Rows = { data: arena.floats.subarray(arena.layout.rowsOffset >> 2), offset: 0, stride: arena.strideBytes >> 2, count: n, dimension };
  const pca = yield* pcaCoordinates(rows, options.seed);

  // 5. The layout: the fuzzy graph, then the SGD epochs.
  const strengths = new Float32Array(graph.neighbors.length);
  for (let from = 0; from < n; from += MEMBERSHIPS_PER_STEP) {
    membershipsOf(graph, from, Math.min(n, from + MEMBERSHIPS_PER_STEP), strengths);
    yield 'layout';
  }
  const union = new FuzzyUnion(graph, strengths);
  for (let from = 0; from < n; from += MEMBERSHIPS_PER_STEP) {
    union.add(from, Math.min(n, from + MEMBERSHIPS_PER_STEP));
    yield 'layout';
  }
  const edges = union.edges();
  const optimizer = createLayout(edges, pca, { seed: options.seed, ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) });
  const epochsPerStep = Math.max(1, Math.floor(EDGES_PER_STEP / Math.max(1, optimizer.edgeCount)));
  while (!optimizer.done) {
    optimizer.run(epochsPerStep);
    yield 'layout';
  }
  const coordinates = optimizer.coordinates;

  // 6. The figure, for the layout and for PCA over the same points.
  let preservation: MapResult['preservation'] = null;
  if (evaluated.length > 0) {
    const layoutTally = new PreservationTally(evaluated, truth, evaluationK, coordinates);
    const pcaTally = new PreservationTally(evaluated, truth, evaluationK, pca);
    const perStep = Math.max(1, Math.floor(PLANE_DISTANCES_PER_STEP / (2 * n)));
    for (let from = 0; from < evaluated.length; from += perStep) {
      const to = Math.min(evaluated.length, from + perStep);
      layoutTally.add(from, to);
      pcaTally.add(from, to);
      yield 'preservation';
    }
    preservation = { k: evaluationK, layout: layoutTally.mean, pca: pcaTally.mean, evaluated: evaluated.length };
  }
  const result: MapResult = {
    keys,
    coordinates: normaliseCoordinates(coordinates),
    pca: normaliseCoordinates(pca),
    count,
    neighbors: { k, source: useIndex ? 'index' : 'sample-graph', ef },
    epochs: optimizer.epochs,
    seed: options.seed,
    preservation,
  };
  if (metadata) result.metadata = metadata;
  if (documents && options.topics) {
    result.topics = yield* withPhase(topicsOf({ data: rows.data, stride: rows.stride, count: n, dimension }, documents, options.topics, options.seed + 4), 'topics');
  }
  return result;
}

/** Two PCA coordinates per row (y = 0 for one-dimensional vectors). */
function* pcaCoordinates(rows: Rows, seed: number): Generator<MapPhase, Float32Array> {
  if (rows.count === 0) return new Float32Array(0);
  const components = Math.min(2, rows.dimension);
  const pca = yield* withPhase(fitPcaSteps(rows, components, { seed: seed + 3 }), 'pca');
  const projected = new Float32Array(rows.count * components);
  const perStep = Math.max(1, Math.floor(PROJECTED_FLOATS_PER_STEP / rows.dimension));
  for (let from = 0; from < rows.count; from += perStep) {
    projectPca(rows, pca, projected, from, Math.min(rows.count, from + perStep));
    yield 'pca';
  }
  if (components === 2) return projected;
  return Float32Array.from({ length: rows.count * 2 }, (_, i) => (i % 2 === 0 ? projected[i / 2] : 0));
}

/** The exact k nearest rows of row `i` (itself excluded) into out[at .. at + k), by one kernel scan. */
function exactNeighbors(arena: VectorArena, metric: KernelMetric, i: number, k: number, out: Uint32Array, at: number): void {
  arena.setQueryFromRow(i);
  const all = arena.distancesAll(metric);
  const top = new TopK(k);
  for (let j = 0; j < all.length; j++) if (j !== i) top.push(all[j], j);
  const { ids } = top.drain();
  for (let r = 0; r < ids.length; r++) out[at + r] = ids[r];
}

/** Back from the API's distance to the kernel's (cosine's 1 - cos is the kernel's -cos shifted by 1). */
function kernelDistanceOf(distance: number, metric: 'cosine' | 'dot' | 'l2'): number {
  return metric === 'cosine' ? distance - 1 : distance;
}

/** A sub-generator whose pauses are reported as `phase`. */
function* withPhase<T>(steps: Generator<void, T>, phase: MapPhase): Generator<MapPhase, T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    yield phase;
  }
}
