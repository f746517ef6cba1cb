/**
 * The public API every runtime entry point exports (src/index.ts for Node, bun.ts, deno.ts, browser.ts,
 * worker.ts): the same names everywhere, so code written against api.md runs unchanged on each runtime.
 * An entry point adds only its runtime wiring (setRuntime) and its own storage adapter.
 */
export { Quiver, type CollectionInfo } from './db/database.js';
export { verifyStore, type VerifyReport, type VerifyFinding, type VerifiedFile, type VerifiedCollection, type VerifyOptions } from './db/verify.js';
export { Collection, type QueryRequest, type QueryPlan, type CollectionStats, type WriteResult, type MapRequest, type MapResult, type RecordInput, type EmbeddingInfo } from './db/collection.js';
export type { DocumentHit, ChunkHit } from './db/documents.js';
export type { OpenOptions, CollectionConfig } from './db/config.js';
export { TRAINING, type Hit, type IncludeField } from './core/collection/collection.js';
export { DRIFT } from './core/collection/drift.js';
export { RECALL_SAMPLING } from './core/collection/recall.js';
export type { UpdateInput, StoredRecord, Metadata, Metric, Json } from './core/collection/records.js';
export { parseRecipe, printRecipe, type IndexConfig } from './core/collection/recipe.js';
export { QuiverError, isQuiverError, ERROR_CODES, type ErrorCode, type ErrorCategory } from './core/errors.js';
export { LIMITS } from './core/lib/limits.js';
export type { StorageAdapter, AppendFile } from './storage/adapter.js';
export { MemoryStorage } from './storage/memory.js';
