/**
 * QuiverClient: the embedded API over HTTP (api.md, "Client"). The same database and collection methods,
 * the same results (vectors come back as Float32Array) and the same QuiverErrors, on fetch, so it runs in
 * browsers, Node 18+, Deno and Bun. It imports only the protocol's wire helpers and types: no engine, no
 * node:* modules, no schema library.
 *
 * Vectors go out as the caller gives them: a Float32Array as base64 float32 ({ "f32": ... }, compact and
 * exact), a number[] as a JSON array (validated by the server exactly as the embedded API validates it).
 */
import { QuiverError, fromWireError, isWireErrorBody } from '../protocol/errors.js';
import type {
  CollectionListBody,
  CountResponseBody,
  ExplainResponseBody,
  GetResponseBody,
  MapResponseBody,
  AddPapersResponseBody,
  PaperInputBody,
  PapersInfoBody,
  QueryManyResponseBody,
  QueryResponseBody,
  ScanResponseBody,
  WireHit,
  WireStoredRecord,
  WireVector,
} from '../protocol/schemas.js';
import type {
  CollectionConfig,
  CollectionMap,
  MapRequest,
  CollectionInfo,
  CollectionStats,
  Hit,
  IndexConfig,
  QueryPlan,
  QueryRequest,
  RecordInput,
  StoredRecord,
  UpdateInput,
  VectorInput,
  WriteResult,
} from '../protocol/types.js';
import { decodeF32, encodeF32, isF32Vector } from '../protocol/vectors.js';
import { mergeSequences } from '../protocol/sequence.js';
import type { DigestReportBody, SubscribeResponseBody, SubscriptionBody, SubscriptionListBody } from '../protocol/papers.js';

export type PaperInput = PaperInputBody;
export type AddPapersResult = AddPapersResponseBody;
export type PapersInfo = PapersInfoBody;
export type Subscription = SubscriptionBody;
export type DigestReport = DigestReportBody;

export interface QuiverClientOptions {
  /** The server, e.g. 'http://localhost:6333' (a path prefix behind a proxy is kept). */
  url: string;
  /** Sent as "Authorization: Bearer <apiKey>". */
  apiKey?: string;
  /**
   * How vectors are sent: 'auto' (default) sends a Float32Array as base64 float32 and a number[] as JSON;
   * 'f32' sends every vector as base64 float32; 'json' every vector as a JSON array.
   */
  vectorEncoding?: 'auto' | 'f32' | 'json';
  /** Gives up on a request after this long (rejects with ABORTED). */
  timeoutMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Ask for vectors as base64 float32 (decoded to Float32Array here). */
  vectors?: boolean;
}

export class QuiverClient {
  readonly url: string;
  private readonly base: string;
  private readonly apiKey: string | undefined;
  private readonly encoding: 'auto' | 'f32' | 'json';
  private readonly timeoutMs: number | undefined;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private closed = false;
  /** The merged write token of each collection's writes through this client (read-your-writes). */
  private readonly sequences = new Map<string, string>();

  constructor(options: QuiverClientOptions) {
    if (typeof options !== 'object' || options === null || typeof options.url !== 'string') {
      throw new QuiverError('INVALID_ARGUMENT', "new QuiverClient({ url: 'http://localhost:6333', apiKey }) needs a url.", { field: 'url' });
    }
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new QuiverError('INVALID_ARGUMENT', `url is not a URL: ${JSON.stringify(options.url)}. Use e.g. 'http://localhost:6333'.`, { field: 'url' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new QuiverError('INVALID_ARGUMENT', `url must be http: or https:; got ${parsed.protocol}`, { field: 'url' });
    }
    const encoding = options.vectorEncoding ?? 'auto';
    if (!['auto', 'f32', 'json'].includes(encoding)) throw new QuiverError('INVALID_ARGUMENT', "vectorEncoding is 'auto', 'f32' or 'json'.", { field: 'vectorEncoding' });
    this.url = options.url;
    this.base = parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
    this.apiKey = options.apiKey;
    this.encoding = encoding;
    this.timeoutMs = options.timeoutMs;
    this.headers = options.headers ?? {};
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new QuiverError('UNSUPPORTED', 'This runtime has no fetch; pass one as options.fetch.', {});
    // bound: browsers reject fetch called as a method of anything but the window ("Illegal invocation")
    this.fetchImpl = fetchImpl === globalThis.fetch ? fetchImpl.bind(globalThis) : fetchImpl;
  }

  // ---- the database's methods ----


  /** @internal Remembers a write's token: read-your-writes queries through this client wait for it. */
  rememberSequence(collection: string, sequence: string | undefined): void {
    const merged = mergeSequences(this.sequences.get(collection), sequence);
    if (merged !== undefined) this.sequences.set(collection, merged);
  }

  /** @internal The token covering this client's writes to a collection, if any. */
  sequenceOf(collection: string): string | undefined {
    return this.sequences.get(collection);
  }

  async createCollection(name: string, config: CollectionConfig): Promise<RemoteCollection> {
    const body = { ...config, name };
    if (isPlainObject(config?.index) && config.index.reduce?.trainQueries) {
      body.index = { ...config.index, reduce: { ...config.index.reduce, trainQueries: config.index.reduce.trainQueries.map((v) => this.vectorOut(v)) as never } };
    }
    await this.request('POST', 'v1/collections', { body });
    return this.collection(name);
  }

  /** A handle without I/O; operations on a missing collection reject with COLLECTION_NOT_FOUND. */
  collection(name: string): RemoteCollection {
    return new RemoteCollection(this, name);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    return (await this.request<CollectionListBody>('GET', 'v1/collections')).collections;
  }

  async dropCollection(name: string): Promise<void> {
    await this.request('DELETE', `v1/collections/${encodeURIComponent(name)}`);
  }

  /**
   * A consistent copy of the database, written by the server to <backupDir>/<name> (the server's
   * configuration says where; the request only names it). Needs an admin key.
   */
  async backup(name: string): Promise<{ name: string }> {
    return this.request('POST', 'v1/backup', { body: { name } });
  }

  /** The client holds no connection; later calls reject with CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- the server's own ----

  /** GET /healthz: { status: 'ok' } while the process is up. */
  async health(): Promise<{ status: string }> {
    return this.request('GET', 'healthz');
  }

  /** GET /readyz: { status: 'ready' }, or UNAVAILABLE while the server shuts down. */
  async ready(): Promise<{ status: string }> {
    return this.request('GET', 'readyz');
  }

  /** The server's OpenAPI document. */
  async openapi(): Promise<Record<string, unknown>> {
    return this.request('GET', 'openapi.json');
  }

  /** Prometheus metrics, as text. */
  async metrics(): Promise<string> {
    return this.request('GET', 'metrics');
  }

  // ---- the Quiver Papers app (servers with papers.enabled; docs/papers.md) ----

  /** The papers app's own routes; its collection is `collection('papers')`. */
  readonly papers = {
    /** The app's collection and size; NOT_FOUND when the server does not run the app. */
    info: (): Promise<PapersInfo> => this.request('GET', 'v1/papers'),
    /** Adds (or replaces, by id) papers: embedded, keyword-indexed, stamped with addedAt = now. */
    add: (papers: PaperInput[]): Promise<AddPapersResult> => this.request('POST', 'v1/papers', { body: { papers } }),
    // the daily digest (docs/papers.md, "Daily digest")
    /** Subscribes an address to the daily digest, or updates its interests (`created: false`). Needs a read-write key. */
    subscribe: (input: { email: string; interests: string }): Promise<SubscribeResponseBody> =>
      this.request('POST', 'v1/papers/subscriptions', { body: { email: input.email, interests: input.interests } }),
    /** Every digest subscription with its send state (admin). */
    listSubscriptions: async (): Promise<Subscription[]> => (await this.request<SubscriptionListBody>('GET', 'v1/papers/subscriptions')).subscriptions,
    /** Removes an address's subscription (admin); false when it had none. */
    deleteSubscription: async (email: string): Promise<boolean> =>
      (await this.request<{ removed: boolean }>('DELETE', `v1/papers/subscriptions/${encodeURIComponent(email)}`)).removed,
    /** Runs the digest now (admin): who got which papers. `dryRun` composes only, sending and recording nothing. */
    sendDigest: (options: { dryRun?: boolean } = {}): Promise<DigestReport> =>
      this.request('POST', 'v1/papers/digest/send', { body: options.dryRun === undefined ? {} : { dryRun: options.dryRun } }),
  };

  // ---- plumbing shared with RemoteCollection ----

  /** @internal A vector as this client sends it. */
  vectorOut(vector: VectorInput): WireVector {
    if (vector instanceof Float32Array) return this.encoding === 'json' ? Array.from(vector) : { f32: encodeF32(vector) };
    if (this.encoding === 'f32' && Array.isArray(vector) && vector.every((x) => typeof x === 'number')) return { f32: encodeF32(Float32Array.from(vector)) };
    return vector as WireVector;
  }

  /** @internal */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
    if (this.closed) throw new QuiverError('CLOSED', 'This QuiverClient was closed; make a new one.', { url: this.url });
    const url = new URL(path + (options.vectors ? '?vectors=f32' : ''), this.base);
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const signals = [options.signal, this.timeoutMs !== undefined ? AbortSignal.timeout(this.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : anySignal(signals);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal });
    } catch (error) {
      if (signal?.aborted) throw new QuiverError('ABORTED', `The request was aborted: ${String(signal.reason ?? 'abort signal')}.`, { reason: String(signal.reason ?? '') });
      throw new QuiverError('UNAVAILABLE', `Cannot reach the Quiver server at ${this.url}: ${describeCause(error)}. Check the URL and that the server runs.`, { url: this.url }, { cause: error });
    }
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const parsed = contentType.includes('json') ? parseJson(text) : undefined;
    if (!response.ok) {
      if (isWireErrorBody(parsed)) throw fromWireError(parsed.error);
      throw new QuiverError(statusCode(response.status), `The server at ${this.url} answered ${method} /${path} with HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`, { status: response.status });
    }
    if (!contentType.includes('json')) return text as T;
    if (parsed === undefined) throw new QuiverError('IO_ERROR', `The server at ${this.url} sent a response that is not JSON for ${method} /${path}.`, { status: response.status });
    return parsed as T;
  }
}

/** A collection on a server: the embedded Collection's methods over HTTP. */
export class RemoteCollection {
  readonly name: string;
  private readonly client: QuiverClient;
  private readonly path: string;

  constructor(client: QuiverClient, name: string) {
    this.client = client;
    this.name = name;
    this.path = `v1/collections/${encodeURIComponent(name)}`;
  }

  /** Inserts or replaces whole records; the batch is atomic. */
  async upsert(records: RecordInput[]): Promise<WriteResult> {
    return this.remember(await this.client.request<WriteResult>('POST', `${this.path}/upsert`, { body: { records: mapArray(records, (r) => this.recordOut(r)) } }));
  }

  private remember(result: WriteResult): WriteResult {
    this.client.rememberSequence(this.name, result?.sequence);
    return result;
  }

  /** Changes parts of existing records (metadata shallow-merged). */
  async update(updates: UpdateInput[]): Promise<WriteResult> {
    return this.remember(await this.client.request<WriteResult>('POST', `${this.path}/update`, { body: { records: mapArray(updates, (u) => this.recordOut(u)) } }));
  }

  /** A record or update with its vector (or multi-vector collections' vectors) encoded for the wire. */
  private recordOut(record: unknown): unknown {
    if (!isPlainObject(record)) return record;
    const out: Record<string, unknown> = { ...record };
    if (record.vector !== undefined) out.vector = this.client.vectorOut(record.vector);
    if (record.vectors !== undefined) out.vectors = mapArray(record.vectors, (v) => this.client.vectorOut(v as VectorInput));
    return out;
  }

  /** Records aligned with `keys`: the record, or null where the key does not exist. */
  async get(keys: string[]): Promise<(StoredRecord | null)[]> {
    const { records } = await this.client.request<GetResponseBody>('POST', `${this.path}/get`, { body: { keys }, vectors: true });
    return records.map((r) => (r === null ? null : recordIn(r)));
  }

  /** Deletes by keys (missing keys are ignored) or by filter; `count` says how many existed. */
  async delete(keysOrFilter: string[] | { filter: unknown }): Promise<WriteResult> {
    return this.remember(await this.client.request<WriteResult>('POST', `${this.path}/delete`, { body: Array.isArray(keysOrFilter) ? { keys: keysOrFilter } : keysOrFilter }));
  }

  async count(options?: { filter?: unknown }): Promise<number> {
    return (await this.client.request<CountResponseBody>('POST', `${this.path}/count`, { body: options ?? {} })).count;
  }

  /**
   * Every record, in batches, page by page from the server. A scan left before its end is closed by the
   * server once idle (limits.scanCursorIdleMs).
   */
  async *scan(options: { filter?: unknown; batchSize?: number } = {}): AsyncGenerator<StoredRecord[]> {
    let page = await this.client.request<ScanResponseBody>('POST', `${this.path}/scan`, { body: options, vectors: true });
    for (;;) {
      if (page.records.length > 0) yield page.records.map(recordIn);
      if (page.cursor === null) return;
      page = await this.client.request<ScanResponseBody>('POST', `${this.path}/scan`, { body: { cursor: page.cursor }, vectors: true });
    }
  }

  /** The k nearest records, best first. */
  async query(request: QueryRequest): Promise<Hit[]> {
    const { body, signal } = this.queryOut(request);
    const { hits } = await this.client.request<QueryResponseBody>('POST', `${this.path}/query`, { body, signal, vectors: true });
    return hits.map(hitIn);
  }

  /** Several queries in one request; results in order. */
  async queryMany(requests: QueryRequest[]): Promise<Hit[][]> {
    const queries = mapArray(requests, (r) => this.queryOut(r).body);
    const { results } = await this.client.request<QueryManyResponseBody>('POST', `${this.path}/query-many`, { body: { queries }, vectors: true });
    return results.map((r) => r.hits.map(hitIn));
  }

  /** The hits and how they were found. */
  async explain(request: QueryRequest): Promise<{ plan: QueryPlan; hits: Hit[] }> {
    const { body, signal } = this.queryOut(request);
    const { plan, hits } = await this.client.request<ExplainResponseBody>('POST', `${this.path}/explain`, { body, signal, vectors: true });
    return { plan, hits: hits.map(hitIn) };
  }

  async stats(): Promise<CollectionStats> {
    return this.client.request('GET', `${this.path}/stats`);
  }

  /**
   * A 2-D map of the collection from its k-NN graph, with the 10-NN preservation of the layout and of
   * PCA (the embedded collection.map). Aborting `signal` stops the job on the server.
   */
  async map(request: MapRequest = {}): Promise<CollectionMap> {
    // anything but an object goes to the server as is, to be rejected there with the embedded API's error
    let body: unknown = request;
    let signal: AbortSignal | undefined;
    if (isPlainObject(request)) ({ signal, ...body } = request as MapRequest);
    const map = await this.client.request<MapResponseBody>('POST', `${this.path}/map`, { body, signal, vectors: true });
    return { ...map, coordinates: vectorIn(map.coordinates), pca: vectorIn(map.pca) } as CollectionMap;
  }

  /** { name, dimension, metric, index, count } (the collection's entry in listCollections). */
  async info(): Promise<CollectionInfo> {
    return this.client.request('GET', this.path);
  }

  async optimize(options: { trainQueries?: VectorInput[] } = {}): Promise<void> {
    const body = options.trainQueries === undefined ? {} : { trainQueries: mapArray(options.trainQueries, (v) => this.client.vectorOut(v)) };
    await this.client.request('POST', `${this.path}/optimize`, { body });
  }

  async reindex(index: string | IndexConfig): Promise<void> {
    // LeanVec-OOD's sample queries go out as wire vectors, like every other vector
    const body = isPlainObject(index) && index.reduce?.trainQueries
      ? { index: { ...index, reduce: { ...index.reduce, trainQueries: mapArray(index.reduce.trainQueries, (v) => this.client.vectorOut(v)) as never } } }
      : { index };
    await this.client.request('POST', `${this.path}/reindex`, { body });
  }

  private queryOut(request: QueryRequest): { body: unknown; signal?: AbortSignal } {
    if (!isPlainObject(request)) return { body: request };
    const { signal, ...rest } = request;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new QuiverError('INVALID_ARGUMENT', 'signal is an AbortSignal.', { field: 'signal' });
    if (signal?.aborted) throw new QuiverError('ABORTED', `The query was aborted: ${String(signal.reason ?? 'abort signal')}.`, { reason: String(signal.reason ?? '') });
    const body: Record<string, unknown> = rest.vector === undefined ? { ...rest } : { ...rest, vector: this.client.vectorOut(rest.vector) };
    // read-your-writes: the server (a cluster) waits until the replicas it reads have this client's writes
    if (rest.consistency === 'read-your-writes' && rest.sequence === undefined && this.client.sequenceOf(this.name) !== undefined) body.sequence = this.client.sequenceOf(this.name);
    if (rest.multivector !== undefined) body.multivector = mapArray(rest.multivector, (v) => this.client.vectorOut(v as VectorInput));
    return { body, signal };
  }
}

function vectorIn(vector: WireVector): Float32Array {
  return isF32Vector(vector) ? decodeF32(vector.f32, {}, true) : Float32Array.from(vector);
}

function recordIn(record: WireStoredRecord): StoredRecord {
  const out: Record<string, unknown> = { ...record };
  if (record.vector !== undefined) out.vector = vectorIn(record.vector);
  if (record.vectors !== undefined) out.vectors = record.vectors.map(vectorIn);
  return out as unknown as StoredRecord;
}

function hitIn(hit: WireHit): Hit {
  const out: Record<string, unknown> = { ...hit };
  if (hit.vector !== undefined) out.vector = vectorIn(hit.vector);
  if (hit.vectors !== undefined) out.vectors = hit.vectors.map(vectorIn);
  return out as unknown as Hit;
}

/** Maps arrays; anything else goes to the server as is, to be rejected there with the embedded API's error. */
function mapArray<T>(items: T[], map: (item: T) => unknown): unknown {
  return Array.isArray(items) ? items.map(map) : items;
}

function isPlainObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function statusCode(status: number): 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAVAILABLE' | 'LIMIT_EXCEEDED' | 'IO_ERROR' {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 413 || status === 429) return 'LIMIT_EXCEEDED';
  if (status === 502 || status === 503 || status === 504) return 'UNAVAILABLE';
  return 'IO_ERROR';
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** AbortSignal.any where it exists (Node 20.3+, current browsers), else a small equivalent. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
