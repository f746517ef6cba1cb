/**
 * What a segment's graph scores through: one ScoringArena surface over two representations of the same
 * rows. Searches (setQuery, then scoring) run over the search representation — the codes of a quantized
 * segment, else the float32 rows. Builds (setQueryFromRow, then scoring) run over the float32 rows while
 * they are in memory, else over the codes: a graph built on full precision and searched over codes is as
 * good as the codes allow, and building never pays a code decode per inserted row (PQ's would cost a
 * lookup table per row).
 *
 * Which side a kernel call goes to is decided by the last setQuery / setQueryFromRow, which is exactly how
 * the graphs use an arena: every search prepares a query, every build step prepares a row. Swapping the
 * representations (training installs codes, memory release drops the float32 rows) needs no graph change.
 */
import type { KernelMetric } from '../kernels/kernel.js';
import { assert } from '../lib/assert.js';
import type { ArenaLayout, VectorArena } from '../vectors/arena.js';
import type { ScoringArena } from '../vectors/scoring.js';

export class SegmentArena implements ScoringArena {
  readonly dimension: number;
  private vectors: VectorArena | null;
  private codes: ScoringArena | null;
  /** The side the prepared query lives on. */
  private current: ScoringArena | null;

  /**
   * Both sides may start null (a segment being loaded); one must be set before the first score.
   * `readBack` gives float32 rows read back from the segment's file (when they are), for packed() when
   * the codes are not full-dimensional (a reducer's rows).
   */
  constructor(
    dimension: number,
    vectors: VectorArena | null,
    codes: ScoringArena | null,
    private readonly readBack: () => Float32Array | null = () => null,
  ) {
    this.dimension = dimension;
    this.vectors = vectors;
    this.codes = codes;
    this.current = codes ?? vectors;
  }

  /** Replaces the representations (either may be null, not both); the next setQuery picks a side. */
  setRepresentations(vectors: VectorArena | null, codes: ScoringArena | null): void {
    assert(vectors !== null || codes !== null, 'a segment arena needs float32 rows or codes');
    assert(vectors === null || codes === null || vectors.count === codes.count, `float32 rows (${vectors?.count}) and codes (${codes?.count}) differ`);
    this.vectors = vectors;
    this.codes = codes;
    this.current = codes ?? vectors!;
  }

  private get search(): ScoringArena {
    const side = this.codes ?? this.vectors;
    assert(side !== null, 'a segment arena without rows');
    return side;
  }

  private get build(): ScoringArena {
    const side = this.vectors ?? this.codes;
    assert(side !== null, 'a segment arena without rows');
    return side;
  }

  private get side(): ScoringArena {
    assert(this.current !== null, 'a segment arena without rows');
    return this.current;
  }

  get count(): number {
    return this.search.count;
  }

  setQuery(query: Float32Array): void {
    const side = this.search;
    this.current = side;
    side.setQuery(query);
  }

  setQueryFromRow(slot: number): void {
    const side = this.build;
    this.current = side;
    side.setQueryFromRow(slot);
  }

  scoreSlots(metric: KernelMetric, slots: Uint32Array, count: number): number {
    return this.side.scoreSlots(metric, slots, count);
  }

  get floats(): Float32Array {
    return this.side.floats;
  }

  distancesRange(metric: KernelMetric, first: number, count: number): Float32Array {
    return this.side.distancesRange(metric, first, count);
  }

  distancesOf(metric: KernelMetric, slots: ArrayLike<number>): Float32Array {
    return this.side.distancesOf(metric, slots);
  }

  /**
   * Rows as packed float32 of the collection's dimension: the float32 rows when in memory, else the
   * codes' reconstructions, else (reduced rows have another dimension) the rows read back from the file.
   */
  packed(first = 0, rows = this.count - first): Float32Array {
    const build = this.build;
    if (build.dimension === this.dimension) return build.packed(first, rows);
    const loaded = this.readBack();
    assert(loaded !== null, 'full-dimensional rows of a reduced segment are read back from its file first');
    return loaded.slice(first * this.dimension, (first + rows) * this.dimension);
  }

  // Parallel builds run over the float32 rows' shared memory (lanes); without them they are unavailable.

  get shareable(): unknown {
    return this.vectors?.shareable;
  }

  get lanes(): number {
    return this.vectors?.lanes ?? 1;
  }

  get layout(): ArenaLayout {
    assert(this.vectors !== null, 'a parallel build needs the float32 rows in memory');
    return this.vectors.layout;
  }
}
