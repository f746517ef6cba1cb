/**
 * Multi-vector collections in the db layer: validating token sets, pooling and encoding them at ingest,
 * reading token vectors back for re-ranking (from memory, or from token files through a bounded cache),
 * and answering MaxSim queries (candidates from the index over the MUVERA encodings, re-ranked exactly).
 */
import type { CollectionEngine, Hit, IncludeField } from '../core/collection/collection.js';
import type { Segment } from '../core/collection/segment.js';
import { type StoredRecord, describe } from '../core/collection/records.js';
import { QuiverError } from '../core/errors.js';
import { TOKEN_HEADER_BYTES, decodeTokenHeader, decodeTokenTable, tokenRowsMatch, tokenTableBytes } from '../core/format/tokens.js';
import type { KernelBackend } from '../core/kernels/kernel.js';
import { FdeEncoder } from '../core/multivector/fde.js';
import { poolTokens } from '../core/multivector/pooling.js';
import { MaxSimScorer, type TokenSet } from '../core/multivector/scorer.js';
import type { StoredTokens, TokenFileRef, TokenFileTable } from '../core/multivector/token-column.js';
import type { StorageAdapter } from '../storage/adapter.js';

/** Token vectors in one record or query at most (pooling keeps an n x n distance matrix per record). */
export const TOKENS_PER_SET_MAX = 2048;
/** Candidates re-ranked by exact MaxSim when the query does not say (search.candidates), at least k. */
export const DEFAULT_RERANK_CANDIDATES = 100;
/** Token bytes the read cache of a database keeps by default. */
export const TOKEN_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;

export const tokenFileName = (id: number): string => `tok-${String(id).padStart(8, '0')}.qtok`;
export const TOKEN_FILE_PATTERN = /^tok-(\d{8})\.qtok$/;

/**
 * Validates a set of vectors (`vectors` of a record, `multivector` of a query) and packs it: a non-empty
 * array of Float32Array or number[] rows of `dimension` finite numbers.
 */
export function toTokenSet(input: unknown, dimension: number, field: string, where: Record<string, unknown>): TokenSet {
  const place = where.index !== undefined ? ` in record ${String(where.index)}${where.key !== undefined ? ` (key ${JSON.stringify(where.key)})` : ''}` : '';
  if (!Array.isArray(input)) {
    throw new QuiverError('INVALID_VECTOR', `${field} is an array of vectors (Float32Array or number[], ${dimension} numbers each)${place}; got ${describe(input)}.`, { ...where, field });
  }
  if (input.length === 0) throw new QuiverError('INVALID_VECTOR', `${field} is empty${place}: give at least one ${dimension}-d vector.`, { ...where, field, received: 0 });
  if (input.length > TOKENS_PER_SET_MAX) {
    throw new QuiverError('LIMIT_EXCEEDED', `${field} holds ${input.length} vectors${place}; the limit is ${TOKENS_PER_SET_MAX}. Split the document, or pool its vectors first.`, {
      ...where,
      field,
      limit: 'tokensPerSetMax',
      received: input.length,
      maximum: TOKENS_PER_SET_MAX,
    });
  }
  const rows = new Float32Array(input.length * dimension);
  input.forEach((row: unknown, t) => {
    if (!(row instanceof Float32Array) && !Array.isArray(row)) {
      throw new QuiverError('INVALID_VECTOR', `${field}[${t}] is ${describe(row)}${place}; each vector is a Float32Array or an array of numbers.`, { ...where, field, token: t });
    }
    if (row.length !== dimension) {
      throw new QuiverError('DIMENSION_MISMATCH', `${field}[${t}] has ${row.length} dimensions${place} but the collection's token vectors have ${dimension}.`, { ...where, field, token: t, expected: dimension, received: row.length });
    }
    for (let i = 0; i < dimension; i++) {
      const v = row[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new QuiverError('INVALID_VECTOR', `${field}[${t}] component ${i} is ${describe(v)}${place}; every component must be a finite number (no NaN or Infinity).`, { ...where, field, token: t, position: i });
      }
      rows[t * dimension + i] = v;
    }
  });
  return { tokens: rows, count: input.length };
}

/** The per-collection helpers: the encoder (fixed by the settings) and a MaxSim scorer over the kernels. */
export class MultivectorRuntime {
  readonly encoder: FdeEncoder;
  readonly scorer: MaxSimScorer;
  readonly pooling: number;

  constructor(engine: CollectionEngine, backend: KernelBackend) {
    const setting = engine.definition.multivector!;
    this.encoder = new FdeEncoder(setting.dimension, setting.muvera);
    this.scorer = new MaxSimScorer(backend, setting.dimension);
    this.pooling = setting.pooling;
  }

  /** Pools a record's vectors and encodes them: the stored record's vector and tokens. */
  ingest(set: TokenSet): { vector: Float32Array; tokens: StoredTokens } {
    const pooled = poolTokens(set.tokens, set.count, this.encoder.dimension, this.pooling);
    return { vector: this.encoder.encodeDocument(pooled.tokens, pooled.count), tokens: { rows: pooled.tokens, count: pooled.count, received: set.count } };
  }
}

const runtimes = new WeakMap<CollectionEngine, MultivectorRuntime>();

export function runtimeOf(engine: CollectionEngine, backend: KernelBackend): MultivectorRuntime {
  let runtime = runtimes.get(engine);
  if (runtime === undefined) {
    runtime = new MultivectorRuntime(engine, backend);
    runtimes.set(engine, runtime);
  }
  return runtime;
}

/** A token file is gone (its segment was compacted away and the file removed): look the key up again. */
export class TokenFileGone extends Error {
  constructor(readonly file: number) {
    super(`token file ${file} is gone`);
  }
}

/**
 * Reads token sets from token files, checked against their CRCs, through an LRU cache bounded in bytes
 * (re-rank candidates repeat across queries; everything else stays on disk). Counts the bytes it read.
 */
export class TokenReader {
  private readonly cache = new Map<string, Float32Array>();
  private cachedBytes = 0;
  /** Bytes read from token files (rows, headers and tables): what stats and tests look at. */
  bytesRead = 0;
  cacheHits = 0;

  constructor(
    private readonly adapter: StorageAdapter | null,
    private readonly maxBytes: number,
  ) {}

  /** The header and table of a token file: everything opening a collection reads of it. */
  async table(id: number): Promise<TokenFileTable> {
    const file = tokenFileName(id);
    const head = await this.range(file, 0, TOKEN_HEADER_BYTES);
    if (head === null) throw new QuiverError('CORRUPTED', `Token file ${file} named by the manifest is missing. Restore the directory from a backup.`, { file });
    const header = decodeTokenHeader(head, file);
    const table = await this.range(file, TOKEN_HEADER_BYTES, tokenTableBytes(header.count));
    if (table === null) throw new QuiverError('CORRUPTED', `Token file ${file} vanished while it was read.`, { file });
    return decodeTokenTable(header, table, null, file);
  }

  /** One slot's rows from its file (or the cache). */
  async rows(ref: TokenFileRef, count: number, dimension: number): Promise<Float32Array> {
    const key = `${ref.file}:${ref.offset}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      this.cacheHits++;
      return hit;
    }
    const file = tokenFileName(ref.file);
    const bytes = await this.range(file, ref.offset, count * dimension * 4);
    if (bytes === null) throw new TokenFileGone(ref.file);
    if (bytes.length !== count * dimension * 4 || !tokenRowsMatch(bytes, ref.checksum)) {
      throw new QuiverError('CORRUPTED', `${file}: the token vectors at byte ${ref.offset} do not match their checksum. Restore the file from a backup.`, { file, offset: ref.offset });
    }
    const rows = new Float32Array(bytes.slice().buffer);
    this.remember(key, rows);
    return rows;
  }

  /** Drops cached rows of files that were removed. */
  forget(file: number): void {
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(`${file}:`)) {
        this.cachedBytes -= this.cache.get(key)!.byteLength;
        this.cache.delete(key);
      }
    }
  }

  get bytesCached(): number {
    return this.cachedBytes;
  }

  private remember(key: string, rows: Float32Array): void {
    if (rows.byteLength > this.maxBytes) return;
    this.cache.set(key, rows);
    this.cachedBytes += rows.byteLength;
    for (const [oldest, value] of this.cache) {
      if (this.cachedBytes <= this.maxBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= value.byteLength;
    }
  }

  private async range(file: string, offset: number, length: number): Promise<Uint8Array | null> {
    if (this.adapter === null) return null;
    const bytes = this.adapter.readRange ? await this.adapter.readRange(file, offset, length) : ((await this.adapter.readFile(file))?.slice(offset, offset + length) ?? null);
    if (bytes !== null) this.bytesRead += bytes.length;
    return bytes;
  }
}

/** The token sets of `slots` of one segment, from memory or the files. */
export async function segmentTokens(reader: TokenReader, segment: Segment, slots: readonly number[]): Promise<TokenSet[]> {
  const column = segment.tokens!;
  const out: TokenSet[] = [];
  for (const slot of slots) {
    const count = column.count(slot);
    const resident = column.rows(slot);
    if (resident !== null) out.push({ tokens: resident, count });
    else {
      const ref = column.ref(slot);
      if (ref === null) throw new TokenFileGone(-1);
      out.push({ tokens: await reader.rows(ref, count, column.dimension), count });
    }
  }
  return out;
}

/**
 * The token sets of live keys (a key deleted meanwhile is left out), from memory or the token files;
 * keys whose segment was compacted away during the read are looked up again.
 */
export async function readTokenSets(engine: CollectionEngine, reader: TokenReader, keys: readonly string[], current: () => CollectionEngine): Promise<Map<string, TokenSet & { received: number; location: string }>> {
  const sets = new Map<string, TokenSet & { received: number; location: string }>();
  let pending = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const bySegment = new Map<Segment, { key: string; slot: number }[]>();
    for (const key of pending) {
      const ref = engine.locate(key);
      if (ref === null) continue;
      const list = bySegment.get(ref.segment) ?? [];
      list.push({ key, slot: ref.slot });
      bySegment.set(ref.segment, list);
    }
    const retry: string[] = [];
    for (const [segment, entries] of bySegment) {
      try {
        const read = await segmentTokens(reader, segment, entries.map((e) => e.slot));
        entries.forEach((e, i) => sets.set(e.key, { ...read[i], received: segment.tokens!.received(e.slot), location: `${segment.id}:${e.slot}` }));
      } catch (error) {
        if (!(error instanceof TokenFileGone) || attempt >= 3) throw error;
        retry.push(...entries.map((e) => e.key));
      }
    }
    if (current() !== engine) throw new QuiverError('COLLECTION_NOT_FOUND', `Collection "${engine.name}" was dropped while its token vectors were read.`, { collection: engine.name });
    pending = retry;
  }
  return sets;
}

export interface MultivectorQuery {
  query: TokenSet;
  k: number;
  candidates: number;
  include: ReadonlySet<IncludeField>;
  minScore?: number;
}

/** Re-ranks first-stage hits (keys) by exact MaxSim; returns the best k and how many token sets were read. */
export async function rerankByMaxSim(
  engine: CollectionEngine,
  runtime: MultivectorRuntime,
  reader: TokenReader,
  firstStage: Hit[],
  request: MultivectorQuery,
  current: () => CollectionEngine,
): Promise<{ hits: Hit[]; reranked: number; bytesRead: number; cacheHits: number }> {
  const readBefore = reader.bytesRead;
  const hitsBefore = reader.cacheHits;
  const sets = await readTokenSets(engine, reader, firstStage.map((h) => h.key), current);
  const keys = firstStage.map((h) => h.key).filter((key) => sets.has(key));
  const scores = runtime.scorer.score(request.query, keys.map((key) => sets.get(key)!));
  const order = keys.map((key, i) => ({ key, score: scores[i] })).sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
  const byKey = new Map(firstStage.map((h) => [h.key, h]));
  const hits: Hit[] = [];
  for (const { key, score } of order) {
    if (hits.length === request.k) break;
    if (request.minScore !== undefined && score < request.minScore) break;
    const first = byKey.get(key)!;
    const hit: Hit = { key, score, distance: -score };
    if (first.metadata !== undefined) hit.metadata = first.metadata;
    if (first.document !== undefined) hit.document = first.document;
    if (request.include.has('vector')) (hit as Hit & { vectors?: Float32Array[] }).vectors = unpack(sets.get(key)!, engine.definition.multivector!.dimension);
    hits.push(hit);
  }
  return { hits, reranked: keys.length, bytesRead: reader.bytesRead - readBefore, cacheHits: reader.cacheHits - hitsBefore };
}

/** A packed set as the API returns it: one Float32Array per vector. */
export function unpack(set: TokenSet, dimension: number): Float32Array[] {
  return Array.from({ length: set.count }, (_, t) => set.tokens.slice(t * dimension, (t + 1) * dimension));
}

/** A stored record as the API returns it from a multi-vector collection: `vectors` instead of the encoding. */
export function publicRecord(record: StoredRecord, dimension: number): StoredRecord & { vectors?: Float32Array[] } {
  const { vector: _encoding, tokens, ...rest } = record;
  const out = rest as StoredRecord & { vectors?: Float32Array[] };
  if (tokens !== undefined) out.vectors = unpack({ tokens: tokens.rows, count: tokens.count }, dimension);
  return out;
}
