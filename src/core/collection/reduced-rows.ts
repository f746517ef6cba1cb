/**
 * The traversal rows of a segment whose index has a reducer (docs/reduction.md, "In collections"): every
 * stored vector mapped by the reducer's database map to d dimensions, kept as float32 rows or as codes
 * of the codebook's quantizer (which was trained on reduced vectors). It is a ScoringArena in the
 * collection's own terms: rows go in with the full dimension D and are reduced on the way in, queries are
 * mapped by the reducer's query map when prepared (LeanVec-OOD's differs from its database map), and rows
 * scored against rows (graph builds over these rows) use the database map on both sides.
 */
import type { KernelBackend, KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import { CodeArena } from '../quant/code-arena.js';
import type { Quantizer } from '../quant/quantizer.js';
import type { Reducer } from '../reduce/index.js';
import { VectorArena } from '../vectors/arena.js';
import type { ScoringArena } from '../vectors/scoring.js';

/**
 * What a segment keeps for traversal: a CodeArena (quantized full vectors) or ReducedRows. Both move
 * rows to and from segment files without re-encoding them.
 */
export interface TraversalRows extends ScoringArena {
  /** Bytes the traversal rows occupy (what stats() counts as codes). */
  readonly rowBytes: number;
  /** Bytes of a two-level LVQ's second level kept beside them (re-rank data), else 0. */
  readonly residualBytes: number;
  append(vector: ArrayLike<number>): number;
  appendEncoded(codes: Uint8Array, rows: number, residuals?: Uint8Array): void;
  /** Copies a row of an arena of the same codebook. */
  appendFrom(source: TraversalRows, slot: number): number;
  encoded(): Uint8Array;
  encodedResiduals(): Uint8Array;
}

/**
 * A reducer's map applied by the SIMD kernels: its d rows held as a float32 arena, a vector scored
 * against all of them by one dot-product kernel call (output k = ⟨w_k, x⟩), then renormalised when the
 * reducer renormalises. The reducer's own transform accumulates in plain TypeScript, about 10x slower
 * at D = 768 — too slow for a query's hot path. The outputs differ from transformQuery/transformDatabase
 * by float32 rounding only; every row and query of a collection goes through this one path.
 */
class Projector {
  private readonly rows: VectorArena;

  constructor(
    backend: KernelBackend,
    map: Float32Array,
    private readonly d: number,
    D: number,
    private readonly renormalize: boolean,
  ) {
    this.rows = new VectorArena(backend, D, d, 0);
    this.rows.appendPacked(map, d);
  }

  project(vector: Float32Array, out: Float32Array): Float32Array {
    this.rows.setQuery(vector);
    const scores = this.rows.distancesRange('dot', 0, this.d);
    let norm = 0;
    for (let k = 0; k < this.d; k++) {
      const v = -scores[k];
      out[k] = v;
      norm += v * v;
    }
    if (this.renormalize && norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let k = 0; k < this.d; k++) out[k] *= scale;
    }
    return out;
  }
}

/** The projectors of a reducer (one arena per map, shared by every segment of its codebook). */
const projectors = new WeakMap<Reducer, { query: Projector; database: Projector } | null>();

function projectorsOf(backend: KernelBackend, reducer: Reducer): { query: Projector; database: Projector } | null {
  let known = projectors.get(reducer);
  if (known === undefined) {
    const maps = reducer.maps();
    if (maps === null) known = null;
    else {
      const make = (map: Float32Array) => new Projector(backend, map, reducer.dimension, reducer.inputDimension, reducer.renormalize);
      const database = make(maps.database);
      known = { database, query: maps.query === maps.database ? database : make(maps.query) };
    }
    projectors.set(reducer, known);
  }
  return known;
}

export class ReducedRows implements TraversalRows {
  /** The reduced dimension d (what the inner rows hold). */
  readonly dimension: number;
  private readonly inner: VectorArena | CodeArena;
  private readonly rowIn: Float32Array;
  private readonly rowOut: Float32Array;
  private readonly queryOut: Float32Array;
  private readonly projectors: { query: Projector; database: Projector } | null;

  constructor(
    backend: KernelBackend,
    readonly reducer: Reducer,
    quantizer: Quantizer | null,
    initialCapacity: number,
    maximumRowBytes: number,
  ) {
    const d = reducer.dimension;
    assert(quantizer === null || quantizer.dimension === d, `a ${quantizer?.dimension}-d quantizer under a ${d}-d reducer`);
    this.dimension = d;
    this.inner = quantizer === null ? new VectorArena(backend, d, initialCapacity, maximumRowBytes) : new CodeArena(backend, quantizer, initialCapacity, maximumRowBytes);
    this.rowIn = new Float32Array(reducer.inputDimension);
    this.rowOut = new Float32Array(d);
    this.queryOut = new Float32Array(d);
    this.projectors = projectorsOf(backend, reducer);
  }

  get count(): number {
    return this.inner.count;
  }

  get rowBytes(): number {
    return this.inner.rowBytes;
  }

  get residualBytes(): number {
    return this.inner instanceof CodeArena ? this.inner.residualBytes : 0;
  }

  /** Reduces a full-dimensional vector and appends it. */
  append(vector: ArrayLike<number>): number {
    this.rowIn.set(vector);
    const reduced = this.projectors ? this.projectors.database.project(this.rowIn, this.rowOut) : this.reducer.transformDatabase(this.rowIn, this.rowOut);
    return this.inner.append(reduced);
  }

  appendEncoded(codes: Uint8Array, rows: number, residuals?: Uint8Array): void {
    if (this.inner instanceof CodeArena) return this.inner.appendEncoded(codes, rows, residuals);
    assert(codes.length === rows * this.dimension * 4, `appendEncoded: ${codes.length} bytes for ${rows} reduced rows of ${this.dimension}`);
    // the bytes may sit at any offset: copy them to an aligned buffer before viewing them as floats
    this.inner.appendPacked(new Float32Array(codes.slice().buffer, 0, rows * this.dimension), rows);
  }

  appendFrom(source: TraversalRows, slot: number): number {
    assert(source instanceof ReducedRows && source.reducer === this.reducer, 'appendFrom copies rows of the same reducer');
    if (this.inner instanceof CodeArena) return this.inner.appendFrom(source.inner as CodeArena, slot);
    return this.inner.append((source.inner as VectorArena).row(slot));
  }

  encoded(): Uint8Array {
    if (this.inner instanceof CodeArena) return this.inner.encoded();
    const packed = this.inner.packed(0, this.inner.count);
    return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  }

  encodedResiduals(): Uint8Array {
    return this.inner instanceof CodeArena ? this.inner.encodedResiduals() : new Uint8Array(0);
  }

  /** Maps the (prepared, full-dimensional) query with the reducer's query map. */
  setQuery(query: Float32Array): void {
    this.inner.setQuery(this.projectors ? this.projectors.query.project(query, this.queryOut) : this.reducer.transformQuery(query, this.queryOut));
  }

  setQueryFromRow(slot: number): void {
    this.inner.setQueryFromRow(slot);
  }

  scoreSlots(metric: KernelMetric, slots: Uint32Array, count: number): number {
    return this.inner.scoreSlots(metric, slots, count);
  }

  get floats(): Float32Array {
    return this.inner.floats;
  }

  distancesRange(metric: KernelMetric, first: number, count: number): Float32Array {
    return this.inner.distancesRange(metric, first, count);
  }

  distancesOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array {
    return this.inner.distancesOf(metric, slots);
  }

  /** Reduced rows (d floats each), decoded when quantized: not the collection's vectors. */
  packed(first = 0, rows = this.count - first): Float32Array {
    return this.inner.packed(first, rows);
  }
}
