/**
 * How every runtime turns OpenOptions.kernels into a backend. The kernels ship inside the JavaScript as
 * base64 (src/wasm/kernels.generated.ts), so no runtime needs file access or a bundler plugin to load
 * them; where a runtime forbids compiling WebAssembly from bytes (Cloudflare workerd), 'auto' falls back
 * to the TypeScript reference kernels unless precompiled modules were handed in (useKernelModules).
 */
import { QuiverError } from '../core/errors.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { referenceBackend } from '../core/kernels/reference.js';
import { createWasmBackend, defaultKernelBackend, wasmSimdSupported } from '../wasm/backend.js';

export type KernelChoice = 'auto' | 'wasm' | 'reference';

export function chooseKernels(choice: KernelChoice): KernelBackend {
  if (choice === 'reference') return referenceBackend;
  if (choice === 'wasm') {
    if (!wasmSimdSupported()) throw new QuiverError('UNSUPPORTED', 'This runtime has no WebAssembly SIMD; use kernels: "auto" or "reference".', {});
    try {
      return createWasmBackend();
    } catch (error) {
      throw new QuiverError(
        'UNSUPPORTED',
        `This runtime refused to compile the WebAssembly kernels (${error instanceof Error ? error.message : String(error)}); hand in precompiled modules with useKernelModules(), or use kernels: "auto" or "reference".`,
        {},
        { cause: error },
      );
    }
  }
  try {
    return defaultKernelBackend();
  } catch {
    // Code generation from bytes is disallowed here (an edge runtime): the reference kernels give the same results.
    return referenceBackend;
  }
}
