/**
 * quiverdb for Node.js (the `node` and `default` export conditions): the embedded database with node-fs
 * storage and WebAssembly SIMD kernels (the TypeScript reference kernels where SIMD is unavailable).
 * Entry points are the only places that pick a storage adapter and a kernel backend; the other runtimes'
 * are bun.ts, deno.ts, browser.ts and worker.ts (docs/runtimes.md).
 */
import { setRuntime } from './db/runtime.js';
import { nodeLikeRuntime } from './runtimes/node.js';
import { loadEmbeddingFunction } from './embed/index.js';

setRuntime({ ...nodeLikeRuntime('node'), embeddings: loadEmbeddingFunction });

export * from './api.js';
export { NodeFsStorage } from './storage/node-fs.js';
export * from './api-embed.js';
