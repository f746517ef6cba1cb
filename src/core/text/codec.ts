/**
 * A segment's text index as bytes (the body of a segment file's TEXT INDEX section; docs/formats.md).
 * Little-endian; "utf8" is a u32 byte length + UTF-8 bytes.
 *
 *   utf8 analyzer signature (the collection's text options; an index made with others is not used)
 *   u32 rows N, N x u32 document length in terms
 *   u32 term count T, then per term (ascending): utf8 term, u32 n, n x u32 slot (strictly ascending, < N),
 *     n x u32 term frequency (>= 1)
 *
 * The decoder checks every rule, and that each row's term frequencies add up to its length, so bytes
 * that pass the section checksum but break a rule are CORRUPTED, never a wrong index. The live totals
 * (N and avgdl of BM25) are recomputed from the lengths; deletions are applied by the caller.
 */
import { QuiverError } from '../errors.js';
import { ByteReader, ByteWriter } from '../lib/bytes.js';
import type { Analyzer } from './analyzer.js';
import { TermPostings, TextIndex } from './bm25.js';

export function encodeTextIndex(index: TextIndex, rows: number): Uint8Array {
  const out = new ByteWriter(rows * 8 + 1024);
  out.utf8(index.analyzer.signature).u32(rows);
  const lengths = new Uint32Array(rows);
  lengths.set(index.lengths.subarray(0, Math.min(rows, index.rows)));
  out.bytes(new Uint8Array(lengths.buffer));
  const terms = [...index.postings.keys()].sort();
  out.u32(terms.length);
  for (const term of terms) {
    const p = index.postings.get(term)!;
    out.utf8(term).u32(p.length);
    out.bytes(new Uint8Array(p.slots.buffer, p.slots.byteOffset, p.length * 4));
    out.bytes(new Uint8Array(p.tfs.buffer, p.tfs.byteOffset, p.length * 4));
  }
  return out.finish();
}

/** The analyzer signature a section was written with (read before decoding the rest). */
export function textIndexSignature(bytes: Uint8Array, what: string): string {
  return new ByteReader(bytes, what).utf8();
}

export function decodeTextIndex(bytes: Uint8Array, rows: number, analyzer: Analyzer, what: string): TextIndex {
  const reader = new ByteReader(bytes, what);
  const fail = (problem: string): QuiverError => new QuiverError('CORRUPTED', `${what}: the text index section is damaged (${problem}). Restore from a backup.`, { file: what, offset: reader.offset });
  const signature = reader.utf8();
  if (signature !== analyzer.signature) throw fail(`it was built with other text options (${signature})`);
  const n = reader.u32();
  if (n !== rows) throw fail(`it covers ${n} rows, the segment holds ${rows}`);
  const index = new TextIndex(analyzer);
  index.lengths = new Uint32Array(reader.bytes(rows * 4).slice().buffer);
  index.rows = rows;
  const sums = new Float64Array(rows);
  const termCount = reader.u32();
  let previous: string | null = null;
  for (let t = 0; t < termCount; t++) {
    const term = reader.utf8();
    if (term.length === 0 || (previous !== null && term <= previous)) throw fail(`term ${t} is empty or out of order`);
    previous = term;
    const count = reader.u32();
    if (count === 0 || count > rows || count * 8 > reader.remaining) throw fail(`term "${term}" claims ${count} postings`);
    const slots = new Uint32Array(reader.bytes(count * 4).slice().buffer);
    const tfs = new Uint32Array(reader.bytes(count * 4).slice().buffer);
    for (let i = 0; i < count; i++) {
      if (slots[i] >= rows || (i > 0 && slots[i] <= slots[i - 1]) || tfs[i] === 0) throw fail(`term "${term}": posting ${i} is out of order or range`);
      sums[slots[i]] += tfs[i];
    }
    index.postings.set(term, TermPostings.of(slots, tfs));
  }
  if (!reader.atEnd) throw fail('bytes follow the last term');
  for (let slot = 0; slot < rows; slot++) {
    const length = index.lengths[slot];
    if (sums[slot] !== length) throw fail(`row ${slot} has length ${length} but its terms add up to ${sums[slot]}`);
    if (length > 0) {
      index.liveDocuments++;
      index.liveLength += length;
    }
  }
  return index;
}
