/**
 * IndexConfig validation and defaults. The canonical config (every parameter filled in) is what a
 * collection persists, so a collection keeps its parameters even if a later version changes defaults.
 */
import { QuiverError } from '../errors.js';
import type { GraphConfig } from '../index/index.js';
import { describe, isPlainObject } from './records.js';
import { type IndexConfig, type InsertionOrder, type ReduceMethod, defaultRerank, isTwoLevel, parseRecipe } from './recipe.js';

/**
 * Defaults, chosen from our measurements (docs/indexes.md): hnswlib uses M=16, efConstruction=200, ef=10;
 * FAISS M=32, efConstruction=40, efSearch=16; SVS Vamana R=64, L=200 (build), alpha=1.2 for L2.
 */
export const GRAPH_DEFAULTS = {
  hnsw: { connectivity: 16, expansionAdd: 128, ef: 64 },
  vamana: { graphDegree: 64, buildWindowSize: 64, alpha: 1.2, ef: 32 },
} as const;

/** insertionOrder when a config does not say (also for collections created before the option). */
export const INSERTION_ORDER_DEFAULT: InsertionOrder = 'arrival';
const INSERTION_ORDERS: readonly InsertionOrder[] = ['arrival', 'lid'];

const RANGES = {
  connectivity: [2, 128],
  expansionAdd: [1, 4096],
  graphDegree: [2, 256],
  buildWindowSize: [1, 4096],
} as const;

function invalid(message: string, field: string): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, { field });
}

function integerIn(value: unknown, field: keyof typeof RANGES): number {
  const [min, max] = RANGES[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`index.${field} is a whole number from ${min} to ${max}; got ${describe(value)}.`, `index.${field}`);
  }
  return value;
}

/** Parses a recipe or checks an object, fills defaults, and rejects what this version cannot serve. */
export function resolveIndexConfig(index: unknown): IndexConfig {
  const config = typeof index === 'string' ? parseRecipe(index) : checkObject(index);
  const reduce = resolveReduce(config.reduce);
  const compression = resolveCompression(config);
  return { ...resolveGraph(config), ...(reduce ? { reduce } : {}), ...compression };
}

const REDUCE_METHODS: readonly ReduceMethod[] = ['pca', 'leanvec', 'leanvec-ood', 'fft', 'matryoshka'];

/**
 * The reducer of a config, canonical: { method, dimension }. Training queries (object form,
 * `reduce.trainQueries`, LeanVec-OOD only) are checked here for shape and taken out: they are not part of
 * the persisted config (indexTrainQueries reads them for the collection to hold).
 */
function resolveReduce(reduce: unknown): IndexConfig['reduce'] {
  if (reduce === undefined) return undefined;
  if (!isPlainObject(reduce)) throw invalid(`index.reduce is an object { method, dimension } such as { method: 'pca', dimension: 192 }; got ${describe(reduce)}.`, 'index.reduce');
  for (const key of Object.keys(reduce)) {
    if (!['method', 'dimension', 'trainQueries'].includes(key)) throw invalid(`Unknown index.reduce option "${key}". Known: method, dimension, trainQueries.`, `index.reduce.${key}`);
  }
  const { method, dimension, trainQueries } = reduce as { method: unknown; dimension: unknown; trainQueries?: unknown };
  if (!REDUCE_METHODS.includes(method as ReduceMethod)) {
    throw invalid(`index.reduce.method is ${REDUCE_METHODS.map((m) => `'${m}'`).join(', ')}; got ${describe(method)}.`, 'index.reduce.method');
  }
  if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1) {
    throw invalid(`index.reduce.dimension is a whole number of at least 1 (the reduced dimension, below the vectors' own); got ${describe(dimension)}.`, 'index.reduce.dimension');
  }
  if (trainQueries !== undefined) {
    if (method !== 'leanvec-ood') {
      throw invalid(`index.reduce.trainQueries are used by 'leanvec-ood' only; '${method as string}' learns from the collection's own vectors. Remove them or use 'leanvec-ood'.`, 'index.reduce.trainQueries');
    }
    if (!Array.isArray(trainQueries) || trainQueries.length === 0) {
      throw invalid(`index.reduce.trainQueries is a non-empty array of query vectors (a few thousand like the queries you will run); got ${describe(trainQueries)}.`, 'index.reduce.trainQueries');
    }
  }
  return { method: method as ReduceMethod, dimension };
}

/** The training queries an IndexConfig object carries (`reduce.trainQueries`), unchecked beyond resolveIndexConfig. */
export function indexTrainQueries(index: unknown): unknown[] | undefined {
  if (!isPlainObject(index) || !isPlainObject(index.reduce)) return undefined;
  const queries = (index.reduce as { trainQueries?: unknown }).trainQueries;
  return Array.isArray(queries) ? queries : undefined;
}

function resolveGraph(config: IndexConfig): IndexConfig {
  if (config.type === 'flat') {
    for (const key of ['connectivity', 'expansionAdd', 'graphDegree', 'buildWindowSize', 'alpha', 'insertionOrder'] as const) {
      if (config[key] !== undefined) throw invalid(`index.${key} applies to graph indexes, not 'flat'.`, `index.${key}`);
    }
    return { type: 'flat' };
  }
  if (config.type === 'hnsw') {
    for (const key of ['graphDegree', 'buildWindowSize', 'alpha'] as const) {
      if (config[key] !== undefined) throw invalid(`index.${key} is a Vamana parameter; HNSW takes connectivity and expansionAdd.`, `index.${key}`);
    }
    return {
      type: 'hnsw',
      connectivity: integerIn(config.connectivity ?? GRAPH_DEFAULTS.hnsw.connectivity, 'connectivity'),
      expansionAdd: integerIn(config.expansionAdd ?? GRAPH_DEFAULTS.hnsw.expansionAdd, 'expansionAdd'),
      insertionOrder: insertionOrderOf(config.insertionOrder),
    };
  }
  for (const key of ['connectivity', 'expansionAdd'] as const) {
    if (config[key] !== undefined) throw invalid(`index.${key} is an HNSW parameter; Vamana takes graphDegree, buildWindowSize and alpha.`, `index.${key}`);
  }
  const alpha = config.alpha ?? GRAPH_DEFAULTS.vamana.alpha;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0.5 || alpha > 4) throw invalid(`index.alpha is a number from 0.5 to 4; got ${describe(alpha)}.`, 'index.alpha');
  return {
    type: 'vamana',
    graphDegree: integerIn(config.graphDegree ?? GRAPH_DEFAULTS.vamana.graphDegree, 'graphDegree'),
    buildWindowSize: integerIn(config.buildWindowSize ?? GRAPH_DEFAULTS.vamana.buildWindowSize, 'buildWindowSize'),
    alpha,
    insertionOrder: insertionOrderOf(config.insertionOrder),
  };
}

function insertionOrderOf(value: unknown): InsertionOrder {
  if (value === undefined) return INSERTION_ORDER_DEFAULT;
  if (!INSERTION_ORDERS.includes(value as InsertionOrder)) {
    throw invalid(`index.insertionOrder is 'arrival' or 'lid'; got ${describe(value)}.`, 'index.insertionOrder');
  }
  return value as InsertionOrder;
}

const ONE_LEVEL = ['sq8', 'lvq8', 'lvq4', 'binary', 'rabitq'];
const QUANTIZE_NAMES = "'none', 'sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary', 'rabitq' or 'pq<m>x<bits>'";

/**
 * The quantizer and re-rank of a config (docs/indexes.md, "Compression"): both filled in when there is
 * a quantizer, both absent when there is none. Combinations that cannot work, or that store data nothing
 * reads, are INVALID_ARGUMENT saying what to use instead.
 */
function resolveCompression(config: IndexConfig): Pick<IndexConfig, 'quantize' | 'rerank'> {
  const { quantize, rerank } = config;
  if (rerank !== undefined && rerank !== 'none' && rerank !== 'float32' && rerank !== 'lvq8') {
    throw invalid(`index.rerank is 'none', 'float32' or 'lvq8'; got ${describe(rerank)}.`, 'index.rerank');
  }
  if (config.reduce !== undefined) return resolveReducedCompression(quantize, rerank);
  if (quantize === undefined || quantize === 'none') {
    if (rerank !== undefined && rerank !== 'none') {
      throw invalid(`index.rerank '${rerank}' needs a quantizer: without one the collection searches its float32 vectors, which are exact. Add one (e.g. 'HNSW16,SQ8') or drop the re-rank.`, 'index.rerank');
    }
    return {};
  }
  if (typeof quantize !== 'string' || !(ONE_LEVEL.includes(quantize) || isTwoLevel(quantize) || /^pq[1-9][0-9]*x(4|8)$/.test(quantize))) {
    const pq = typeof quantize === 'string' && /^pq[1-9][0-9]*x[0-9]+$/.test(quantize);
    throw invalid(pq ? `PQ codes have 4 or 8 bits per sub-space ('pq<m>x4' or 'pq<m>x8'); got ${describe(quantize)}.` : `index.quantize is ${QUANTIZE_NAMES}; got ${describe(quantize)}.`, 'index.quantize');
  }
  if (isTwoLevel(quantize)) {
    const first = quantize === 'lvq4x8' ? 'lvq4' : 'lvq8';
    if (rerank === 'none') {
      throw invalid(`'${quantize}' keeps a second level only to re-rank with; without a re-rank use '${first}' (the same traversal rows, half the memory).`, 'index.rerank');
    }
    if (rerank === 'float32') {
      throw invalid(`'${quantize}' re-ranks with its own second level; to re-rank on float32 instead use '${first}' with rerank 'float32' (Rerank:F32).`, 'index.rerank');
    }
    return { quantize, rerank: 'lvq8' };
  }
  if (rerank === 'lvq8' && quantize === 'lvq8') {
    throw invalid("'lvq8' re-ranking 'lvq8' codes scores the same rows twice; use rerank 'float32' for exact scores, 'none' to save the memory, or 'lvq8x8'.", 'index.rerank');
  }
  if (rerank === 'none' && quantize === 'binary') {
    throw invalid("Binary codes' Hamming distance only orders candidates, it estimates no score; 'binary' needs a re-rank ('float32' or 'lvq8').", 'index.rerank');
  }
  return { quantize, rerank: rerank ?? defaultRerank({ quantize }) };
}

/**
 * With a reducer (docs/reduction.md, "In collections") the quantizer encodes the reduced vectors the graph
 * traverses, and the re-rank is always on full-dimensional data: 'float32' (the default) or 'lvq8' (LVQ-8
 * rows of the full vectors), or 'none' (the reduced scores are the answer's scores: estimates). A
 * two-level LVQ's second level is then the full-dimensional LVQ-8 rows (LeanVec's own pairing: LVQ-4 or
 * LVQ-8 of the reduced vectors for traversal, LVQ-8 of the full ones for re-ranking), so it re-ranks on
 * 'lvq8' only.
 */
function resolveReducedCompression(quantize: IndexConfig['quantize'], rerank: IndexConfig['rerank']): Pick<IndexConfig, 'quantize' | 'rerank'> {
  if (quantize === undefined || quantize === 'none') return { rerank: rerank ?? 'float32' };
  if (typeof quantize !== 'string' || !(ONE_LEVEL.includes(quantize) || isTwoLevel(quantize) || /^pq[1-9][0-9]*x(4|8)$/.test(quantize))) {
    throw invalid(`index.quantize is ${QUANTIZE_NAMES}; got ${describe(quantize)}.`, 'index.quantize');
  }
  if (isTwoLevel(quantize)) {
    const first = quantize === 'lvq4x8' ? 'lvq4' : 'lvq8';
    if (rerank !== undefined && rerank !== 'lvq8') {
      throw invalid(`With a reducer, '${quantize}' means '${first}' codes of the reduced vectors and LVQ-8 rows of the full vectors to re-rank on; for ${rerank === 'none' ? 'no re-rank' : 'a float32 re-rank'} use '${first}' with rerank '${rerank}'.`, 'index.rerank');
    }
    return { quantize, rerank: 'lvq8' };
  }
  if (rerank === 'none' && quantize === 'binary') {
    throw invalid("Binary codes' Hamming distance only orders candidates, it estimates no score; 'binary' needs a re-rank ('float32' or 'lvq8').", 'index.rerank');
  }
  return { quantize, rerank: rerank ?? 'float32' };
}

/** The dimension a config's quantizer encodes: the reduced one under a reducer, else the collection's. */
export function traversalDimension(config: IndexConfig, dimension: number): number {
  return config.reduce?.dimension ?? dimension;
}

/**
 * Checks the parts of a canonical config that depend on the collection's dimension and metric: a reduced
 * dimension below the collection's, PQ's m ≤ the dimension it encodes, LeanVec-OOD only for inner products.
 */
export function checkIndexForDimension(config: IndexConfig, dimension: number, metric?: string): void {
  const reduce = config.reduce;
  if (reduce && reduce.dimension >= dimension) {
    throw invalid(`index.reduce.dimension (${reduce.dimension}) must be below the collection's dimension (${dimension}): a reducer that keeps every dimension saves nothing. A quarter of it (${Math.max(1, Math.floor(dimension / 4))}) is a common start.`, 'index.reduce.dimension');
  }
  if (reduce?.method === 'leanvec-ood' && metric === 'l2') {
    throw invalid("LeanVec-OOD learns inner products (dot and cosine collections); for an l2 collection use 'PCA<d>' or 'LeanVec<d>'.", 'index.reduce.method');
  }
  const encoded = traversalDimension(config, dimension);
  const pq = config.quantize?.match(/^pq([0-9]+)x([0-9]+)$/);
  if (pq && Number(pq[1]) > Math.min(encoded, 65535)) {
    const what = reduce ? `the ${encoded} reduced dimensions` : `the ${dimension} dimensions`;
    throw invalid(`PQ splits ${what} into m sub-spaces, so m is at most ${Math.min(encoded, 65535)}; got ${pq[1]} in '${config.quantize}'. A common choice is m = d/8 (8-bit codes: one byte per 8 dimensions).`, 'index.quantize');
  }
}

function checkObject(index: unknown): IndexConfig {
  if (!isPlainObject(index)) throw invalid(`index is a recipe string such as 'HNSW16' or an IndexConfig object; got ${describe(index)}.`, 'index');
  const known = ['type', 'connectivity', 'expansionAdd', 'graphDegree', 'buildWindowSize', 'alpha', 'insertionOrder', 'reduce', 'quantize', 'rerank'];
  for (const key of Object.keys(index)) if (!known.includes(key)) throw invalid(`Unknown index option "${key}". Known: ${known.join(', ')}.`, `index.${key}`);
  const type = index.type;
  if (type !== 'flat' && type !== 'hnsw' && type !== 'vamana') throw invalid(`index.type is 'flat', 'hnsw' or 'vamana'; got ${describe(type)}.`, 'index.type');
  return { ...(index as unknown as IndexConfig) };
}

/** The insertion order of a stored config (configs from before the option have none: 'arrival'). */
export function insertionOrderOfConfig(config: IndexConfig): InsertionOrder {
  return config.insertionOrder ?? INSERTION_ORDER_DEFAULT;
}

/** The graph parameters of a canonical config; `seed` makes a segment's build deterministic. */
export function graphConfigOf(config: IndexConfig, seed: number): GraphConfig {
  if (config.type === 'hnsw') {
    return { degree: config.connectivity!, buildWindowSize: config.expansionAdd!, alpha: 1, ef: GRAPH_DEFAULTS.hnsw.ef, seed };
  }
  return { degree: config.graphDegree!, buildWindowSize: config.buildWindowSize!, alpha: config.alpha!, ef: GRAPH_DEFAULTS.vamana.ef, seed };
}
