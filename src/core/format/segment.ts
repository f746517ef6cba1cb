/**
 * Segment files (seg-NNNNNNNN.qseg): one sealed segment's records, immutable once written.
 *
 *   offset size
 *   0      4    magic "QVSG"
 *   4      2    format version (3; versions 1 and 2 are read too)
 *   6      2    flags (0)
 *   8      4    segment id (u32)
 *   12     4    dimension (u32)
 *   16     4    record count N (u32)
 *   20     4    CRC-32C of bytes 0..19
 *   24          three sections in this order, each:
 *                 u32 kind | u64 body length | u32 CRC-32C of the body | body
 *               kind 1 VECTORS:  N x dimension float32, little-endian, row-major, no padding; from
 *                                    version 3 followed by N x u32 CRC-32C of each row's bytes, so one
 *                                    row read back from the file (a quantized segment's float32 rows do
 *                                    not stay in memory) is checked on its own
 *               kind 2 KEYS:     N x (u32 byte length + UTF-8 key)
 *               kind 3 PAYLOADS: N x (u8 flags: bit 0 metadata, bit 1 document;
 *                                    then, when present, u32 length + UTF-8 metadata JSON,
 *                                    u32 length + UTF-8 document)
 *               then optional sections, in ascending order of kind, each at most once:
 *               kind 4 GRAPH (graph indexes only): u8 graph kind (1 HNSW, 2 Vamana), then the
 *                                    graph's own encoding (src/core/index/<kind>/), which covers a
 *                                    prefix of the rows (rows past it are indexed again after loading)
 *               kind 5 PAYLOAD INDEX (version 2): the payload indexes' encoding (src/core/filter/codec.ts)
 *               kind 6 TEXT INDEX (version 2): the BM25 index's encoding (src/core/text/codec.ts)
 *               kind 7 INDEX (version 3): UTF-8 JSON of the canonical index config the segment's graph
 *                                    and codes follow (a reindex in progress leaves segments of the old
 *                                    index; without this section a segment follows its collection's)
 *               kind 8 CODEBOOK (version 3, quantized segments): the trained codebook
 *                                    (src/core/collection/codebook.ts: quantizer parameters, generation)
 *               kind 9 CODES (version 3, with CODEBOOK): three runs, each u64 length + bytes: the
 *                                    traversal code rows (N x codeBytes), a two-level LVQ's second-level
 *                                    rows (N x residualBytes, else empty), LVQ-8 re-rank rows (else empty)
 *   end         nothing may follow the last section.
 * A version 1 file has no sections 5 and 6: its payload and text indexes are rebuilt from the records
 * when it is loaded (and written out with the segment's next rewrite).
 * Every byte is covered by a checksum, so a flipped bit anywhere is reported as CORRUPTED with the
 * file and offset, never loaded.
 */
import { QuiverError } from '../errors.js';
import type { IndexConfig } from '../collection/recipe.js';
import type { Metadata } from '../collection/records.js';
import type { SegmentContents, SegmentFileRows } from '../collection/segment.js';

export type { SegmentContents };
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32c } from './crc32c.js';
import { corrupted, readHeader, writeHeader } from './header.js';

export const SEGMENT_MAGIC = 'QVSG';
export const SEGMENT_VERSION = 3;
const SECTION_VECTORS = 1;
const SECTION_KEYS = 2;
const SECTION_PAYLOADS = 3;
const SECTION_GRAPH = 4;
const SECTION_PAYLOAD_INDEX = 5;
const SECTION_TEXT_INDEX = 6;
const SECTION_INDEX = 7;
const SECTION_CODEBOOK = 8;
const SECTION_CODES = 9;
const SECTION_NAMES: Record<number, string> = { 4: 'graph', 5: 'payload index', 6: 'text index', 7: 'index', 8: 'codebook', 9: 'codes' };
/** The last optional section kind each version may hold. */
const LAST_KIND: Record<number, number> = { 1: SECTION_GRAPH, 2: SECTION_TEXT_INDEX, 3: SECTION_CODES };
/** Bytes before row 0: the 24-byte header and the vectors section's kind, length and checksum. */
const ROWS_OFFSET = 24 + 16;

/** Where a version-3 file of N rows of `dimension` keeps its rows and their checksums. */
export function segmentFileRows(count: number, dimension: number): SegmentFileRows {
  return { rowsOffset: ROWS_OFFSET, checksumsOffset: ROWS_OFFSET + count * dimension * 4 };
}

/** The CRC-32C a version-3 file keeps for one row (its dimension x 4 little-endian bytes). */
export function rowChecksum(rowBytes: Uint8Array): number {
  return crc32c(rowBytes);
}
const GRAPH_KINDS = { hnsw: 1, vamana: 2 } as const;


/**
 * The file bytes of a segment. `version` writes an older format (tests of reading old files): 2 has no
 * row checksums and no sections past 6, 1 neither the index sections 5 and 6.
 */
export function encodeSegment(segment: SegmentContents, version: number = SEGMENT_VERSION): Uint8Array {
  const count = segment.keys.length;
  const out = new ByteWriter(segment.vectors.byteLength + count * 64 + 64);
  writeHeader(out, SEGMENT_MAGIC, version);
  out.u32(segment.id).u32(segment.dimension).u32(count);
  out.u32(crc32c(out.finish().subarray(0, 20)));
  const rows = new Uint8Array(segment.vectors.buffer, segment.vectors.byteOffset, count * segment.dimension * 4);
  const rowBytes = segment.dimension * 4;
  const checksums = new ByteWriter(count * 4 + 4);
  if (version >= 3) for (let i = 0; i < count; i++) checksums.u32(crc32c(rows.subarray(i * rowBytes, (i + 1) * rowBytes)));
  const checksumBytes = checksums.finish();
  out.u32(SECTION_VECTORS).u64(rows.length + checksumBytes.length).u32(crc32c(checksumBytes, crc32c(rows))).bytes(rows).bytes(checksumBytes);
  const keys = new ByteWriter(count * 16);
  for (const key of segment.keys) keys.utf8(key);
  section(out, SECTION_KEYS, keys.finish());
  const payloads = new ByteWriter(count * 4);
  for (let i = 0; i < count; i++) {
    const metadata = segment.metadata[i];
    const document = segment.documents[i];
    payloads.u8((metadata !== undefined ? 1 : 0) | (document !== undefined ? 2 : 0));
    if (metadata !== undefined) payloads.utf8(JSON.stringify(metadata));
    if (document !== undefined) payloads.utf8(document);
  }
  section(out, SECTION_PAYLOADS, payloads.finish());
  if (segment.graph) {
    const graph = new ByteWriter(segment.graph.bytes.length + 1);
    graph.u8(GRAPH_KINDS[segment.graph.kind]).bytes(segment.graph.bytes);
    section(out, SECTION_GRAPH, graph.finish());
  }
  if (version < 2) return out.finish();
  if (segment.payloadIndex) section(out, SECTION_PAYLOAD_INDEX, segment.payloadIndex);
  if (segment.textIndex) section(out, SECTION_TEXT_INDEX, segment.textIndex);
  if (version < 3) return out.finish();
  if (segment.index) section(out, SECTION_INDEX, new TextEncoder().encode(JSON.stringify(segment.index)));
  if (segment.codebook) {
    const codes = segment.codes!;
    section(out, SECTION_CODEBOOK, segment.codebook);
    const body = new ByteWriter(codes.codes.length + codes.residuals.length + codes.rerank.length + 24);
    for (const run of [codes.codes, codes.residuals, codes.rerank]) body.u64(run.length).bytes(run);
    section(out, SECTION_CODES, body.finish());
  }
  return out.finish();
}

export function decodeSegment(bytes: Uint8Array, file: string): SegmentContents {
  const reader = new ByteReader(bytes, file);
  const version = readHeader(reader, SEGMENT_MAGIC, SEGMENT_VERSION, 'segment');
  const id = reader.u32();
  const dimension = reader.u32();
  const count = reader.u32();
  const headerCrc = reader.u32();
  if (crc32c(bytes.subarray(0, 20)) !== headerCrc) throw corrupted(file, 20, 'the header checksum does not match');
  if (dimension === 0) throw corrupted(file, 12, 'dimension 0');

  const vectorBody = readSection(reader, SECTION_VECTORS, 'vectors');
  const checksummed = version >= 3;
  const rowsLength = count * dimension * 4;
  if (vectorBody.length !== rowsLength + (checksummed ? count * 4 : 0)) {
    throw corrupted(file, 24, `the vectors section holds ${vectorBody.length} bytes, not ${count} x ${dimension} float32${checksummed ? ' and their checksums' : ''}`);
  }
  const vectors = new Float32Array(vectorBody.slice(0, rowsLength).buffer);

  const keyReader = new ByteReader(readSection(reader, SECTION_KEYS, 'keys'), file);
  const keys: string[] = new Array(count);
  for (let i = 0; i < count; i++) keys[i] = keyReader.utf8();
  if (!keyReader.atEnd) throw corrupted(file, reader.offset, 'the keys section is longer than its records');

  const payloadReader = new ByteReader(readSection(reader, SECTION_PAYLOADS, 'payloads'), file);
  const metadata: (Metadata | undefined)[] = new Array(count);
  const documents: (string | undefined)[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const flags = payloadReader.u8();
    if (flags > 3) throw corrupted(file, reader.offset, `record ${i} has unknown payload flags ${flags}`);
    metadata[i] = flags & 1 ? parseJsonObject(payloadReader.utf8(), file, i) : undefined;
    documents[i] = flags & 2 ? payloadReader.utf8() : undefined;
  }
  if (!payloadReader.atEnd) throw corrupted(file, reader.offset, 'the payloads section is longer than its records');
  const contents: SegmentContents = { id, dimension, keys, vectors, metadata, documents };
  if (checksummed) contents.rows = segmentFileRows(count, dimension);
  const lastKind = LAST_KIND[version];
  let previousKind = SECTION_PAYLOADS;
  while (!reader.atEnd) {
    const at = reader.offset;
    const kind = reader.u32();
    if (kind <= previousKind || kind > lastKind) throw corrupted(file, at, `unexpected section kind ${kind} after kind ${previousKind}`);
    previousKind = kind;
    const body = readSectionBody(reader, at, SECTION_NAMES[kind]);
    if (kind === SECTION_GRAPH) {
      const graphKind = (Object.keys(GRAPH_KINDS) as (keyof typeof GRAPH_KINDS)[]).find((k) => GRAPH_KINDS[k] === body[0]);
      if (!graphKind) throw corrupted(file, at, `unknown graph kind ${body[0]}`);
      contents.graph = { kind: graphKind, bytes: body.subarray(1) };
    } else if (kind === SECTION_PAYLOAD_INDEX) {
      contents.payloadIndex = body;
    } else if (kind === SECTION_TEXT_INDEX) {
      contents.textIndex = body;
    } else if (kind === SECTION_INDEX) {
      contents.index = parseIndex(body, file, at);
    } else if (kind === SECTION_CODEBOOK) {
      contents.codebook = body.slice();
    } else {
      const runs = new ByteReader(body, file);
      const run = (): Uint8Array => {
        const length = runs.u64();
        if (length > runs.remaining) throw corrupted(file, at, `a code run claims ${length} bytes but the section has ${runs.remaining} left`);
        return runs.bytes(length).slice();
      };
      contents.codes = { codes: run(), residuals: run(), rerank: run() };
      if (!runs.atEnd) throw corrupted(file, at, 'the codes section is longer than its runs');
    }
  }
  if ((contents.codebook === undefined) !== (contents.codes === undefined)) throw corrupted(file, reader.offset, 'a codebook without codes, or codes without a codebook');
  return contents;
}

function parseIndex(body: Uint8Array, file: string, at: number): IndexConfig {
  let value: unknown = null;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    value = null;
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || (type !== 'flat' && type !== 'hnsw' && type !== 'vamana')) {
    throw corrupted(file, at, 'the index section is not an index config');
  }
  return value as IndexConfig;
}

function section(out: ByteWriter, kind: number, body: Uint8Array): void {
  out.u32(kind).u64(body.length).u32(crc32c(body)).bytes(body);
}

function readSection(reader: ByteReader, kind: number, name: string): Uint8Array {
  const at = reader.offset;
  const found = reader.u32();
  if (found !== kind) throw corrupted(reader.what, at, `expected the ${name} section (kind ${kind}), found kind ${found}`);
  return readSectionBody(reader, at, name);
}

/** A section's length, checksum and body, after its kind (read by the caller) at offset `at`. */
function readSectionBody(reader: ByteReader, at: number, name: string): Uint8Array {
  const length = reader.u64();
  const crc = reader.u32();
  if (length > reader.remaining) throw corrupted(reader.what, at, `the ${name} section claims ${length} bytes but only ${reader.remaining} remain (truncated file)`);
  const body = reader.bytes(length);
  if (crc32c(body) !== crc) throw corrupted(reader.what, at, `the ${name} section's checksum does not match`);
  return body;
}

export function parseJsonObject(text: string, file: string, record: number): Metadata {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Metadata;
  } catch {
    // reported below
  }
  throw new QuiverError('CORRUPTED', `${file}: the metadata of record ${record} is not a JSON object.`, { file, record });
}
