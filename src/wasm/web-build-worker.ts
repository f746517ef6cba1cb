/**
 * A parallel-build Web Worker (started by web-build-pool.ts in cross-origin isolated browsers); the work
 * is build-worker-core.ts, the same as Node's worker threads run.
 */
import { type AttachMessage, type JobMessage, createBuildWorkerHandler } from './build-worker-core.js';

const scope = globalThis as unknown as { postMessage(message: unknown): void; addEventListener(type: 'message', listener: (event: MessageEvent) => void): void };
const handle = createBuildWorkerHandler((reply) => scope.postMessage(reply));
scope.addEventListener('message', (event: MessageEvent) => handle(event.data as AttachMessage | JobMessage));
