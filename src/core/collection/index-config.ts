/**
 * IndexConfig validation and defaults. The canonical config (every parameter filled in) is what a
 * collection persists, so a collection keeps its parameters even if a later version changes defaults.
 */
import { QuiverError } from '../errors.js';
import type { GraphConfig } from '../index/index.js';
import { describe, isPlainObject } from './records.js';
import { type IndexConfig, type InsertionOrder, defaultRerank, isTwoLevel, parseRecipe } from './recipe.js';

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
  if (config.reduce) {
    throw new QuiverError('UNSUPPORTED', "Dimensionality reduction (reduce: PCA, LeanVec, FFT, MRL) is not available in this version of Quiver; use a quantizer such as 'LVQ8' or 'SQ8'.", {
      index: typeof index === 'string' ? index : config.type,
      field: 'index.reduce',
    });
  }
  const compression = resolveCompression(config);
  return { ...resolveGraph(config), ...compression };
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

/** Checks the parts of a canonical config that depend on the collection's dimension (PQ's m ≤ d). */
export function checkIndexForDimension(config: IndexConfig, dimension: number): void {
  const pq = config.quantize?.match(/^pq([0-9]+)x([0-9]+)$/);
  if (pq && Number(pq[1]) > Math.min(dimension, 65535)) {
    throw invalid(`PQ splits the ${dimension} dimensions into m sub-spaces, so m is at most ${Math.min(dimension, 65535)}; got ${pq[1]} in '${config.quantize}'. A common choice is m = d/8 (8-bit codes: one byte per 8 dimensions).`, 'index.quantize');
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
