/**
 * The messages between a page and a database living in a dedicated Web Worker (worker-host.ts,
 * worker-client.ts). A call names a method of the database or of one collection; vectors travel as
 * Float32Array by structured clone. An AbortSignal cannot be cloned: the client sends `abort` for it.
 */
export const DATABASE_METHODS = ['createCollection', 'listCollections', 'dropCollection', 'backup', 'checkpoint', 'idle', 'close'] as const;
export const COLLECTION_METHODS = ['upsert', 'update', 'get', 'delete', 'count', 'query', 'queryMany', 'explain', 'stats', 'optimize', 'reindex', 'map'] as const;

export type DatabaseMethod = (typeof DATABASE_METHODS)[number] | 'open' | 'scan-start' | 'scan-next' | 'scan-end' | 'context';
export type CollectionMethod = (typeof COLLECTION_METHODS)[number];

export type Request =
  | { type: 'call'; id: number; method: DatabaseMethod | CollectionMethod; collection?: string; args: unknown[]; abortable?: boolean }
  | { type: 'abort'; id: number };

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export type Reply = { id: number; result: unknown } | { id: number; error: SerializedError };

/** What the worker reports about itself (the `context` call): where the engine runs and with what. */
export interface WorkerContext {
  /** 'dedicated-worker' when the host runs in a Web Worker, as it should. */
  scope: string;
  crossOriginIsolated: boolean;
  kernels: string | null;
  storage: 'opfs' | 'memory' | null;
  /** Threads graph builds use (more than 1 only with cross-origin isolation). */
  buildThreads: number | null;
  /** Jobs the database handed to parallel build workers so far (0 without cross-origin isolation). */
  parallelBuildJobs: number;
}
