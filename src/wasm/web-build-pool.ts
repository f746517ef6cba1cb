/**
 * Parallel graph builds in browsers: the WorkerPool of worker-pool.ts over Web Workers running
 * web-build-worker.js. Only where memory can be shared: SharedArrayBuffer exists, which browsers allow
 * only to cross-origin isolated documents (COOP: same-origin + COEP: require-corp) and their workers;
 * everywhere else builds stay on the database's own thread.
 *
 * The worker script is found next to this module (`new URL('./web-build-worker.js', import.meta.url)`,
 * a pattern Vite, webpack and Parcel follow when bundling); setBuildWorkerUrl() points elsewhere.
 */
import type { WorkerReply } from './build-worker-core.js';
import { type PoolWorker, WorkerPool } from './worker-pool.js';

let workerUrl: string | URL | null = null;

/** Where the build worker script is served, when a bundler moved it (see docs/runtimes.md). */
export function setBuildWorkerUrl(url: string | URL): void {
  workerUrl = url;
}

export function webParallelBuildSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof Worker === 'function';
}

function startWebWorker(): PoolWorker {
  const worker = new Worker(workerUrl ?? new URL('./web-build-worker.js', import.meta.url), { type: 'module', name: 'quiver-build' });
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener('message', (event: MessageEvent) => listener(event.data as WorkerReply)),
    onError: (listener) => worker.addEventListener('error', (event: ErrorEvent) => listener(new Error(`build worker failed: ${event.message}`))),
    terminate: () => worker.terminate(),
  };
}

export class WebBuildPool extends WorkerPool {
  constructor(threads: number) {
    super(threads, startWebWorker);
  }
}
