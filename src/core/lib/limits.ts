/**
 * Every limit Quiver enforces, in one place (docs/limits.md mirrors this file). Exceeding one is a
 * LIMIT_EXCEEDED QuiverError that names the limit, the value received and the maximum.
 */
export const LIMITS = {
  /** Vector dimension. Covers every common embedding model (up to 4,096-d LLM embedders) with room. */
  dimensionMax: 16_384,
  /** Records in one upsert / update / delete / get call. */
  batchRecordsMax: 10_000,
  /** UTF-8 bytes in a record key. */
  keyBytesMax: 512,
  /** UTF-8 bytes of a record's metadata, serialised as JSON. */
  metadataBytesMax: 64 * 1024,
  /** UTF-8 bytes of a record's document text. */
  documentBytesMax: 1024 * 1024,
  /** Nesting depth of metadata values. */
  metadataDepthMax: 32,
  /** k in a query. */
  kMax: 10_000,
  /** Queries in one queryMany call. */
  queryManyMax: 1_000,
  /**
   * Collections in one database. Each holds at least one WebAssembly memory, and a runtime reserves
   * address space per memory (V8: ~8 GiB each), so thousands of them exhaust a 47-bit address space.
   */
  collectionsMax: 1_000,
  /** Characters in a collection name ([A-Za-z0-9][A-Za-z0-9_.-]*). */
  collectionNameMax: 64,
  /** Records in one scan batch. */
  scanBatchMax: 10_000,
  /**
   * Points in a collection map (map({ sample })): larger collections are sampled. A map of this many
   * points takes seconds of CPU (docs/console.md has the figures) and ~1 MB of coordinates.
   */
  mapPointsMax: 50_000,
  /** Neighbours per point in a map's k-NN graph (map({ k })). */
  mapNeighborsMax: 100,
  /** SGD epochs of a map's layout (map({ epochs })). */
  mapEpochsMax: 2_000,
  /** Topics (k-means clusters, labelled by their terms) of a map (map({ topics })). */
  mapTopicsMax: 64,
  /** Nesting of logical operators ($and, $or, $nor, $not) in a filter. Bounds recursion on untrusted input. */
  filterDepthMax: 16,
  /** Conditions (field operators and logical operators) in one filter. */
  filterConditionsMax: 1_024,
  /** Values in all the $in / $nin lists of one filter together. */
  filterValuesMax: 10_000,
  /** Dotted segments in a filter's field path (metadata nests at most metadataDepthMax levels). */
  filterPathSegmentsMax: 32,
  /** Fields with a payload index in one collection (declared or created on demand by filters). */
  payloadIndexesMax: 64,
  /** UTF-8 bytes of a query's text. */
  queryTextBytesMax: 16 * 1024,
} as const;

/** A segment's vectors live in one WebAssembly.Memory (wasm32: 4 GiB at most); sealing well below. */
export const SEGMENT_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024;
export const SEGMENT_BYTES_MAX_LIMIT = 2 * 1024 * 1024 * 1024;
