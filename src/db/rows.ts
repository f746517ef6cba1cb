/**
 * Reading a segment's float32 rows back from its file, for the sealed segments of quantized collections
 * that keep only codes in memory (core/collection/segment.ts): get() and include: ['vector'], updates,
 * training samples, encoding with a new codebook, compaction, and the exact re-runs behind
 * stats().estimatedRecall. Every row is checked against its own CRC-32C (segment format 3), so a damaged
 * row is CORRUPTED, never returned.
 */
import type { Segment } from '../core/collection/segment.js';
import { QuiverError } from '../core/errors.js';
import { rowChecksum } from '../core/format/segment.js';
import type { DurableStore } from '../storage/store.js';
import { segmentFileName } from '../storage/store.js';

/** Rows further apart than this are read with separate calls (closer ones in one read). */
const RUN_GAP_ROWS = 16;
/** Rows read per call when reading whole ranges. */
export const ROWS_PER_READ = 4096;

/** A segment's file is gone: it was compacted or rewritten away meanwhile (callers look the key up again). */
export class SegmentGone extends Error {
  constructor(readonly segment: number) {
    super(`segment ${segment} has no file any more`);
  }
}

export class SegmentRows {
  constructor(private readonly store: DurableStore | null) {}

  /** Rows [first, first + count) packed, from memory when the segment has them, else from its file. */
  async range(segment: Segment, first: number, count: number): Promise<Float32Array> {
    const d = segment.dimension;
    if (segment.vectors) return segment.vectors.packed(first, count);
    if (segment.loadedVectors) return segment.loadedVectors.slice(first * d, (first + count) * d);
    const out = new Float32Array(count * d);
    for (let at = 0; at < count; at += ROWS_PER_READ) {
      const n = Math.min(ROWS_PER_READ, count - at);
      out.set(await this.readRun(segment, first + at, n), at * d);
    }
    return out;
  }

  /** All rows of a segment, packed. */
  all(segment: Segment): Promise<Float32Array> {
    return this.range(segment, 0, segment.count);
  }

  /** The rows of `slots` (any order, repeats allowed), one Float32Array each, in the order asked. */
  async slots(segment: Segment, slots: readonly number[]): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(slots.length);
    const missing: number[] = [];
    slots.forEach((slot, i) => {
      const row = segment.vectorRow(slot);
      if (row) out[i] = row;
      else missing.push(i);
    });
    if (missing.length === 0) return out;
    const d = segment.dimension;
    missing.sort((a, b) => slots[a] - slots[b]);
    for (let i = 0; i < missing.length; ) {
      let j = i + 1;
      while (j < missing.length && slots[missing[j]] - slots[missing[j - 1]] <= RUN_GAP_ROWS) j++;
      const first = slots[missing[i]];
      const rows = await this.readRun(segment, first, slots[missing[j - 1]] - first + 1);
      for (let m = i; m < j; m++) out[missing[m]] = rows.slice((slots[missing[m]] - first) * d, (slots[missing[m]] - first + 1) * d);
      i = j;
    }
    return out;
  }

  /** Reads and checks rows [first, first + count) from the segment's file. */
  private async readRun(segment: Segment, first: number, count: number): Promise<Float32Array> {
    const layout = segment.file;
    if (this.store === null || layout === null) throw new SegmentGone(segment.id);
    const d = segment.dimension;
    const rowBytes = d * 4;
    const file = segmentFileName(segment.id);
    const bytes = await this.store.readSegmentRange(segment.id, layout.rowsOffset + first * rowBytes, count * rowBytes);
    const sums = await this.store.readSegmentRange(segment.id, layout.checksumsOffset + first * 4, count * 4);
    if (bytes === null || sums === null) throw new SegmentGone(segment.id);
    if (bytes.length !== count * rowBytes || sums.length !== count * 4) {
      throw new QuiverError('CORRUPTED', `${file} is shorter than its ${segment.count} rows (reading rows ${first}..${first + count - 1}). Restore it from a backup.`, { file, offset: layout.rowsOffset + first * rowBytes });
    }
    const view = new DataView(sums.buffer, sums.byteOffset, sums.byteLength);
    for (let r = 0; r < count; r++) {
      if (rowChecksum(bytes.subarray(r * rowBytes, (r + 1) * rowBytes)) !== view.getUint32(r * 4, true)) {
        throw new QuiverError('CORRUPTED', `${file}: row ${first + r} does not match its checksum. Restore the file from a backup.`, { file, offset: layout.rowsOffset + (first + r) * rowBytes });
      }
    }
    // the bytes are a fresh copy, aligned at 0: view them as floats directly
    return new Float32Array(bytes.buffer, bytes.byteOffset, count * d).slice();
  }
}
