/**
 * The HTTP API's request and response bodies as TypeBox schemas: one definition is the server's request
 * validation, the OpenAPI document at /openapi.json and the TypeScript types the client is written
 * against. Named schemas (with an $id) become the document's components; `ref()` points at them.
 *
 * Only the server imports this file at run time. The client imports its types (`import type`), so a
 * browser bundle of the client carries no schema library.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { LIMITS } from '../core/lib/limits.js';

/** A reference to a named schema that keeps its static type. */
export function ref<T extends TSchema>(schema: T): ReturnType<typeof Type.Unsafe<Static<T>>> {
  if (schema.$id === undefined) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

/**
 * Marks an array or string bound as one of the documented limits (docs/limits.md): the server answers
 * a request past it with LIMIT_EXCEEDED naming the limit, as the embedded API does.
 */
export const LIMIT_KEYWORD = 'x-quiver-limit';
function limit(name: string): Record<string, string> {
  return { [LIMIT_KEYWORD]: name };
}

// ---- vectors, records, hits ----

export const VectorF32Schema = Type.Object(
  {
    f32: Type.String({
      contentEncoding: 'base64',
      description: 'Base64 (RFC 4648, with padding) of the vector as little-endian IEEE-754 float32, 4 bytes per component.',
    }),
  },
  { $id: 'VectorF32', additionalProperties: false, description: 'A vector as base64 float32: smaller and faster to parse than a JSON array.' },
);

export const VectorSchema = Type.Union([Type.Array(Type.Number(), { description: 'The components as JSON numbers.' }), ref(VectorF32Schema)], {
  $id: 'Vector',
  description: 'A vector: a JSON array of numbers or { "f32": "<base64 little-endian float32>" }.',
});

export const MetadataSchema = Type.Record(Type.String(), Type.Unknown(), {
  $id: 'Metadata',
  description: `A JSON object (at most ${LIMITS.metadataBytesMax} bytes as JSON, ${LIMITS.metadataDepthMax} levels deep).`,
});

const Key = Type.String({ minLength: 1, description: `A record key: a non-empty string of at most ${LIMITS.keyBytesMax} UTF-8 bytes.` });
const Document = Type.String({ description: `Text stored with the record (at most ${LIMITS.documentBytesMax} UTF-8 bytes).` });

export const RecordInputSchema = Type.Object(
  {
    key: Key,
    // optional: a collection with an embedding function embeds the document of a record without one
    vector: Type.Optional(ref(VectorSchema)),
    vectors: Type.Optional(Type.Array(ref(VectorSchema), { description: 'Multi-vector collections: the record\'s set of token vectors (instead of vector).' })),
    document: Type.Optional(Document),
    metadata: Type.Optional(ref(MetadataSchema)),
  },
  { $id: 'RecordInput', additionalProperties: false },
);

export const UpdateInputSchema = Type.Object(
  {
    key: Key,
    vector: Type.Optional(ref(VectorSchema)),
    vectors: Type.Optional(Type.Array(ref(VectorSchema), { description: 'Multi-vector collections: a new set of token vectors.' })),
    document: Type.Optional(Type.Union([Document, Type.Null()], { description: 'A new document, or null to remove it.' })),
    metadata: Type.Optional(ref(MetadataSchema)),
  },
  { $id: 'UpdateInput', additionalProperties: false, description: 'Metadata is shallow-merged into the stored metadata; a vector or document replaces the stored one.' },
);

export const StoredRecordSchema = Type.Object(
  {
    key: Type.String(),
    vector: Type.Optional(ref(VectorSchema)),
    vectors: Type.Optional(Type.Array(ref(VectorSchema), { description: 'Multi-vector collections: the stored (pooled) token vectors; such records have no vector.' })),
    document: Type.Optional(Type.String()),
    metadata: Type.Optional(ref(MetadataSchema)),
  },
  { $id: 'StoredRecord', additionalProperties: false, description: 'A record as stored (unit length for cosine collections); vector, or vectors in a multi-vector collection.' },
);

export const HitSchema = Type.Object(
  {
    key: Type.String(),
    score: Type.Number({ description: 'Higher is better: cosine similarity, inner product, or negated squared L2.' }),
    distance: Type.Optional(Type.Number({ description: 'Vector queries: lower is better, 1 - cosine, -dot, or squared L2. Keyword and hybrid hits have none (score is BM25 or fused).' })),
    metadata: Type.Optional(ref(MetadataSchema)),
    document: Type.Optional(Type.String()),
    vector: Type.Optional(ref(VectorSchema)),
    vectors: Type.Optional(Type.Array(ref(VectorSchema), { description: "Multi-vector collections with include: ['vector']: the record's token vectors." })),
    chunks: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String(),
            index: Type.Number(),
            score: Type.Number(),
            distance: Type.Optional(Type.Number()),
            start: Type.Number({ description: "UTF-16 offset of the chunk in the document's text." }),
            end: Type.Number(),
            text: Type.String(),
          },
          { additionalProperties: false },
        ),
        { description: "Chunked collections: the document's best chunks, best first." },
      ),
    ),
  },
  { $id: 'Hit', additionalProperties: false },
);

// ---- collections ----

export const MetricSchema = Type.Union([Type.Literal('cosine'), Type.Literal('dot'), Type.Literal('l2')], { $id: 'Metric' });

export const IndexConfigSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('flat'), Type.Literal('hnsw'), Type.Literal('vamana')]),
    connectivity: Type.Optional(Type.Number({ description: 'HNSW M.' })),
    expansionAdd: Type.Optional(Type.Number({ description: 'HNSW efConstruction.' })),
    graphDegree: Type.Optional(Type.Number({ description: 'Vamana R.' })),
    buildWindowSize: Type.Optional(Type.Number({ description: 'Vamana L at build time.' })),
    alpha: Type.Optional(Type.Number({ description: 'Vamana pruning alpha.' })),
    reduce: Type.Optional(
      Type.Object(
        {
          method: Type.Union([Type.Literal('pca'), Type.Literal('leanvec'), Type.Literal('leanvec-ood'), Type.Literal('fft'), Type.Literal('matryoshka')]),
          dimension: Type.Number(),
          trainQueries: Type.Optional(Type.Array(ref(VectorSchema))),
        },
        { additionalProperties: false },
      ),
    ),
    quantize: Type.Optional(Type.String({ description: "'none', 'sq8', 'lvq8', 'lvq4', 'lvq4x8', 'lvq8x8', 'binary', 'rabitq' or 'pq<m>x<bits>'." })),
    rerank: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('float32'), Type.Literal('lvq8')])),
  },
  { $id: 'IndexConfig', additionalProperties: false, description: 'The object form of an index recipe (api.md, "Index configuration").' },
);

export const IndexSpecSchema = Type.Union([Type.String({ description: "A recipe string such as 'Flat', 'HNSW16' or 'Vamana64'." }), ref(IndexConfigSchema)], { $id: 'IndexSpec' });

const ChunkingSchema = Type.Object(
  {
    by: Type.Union([Type.Literal('tokens'), Type.Literal('sentences')]),
    size: Type.Number({ description: 'Tokens (words) per chunk at most.' }),
    overlap: Type.Optional(Type.Number({ description: 'Shared with the previous chunk: tokens, or sentences for by sentences.' })),
  },
  { additionalProperties: false, description: 'Documents are embedded as chunks keyed <key>#<i> (docs/embeddings.md).' },
);

export const CollectionConfigSchema = Type.Object(
  {
    dimension: Type.Optional(Type.Number({ description: `1 to ${LIMITS.dimensionMax}; optional with an embedding function (the model's).` })),
    metric: Type.Optional(ref(MetricSchema)),
    index: Type.Optional(ref(IndexSpecSchema)),
    payloadIndexes: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.Literal('number'), Type.Literal('keyword'), Type.Literal('boolean')]), {
        description: 'Fields indexed for filters from the start, with their types; others are indexed when a filter first names them.',
      }),
    ),
    text: Type.Optional(
      Type.Object(
        {
          stemming: Type.Optional(Type.Union([Type.Literal('english'), Type.Literal('none')])),
          stopWords: Type.Optional(Type.Union([Type.Literal('english'), Type.Literal('none'), Type.Array(Type.String())])),
        },
        { additionalProperties: false, description: 'How documents and query text are analysed for keyword search (default: neither).' },
      ),
    ),
    embedding: Type.Optional(Type.Unknown({ description: 'An EmbeddingConfig (api.md, "Embeddings"): documents without vectors and query text are embedded by the collection.' })),
    chunking: Type.Optional(ChunkingSchema),
    multivector: Type.Optional(Type.Boolean({ description: 'Records carry vectors (sets of token vectors) and queries multivector: MaxSim over MUVERA encodings (docs/multivector.md).' })),
    muvera: Type.Optional(
      Type.Object(
        {
          simhashBits: Type.Optional(Type.Number()),
          projectionDimension: Type.Optional(Type.Number()),
          repetitions: Type.Optional(Type.Number()),
          finalDimension: Type.Optional(Type.Number()),
          fillEmptyBuckets: Type.Optional(Type.Boolean()),
          seed: Type.Optional(Type.Number()),
        },
        { additionalProperties: false, description: 'Multi-vector collections: the MUVERA encoding (k_sim, d_proj, R_reps, d_final).' },
      ),
    ),
    pooling: Type.Optional(Type.Number({ description: 'Multi-vector collections: token pooling factor at ingest (1 = off, 2, 3).' })),
  },
  { $id: 'CollectionConfig', additionalProperties: false },
);

export const CreateCollectionRequestSchema = Type.Composite(
  [
    Type.Object({
      name: Type.String({ description: `1-${LIMITS.collectionNameMax} characters of [A-Za-z0-9_.-], starting with a letter or digit.` }),
      shards: Type.Optional(Type.Integer({ description: 'Cluster only (docs/cluster.md): shards of the collection (default from cluster.shards).' })),
      replicas: Type.Optional(Type.Integer({ description: 'Cluster only: replicas of each shard (default from cluster.replicas).' })),
    }),
    CollectionConfigSchema,
  ],
  { additionalProperties: false },
);

const EmbeddingInfoSchema = Type.Object(
  { config: Type.Unknown({ description: 'The EmbeddingConfig (no secrets: apiKeyEnv names the variable).' }), model: Type.String(), dimension: Type.Number() },
  { additionalProperties: false, description: "The collection's embedding function." },
);

export const CollectionInfoSchema = Type.Object(
  {
    name: Type.String(),
    dimension: Type.Number(),
    metric: ref(MetricSchema),
    index: Type.String({ description: 'The canonical recipe string.' }),
    count: Type.Number(),
    embedding: Type.Optional(EmbeddingInfoSchema),
    chunking: Type.Optional(ChunkingSchema),
    multivector: Type.Optional(Type.Literal(true)),
  },
  { $id: 'CollectionInfo', additionalProperties: false },
);

export const CollectionListSchema = Type.Object({ collections: Type.Array(ref(CollectionInfoSchema)) }, { additionalProperties: false });

export const CollectionStatsSchema = Type.Object(
  {
    name: Type.String(),
    count: Type.Number(),
    dimension: Type.Number(),
    metric: Type.String(),
    index: Type.String(),
    segments: Type.Number(),
    deletedRecords: Type.Number(),
    unindexed: Type.Number({ description: 'Rows stored but not yet in a graph (scanned exactly meanwhile).' }),
    bytesPerVector: Type.Object(
      {
        vectors: Type.Number(),
        codes: Type.Number(),
        graph: Type.Number(),
        rerank: Type.Number(),
        metadata: Type.Number(),
        payloadIndexes: Type.Optional(Type.Number({ description: 'The filter indexes in memory.' })),
        textIndex: Type.Optional(Type.Number({ description: 'The BM25 index in memory.' })),
        total: Type.Number(),
      },
      {
        additionalProperties: false,
        description:
          'Bytes held in memory per live vector, by part: float32 rows that are not re-rank data, traversal codes, the graph, re-rank data (float32 rows, LVQ second levels or LVQ-8 rows), keys/metadata/documents, payload and text indexes.',
      },
    ),
    payloadIndexes: Type.Array(Type.String(), { description: 'Fields with a payload index.' }),
    estimatedRecall: Type.Union([Type.Object({ recallAt10: Type.Number(), sampleSize: Type.Number() }, { additionalProperties: false }), Type.Null()], {
      description: 'Recall@10 of a sample of live approximate queries (default 1 in 100) re-run exactly in the background, over the last sampleSize (at most 200); null before the first.',
    }),
    staleSegments: Type.Optional(Type.Number({ description: 'Segments still following an older index or codebook; the background is converting them.' })),
    compression: Type.Optional(
      Type.Union([
        Type.Object(
          {
            quantizer: Type.String(),
            rerank: Type.String(),
            trained: Type.Boolean(),
            generation: Type.Number(),
            trainingRows: Type.Number(),
            trainingThreshold: Type.Number(),
            driftRatio: Type.Union([Type.Number(), Type.Null()]),
            driftThreshold: Type.Number(),
            reducer: Type.Optional(
              Type.Object(
                {
                  method: Type.String({ description: "The index's reducer: 'pca', 'leanvec', 'leanvec-ood', 'fft' or 'matryoshka'." }),
                  dimension: Type.Number({ description: 'The reduced dimension.' }),
                  fitted: Type.Union([Type.String(), Type.Null()], { description: "The method the trained maps are ('leanvec' for LeanVec-OOD trained without queries); null before training." }),
                  retained: Type.Union([Type.Number(), Type.Null()], { description: "The share of the training sample's energy the map keeps." }),
                  trainQueries: Type.Number({ description: 'Sample queries the maps were fitted with (LeanVec-OOD).' }),
                  queriesHeld: Type.Number({ description: 'Sample queries held in memory for the next training (not persisted).' }),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
    kernel: Type.String(),
    buildThreads: Type.Number(),
    storage: Type.Object(
      { durability: Type.String(), persistent: Type.Boolean(), walBytes: Type.Number(), checkpoints: Type.Number() },
      { additionalProperties: false },
    ),
  },
  { $id: 'CollectionStats', additionalProperties: true, description: 'What the engine reports now; later versions add fields.' },
);

// ---- writes ----

export const UpsertRequestSchema = Type.Object(
  { records: Type.Array(ref(RecordInputSchema), { maxItems: LIMITS.batchRecordsMax, ...limit('batchRecordsMax') }) },
  { additionalProperties: false, description: 'An atomic batch: all records are stored, or none.' },
);

export const UpdateRequestSchema = Type.Object(
  { records: Type.Array(ref(UpdateInputSchema), { maxItems: LIMITS.batchRecordsMax, ...limit('batchRecordsMax') }) },
  { additionalProperties: false },
);

export const WriteResultSchema = Type.Object(
  { count: Type.Number(), sequence: Type.String({ description: 'An opaque token ordering this write among the others.' }) },
  { $id: 'WriteResult', additionalProperties: false },
);

const Keys = Type.Array(Key, { maxItems: LIMITS.batchRecordsMax, ...limit('batchRecordsMax') });

export const DeleteRequestSchema = Type.Union(
  [Type.Object({ keys: Keys }, { additionalProperties: false }), Type.Object({ filter: Type.Unknown({ description: 'A metadata filter (docs/filters.md).' }) }, { additionalProperties: false })],
  { description: 'Keys to delete (missing keys are ignored), or a filter.' },
);

// ---- reads ----

export const GetRequestSchema = Type.Object({ keys: Keys }, { additionalProperties: false });
export const GetResponseSchema = Type.Object(
  { records: Type.Array(Type.Union([ref(StoredRecordSchema), Type.Null()]), { description: 'Aligned with the keys; null where a key does not exist.' }) },
  { additionalProperties: false },
);

export const CountRequestSchema = Type.Object({ filter: Type.Optional(Type.Unknown()) }, { additionalProperties: false });
export const CountResponseSchema = Type.Object({ count: Type.Number() }, { additionalProperties: false });

export const ScanRequestSchema = Type.Object(
  {
    filter: Type.Optional(Type.Unknown()),
    batchSize: Type.Optional(Type.Number({ description: `Records per page, 1 to ${LIMITS.scanBatchMax} (default 1,000). Only on the first call.` })),
    cursor: Type.Optional(Type.String({ description: 'The cursor of the previous page; absent on the first call.' })),
  },
  { additionalProperties: false },
);
export const ScanResponseSchema = Type.Object(
  {
    records: Type.Array(ref(StoredRecordSchema)),
    cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass it to get the next page; null when the scan is complete.' }),
  },
  { additionalProperties: false },
);

export const IncludeFieldSchema = Type.Union([Type.Literal('metadata'), Type.Literal('document'), Type.Literal('vector')]);

export const QueryRequestSchema = Type.Object(
  {
    vector: Type.Optional(ref(VectorSchema)),
    multivector: Type.Optional(Type.Array(ref(VectorSchema), { description: 'Multi-vector collections: the query\'s set of vectors, scored by MaxSim (docs/multivector.md).' })),
    k: Type.Optional(Type.Number({ description: `1 to ${LIMITS.kMax} (default 10).` })),
    filter: Type.Optional(Type.Unknown({ description: 'A metadata filter (docs/filters.md).' })),
    include: Type.Optional(Type.Array(IncludeFieldSchema)),
    search: Type.Optional(
      Type.Object(
        {
          ef: Type.Optional(Type.Number({ description: 'Beam width of graph searches.' })),
          candidates: Type.Optional(Type.Number({ description: 'Multi-vector collections: candidates re-ranked by exact MaxSim (default 100, at least k).' })),
        },
        { additionalProperties: false },
      ),
    ),
    minScore: Type.Optional(Type.Number()),
    consistency: Type.Optional(Type.Union([Type.Literal('eventual'), Type.Literal('read-your-writes')])),
    sequence: Type.Optional(Type.String({ maxLength: 8192, description: "read-your-writes: the write token to wait for (a write's `sequence`; Quiver's client sends it)." })),
    text: Type.Optional(Type.String({ description: 'Keyword text: BM25 over the documents; with a vector, hybrid search (docs/text.md).' })),
    mode: Type.Optional(Type.Union([Type.Literal('keyword'), Type.Literal('vector'), Type.Literal('hybrid')])),
    fusion: Type.Optional(Type.Unknown({ description: "Hybrid queries: 'rrf' or { weights: { vector, keyword } }; default: weights vector 0.13, keyword 0.87 (docs/text.md)." })),
    group: Type.Optional(Type.Boolean({ description: 'Chunked collections: false returns chunk records instead of one hit per document.' })),
    chunks: Type.Optional(Type.Number({ description: 'Chunked collections: best chunks per document hit (default 3).' })),
  },
  { $id: 'QueryRequest', additionalProperties: false },
);

export const QueryResponseSchema = Type.Object({ hits: Type.Array(ref(HitSchema)) }, { additionalProperties: false });

export const QueryManyRequestSchema = Type.Object(
  { queries: Type.Array(ref(QueryRequestSchema), { maxItems: LIMITS.queryManyMax, ...limit('queryManyMax') }) },
  { additionalProperties: false },
);
export const QueryManyResponseSchema = Type.Object({ results: Type.Array(Type.Object({ hits: Type.Array(ref(HitSchema)) }, { additionalProperties: false })) }, { additionalProperties: false });

export const QueryPlanSchema = Type.Object(
  {
    strategy: Type.String({ description: "'exact' | 'graph' | 'filtered-graph' | 'keyword' | 'hybrid'." }),
    segments: Type.Number(),
    scanned: Type.Number({ description: 'Rows scored one by one rather than through a graph (on their codes, in a quantized collection).' }),
    ef: Type.Optional(Type.Number()),
    scoresAreEstimates: Type.Boolean({ description: 'True when some scores are code distances (a quantized index without re-rank data).' }),
    kernel: Type.String(),
    index: Type.String(),
    reducer: Type.Optional(Type.String({ description: "Collections with a reducer: its recipe token ('PCA192'); the graph traversed reduced rows." })),
    quantizer: Type.Optional(Type.String({ description: 'Quantized collections: the quantizer of the codes searched.' })),
    rerank: Type.Optional(Type.String({ description: "What candidates are re-ranked on: 'float32', 'lvq8' or 'none'." })),
    candidates: Type.Optional(Type.Number({ description: 'Candidates taken from the codes, over all segments.' })),
    reranked: Type.Optional(Type.Number({ description: 'Candidates re-scored on the re-rank data.' })),
  },
  { $id: 'QueryPlan', additionalProperties: true },
);
export const ExplainResponseSchema = Type.Object({ plan: ref(QueryPlanSchema), hits: Type.Array(ref(HitSchema)) }, { additionalProperties: false });

/** How vectors come back in responses: JSON arrays (default) or base64 float32. */
export const VectorsQuerySchema = Type.Object(
  { vectors: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('f32')], { description: 'How returned vectors are encoded (default json).' })) },
  { additionalProperties: false },
);

// ---- maps (the console's map page) ----

export const MapRequestSchema = Type.Object(
  {
    k: Type.Optional(Type.Number({ description: `Neighbours per point in the k-NN graph the layout is computed from (default 15, at most ${LIMITS.mapNeighborsMax}).` })),
    sample: Type.Optional(Type.Number({ description: `Points at most; larger collections are sampled, seeded and uniform (default and maximum ${LIMITS.mapPointsMax}).` })),
    seed: Type.Optional(Type.Number({ description: 'Seed of the sample, the graph and the layout (0 to 2^32 - 1, default 1): the same seed over the same records gives the same map.' })),
    epochs: Type.Optional(Type.Number({ description: `SGD epochs (default: chosen from the graph's size; at most ${LIMITS.mapEpochsMax}).` })),
    include: Type.Optional(Type.Array(Type.Literal('metadata'), { description: "['metadata'] returns each point's metadata." })),
    topics: Type.Optional(Type.Number({ description: `Clusters to find (k-means on the vectors) and label with the distinctive terms of their documents (at most ${LIMITS.mapTopicsMax}; default none).` })),
  },
  { $id: 'MapRequest', additionalProperties: false },
);

export const MapResponseSchema = Type.Object(
  {
    keys: Type.Array(Type.String(), { description: 'The records laid out.' }),
    coordinates: Type.Union([Type.Array(Type.Number()), ref(VectorF32Schema)], { description: '(x, y) per key, interleaved, centred and scaled into [-1, 1]; base64 float32 with ?vectors=f32.' }),
    pca: Type.Union([Type.Array(Type.Number()), ref(VectorF32Schema)], { description: 'The PCA projection of the same points, scaled the same way (the baseline).' }),
    metadata: Type.Optional(Type.Array(Type.Union([ref(MetadataSchema), Type.Null()]), { description: 'Aligned with keys, when include has metadata.' })),
    count: Type.Number({ description: 'Live records in the collection when the map was made.' }),
    neighbors: Type.Object(
      {
        k: Type.Number(),
        source: Type.Union([Type.Literal('index'), Type.Literal('sample-graph')], { description: "'index': the collection's own graph; 'sample-graph': a transient HNSW over the sample." }),
        ef: Type.Number(),
      },
      { additionalProperties: false },
    ),
    epochs: Type.Number(),
    seed: Type.Number(),
    preservation: Type.Union(
      [
        Type.Object(
          {
            k: Type.Number(),
            layout: Type.Number({ description: "Mean share of each evaluated point's k exact nearest neighbours that are among its k nearest on the map." }),
            pca: Type.Number({ description: 'The same figure for the PCA projection.' }),
            evaluated: Type.Number({ description: 'Points the figure is averaged over.' }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'k-NN preservation of the layout and of PCA (null below 3 points).' },
    ),
    topics: Type.Optional(
      Type.Object(
        {
          assignments: Type.Array(Type.Number(), { description: "Each point's topic id, aligned with keys." }),
          topics: Type.Array(
            Type.Object(
              {
                id: Type.Number(),
                size: Type.Number({ description: 'Points in the topic.' }),
                terms: Type.Array(Type.String(), { description: "The most distinctive terms of the topic's documents (class-based TF-IDF), best first." }),
              },
              { additionalProperties: false },
            ),
            { description: 'Largest first.' },
          ),
        },
        { additionalProperties: false, description: 'When topics were asked for.' },
      ),
    ),
  },
  { $id: 'MapResponse', additionalProperties: false },
);

// ---- Quiver Papers (docs/papers.md) ----

export const PaperInputSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, description: "The record key; default: the title's slug (lower-case, runs of other characters than a-z0-9 become '-')." })),
    title: Type.String({ minLength: 1 }),
    abstract: Type.String({ minLength: 1 }),
  },
  { $id: 'PaperInput', additionalProperties: false },
);

export const AddPapersRequestSchema = Type.Object(
  { papers: Type.Array(ref(PaperInputSchema), { minItems: 1, description: 'Added (or replaced, by id) with addedAt = now; embedded with the collection\'s model.' }) },
  { $id: 'AddPapersRequest', additionalProperties: false },
);

export const PapersInfoSchema = Type.Object(
  {
    collection: Type.String({ description: 'The collection holding the papers.' }),
    count: Type.Number({ description: 'Papers in it.' }),
  },
  { $id: 'PapersInfo', additionalProperties: true },
);

export const AddPapersResponseSchema = Type.Object(
  {
    ids: Type.Array(Type.String(), { description: "The papers' record keys, in order." }),
    count: Type.Number(),
    sequence: Type.String({ description: 'The write token of the last batch.' }),
  },
  { $id: 'AddPapersResponse', additionalProperties: false },
);

// ---- maintenance ----

export const OptimizeRequestSchema = Type.Object(
  { trainQueries: Type.Optional(Type.Array(ref(VectorSchema), { description: 'Sample queries for a LeanVec-OOD reducer.' })) },
  { additionalProperties: false },
);
export const ReindexRequestSchema = Type.Object({ index: ref(IndexSpecSchema) }, { additionalProperties: false });
export const EmptySchema = Type.Object({}, { additionalProperties: false });

export const BackupRequestSchema = Type.Object(
  { name: Type.String({ description: 'A directory name under the server\'s backupDir ([A-Za-z0-9][A-Za-z0-9_.-]*); never a path.' }) },
  { additionalProperties: false },
);
export const BackupResponseSchema = Type.Object({ name: Type.String() }, { additionalProperties: false });

export const EmbeddingsRequestSchema = Type.Object(
  {
    input: Type.Union([Type.String(), Type.Array(Type.String())]),
    model: Type.Optional(Type.String()),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    dimensions: Type.Optional(Type.Number()),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false, description: 'OpenAI-compatible: POST /v1/embeddings.' },
);
export const EmbeddingsResponseSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(Type.Object({ object: Type.Literal('embedding'), index: Type.Number(), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) })),
    model: Type.String(),
    usage: Type.Object({ prompt_tokens: Type.Number(), total_tokens: Type.Number() }),
  },
  { additionalProperties: false },
);

// ---- errors, health ----

export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable, SCREAMING_SNAKE (docs/errors.md).' }),
        category: Type.String({ description: 'invalid_argument, unauthorized, forbidden, not_found, conflict, limit_exceeded, corruption, unavailable, timeout, io, unsupported.' }),
        message: Type.String({ description: 'What was wrong and what to do.' }),
        details: Type.Record(Type.String(), Type.Unknown()),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ErrorBody', additionalProperties: false },
);

export const HealthSchema = Type.Object({ status: Type.String() }, { additionalProperties: false });

export const CollectionParamsSchema = Type.Object({ name: Type.String() });

/** Every named schema, for the server to register (and the OpenAPI document to list) in this order. */
export const NAMED_SCHEMAS: TSchema[] = [
  VectorF32Schema,
  VectorSchema,
  MetadataSchema,
  RecordInputSchema,
  UpdateInputSchema,
  StoredRecordSchema,
  HitSchema,
  MetricSchema,
  IndexConfigSchema,
  IndexSpecSchema,
  CollectionConfigSchema,
  CollectionInfoSchema,
  CollectionStatsSchema,
  WriteResultSchema,
  QueryRequestSchema,
  QueryPlanSchema,
  MapRequestSchema,
  MapResponseSchema,
  PaperInputSchema,
  AddPapersRequestSchema,
  AddPapersResponseSchema,
  PapersInfoSchema,
  ErrorBodySchema,
];

// ---- wire types ----

export type WireVector = Static<typeof VectorSchema>;
export type WireRecordInput = Static<typeof RecordInputSchema>;
export type WireUpdateInput = Static<typeof UpdateInputSchema>;
export type WireStoredRecord = Static<typeof StoredRecordSchema>;
export type WireHit = Static<typeof HitSchema>;
export type WireQueryRequest = Static<typeof QueryRequestSchema>;
export type WireIndexConfig = Static<typeof IndexConfigSchema>;
export type WireCollectionConfig = Static<typeof CollectionConfigSchema>;
export type CollectionInfoBody = Static<typeof CollectionInfoSchema>;
export type CollectionStatsBody = Static<typeof CollectionStatsSchema>;
export type QueryPlanBody = Static<typeof QueryPlanSchema>;
export type WriteResultBody = Static<typeof WriteResultSchema>;
export type ErrorBodyType = Static<typeof ErrorBodySchema>;
export type ScanResponseBody = Static<typeof ScanResponseSchema>;
export type GetResponseBody = Static<typeof GetResponseSchema>;
export type QueryResponseBody = Static<typeof QueryResponseSchema>;
export type QueryManyResponseBody = Static<typeof QueryManyResponseSchema>;
export type ExplainResponseBody = Static<typeof ExplainResponseSchema>;
export type CollectionListBody = Static<typeof CollectionListSchema>;
export type CountResponseBody = Static<typeof CountResponseSchema>;
export type BackupResponseBody = Static<typeof BackupResponseSchema>;
export type MapRequestBody = Static<typeof MapRequestSchema>;
export type MapResponseBody = Static<typeof MapResponseSchema>;
export type PaperInputBody = Static<typeof PaperInputSchema>;
export type PapersInfoBody = Static<typeof PapersInfoSchema>;
export type AddPapersResponseBody = Static<typeof AddPapersResponseSchema>;
