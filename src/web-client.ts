/**
 * quiverdb/web-client: the page side of a database running in a Web Worker (openInWorker), without the
 * engine. See docs/runtimes.md, Workers.
 */
export { openInWorker, WorkerQuiver, WorkerCollection } from './web/worker-client.js';
export type { WorkerContext } from './web/protocol.js';
export { QuiverError, isQuiverError, ERROR_CODES, type ErrorCode, type ErrorCategory } from './core/errors.js';
