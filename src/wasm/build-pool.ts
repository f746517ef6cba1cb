/**
 * Worker threads for parallel graph builds (node:worker_threads, on Node, Bun and Deno): the WorkerPool
 * of worker-pool.ts over build-worker.ts threads. Workers hold no event-loop reference while idle, so an
 * open pool never keeps a process alive.
 *
 * The worker entry is build-worker.ts next to this file: loaded as .ts when running from sources (tsx
 * passes its loader to workers through execArgv) and as .js from the compiled dist.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerReply } from './build-worker-core.js';
import { type PoolWorker, WorkerPool } from './worker-pool.js';

export { type GraphBuildJob } from './worker-pool.js';

/**
 * From the compiled dist the worker is build-worker.js. From the .ts sources (tests, tsx) it is
 * build-worker.ts, and a worker does not inherit tsx's loader on Node 20, so it starts from a one-line
 * bootstrap that registers tsx in the worker and then imports the entry.
 */
function startThread(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./build-worker.js', self));
  // Bun and Deno run TypeScript themselves
  if ('Bun' in globalThis || 'Deno' in globalThis) return new Worker(new URL('./build-worker.ts', self));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./build-worker.ts', self).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Whether worker threads and shared memory are available here (the pool can be used at all). */
export function parallelBuildSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Worker === 'function';
}

function startWorker(): PoolWorker {
  const worker = startThread();
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', (reply: WorkerReply) => listener(reply)),
    onError: (listener) => void worker.on('error', listener),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => worker.terminate(),
  };
}

export class BuildPool extends WorkerPool {
  /** `threads`: workers to start (the calling thread works too, so all cores is availableParallelism() - 1). */
  constructor(threads: number) {
    super(threads, startWorker);
  }
}
