/**
 * The runtime wiring shared by Node, Bun and Deno: all three implement node:fs (so the node-fs adapter,
 * its fsync-based durability and its LOCK file work unchanged) and node:worker_threads with
 * SharedArrayBuffer (so graph builds run on the build pool). Kernels: the WASM SIMD modules compiled
 * synchronously from the base64 the bundle carries.
 */
import { availableParallelism } from 'node:os';
import type { Runtime } from '../db/runtime.js';
import { NodeFsStorage } from '../storage/node-fs.js';
import { BuildPool, parallelBuildSupported } from '../wasm/build-pool.js';
import { chooseKernels } from './kernels.js';

export function nodeLikeRuntime(name: 'node' | 'bun' | 'deno'): Runtime {
  return {
    name,
    openStorage: (path) => new NodeFsStorage(path),
    kernels: chooseKernels,
    // Deno's worker threads made a two-thread HNSW build ~3.7x slower than one thread (20k x 128, twice,
    // docs/benchmarks.md): there, parallel builds are opt-in (buildThreads) until that is understood.
    defaultBuildThreads: () => (name === 'deno' ? 1 : availableParallelism()),
    buildWorkers: (workers) => (workers >= 1 && parallelBuildSupported() ? new BuildPool(workers) : null),
  };
}
