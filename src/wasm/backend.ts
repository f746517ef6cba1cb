/**
 * The 'wasm-simd128' kernel backend: the AssemblyScript kernels of src/wasm/assembly/kernels.ts, shipped
 * as base64 (src/wasm/kernels.generated.ts, built by scripts/build-wasm.mjs) so no runtime needs file
 * access. The module is compiled once; every KernelMemory is its own WebAssembly.Memory with its own
 * instance importing it, so segments grow independently.
 */
import type { CodeKernel } from '../core/kernels/codes.js';
import type { KernelBackend, KernelMemory, KernelMetric } from '../core/kernels/kernel.js';
import { referenceBackend } from '../core/kernels/reference.js';
import {
  CODES_SHARED_WASM_BASE64,
  CODES_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
  MULTIVECTOR_SHARED_WASM_BASE64,
  MULTIVECTOR_WASM_BASE64,
} from './kernels.generated.js';

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;

type Kernel = (dimension: number, query: number, rows: number, stride: number, firstOrSlots: number, count: number, out: number) => void;
type CodeKernelExport = (width: number, query: number, rows: number, stride: number, firstOrSlots: number, count: number, out: number, residuals: number) => void;

interface KernelExports {
  l2Range: Kernel;
  dotRange: Kernel;
  l2Slots: Kernel;
  dotSlots: Kernel;
}

// (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): the smallest body that needs simd128.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 to bytes without Node's Buffer: atob where the runtime has it, else a plain decoder. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array((clean.length * 3) >> 2);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of clean) {
    const digit = BASE64_ALPHABET.indexOf(char);
    if (digit < 0) throw new Error(`invalid base64 character ${JSON.stringify(char)}`);
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (value >> bits) & 0xff;
    }
  }
  return bytes;
}

let compiled: WebAssembly.Module | undefined;
let compiledShared: WebAssembly.Module | undefined;

/**
 * Synchronous compile keeps createMemory() synchronous. Older Chromium refuses synchronous main-thread
 * compiles over 4 KiB (newer Chrome: 8 MB); the kernels are below that and build-wasm warns if they grow.
 */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
  return compiled;
}

/** The same kernels importing a shared memory (built with --sharedMemory). */
function sharedKernelModule(): WebAssembly.Module {
  compiledShared ??= new WebAssembly.Module(decodeBase64(KERNELS_SHARED_WASM_BASE64));
  return compiledShared;
}

/** Whether shared WebAssembly memories can be made here (SharedArrayBuffer exists and the runtime allows it). */
export function sharedMemorySupported(): boolean {
  try {
    if (typeof SharedArrayBuffer !== 'function') return false;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
    new WebAssembly.Instance(sharedKernelModule(), { env: { memory } });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Each code kernel's [range, slots] exports, by name (src/wasm/assembly/codes.ts). */
type CodeKernels = Record<CodeKernel, [CodeKernelExport, CodeKernelExport]>;

const CODE_EXPORTS: Record<CodeKernel, string> = {
  sq8: 'sq8',
  lvq8: 'lvq8',
  lvq4: 'lvq4',
  lvq8x8: 'lvq8x8',
  lvq4x8: 'lvq4x8',
  hamming: 'hamming',
  rabitq: 'rabitq',
  pq8: 'pq8',
  pq4: 'pq4',
};

let compiledCodes: WebAssembly.Module | undefined;
let compiledSharedCodes: WebAssembly.Module | undefined;

/**
 * The code kernels (quantized rows) are a second module, compiled the first time a memory scores codes.
 * It is larger than the 4 KiB older Chromium allows for a synchronous main-thread compile: browsers call
 * precompileCodeKernels() (asynchronous) before opening compressed collections.
 */
function codesModule(shared: boolean): WebAssembly.Module {
  if (shared) {
    compiledSharedCodes ??= new WebAssembly.Module(decodeBase64(CODES_SHARED_WASM_BASE64));
    return compiledSharedCodes;
  }
  compiledCodes ??= new WebAssembly.Module(decodeBase64(CODES_WASM_BASE64));
  return compiledCodes;
}

/** Compiles the code-kernel modules off the main thread's synchronous path (browsers); idempotent. */
export async function precompileCodeKernels(): Promise<void> {
  compiledCodes ??= await WebAssembly.compile(decodeBase64(CODES_WASM_BASE64));
  if (sharedMemorySupported()) compiledSharedCodes ??= await WebAssembly.compile(decodeBase64(CODES_SHARED_WASM_BASE64));
}

/**
 * Compiles every kernel module asynchronously (WebAssembly.compile, allowed at any size on a browser's main
 * thread, and off the caller's critical path): the browser entry starts it on import, so the synchronous
 * paths above find the modules ready. Idempotent; failures are left for the synchronous path to report.
 */
export async function precompileKernels(): Promise<void> {
  if (!wasmSimdSupported()) return;
  try {
    compiled ??= await WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64));
    await precompileCodeKernels();
    compiledMultivector ??= await WebAssembly.compile(decodeBase64(MULTIVECTOR_WASM_BASE64));
    if (sharedMemorySupported()) compiledShared ??= await WebAssembly.compile(decodeBase64(KERNELS_SHARED_WASM_BASE64));
  } catch {
    // e.g. code generation from bytes disallowed: chooseKernels falls back or reports it
  }
}

/**
 * Hands in modules compiled elsewhere, for runtimes that forbid compiling WebAssembly from bytes
 * (Cloudflare workerd: `import kernels from './kernels.wasm'`). Modules not given compile from the base64.
 */
export function useKernelModules(modules: { kernels?: WebAssembly.Module; codes?: WebAssembly.Module; kernelsShared?: WebAssembly.Module; codesShared?: WebAssembly.Module }): void {
  if (modules.kernels) compiled = modules.kernels;
  if (modules.codes) compiledCodes = modules.codes;
  if (modules.kernelsShared) compiledShared = modules.kernelsShared;
  if (modules.codesShared) compiledSharedCodes = modules.codesShared;
  chosen = undefined;
}

type MaxSimExport = (dimension: number, query: number, queryCount: number, rows: number, stride: number, docs: number, docCount: number, out: number) => void;

let compiledMultivector: WebAssembly.Module | undefined;
let compiledSharedMultivector: WebAssembly.Module | undefined;

/** The MaxSim kernel (multi-vector collections) is a third module, compiled the first time a memory scores token sets. */
function multivectorModule(shared: boolean): WebAssembly.Module {
  if (shared) {
    compiledSharedMultivector ??= new WebAssembly.Module(decodeBase64(MULTIVECTOR_SHARED_WASM_BASE64));
    return compiledSharedMultivector;
  }
  compiledMultivector ??= new WebAssembly.Module(decodeBase64(MULTIVECTOR_WASM_BASE64));
  return compiledMultivector;
}

function instantiateCodes(memory: WebAssembly.Memory, shared: boolean): CodeKernels {
  const exports = new WebAssembly.Instance(codesModule(shared), { env: { memory } }).exports as unknown as Record<string, CodeKernelExport>;
  const table = {} as CodeKernels;
  for (const [kernel, name] of Object.entries(CODE_EXPORTS) as [CodeKernel, string][]) table[kernel] = [exports[`${name}Range`], exports[`${name}Slots`]];
  return table;
}

class WasmMemory implements KernelMemory {
  private readonly memory: WebAssembly.Memory;
  private readonly kernels: KernelExports;
  private readonly maximumBytes: number;
  private readonly maximumPages: number;
  readonly shareable: WebAssembly.Memory | undefined;

  /** `attach`: an existing shared memory (another thread's) instead of a new one. */
  constructor(module: WebAssembly.Module, initialBytes: number, maximumBytes: number, shared = false, attach?: WebAssembly.Memory) {
    const initialPages = Math.max(1, Math.ceil(initialBytes / PAGE_BYTES));
    this.maximumPages = Math.min(MAX_PAGES, Math.max(initialPages, Math.ceil(maximumBytes / PAGE_BYTES)));
    this.maximumBytes = Math.min(maximumBytes, this.maximumPages * PAGE_BYTES);
    this.memory =
      attach ?? new WebAssembly.Memory({ initial: initialPages, maximum: this.maximumPages, ...(shared ? { shared: true } : {}) } as WebAssembly.MemoryDescriptor);
    this.shareable = shared || attach !== undefined ? this.memory : undefined;
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as KernelExports;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer as ArrayBuffer;
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  reserve(bytes: number): boolean {
    const pages = this.memory.buffer.byteLength / PAGE_BYTES;
    if (bytes <= pages * PAGE_BYTES) return true;
    if (bytes > this.maximumBytes) return false;
    const needed = Math.ceil(bytes / PAGE_BYTES);
    // Doubling amortises growth, as the reference does; if the host cannot give that much, try for just
    // what was asked before giving up.
    for (const target of [Math.min(this.maximumPages, Math.max(needed, pages * 2)), needed]) {
      try {
        this.memory.grow(target - pages);
        return true;
      } catch {
        // RangeError: the host refused this size.
      }
    }
    return false;
  }

  distanceRange(metric: KernelMetric, dimension: number, queryOffset: number, rowsOffset: number, strideBytes: number, first: number, count: number, outOffset: number): void {
    const kernel = metric === 'l2' ? this.kernels.l2Range : this.kernels.dotRange;
    kernel(dimension, queryOffset, rowsOffset, strideBytes, first, count, outOffset);
  }

  distanceSlots(metric: KernelMetric, dimension: number, queryOffset: number, rowsOffset: number, strideBytes: number, slotsOffset: number, count: number, outOffset: number): void {
    const kernel = metric === 'l2' ? this.kernels.l2Slots : this.kernels.dotSlots;
    kernel(dimension, queryOffset, rowsOffset, strideBytes, slotsOffset, count, outOffset);
  }

  /** The code kernels' instance over this memory, made on first use. */
  private codeKernels: CodeKernels | undefined;

  codeRange(kernel: CodeKernel, width: number, queryOffset: number, rowsOffset: number, strideBytes: number, first: number, count: number, outOffset: number, residualsOffset: number): void {
    this.codeKernels ??= instantiateCodes(this.memory, this.shareable !== undefined);
    this.codeKernels[kernel][0](width, queryOffset, rowsOffset, strideBytes, first, count, outOffset, residualsOffset);
  }

  codeSlots(kernel: CodeKernel, width: number, queryOffset: number, rowsOffset: number, strideBytes: number, slotsOffset: number, count: number, outOffset: number, residualsOffset: number): void {
    this.codeKernels ??= instantiateCodes(this.memory, this.shareable !== undefined);
    this.codeKernels[kernel][1](width, queryOffset, rowsOffset, strideBytes, slotsOffset, count, outOffset, residualsOffset);
  }

  /** The MaxSim kernel's instance over this memory, made on first use. */
  private maxSimKernel: MaxSimExport | undefined;

  maxSim(dimension: number, queryOffset: number, queryCount: number, rowsOffset: number, strideBytes: number, docsOffset: number, docCount: number, outOffset: number): void {
    this.maxSimKernel ??= (new WebAssembly.Instance(multivectorModule(this.shareable !== undefined), { env: { memory: this.memory } }).exports as unknown as { maxSim: MaxSimExport }).maxSim;
    this.maxSimKernel(dimension, queryOffset, queryCount, rowsOffset, strideBytes, docsOffset, docCount, outOffset);
  }
}

export function createWasmBackend(): KernelBackend {
  const module = kernelModule();
  const sharedMemory = sharedMemorySupported();
  return {
    name: 'wasm-simd128',
    sharedMemory,
    createMemory: (initialBytes, maximumBytes, options) =>
      options?.shared === true && sharedMemory
        ? new WasmMemory(sharedKernelModule(), initialBytes, maximumBytes, true)
        : new WasmMemory(module, initialBytes, maximumBytes),
  };
}

/** Kernels over a shared memory another thread made (its KernelMemory.shareable), e.g. in a build worker. */
export function attachSharedMemory(memory: WebAssembly.Memory): KernelMemory {
  return new WasmMemory(sharedKernelModule(), memory.buffer.byteLength, memory.buffer.byteLength, false, memory);
}

let chosen: KernelBackend | undefined;

/** The WASM backend where WebAssembly SIMD is available, else the reference kernels. */
export function defaultKernelBackend(): KernelBackend {
  chosen ??= wasmSimdSupported() ? createWasmBackend() : referenceBackend;
  return chosen;
}
