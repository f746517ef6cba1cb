/**
 * openInWorker: the database of api.md, running in a dedicated Web Worker, driven from the page by
 * messages. The handles have the same methods and results as Quiver and Collection (QuiverErrors arrive
 * as QuiverErrors); the page thread only posts and receives messages, so an index build or a large query
 * never blocks it. This module carries no engine: a page that only talks to a worker downloads this, the
 * worker downloads the engine.
 *
 *   const worker = new Worker(new URL('./quiver.worker.js', import.meta.url), { type: 'module' });
 *   const db = await openInWorker(worker, { path: 'papers' });   // OPFS, through sync access handles
 *   const col = await db.createCollection('papers', { dimension: 384, metric: 'cosine', index: 'HNSW16' });
 */
import { QuiverError, type ErrorCode } from '../core/errors.js';
import type { CollectionInfo, Quiver } from '../db/database.js';
import type { Collection } from '../db/collection.js';
import type { OpenOptions } from '../db/config.js';
import type { CollectionMethod, DatabaseMethod, Reply, Request, WorkerContext } from './protocol.js';

interface WorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate?(): void;
}

type Pending = { resolve(value: unknown): void; reject(error: unknown): void };
type Methods<T, K extends keyof T> = { [P in K]: T[P] };

class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(readonly worker: WorkerLike) {
    worker.addEventListener('message', (event: MessageEvent) => {
      const reply = event.data as Reply;
      const entry = this.pending.get(reply?.id);
      if (entry === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) {
        const e = reply.error;
        entry.reject(e.code !== undefined ? new QuiverError(e.code as ErrorCode, e.message, e.details ?? {}) : Object.assign(new Error(e.message), { name: e.name }));
      } else entry.resolve(reply.result);
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      this.failure = new QuiverError('UNAVAILABLE', `The database worker failed: ${event.message ?? 'unknown error'}. Start a new worker and open the database again.`, {});
      for (const entry of this.pending.values()) entry.reject(this.failure);
      this.pending.clear();
    });
  }

  call(method: DatabaseMethod | CollectionMethod, args: unknown[], collection?: string): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const first = args[0] as { signal?: AbortSignal } | undefined;
    const signal = first && typeof first === 'object' && !Array.isArray(first) ? first.signal : undefined;
    const sent = signal ? [{ ...first, signal: undefined }, ...args.slice(1)] : args;
    if (signal?.aborted) return Promise.reject(new QuiverError('ABORTED', `The query was aborted: ${String(signal.reason ?? 'abort signal')}.`, { reason: String(signal.reason ?? '') }));
    const request: Request = { type: 'call', id, method, collection, args: sent, abortable: signal !== undefined };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request);
      // after the call, so the worker knows the id: work that yields (map, long scans) stops at its next step
      signal?.addEventListener('abort', () => this.worker.postMessage({ type: 'abort', id } satisfies Request), { once: true });
    });
  }
}

type CollectionApi = Methods<Collection, 'upsert' | 'update' | 'get' | 'delete' | 'count' | 'query' | 'queryMany' | 'explain' | 'stats' | 'optimize' | 'reindex' | 'map' | 'scan'>;

/** A collection of the database in the worker: Collection's methods, answered there. */
export class WorkerCollection implements CollectionApi {
  constructor(
    private readonly connection: Connection,
    readonly name: string,
  ) {}

  private call<T>(method: CollectionMethod, ...args: unknown[]): Promise<T> {
    return this.connection.call(method, args, this.name) as Promise<T>;
  }

  upsert: Collection['upsert'] = (records) => this.call('upsert', records);
  update: Collection['update'] = (updates) => this.call('update', updates);
  get: Collection['get'] = (keys) => this.call('get', keys);
  delete: Collection['delete'] = (keysOrFilter) => this.call('delete', keysOrFilter);
  count: Collection['count'] = (options) => this.call('count', ...(options === undefined ? [] : [options]));
  query: Collection['query'] = (request) => this.call('query', request);
  queryMany: Collection['queryMany'] = (requests) => this.call('queryMany', requests);
  explain: Collection['explain'] = (request) => this.call('explain', request);
  stats: Collection['stats'] = () => this.call('stats');
  optimize: Collection['optimize'] = (options) => this.call('optimize', ...(options === undefined ? [] : [options]));
  reindex: Collection['reindex'] = (index) => this.call('reindex', index);
  map: Collection['map'] = (request) => this.call('map', ...(request === undefined ? [] : [request]));

  async *scan(options: { filter?: unknown; batchSize?: number } = {}): AsyncGenerator<Awaited<ReturnType<Collection['get']>>[number] extends infer R ? NonNullable<R>[] : never> {
    const id = (await this.connection.call('scan-start', [options], this.name)) as number;
    let done = false;
    try {
      for (;;) {
        const step = (await this.connection.call('scan-next', [id])) as { done: boolean; value: never };
        if (step.done) {
          done = true;
          return;
        }
        yield step.value;
      }
    } finally {
      if (!done) await this.connection.call('scan-end', [id]);
    }
  }
}

type DatabaseApi = Methods<Quiver, 'listCollections' | 'dropCollection' | 'checkpoint' | 'idle' | 'close'>;

/** The database in the worker: Quiver's methods, answered there; collection handles as in api.md. */
export class WorkerQuiver implements DatabaseApi {
  private readonly connection: Connection;

  constructor(worker: WorkerLike) {
    this.connection = new Connection(worker);
  }

  /** @internal opens the database in the worker. */
  async open(options?: OpenOptions): Promise<this> {
    await this.connection.call('open', [options]);
    return this;
  }

  async createCollection(name: string, config: Parameters<Quiver['createCollection']>[1]): Promise<WorkerCollection> {
    const created = (await this.connection.call('createCollection', [name, config])) as string;
    return new WorkerCollection(this.connection, created);
  }

  /** Synchronous, no message: as in api.md, operations on a missing collection reject with COLLECTION_NOT_FOUND. */
  collection(name: string): WorkerCollection {
    return new WorkerCollection(this.connection, name);
  }

  listCollections = (): Promise<CollectionInfo[]> => this.connection.call('listCollections', []) as Promise<CollectionInfo[]>;
  dropCollection = (name: string): Promise<void> => this.connection.call('dropCollection', [name]) as Promise<void>;
  /** A directory name in the worker's storage (a path), as Quiver.backup takes. */
  backup = (dir: string): Promise<void> => this.connection.call('backup', [dir]) as Promise<void>;
  checkpoint = (): Promise<void> => this.connection.call('checkpoint', []) as Promise<void>;
  idle = (): Promise<void> => this.connection.call('idle', []) as Promise<void>;

  /** Closes the database; the worker stays, so `terminate()` it when done (or open again). */
  close = (): Promise<void> => this.connection.call('close', []) as Promise<void>;

  /** Where the engine runs, with which kernels, storage and build threads (for diagnostics and tests). */
  context(): Promise<WorkerContext> {
    return this.connection.call('context', []) as Promise<WorkerContext>;
  }

  /** Closes the database and ends the worker. */
  async terminate(): Promise<void> {
    await this.close().catch(() => {});
    this.connection.worker.terminate?.();
  }
}

/**
 * Opens a database in `worker` (a dedicated Web Worker that called serveQuiver()) and returns its handle.
 * `options` are Quiver.open's, minus `storage` (an adapter object cannot cross to the worker).
 */
export function openInWorker(worker: WorkerLike, options?: Omit<OpenOptions, 'storage'>): Promise<WorkerQuiver> {
  return new WorkerQuiver(worker).open(options);
}
