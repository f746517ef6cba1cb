/**
 * IndexConfig validation and defaults. The canonical config (every parameter filled in) is what a
 * collection persists, so a collection keeps its parameters even if a later version changes defaults.
 */
import { QuiverError } from '../errors.js';
import type { GraphConfig } from '../index/index.js';
import { describe, isPlainObject } from './records.js';
import { type IndexConfig, type InsertionOrder, parseRecipe } from './recipe.js';

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
  const extras = [config.reduce && 'reduce', config.quantize && config.quantize !== 'none' && 'quantize', config.rerank && config.rerank !== 'none' && 'rerank'].filter(Boolean);
  if (extras.length > 0) {
    throw new QuiverError('UNSUPPORTED', `Compression (${extras.join(', ')}) is not available in this version of Quiver; use 'Flat', 'HNSW<M>' or 'Vamana<R>'.`, {
      index: typeof index === 'string' ? index : config.type,
    });
  }
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
