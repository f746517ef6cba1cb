/**
 * The MANIFEST file: the last completed checkpoint. Replaced atomically (written as MANIFEST.tmp,
 * fsynced, renamed over MANIFEST, directory fsynced), so it is always one whole checkpoint.
 *
 *   offset size
 *   0      4    magic "QVMF"
 *   4      2    format version (1)
 *   6      2    flags (0)
 *   8      4    body length B (u32)
 *   12     4    CRC-32C of the body
 *   16     B    body:
 *                 u64 checkpoint number
 *                 u64 walStart: the first WAL file number to replay
 *                 u64 lastLsn: the sequence of the last write the segments contain
 *                 u64 nextSegmentId, u64 nextCollectionId
 *                 u32 collection count, then per collection:
 *                   u32 length + UTF-8 JSON definition { name, id, dimension, metric, index, and when set
 *                     payloadIndexes (declared fields and types), autoIndexes (fields indexed for filters),
 *                     text (the analyzer's options), embedding ({ config: EmbeddingConfig, model }),
 *                     chunking ({ by, size, overlap }) }
 *                   u32 segment count, then per segment:
 *                     u64 segment id, u32 record count, u32 deleted count D, D x u32 deleted slots (ascending)
 */
import type { CollectionDefinition } from '../collection/collection.js';
import { type MuveraConfig, encodingDimension } from '../collection/multivector.js';
import { QuiverError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { crc32c } from './crc32c.js';
import { corrupted, readHeader, writeHeader } from './header.js';

export const MANIFEST_MAGIC = 'QVMF';
export const MANIFEST_VERSION = 1;

export interface ManifestData {
  checkpoint: number;
  walStart: number;
  lastLsn: number;
  nextSegmentId: number;
  nextCollectionId: number;
  collections: { definition: CollectionDefinition; segments: { id: number; count: number; deleted: Uint32Array }[] }[];
}

export function encodeManifest(manifest: ManifestData): Uint8Array {
  const body = new ByteWriter(1024);
  body.u64(manifest.checkpoint).u64(manifest.walStart).u64(manifest.lastLsn).u64(manifest.nextSegmentId).u64(manifest.nextCollectionId);
  body.u32(manifest.collections.length);
  for (const c of manifest.collections) {
    body.utf8(encodeDefinition(c.definition));
    body.u32(c.segments.length);
    for (const s of c.segments) {
      body.u64(s.id).u32(s.count).u32(s.deleted.length);
      for (const slot of s.deleted) body.u32(slot);
    }
  }
  const bodyBytes = body.finish();
  const out = new ByteWriter(bodyBytes.length + 16);
  writeHeader(out, MANIFEST_MAGIC, MANIFEST_VERSION);
  out.u32(bodyBytes.length).u32(crc32c(bodyBytes)).bytes(bodyBytes);
  return out.finish();
}

export function decodeManifest(bytes: Uint8Array, file: string): ManifestData {
  const reader = new ByteReader(bytes, file);
  readHeader(reader, MANIFEST_MAGIC, MANIFEST_VERSION, 'manifest');
  const length = reader.u32();
  const crc = reader.u32();
  if (length !== reader.remaining) throw corrupted(file, 8, `the body is ${reader.remaining} bytes, the header says ${length}`);
  if (crc32c(bytes.subarray(16)) !== crc) throw corrupted(file, 16, 'the body checksum does not match');
  const manifest: ManifestData = {
    checkpoint: reader.u64(),
    walStart: reader.u64(),
    lastLsn: reader.u64(),
    nextSegmentId: reader.u64(),
    nextCollectionId: reader.u64(),
    collections: [],
  };
  const collections = reader.u32();
  for (let c = 0; c < collections; c++) {
    const definition = decodeDefinition(reader.utf8(), file);
    const segmentCount = reader.u32();
    const segments: ManifestData['collections'][number]['segments'] = [];
    for (let s = 0; s < segmentCount; s++) {
      const id = reader.u64();
      const count = reader.u32();
      const deletedCount = reader.u32();
      if (deletedCount > count || deletedCount * 4 > reader.remaining) throw corrupted(file, reader.offset, `segment ${id} lists ${deletedCount} deletions for ${count} records`);
      const deleted = new Uint32Array(deletedCount);
      for (let i = 0; i < deletedCount; i++) deleted[i] = reader.u32();
      segments.push({ id, count, deleted });
    }
    manifest.collections.push({ definition, segments });
  }
  if (!reader.atEnd) throw corrupted(file, reader.offset, 'bytes follow the last collection');
  return manifest;
}

export function encodeDefinition(definition: CollectionDefinition): string {
  const { name, id, dimension, metric, index, payloadIndexes, autoIndexes, text, embedding, chunking, multivector } = definition;
  // the optional parts only when present, so definitions without them encode as before
  return JSON.stringify({ name, id, dimension, metric, index, payloadIndexes, autoIndexes: autoIndexes?.length ? autoIndexes : undefined, text, embedding, chunking, multivector });
}

export function decodeDefinition(text: string, file: string): CollectionDefinition {
  let value: Record<string, unknown> | null = null;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    value = null;
  }
  const valid =
    value !== null &&
    typeof value === 'object' &&
    typeof value.name === 'string' &&
    Number.isSafeInteger(value.id) &&
    Number.isSafeInteger(value.dimension) &&
    (value.dimension as number) > 0 &&
    ['cosine', 'dot', 'l2'].includes(value.metric as string) &&
    value.index !== null &&
    typeof value.index === 'object' &&
    (value.payloadIndexes === undefined || (isRecord(value.payloadIndexes) && Object.values(value.payloadIndexes).every((t) => t === 'keyword' || t === 'number' || t === 'boolean'))) &&
    (value.autoIndexes === undefined || (Array.isArray(value.autoIndexes) && value.autoIndexes.every((f) => typeof f === 'string' && f.length > 0))) &&
    (value.text === undefined || validTextOptions(value.text)) &&
    (value.embedding === undefined || validEmbedding(value.embedding)) &&
    (value.chunking === undefined || validChunking(value.chunking)) &&
    (value.multivector === undefined || validMultivector(value.multivector, value.dimension as number));
  if (!valid) throw new QuiverError('CORRUPTED', `${file}: a collection definition is not valid (${text.slice(0, 80)}).`, { file });
  return value as unknown as CollectionDefinition;
}

function validMultivector(value: unknown, rowDimension: number): boolean {
  if (!isRecord(value) || !isRecord(value.muvera)) return false;
  const whole = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  const m = value.muvera;
  if (!whole(value.dimension, 1) || !whole(value.pooling, 1) || !whole(m.simhashBits, 0) || !whole(m.projectionDimension, 1) || !whole(m.repetitions, 1) || !whole(m.finalDimension, 0) || !whole(m.seed, 0)) return false;
  if (typeof m.fillEmptyBuckets !== 'boolean' || (m.simhashBits as number) > 30) return false;
  try {
    // the rows are the encodings: their dimension follows from the settings
    return encodingDimension(m as unknown as MuveraConfig) === rowDimension;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function validTextOptions(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { stemming, stopWords } = value;
  return (stemming === 'english' || stemming === 'none') && (stopWords === 'english' || stopWords === 'none' || (Array.isArray(stopWords) && stopWords.every((w) => typeof w === 'string')));
}

function validEmbedding(value: unknown): boolean {
  if (!isRecord(value) || typeof value.model !== 'string') return false;
  const config = value.config;
  if (config === 'builtin') return true;
  return isRecord(config) && typeof config.provider === 'string' && Object.values(config).every((v) => typeof v === 'string' || typeof v === 'boolean');
}

function validChunking(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { by, size, overlap } = value;
  return (by === 'tokens' || by === 'sentences') && Number.isSafeInteger(size) && (size as number) > 0 && Number.isSafeInteger(overlap) && (overlap as number) >= 0;
}
