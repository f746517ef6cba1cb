/**
 * The static assets the build writes and the page reads: one place for their names and formats, so the
 * Node build (build.ts) and the browser page (web/) cannot disagree.
 *
 * - data/manifest.json: what was built (Manifest), fetched on every visit (a few hundred bytes).
 * - data/papers.jsonl: the corpus, one paper per line, as examples/papers/papers.jsonl.
 * - data/vectors.f32: the papers' embeddings in the same order, `count` rows of `dimension` float32,
 *   little-endian, no header.
 * - model/: the built-in embedder's files (Universal Sentence Encoder lite, TensorFlow.js), for
 *   embedding search text in the browser.
 */

export const MANIFEST_FILE = 'data/manifest.json';
export const CORPUS_FILE = 'data/papers.jsonl';
export const VECTORS_FILE = 'data/vectors.f32';
export const MODEL_DIR = 'model/';

/** The model's graph (model.json), its tokenizer vocabulary and the TensorFlow.js WebAssembly backends. */
export const MODEL_FILES = {
  graph: 'model.json',
  vocabulary: 'vocab.json',
  wasmSimd: 'tfjs-backend-wasm-simd.wasm',
  wasm: 'tfjs-backend-wasm.wasm',
} as const;

export interface Manifest {
  format: 1;
  /** Changes whenever the corpus or its vectors change: the page keeps one collection per version. */
  version: string;
  count: number;
  dimension: number;
  /** The embedding model's name (the built-in embedder's, builtin:use-lite). */
  model: string;
  /** When the build ran (ms since the epoch): every paper's `addedAt`. */
  builtAt: number;
  bytes: { corpus: number; vectors: number; model: number };
}

/** Rows as one little-endian float32 buffer (vectors.f32). */
export function encodeVectors(rows: readonly Float32Array[], dimension: number): Uint8Array {
  const out = new Uint8Array(rows.length * dimension * 4);
  const view = new DataView(out.buffer);
  rows.forEach((row, i) => {
    if (row.length !== dimension) throw new Error(`vector ${i} has ${row.length} dimensions, not ${dimension}`);
    for (let j = 0; j < dimension; j++) view.setFloat32((i * dimension + j) * 4, row[j], true);
  });
  return out;
}

/** vectors.f32 back to rows, whatever the platform's byte order. */
export function decodeVectors(bytes: ArrayBuffer, count: number, dimension: number): Float32Array[] {
  if (bytes.byteLength !== count * dimension * 4) {
    throw new Error(`${VECTORS_FILE} has ${bytes.byteLength} bytes; ${count} vectors of ${dimension} float32 need ${count * dimension * 4}. Rebuild the example (npm run build:serverless).`);
  }
  const view = new DataView(bytes);
  return Array.from({ length: count }, (_, i) => {
    const row = new Float32Array(dimension);
    for (let j = 0; j < dimension; j++) row[j] = view.getFloat32((i * dimension + j) * 4, true);
    return row;
  });
}

/**
 * The page's collection: the Quiver Papers app's (src/papers/collection.ts: cosine, HNSW16, addedAt
 * indexed) without its embedding function, which browsers cannot load (docs/runtimes.md); the vectors
 * come precomputed instead, and the page embeds search text itself. English stemming and stop words
 * for keyword search over the title and abstract.
 */
export function papersCollectionConfig(dimension: number) {
  return {
    dimension,
    metric: 'cosine',
    index: 'HNSW16',
    payloadIndexes: { addedAt: 'number' },
    text: { stemming: 'english', stopWords: 'english' },
  } as const;
}

/** One collection per corpus version, so a rebuilt corpus replaces the stored one on the next visit. */
export const collectionName = (manifest: Pick<Manifest, 'version'>): string => `papers-${manifest.version}`;
