/**
 * Long documents in a collection with `chunking`: a document is stored as chunk records keyed
 * `<key>#<i>`, each with its own vector and text and the document's metadata plus two reserved fields,
 * `_parent` (the document's key) and `_chunk` ({ index, count, start, end }: its place among the
 * document's chunks and its UTF-16 offsets into the document). Queries search the chunks and return one
 * hit per document with its best chunks; the whole document is put back together from its chunks, which
 * cover it character for character, so it is not stored twice.
 */
import type { ChunkingSetting, Hit, IncludeField } from '../core/collection/collection.js';
import type { Metadata, StoredRecord } from '../core/collection/records.js';
import { QuiverError } from '../core/errors.js';
import { LIMITS } from '../core/lib/limits.js';
import { chunkKey, chunkText } from '../embed/chunking.js';

export const PARENT_FIELD = '_parent';
export const CHUNK_FIELD = '_chunk';

/** Best chunks per document in a grouped hit, unless the query says `chunks`. */
export const DEFAULT_CHUNKS_PER_HIT = 3;
export const CHUNKS_PER_HIT_MAX = 100;

/** One of a document's best chunks in a grouped hit. */
export interface ChunkHit {
  key: string;
  /** Position among the document's chunks, from 0. */
  index: number;
  score: number;
  distance?: number;
  /** UTF-16 offsets into the document: document.slice(start, end) === text. */
  start: number;
  end: number;
  text: string;
}

/** A query hit; in a chunked collection, a document with its best chunks (best first). */
export interface DocumentHit extends Hit {
  chunks?: ChunkHit[];
}

export interface ChunkPlace {
  index: number;
  count: number;
  start: number;
  end: number;
}

/** A record to store once its text is embedded. */
export interface PendingRecord {
  key: string;
  document: string;
  metadata: Metadata;
}

/** Chunk records for one document (an empty document is one empty chunk, so the document still exists). */
export function documentChunks(key: string, document: string, metadata: Metadata | undefined, chunking: ChunkingSetting, where: Record<string, unknown>): PendingRecord[] {
  for (const field of [PARENT_FIELD, CHUNK_FIELD]) {
    if (metadata !== undefined && field in metadata) {
      throw new QuiverError('INVALID_METADATA', `Metadata field "${field}" is reserved in a chunked collection: it holds the chunk's document and place. Rename the field.`, { ...where, field });
    }
  }
  const chunks = chunkText(document, chunking);
  const parts = chunks.length > 0 ? chunks : [{ index: 0, start: 0, end: 0, text: '' }];
  const longest = new TextEncoder().encode(chunkKey(key, parts.length - 1)).length;
  if (longest > LIMITS.keyBytesMax) {
    throw new QuiverError('INVALID_KEY', `Key ${JSON.stringify(key.slice(0, 40))}… leaves no room for its chunks' "#<n>" suffix within ${LIMITS.keyBytesMax} UTF-8 bytes; use a shorter key.`, { ...where, limit: LIMITS.keyBytesMax });
  }
  return parts.map((chunk) => ({
    key: chunkKey(key, chunk.index),
    document: chunk.text,
    metadata: { ...metadata, [PARENT_FIELD]: key, [CHUNK_FIELD]: { index: chunk.index, count: parts.length, start: chunk.start, end: chunk.end } },
  }));
}

/** The document key and place of a chunk record, or null for a record that is not a chunk. */
export function chunkPlace(metadata: Metadata | undefined): { parent: string; place: ChunkPlace } | null {
  const parent = metadata?.[PARENT_FIELD];
  const place = metadata?.[CHUNK_FIELD] as Partial<ChunkPlace> | undefined;
  if (typeof parent !== 'string' || place === null || typeof place !== 'object') return null;
  const { index, count, start, end } = place;
  if (![index, count, start, end].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) return null;
  return { parent, place: place as ChunkPlace };
}

/**
 * The keys of the chunks a document has now: `<key>#0` up to the count chunk 0 records (a chunk deleted
 * by its own key leaves a gap there), then on while more exist and point back at it — those a crash left
 * behind between an upsert and the delete of the chunks its new version no longer has.
 */
export function chunksOf(key: string, get: (key: string) => StoredRecord | null): string[] {
  const keys: string[] = [];
  const count = chunkPlace(get(chunkKey(key, 0))?.metadata)?.place.count ?? 0;
  for (let i = 0; ; i++) {
    const record = get(chunkKey(key, i));
    const mine = record !== null && chunkPlace(record.metadata)?.parent === key;
    if (mine) keys.push(record.key);
    else if (i >= count) return keys;
  }
}

/** The document as it was given: its chunks' texts, each without the part the one before covers. */
export function assembleDocument(key: string, get: (key: string) => StoredRecord | null): string {
  let text = '';
  let covered = 0;
  // chunks past the count chunk 0 records are a crash's left-overs of an older version
  const count = chunkPlace(get(chunkKey(key, 0))?.metadata)?.place.count ?? 0;
  for (const chunk of chunksOf(key, get)) {
    const record = get(chunk)!;
    const { place } = chunkPlace(record.metadata)!;
    if (place.index >= count) continue;
    const document = record.document ?? '';
    if (place.end > covered) text += document.slice(Math.max(0, covered - place.start));
    covered = Math.max(covered, place.end);
  }
  return text;
}

function withoutReserved(metadata: Metadata | undefined): Metadata | undefined {
  if (metadata === undefined) return undefined;
  const { [PARENT_FIELD]: _parent, [CHUNK_FIELD]: _chunk, ...rest } = metadata;
  return rest;
}

/**
 * Chunk hits (best first, fetched with metadata and documents) grouped into at most `k` document hits:
 * each scored by its best chunk, with up to `perHit` chunks. `include` is what the caller asked for: the
 * document is assembled only then. A chunk that its document's current chunk 0 does not count (left
 * over by a crash between a re-chunking upsert and its delete) is skipped.
 */
export function groupByDocument(hits: readonly Hit[], k: number, perHit: number, include: ReadonlySet<IncludeField>, get: (key: string) => StoredRecord | null): DocumentHit[] {
  const groups = new Map<string, DocumentHit>();
  const counts = new Map<string, number>();
  for (const hit of hits) {
    const chunk = chunkPlace(hit.metadata);
    if (chunk === null) {
      if (!groups.has(hit.key) && groups.size < k) groups.set(hit.key, documentHit(hit, include, hit.document));
      continue;
    }
    const { parent, place } = chunk;
    let count = counts.get(parent);
    if (count === undefined) {
      count = chunkPlace(get(chunkKey(parent, 0))?.metadata)?.place.count ?? 0;
      counts.set(parent, count);
    }
    if (place.index >= count) continue;
    let group = groups.get(parent);
    if (group === undefined) {
      if (groups.size >= k) continue;
      group = documentHit({ ...hit, key: parent }, include, include.has('document') ? assembleDocument(parent, get) : undefined);
      group.chunks = [];
      groups.set(parent, group);
    }
    if (group.chunks!.length < perHit) {
      const out: ChunkHit = { key: hit.key, index: place.index, score: hit.score, start: place.start, end: place.end, text: hit.document ?? '' };
      if (hit.distance !== undefined) out.distance = hit.distance;
      group.chunks!.push(out);
    }
  }
  return [...groups.values()];
}

function documentHit(hit: Hit, include: ReadonlySet<IncludeField>, document: string | undefined): DocumentHit {
  const out: DocumentHit = { key: hit.key, score: hit.score };
  if (hit.distance !== undefined) out.distance = hit.distance;
  if (include.has('metadata')) {
    const metadata = withoutReserved(hit.metadata);
    if (metadata !== undefined) out.metadata = metadata;
  }
  if (include.has('document') && document !== undefined) out.document = document;
  if (include.has('vector') && hit.vector !== undefined) out.vector = hit.vector;
  return out;
}
