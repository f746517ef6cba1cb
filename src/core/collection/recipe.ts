/**
 * Index recipes: short strings in the spirit of FAISS's factory strings (`Flat`, `HNSW16`,
 * `LeanVec160,Vamana64,LVQ4x8,Rerank:LVQ8`), parsed into an IndexConfig and printed back round-trip.
 * The grammar and every name are the public contract of api.md.
 */
import { QuiverError } from '../errors.js';

export type ReduceMethod = 'pca' | 'leanvec' | 'leanvec-ood' | 'fft' | 'matryoshka';
export type InsertionOrder = 'arrival' | 'lid';
export type Quantization = 'none' | 'sq8' | 'lvq8' | 'lvq4' | 'lvq4x8' | 'lvq8x8' | 'binary' | 'rabitq' | `pq${number}x${number}`;

export interface IndexConfig {
  type: 'flat' | 'hnsw' | 'vamana';
  connectivity?: number;
  expansionAdd?: number;
  graphDegree?: number;
  buildWindowSize?: number;
  alpha?: number;
  /**
   * The order a bulk build inserts rows in (graph indexes; object form only, like the other build
   * parameters): 'arrival' (the order they were written) or 'lid' (optimize() rewrites the sealed
   * segments in descending local intrinsic dimensionality and rebuilds their graphs in that order).
   */
  insertionOrder?: InsertionOrder;
  reduce?: { method: ReduceMethod; dimension: number; trainQueries?: Float32Array[] };
  quantize?: Quantization;
  rerank?: 'none' | 'float32' | 'lvq8';
}

const REDUCERS: Record<string, ReduceMethod> = { PCA: 'pca', LeanVec: 'leanvec', LeanVecOOD: 'leanvec-ood', FFT: 'fft', MRL: 'matryoshka' };
const REDUCER_TOKENS = Object.fromEntries(Object.entries(REDUCERS).map(([token, method]) => [method, token])) as Record<ReduceMethod, string>;
const QUANTIZERS: Record<string, Quantization> = { SQ8: 'sq8', LVQ8: 'lvq8', LVQ4: 'lvq4', LVQ4x8: 'lvq4x8', LVQ8x8: 'lvq8x8', BQ: 'binary', RaBitQ: 'rabitq' };
const QUANTIZER_TOKENS = Object.fromEntries(Object.entries(QUANTIZERS).map(([token, q]) => [q, token])) as Record<string, string>;
/** `Rerank:None` extends api.md's grammar: without it a canonical config with rerank 'none' had no recipe. */
const RERANKS: Record<string, 'none' | 'float32' | 'lvq8'> = { 'Rerank:F32': 'float32', 'Rerank:LVQ8': 'lvq8', 'Rerank:None': 'none' };

/** Two-level quantizers: their second level is the re-rank data. */
export function isTwoLevel(quantize: Quantization | undefined): boolean {
  return quantize === 'lvq4x8' || quantize === 'lvq8x8';
}

/**
 * Whether candidates re-rank on the traversal codes' own second level: a two-level LVQ without a reducer.
 * Under a reducer the second level is LVQ-8 rows of the full vectors, kept apart (Rerank:LVQ8 rows).
 */
export function reranksOnSecondLevel(config: Pick<IndexConfig, 'quantize' | 'reduce'>): boolean {
  return isTwoLevel(config.quantize) && config.reduce === undefined;
}

/** The quantizer that encodes the traversal rows: a two-level LVQ under a reducer is its first level. */
export function traversalQuantizer(config: Pick<IndexConfig, 'quantize' | 'reduce'>): Quantization | undefined {
  const q = config.quantize;
  if (q === undefined || q === 'none') return undefined;
  if (config.reduce !== undefined && isTwoLevel(q)) return q === 'lvq4x8' ? 'lvq4' : 'lvq8';
  return q;
}

/**
 * The re-rank a config gets when it names none (api.md): two-level quantizers their second level
 * ('lvq8': 8-bit LVQ residuals); a reducer or a one-level quantizer float32; nothing to re-rank otherwise.
 */
export function defaultRerank(config: Pick<IndexConfig, 'quantize' | 'reduce'>): IndexConfig['rerank'] {
  if (isTwoLevel(config.quantize)) return 'lvq8';
  if (config.reduce || (config.quantize && config.quantize !== 'none')) return 'float32';
  return undefined;
}

function invalid(message: string, details: Record<string, unknown>): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, details);
}

function positiveInt(text: string, token: string): number {
  const n = Number(text);
  if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(n)) throw invalid(`Recipe token "${token}" needs a positive whole number.`, { token });
  return n;
}

export function parseRecipe(recipe: string): IndexConfig {
  if (typeof recipe !== 'string' || recipe.trim() === '') {
    throw invalid('An index recipe is a non-empty string such as "Flat" or "HNSW16".', { recipe });
  }
  let graph: IndexConfig | undefined;
  let reduce: IndexConfig['reduce'];
  let quantize: Quantization | undefined;
  let rerank: IndexConfig['rerank'];
  const once = (present: unknown, token: string, part: string): void => {
    if (present !== undefined) throw invalid(`Recipe "${recipe}" names more than one ${part} (at "${token}").`, { recipe, token });
  };
  for (const token of recipe.split(',')) {
    let m: RegExpMatchArray | null;
    if (token === 'Flat') {
      once(graph, token, 'index');
      graph = { type: 'flat' };
    } else if ((m = token.match(/^HNSW(\d+)$/))) {
      once(graph, token, 'index');
      graph = { type: 'hnsw', connectivity: positiveInt(m[1], token) };
    } else if ((m = token.match(/^Vamana(\d+)$/))) {
      once(graph, token, 'index');
      graph = { type: 'vamana', graphDegree: positiveInt(m[1], token) };
    } else if ((m = token.match(/^(PCA|LeanVecOOD|LeanVec|FFT|MRL)(\d+)$/))) {
      once(reduce, token, 'reducer');
      reduce = { method: REDUCERS[m[1]], dimension: positiveInt(m[2], token) };
    } else if (token in QUANTIZERS) {
      once(quantize, token, 'quantizer');
      quantize = QUANTIZERS[token];
    } else if ((m = token.match(/^PQ(\d+)x(\d+)$/))) {
      once(quantize, token, 'quantizer');
      quantize = `pq${positiveInt(m[1], token)}x${positiveInt(m[2], token)}`;
    } else if (token in RERANKS) {
      once(rerank, token, 're-rank');
      rerank = RERANKS[token];
    } else {
      throw invalid(`Unknown index recipe token "${token}" in "${recipe}". Known: Flat, HNSW<M>, Vamana<R>, PCA<d>, LeanVec<d>, LeanVecOOD<d>, FFT<d>, MRL<d>, SQ8, LVQ8, LVQ4, LVQ4x8, LVQ8x8, BQ, RaBitQ, PQ<m>x<bits>, Rerank:F32, Rerank:LVQ8, Rerank:None.`, { recipe, token });
    }
  }
  const config: IndexConfig = graph ?? { type: 'flat' };
  if (reduce) config.reduce = reduce;
  if (quantize) config.quantize = quantize;
  if (rerank) config.rerank = rerank;
  return config;
}

/** The canonical recipe string of a config (listCollections and stats report it). */
export function printRecipe(config: IndexConfig): string {
  const tokens: string[] = [];
  if (config.reduce) tokens.push(`${REDUCER_TOKENS[config.reduce.method]}${config.reduce.dimension}`);
  if (config.type === 'flat') tokens.push('Flat');
  if (config.type === 'hnsw') tokens.push(`HNSW${config.connectivity ?? 16}`);
  if (config.type === 'vamana') tokens.push(`Vamana${config.graphDegree ?? 64}`);
  if (config.quantize && config.quantize !== 'none') {
    const pq = config.quantize.match(/^pq(\d+)x(\d+)$/);
    tokens.push(pq ? `PQ${pq[1]}x${pq[2]}` : QUANTIZER_TOKENS[config.quantize]);
  }
  // the re-rank is printed only where it differs from the default, so 'HNSW16,SQ8' prints as written
  if (config.rerank !== undefined && config.rerank !== defaultRerank(config)) {
    tokens.push(config.rerank === 'float32' ? 'Rerank:F32' : config.rerank === 'lvq8' ? 'Rerank:LVQ8' : 'Rerank:None');
  }
  return tokens.join(',');
}
