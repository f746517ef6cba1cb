/**
 * quiverdb for Node.js: the embedded database with node-fs storage and WebAssembly SIMD kernels (the
 * TypeScript reference kernels where SIMD is unavailable). This entry point is the only place that picks
 * a storage adapter and a kernel backend.
 */
import { availableParallelism } from 'node:os';
import { QuiverError } from './core/errors.js';
import { referenceBackend } from './core/kernels/reference.js';
import { setRuntime } from './db/runtime.js';
import { NodeFsStorage } from './storage/node-fs.js';
import { BuildPool, parallelBuildSupported } from './wasm/build-pool.js';
import { createWasmBackend, defaultKernelBackend, wasmSimdSupported } from './wasm/backend.js';

setRuntime({
  name: 'node',
  openStorage: (path) => new NodeFsStorage(path),
  kernels: (choice) => {
    if (choice === 'reference') return referenceBackend;
    if (choice === 'wasm') {
      if (!wasmSimdSupported()) throw new QuiverError('UNSUPPORTED', 'This runtime has no WebAssembly SIMD; use kernels: "auto" or "reference".', {});
      return createWasmBackend();
    }
    return defaultKernelBackend();
  },
  defaultBuildThreads: () => availableParallelism(),
  buildWorkers: (workers) => (workers >= 1 && parallelBuildSupported() ? new BuildPool(workers) : null),
});

export { Quiver, type CollectionInfo } from './db/database.js';
export { verifyStore, type VerifyReport, type VerifyFinding, type VerifiedFile, type VerifiedCollection, type VerifyOptions } from './db/verify.js';
export { Collection, type QueryRequest, type QueryPlan, type CollectionStats, type WriteResult, type MapRequest, type MapResult } from './db/collection.js';
export type { OpenOptions, CollectionConfig } from './db/config.js';
export { TRAINING, type Hit, type IncludeField } from './core/collection/collection.js';
export { DRIFT } from './core/collection/drift.js';
export { RECALL_SAMPLING } from './core/collection/recall.js';
export type { RecordInput, UpdateInput, StoredRecord, Metadata, Metric, Json } from './core/collection/records.js';
export { parseRecipe, printRecipe, type IndexConfig } from './core/collection/recipe.js';
export { QuiverError, isQuiverError, ERROR_CODES, type ErrorCode, type ErrorCategory } from './core/errors.js';
export { LIMITS } from './core/lib/limits.js';
export type { StorageAdapter, AppendFile } from './storage/adapter.js';
export { MemoryStorage } from './storage/memory.js';
export { NodeFsStorage } from './storage/node-fs.js';
export {
  createEmbeddingFunction,
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
