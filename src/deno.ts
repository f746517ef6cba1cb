/**
 * quiverdb for Deno (the `deno` export condition): the same wiring as Node's, since Deno implements node:fs
 * (node-fs storage, fsync durability, the LOCK file) and node:worker_threads (parallel builds). The kernels
 * load from the base64 in the bundle, so no file access or loader flag is needed. See docs/runtimes.md.
 */
import { setRuntime } from './db/runtime.js';
import { nodeLikeRuntime } from './runtimes/node.js';
import { loadEmbeddingFunction } from './api-embed.js';

setRuntime({ ...nodeLikeRuntime('deno'), embeddings: loadEmbeddingFunction });

export * from './api.js';
export { NodeFsStorage } from './storage/node-fs.js';
export * from './api-embed.js';
