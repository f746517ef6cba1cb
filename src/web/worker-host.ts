/**
 * The worker side of openInWorker: serveQuiver() makes the dedicated worker it runs in answer a page's
 * calls with one database, so index builds, checkpoints and large queries run off the page's main
 * thread, through exactly the code the page would run itself (db/). In a worker, OPFS has synchronous
 * access handles, the fast path (docs/runtimes.md).
 *
 *   // quiver.worker.ts
 *   import { serveQuiver } from 'quiverdb/browser';
 *   serveQuiver();
 */
import { QuiverError } from '../core/errors.js';
import type { Collection } from '../db/collection.js';
import { Quiver } from '../db/database.js';
import { COLLECTION_METHODS, DATABASE_METHODS, type Reply, type Request, type SerializedError, type WorkerContext } from './protocol.js';

interface Port {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof QuiverError) return { name: 'QuiverError', code: error.code, message: error.message, details: error.details };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Serves the database calls of the page that started this worker (or of `port`). */
export function serveQuiver(port: Port = globalThis as unknown as Port): void {
  let db: Quiver | null = null;
  const aborts = new Map<number, AbortController>();
  const scans = new Map<number, AsyncGenerator<unknown>>();
  let nextScan = 1;
  const database = (): Quiver => {
    if (db === null) throw new QuiverError('CLOSED', 'The database in this worker is not open: call openInWorker() first.', {});
    return db;
  };

  const handle = async (request: Extract<Request, { type: 'call' }>, signal: AbortSignal | undefined): Promise<unknown> => {
    const { method, args } = request;
    if (method === 'open') {
      if (db !== null) throw new QuiverError('INVALID_ARGUMENT', 'This worker already serves an open database; start one worker per database.', {});
      db = await Quiver.open(args[0] as Parameters<typeof Quiver.open>[0]);
      return null;
    }
    if (method === 'context') {
      const info = db as unknown as { kernels?: { name: string }; buildThreads?: number; buildPool?: { jobsSent?: number } | null; storageInfo?(): { persistent: boolean } } | null;
      const scope = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'function' && typeof (globalThis as { importScripts?: unknown }).importScripts === 'function' ? 'dedicated-worker' : 'window';
      const context: WorkerContext = {
        scope,
        crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
        kernels: info?.kernels?.name ?? null,
        storage: info?.storageInfo ? (info.storageInfo().persistent ? 'opfs' : 'memory') : null,
        buildThreads: info?.buildThreads ?? null,
        parallelBuildJobs: info?.buildPool?.jobsSent ?? 0,
      };
      return context;
    }
    if (method === 'scan-start') {
      const id = nextScan++;
      scans.set(id, database().collection(request.collection!).scan(args[0] as { filter?: unknown; batchSize?: number }));
      return id;
    }
    if (method === 'scan-next' || method === 'scan-end') {
      const scan = scans.get(args[0] as number);
      if (scan === undefined) return { done: true };
      const step = method === 'scan-next' ? await scan.next() : await scan.return(undefined);
      if (step.done) scans.delete(args[0] as number);
      return { done: step.done === true, value: step.done ? undefined : step.value };
    }
    if (request.collection !== undefined) {
      if (!(COLLECTION_METHODS as readonly string[]).includes(method)) throw new QuiverError('INVALID_ARGUMENT', `Unknown collection method ${method}.`, {});
      const collection = database().collection(request.collection) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const callArgs = signal && args[0] && typeof args[0] === 'object' ? [{ ...(args[0] as object), signal }, ...args.slice(1)] : args;
      return collection[method](...callArgs);
    }
    if (!(DATABASE_METHODS as readonly string[]).includes(method)) throw new QuiverError('INVALID_ARGUMENT', `Unknown database method ${method}.`, {});
    const target = database() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const result = await target[method](...args);
    if (method === 'close') db = null;
    // a collection handle is re-made on the page from its name
    return method === 'createCollection' ? (result as Collection).name : result;
  };

  port.addEventListener('message', (event: MessageEvent) => {
    const request = event.data as Request;
    if (request?.type === 'abort') {
      aborts.get(request.id)?.abort('aborted by the page');
      return;
    }
    if (request?.type !== 'call') return;
    let controller: AbortController | undefined;
    if (request.abortable) {
      controller = new AbortController();
      aborts.set(request.id, controller);
    }
    handle(request, controller?.signal).then(
      (result) => port.postMessage({ id: request.id, result } satisfies Reply),
      (error: unknown) => port.postMessage({ id: request.id, error: serializeError(error) } satisfies Reply),
    ).finally(() => aborts.delete(request.id));
  });
}
