/**
 * The reference kernels: plain TypeScript, the specification the WASM kernels are tested against, and the
 * backend used where WebAssembly SIMD is unavailable. Readability over speed.
 */
import { type CodeKernel, referenceCodeDistance, residualRowBytes } from './codes.js';
import type { KernelBackend, KernelMemory, KernelMetric } from './kernel.js';
import { maxSim as maxSimPacked } from './maxsim.js';

const PAGE_BYTES = 65536;

export function referenceDistance(metric: KernelMetric, q: Float32Array, x: Float32Array, qAt: number, xAt: number, dimension: number): number {
  let sum = 0;
  if (metric === 'l2') {
    for (let i = 0; i < dimension; i++) {
      const d = q[qAt + i] - x[xAt + i];
      sum += d * d;
    }
    return sum;
  }
  for (let i = 0; i < dimension; i++) sum += q[qAt + i] * x[xAt + i];
  return -sum;
}

class ReferenceMemory implements KernelMemory {
  buffer: ArrayBuffer;
  private readonly maximumBytes: number;

  constructor(initialBytes: number, maximumBytes: number) {
    this.maximumBytes = maximumBytes;
    this.buffer = new ArrayBuffer(Math.ceil(Math.max(initialBytes, 1) / PAGE_BYTES) * PAGE_BYTES);
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  reserve(bytes: number): boolean {
    if (bytes <= this.buffer.byteLength) return true;
    if (bytes > this.maximumBytes) return false;
    const grown = Math.min(this.maximumBytes, Math.max(bytes, this.buffer.byteLength * 2));
    const next = new ArrayBuffer(Math.ceil(grown / PAGE_BYTES) * PAGE_BYTES);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
    return true;
  }

  distanceRange(metric: KernelMetric, dimension: number, queryOffset: number, rowsOffset: number, strideBytes: number, first: number, count: number, outOffset: number): void {
    const f32 = new Float32Array(this.buffer);
    const q = queryOffset >> 2;
    const out = outOffset >> 2;
    for (let i = 0; i < count; i++) {
      f32[out + i] = referenceDistance(metric, f32, f32, q, (rowsOffset + (first + i) * strideBytes) >> 2, dimension);
    }
  }

  distanceSlots(metric: KernelMetric, dimension: number, queryOffset: number, rowsOffset: number, strideBytes: number, slotsOffset: number, count: number, outOffset: number): void {
    const f32 = new Float32Array(this.buffer);
    const u32 = new Uint32Array(this.buffer);
    const q = queryOffset >> 2;
    const out = outOffset >> 2;
    const slots = slotsOffset >> 2;
    for (let i = 0; i < count; i++) {
      f32[out + i] = referenceDistance(metric, f32, f32, q, (rowsOffset + u32[slots + i] * strideBytes) >> 2, dimension);
    }
  }

  codeRange(kernel: CodeKernel, width: number, queryOffset: number, rowsOffset: number, strideBytes: number, first: number, count: number, outOffset: number, residualsOffset: number): void {
    const f32 = new Float32Array(this.buffer);
    const out = outOffset >> 2;
    const residualStride = residualRowBytes(width);
    for (let i = 0; i < count; i++) {
      const row = first + i;
      f32[out + i] = referenceCodeDistance(kernel, width, this.buffer, queryOffset, rowsOffset + row * strideBytes, residualsOffset + row * residualStride);
    }
  }

  maxSim(dimension: number, queryOffset: number, queryCount: number, rowsOffset: number, strideBytes: number, docsOffset: number, docCount: number, outOffset: number): void {
    const f32 = new Float32Array(this.buffer);
    const u32 = new Uint32Array(this.buffer);
    const stride = strideBytes >> 2;
    // the packed-set specification, fed the padded rows: padding floats are zero on both sides
    const query = f32.subarray(queryOffset >> 2, (queryOffset >> 2) + queryCount * stride);
    for (let i = 0; i < docCount; i++) {
      const first = u32[(docsOffset >> 2) + 2 * i];
      const count = u32[(docsOffset >> 2) + 2 * i + 1];
      const at = (rowsOffset >> 2) + first * stride;
      f32[(outOffset >> 2) + i] = -maxSimPacked(query, queryCount, f32.subarray(at, at + count * stride), count, stride);
    }
  }

  codeSlots(kernel: CodeKernel, width: number, queryOffset: number, rowsOffset: number, strideBytes: number, slotsOffset: number, count: number, outOffset: number, residualsOffset: number): void {
    const f32 = new Float32Array(this.buffer);
    const u32 = new Uint32Array(this.buffer);
    const out = outOffset >> 2;
    const slots = slotsOffset >> 2;
    const residualStride = residualRowBytes(width);
    for (let i = 0; i < count; i++) {
      const row = u32[slots + i];
      f32[out + i] = referenceCodeDistance(kernel, width, this.buffer, queryOffset, rowsOffset + row * strideBytes, residualsOffset + row * residualStride);
    }
  }
}

export const referenceBackend: KernelBackend = {
  name: 'reference',
  createMemory: (initialBytes, maximumBytes) => new ReferenceMemory(initialBytes, maximumBytes),
};
