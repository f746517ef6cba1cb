/**
 * A parallel-build worker thread of node:worker_threads (started by build-pool.ts on Node, Bun and
 * Deno); the work itself is build-worker-core.ts, shared with the browsers' web-build-worker.ts.
 */
import { parentPort } from 'node:worker_threads';
import { type AttachMessage, type JobMessage, createBuildWorkerHandler } from './build-worker-core.js';

export type { AttachMessage, JobMessage, WorkerReply } from './build-worker-core.js';

const port = parentPort;
if (port === null) throw new Error('build-worker.ts runs as a worker thread only');
const handle = createBuildWorkerHandler((reply) => port.postMessage(reply));
port.on('message', (message: AttachMessage | JobMessage) => handle(message));
