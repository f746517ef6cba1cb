/**
 * The runtime wiring of browsers (pages and Web Workers) and edge workers.
 *
 * Storage: a path names a directory in the Origin Private File System (OpfsStorage: sync access handles
 * in a dedicated worker, writable streams on a page's main thread); without a path the database lives in
 * memory, as everywhere. Where there is no OPFS (edge runtimes), a path is UNSUPPORTED with what to do.
 * Kernels: compiled from the base64 in the bundle, asynchronously on import (precompileKernels) so pages
 * never compile synchronously if they wait a tick; edge runtimes that forbid that fall back to the
 * reference kernels unless given modules (useKernelModules).
 * Parallel builds: Web Workers over shared WebAssembly memory where the document is cross-origin
 * isolated (SharedArrayBuffer exists); elsewhere the database builds on its own thread.
 */
import { QuiverError } from '../core/errors.js';
import type { Runtime } from '../db/runtime.js';
import { OpfsStorage, opfsSupported } from '../storage/opfs.js';
import { precompileKernels } from '../wasm/backend.js';
import { WebBuildPool, webParallelBuildSupported } from '../wasm/web-build-pool.js';
import { chooseKernels } from './kernels.js';

export function browserRuntime(name: 'browser' | 'worker'): Runtime {
  void precompileKernels();
  return {
    name,
    openStorage: (path) => {
      if (!opfsSupported()) {
        throw new QuiverError(
          'UNSUPPORTED',
          `This ${name === 'worker' ? 'worker runtime' : 'context'} has no file system (no Origin Private File System), so Quiver.open({ path: ${JSON.stringify(path)} }) cannot persist; open it in memory with Quiver.open(), or pass a storage adapter.`,
          { path },
        );
      }
      return new OpfsStorage(path);
    },
    kernels: chooseKernels,
    defaultBuildThreads: () => (webParallelBuildSupported() ? Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1) : 1),
    buildWorkers: (workers) => (workers >= 1 && webParallelBuildSupported() ? new WebBuildPool(workers) : null),
  };
}
