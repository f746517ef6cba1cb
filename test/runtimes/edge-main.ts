/**
 * The worker (edge) entry, src/worker.ts, where compiling WebAssembly from bytes is forbidden, as in
 * Cloudflare workerd: before the entry loads, WebAssembly.Module and WebAssembly.compile throw the
 * CompileError V8 throws there ("Wasm code generation disallowed by embedder"); validate still works.
 * Runs the conformance suite in memory (on the reference kernels), checks that kernels: 'wasm' is refused
 * with UNSUPPORTED and that a path is UNSUPPORTED (no OPFS here), then hands in a module compiled before
 * the lockdown (what `import kernels from './kernels.wasm'` gives on workerd) and gets the SIMD kernels.
 */
import { KERNELS_WASM_BASE64 } from '../../src/wasm/kernels.generated.js';
import { decodeBase64 } from '../../src/wasm/backend.js';
import { runConformance } from './conformance.js';
import { REPORT_PREFIX } from './node-like-main.js';

const precompiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
const disallowed = () => {
  throw new WebAssembly.CompileError('WebAssembly.Module(): Wasm code generation disallowed by embedder');
};
const wasm = WebAssembly as unknown as Record<string, unknown>;
wasm.Module = Object.assign(function Module() {
  disallowed();
}, { prototype: (WebAssembly.Module as unknown as { prototype: object }).prototype });
wasm.compile = async () => disallowed();

const api = await import('../../src/worker.js');
const codeOf = async (body: () => Promise<unknown>) => {
  try {
    await body();
    return null;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};
const report = await runConformance('edge (worker entry, compiling forbidden)', { api }, () => performance.now());
const wasmRefused = await codeOf(() => api.Quiver.open({ kernels: 'wasm' }));
const pathRefused = await codeOf(() => api.Quiver.open({ path: 'data' }));
api.useKernelModules({ kernels: precompiled });
const db = await api.Quiver.open();
const withModules = (db as unknown as { kernels: { name: string } }).kernels.name;
const col = await db.createCollection('c', { dimension: 3, metric: 'l2' });
await col.upsert([{ key: 'a', vector: [1, 0, 0] }, { key: 'b', vector: [0, 1, 0] }]);
const top = (await col.query({ vector: [0, 0.9, 0], k: 1 }))[0].key;
await db.close();
console.log(REPORT_PREFIX + JSON.stringify({ report, wasmRefused, pathRefused, withModules, top }));
