/**
 * Exact MaxSim of one query against many documents through the kernel seam: the query's rows and the
 * documents' rows are copied (padded to the kernel stride) into one scratch memory of the collection's
 * backend, and one KernelMemory.maxSim call scores them all. Kept per collection and reused, so the
 * memory grows to the largest re-rank and stays.
 */
import { type KernelBackend, type KernelMemory, strideFor } from '../kernels/kernel.js';

/** A set of vectors, packed: `count` rows of the collection's token dimension. */
export interface TokenSet {
  tokens: Float32Array;
  count: number;
}

const SCRATCH_MAX_BYTES = 2 ** 31;

export class MaxSimScorer {
  private readonly memory: KernelMemory;
  private readonly dimension: number;
  private readonly stride: number;

  constructor(backend: KernelBackend, dimension: number) {
    this.memory = backend.createMemory(1 << 16, SCRATCH_MAX_BYTES);
    this.dimension = dimension;
    this.stride = strideFor(dimension);
  }

  /** MaxSim of `query` with each document (higher is better), in the order given. */
  score(query: TokenSet, documents: readonly TokenSet[]): Float32Array {
    const rows = documents.reduce((n, d) => n + d.count, 0);
    const queryBytes = query.count * this.stride;
    const docsOffset = queryBytes;
    const outOffset = docsOffset + align(documents.length * 8);
    const rowsOffset = outOffset + align(documents.length * 4);
    const total = rowsOffset + rows * this.stride;
    if (!this.memory.reserve(total)) throw new RangeError(`MaxSim scratch of ${total} bytes exceeds ${SCRATCH_MAX_BYTES}`);
    const buffer = this.memory.buffer;
    const f32 = new Float32Array(buffer);
    const u32 = new Uint32Array(buffer);
    const step = this.stride >> 2;
    const d = this.dimension;
    // padding lanes must be zero on both sides; earlier calls may have left other values there
    f32.fill(0, 0, queryBytes >> 2);
    for (let q = 0; q < query.count; q++) f32.set(query.tokens.subarray(q * d, (q + 1) * d), q * step);
    let row = 0;
    documents.forEach((doc, i) => {
      u32[(docsOffset >> 2) + 2 * i] = row;
      u32[(docsOffset >> 2) + 2 * i + 1] = doc.count;
      const at = (rowsOffset >> 2) + row * step;
      if (step !== d) f32.fill(0, at, at + doc.count * step);
      for (let r = 0; r < doc.count; r++) f32.set(doc.tokens.subarray(r * d, (r + 1) * d), at + r * step);
      row += doc.count;
    });
    this.memory.maxSim(d, 0, query.count, rowsOffset, this.stride, docsOffset, documents.length, outOffset);
    const out = new Float32Array(documents.length);
    const distances = new Float32Array(this.memory.buffer, outOffset, documents.length);
    for (let i = 0; i < out.length; i++) out[i] = -distances[i];
    return out;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
