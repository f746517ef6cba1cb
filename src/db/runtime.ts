/**
 * What a runtime entry point hands the database: how to make a storage adapter for a path and which
 * kernels to run. Only entry points (src/index.ts, later the browser and worker entries) set it, so
 * nothing else in db/ imports a specific adapter.
 */
import type { BuildWorkers } from '../core/index/index.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { QuiverError } from '../core/errors.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';
import type { StorageAdapter } from '../storage/adapter.js';

export interface Runtime {
  name: string;
  openStorage(path: string): StorageAdapter;
  kernels(choice: 'auto' | 'wasm' | 'reference'): KernelBackend;
  /** Threads a build uses when the options do not say (all cores); absent: 1. */
  defaultBuildThreads?(): number;
  /**
   * Worker threads for parallel graph builds: `workers` besides the calling thread, or null where the
   * runtime has none (no worker threads or no SharedArrayBuffer). Absent: builds are single-threaded.
   */
  buildWorkers?(workers: number): (BuildWorkers<never> & { close(): Promise<void> }) | null;
  /**
   * Loads the embedding function of a collection's EmbeddingConfig (quiverdb/embed's
   * loadEmbeddingFunction). Absent where the runtime ships no providers (the browser and worker entries,
   * for now): collections with an embedding function then refuse to embed.
   */
  embeddings?(config: EmbeddingConfig, options: { dimension?: number }): Promise<EmbeddingFunction>;
}

let current: Runtime | null = null;

export function setRuntime(runtime: Runtime): void {
  current = runtime;
}

export function runtime(): Runtime {
  if (!current) throw new QuiverError('UNSUPPORTED', "No runtime is set up: import Quiver from 'quiverdb' (its entry point wires storage and kernels).", {});
  return current;
}
