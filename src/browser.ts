/**
 * quiverdb for browsers (the `browser` export condition): pages and Web Workers. A path is a directory in
 * the Origin Private File System (OpfsStorage); the WebAssembly kernels compile from the bundle's base64
 * on import. No node:* module is loaded. See docs/runtimes.md for durability and workers.
 */
import { setRuntime } from './db/runtime.js';
import { browserRuntime } from './runtimes/browser.js';

setRuntime(browserRuntime('browser'));

export * from './api.js';
export { serveQuiver } from './web/worker-host.js';
export { setBuildWorkerUrl } from './wasm/web-build-pool.js';
export { openInWorker, WorkerQuiver, WorkerCollection } from './web/worker-client.js';
export type { WorkerContext } from './web/protocol.js';
export { OpfsStorage, opfsSupported, syncAccessHandlesSupported, type OpfsOptions } from './storage/opfs.js';
