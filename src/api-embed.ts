/**
 * The embedding API (docs/embeddings.md) as the server-side entry points export it: Node, Bun and Deno.
 * Not yet in the browser and worker entries: its providers load model files through node:fs.
 */
export {
  createEmbeddingFunction,
  loadEmbeddingFunction,
  checkEmbeddingConfig,
  builtinEmbedding,
  transformersEmbedding,
  openaiEmbedding,
  chunkText,
  chunkDocuments,
  chunkKey,
  parseChunkKey,
  type EmbeddingConfig,
  type EmbeddingFunction,
  type EmbedOptions,
  type EmbeddingProgress,
  type Chunk,
  type ChunkOptions,
  type ChunkRecord,
} from './embed/index.js';
