/**
 * quiverdb for edge and worker runtimes (the `worker` export condition: Cloudflare workerd, Vercel and
 * Netlify edge functions, Deno Deploy, bundlers targeting workers). Databases live in memory (or in OPFS
 * when the context has it); the kernels compile from the bundle's base64 where the runtime allows it, else
 * from modules handed to useKernelModules(), else the TypeScript reference kernels. See docs/runtimes.md.
 */
import { setRuntime } from './db/runtime.js';
import { browserRuntime } from './runtimes/browser.js';

setRuntime(browserRuntime('worker'));

export * from './api.js';
export { serveQuiver } from './web/worker-host.js';
export { setBuildWorkerUrl } from './wasm/web-build-pool.js';
export { openInWorker, WorkerQuiver, WorkerCollection } from './web/worker-client.js';
export type { WorkerContext } from './web/protocol.js';
export { OpfsStorage, opfsSupported, syncAccessHandlesSupported, type OpfsOptions } from './storage/opfs.js';
export { useKernelModules } from './wasm/backend.js';
