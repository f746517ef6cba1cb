/**
 * /v1/collections and everything under a collection: each route calls the embedded method of the same
 * name and answers with its result in wire form. Validation beyond the schema's shapes (dimensions,
 * finiteness, limits, existence) is the embedded API's, so the errors are the same in-process and over HTTP.
 */
import type { CollectionConfig, CollectionStats, IndexConfig, RecordInput, UpdateInput } from '../../index.js';
import { QuiverError } from '../../protocol/errors.js';
import {
  CollectionInfoSchema,
  CollectionListSchema,
  CollectionParamsSchema,
  CollectionStatsSchema,
  CountRequestSchema,
  CountResponseSchema,
  CreateCollectionRequestSchema,
  DeleteRequestSchema,
  EmptySchema,
  ErrorBodySchema,
  ExplainResponseSchema,
  GetRequestSchema,
  GetResponseSchema,
  MapRequestSchema,
  MapResponseSchema,
  OptimizeRequestSchema,
  QueryManyRequestSchema,
  QueryManyResponseSchema,
  QueryRequestSchema,
  QueryResponseSchema,
  ReindexRequestSchema,
  ScanRequestSchema,
  ScanResponseSchema,
  UpdateRequestSchema,
  UpsertRequestSchema,
  VectorsQuerySchema,
  WriteResultSchema,
  ref,
} from '../../protocol/schemas.js';
import type { CollectionInfoBody } from '../../protocol/schemas.js';
import { vectorFromWire } from '../../protocol/vectors.js';
import type { App, ServerContext } from '../context.js';
import { hitsToWire, mapToWire, queryFromWire, recordToWire, vectorsFromWire } from '../wire.js';

const errors = { default: ref(ErrorBodySchema) };
const tags = ['collections'];

export function collectionRoutes(app: App, ctx: ServerContext): void {
  const { db } = ctx;
  const read = { access: 'read' as const };
  const write = { access: 'write' as const };

  app.post('/v1/collections', {
    config: write,
    schema: {
      tags,
      operationId: 'createCollection',
      summary: 'Create a collection (db.createCollection)',
      body: CreateCollectionRequestSchema,
      response: { 201: ref(CollectionInfoSchema), ...errors },
    },
    handler: async (request, reply) => {
      const { name, ...config } = request.body;
      if (config.index !== undefined) config.index = indexFromWire(config.index) as typeof config.index;
      const collection = await db.createCollection(name, config as CollectionConfig);
      return reply.code(201).send(infoOf(await collection.stats()));
    },
  });

  app.get('/v1/collections', {
    config: read,
    schema: { tags, operationId: 'listCollections', summary: 'List collections (db.listCollections)', response: { 200: CollectionListSchema, ...errors } },
    handler: async () => ({ collections: await db.listCollections() }),
  });

  app.get('/v1/collections/:name', {
    config: read,
    schema: { tags, operationId: 'getCollection', summary: "A collection's name, dimension, metric, index and count", params: CollectionParamsSchema, response: { 200: ref(CollectionInfoSchema), ...errors } },
    handler: async (request) => {
      return infoOf(await db.collection(request.params.name).stats());
    },
  });

  app.delete('/v1/collections/:name', {
    config: write,
    schema: { tags, operationId: 'dropCollection', summary: 'Drop a collection and its records (db.dropCollection)', params: CollectionParamsSchema, response: { 200: EmptySchema, ...errors } },
    handler: async (request) => {
      await db.dropCollection(request.params.name);
      return {};
    },
  });

  app.post('/v1/collections/:name/upsert', {
    config: write,
    schema: { tags: ['records'], operationId: 'upsert', summary: 'Insert or replace records, atomically (collection.upsert)', params: CollectionParamsSchema, body: UpsertRequestSchema, response: { 200: ref(WriteResultSchema), ...errors } },
    handler: async (request) => {
      const records = request.body.records.map((r, index) => {
        const decoded = r.vector === undefined ? r : { ...r, vector: vectorFromWire(r.vector, { index, key: r.key }) };
        return r.vectors === undefined ? decoded : { ...decoded, vectors: vectorsFromWire(r.vectors, { index, key: r.key, field: 'vectors' }) };
      });
      return db.collection(request.params.name).upsert(records as RecordInput[]);
    },
  });

  app.post('/v1/collections/:name/update', {
    config: write,
    schema: { tags: ['records'], operationId: 'update', summary: 'Change parts of existing records (collection.update)', params: CollectionParamsSchema, body: UpdateRequestSchema, response: { 200: ref(WriteResultSchema), ...errors } },
    handler: async (request) => {
      const updates = request.body.records.map((u, index) => {
        const decoded = u.vector === undefined ? u : { ...u, vector: vectorFromWire(u.vector, { index, key: u.key }) };
        return u.vectors === undefined ? decoded : { ...decoded, vectors: vectorsFromWire(u.vectors, { index, key: u.key, field: 'vectors' }) };
      });
      return db.collection(request.params.name).update(updates as UpdateInput[]);
    },
  });

  app.post('/v1/collections/:name/get', {
    config: read,
    schema: { tags: ['records'], operationId: 'get', summary: 'Records by key (collection.get)', params: CollectionParamsSchema, querystring: VectorsQuerySchema, body: GetRequestSchema, response: { 200: GetResponseSchema, ...errors } },
    handler: async (request) => {
      const encoding = request.query.vectors ?? 'json';
      const records = await db.collection(request.params.name).get(request.body.keys);
      return { records: records.map((r) => (r === null ? null : recordToWire(r, encoding))) };
    },
  });

  app.post('/v1/collections/:name/delete', {
    config: write,
    schema: { tags: ['records'], operationId: 'delete', summary: 'Delete records by key or filter (collection.delete)', params: CollectionParamsSchema, body: DeleteRequestSchema, response: { 200: ref(WriteResultSchema), ...errors } },
    handler: async (request) => {
      const body = request.body;
      return db.collection(request.params.name).delete('keys' in body ? body.keys : { filter: body.filter });
    },
  });

  app.post('/v1/collections/:name/count', {
    config: { ...read, optionalBody: true },
    schema: { tags: ['records'], operationId: 'count', summary: 'Count records (collection.count)', params: CollectionParamsSchema, body: CountRequestSchema, response: { 200: CountResponseSchema, ...errors } },
    handler: async (request) => {
      const filter = request.body.filter;
      return { count: await db.collection(request.params.name).count(filter === undefined ? undefined : { filter }) };
    },
  });

  app.post('/v1/collections/:name/scan', {
    config: { ...read, optionalBody: true },
    schema: {
      tags: ['records'],
      operationId: 'scan',
      summary: 'Read every record, page by page (collection.scan)',
      description: 'The first call (no cursor) starts a scan of the keys as of that moment; pass the returned cursor to get the next page until it is null.',
      params: CollectionParamsSchema,
      querystring: VectorsQuerySchema,
      body: ScanRequestSchema,
      response: { 200: ScanResponseSchema, ...errors },
    },
    handler: async (request) => {
      const encoding = request.query.vectors ?? 'json';
      const { name } = request.params;
      const { cursor, ...options } = request.body;
      let page;
      if (cursor === undefined) page = await ctx.cursors.start(name, db.collection(name).scan(options));
      else {
        if (Object.keys(options).length > 0) {
          throw new QuiverError('INVALID_ARGUMENT', 'A scan page request with a cursor takes nothing else: filter and batchSize belong to the first request.', { fields: Object.keys(options) });
        }
        page = await ctx.cursors.next(name, cursor);
      }
      return { records: page.records.map((r) => recordToWire(r, encoding)), cursor: page.cursor };
    },
  });

  app.post('/v1/collections/:name/query', {
    config: read,
    schema: { tags: ['queries'], operationId: 'query', summary: 'The k nearest records (collection.query)', params: CollectionParamsSchema, querystring: VectorsQuerySchema, body: ref(QueryRequestSchema), response: { 200: QueryResponseSchema, ...errors } },
    handler: async (request) => {
      const hits = await db.collection(request.params.name).query(queryFromWire(request.body));
      return { hits: hitsToWire(hits, request.query.vectors ?? 'json') };
    },
  });

  app.post('/v1/collections/:name/query-many', {
    config: read,
    schema: { tags: ['queries'], operationId: 'queryMany', summary: 'Several queries, results in order (collection.queryMany)', params: CollectionParamsSchema, querystring: VectorsQuerySchema, body: QueryManyRequestSchema, response: { 200: QueryManyResponseSchema, ...errors } },
    handler: async (request) => {
      const encoding = request.query.vectors ?? 'json';
      const results = await db.collection(request.params.name).queryMany(request.body.queries.map((q, index) => queryFromWire(q, { index })));
      return { results: results.map((hits) => ({ hits: hitsToWire(hits, encoding) })) };
    },
  });

  app.post('/v1/collections/:name/explain', {
    config: read,
    schema: { tags: ['queries'], operationId: 'explain', summary: 'The hits and how they were found (collection.explain)', params: CollectionParamsSchema, querystring: VectorsQuerySchema, body: ref(QueryRequestSchema), response: { 200: ExplainResponseSchema, ...errors } },
    handler: async (request) => {
      const { plan, hits } = await db.collection(request.params.name).explain(queryFromWire(request.body));
      return { plan, hits: hitsToWire(hits, request.query.vectors ?? 'json') };
    },
  });

  app.post('/v1/collections/:name/map', {
    config: { ...read, optionalBody: true },
    schema: {
      tags,
      operationId: 'map',
      summary: "A 2-D map of the collection from its k-NN graph, with its 10-NN preservation vs PCA (collection.map)",
      description:
        'Lays out up to `sample` records (a seeded sample of larger collections) with a LargeVis/UMAP-style layout of Quiver\'s k-NN graph. Takes seconds for tens of thousands of points; the server keeps answering other requests meanwhile, and stops the job when the client disconnects.',
      params: CollectionParamsSchema,
      querystring: VectorsQuerySchema,
      body: ref(MapRequestSchema),
      response: { 200: ref(MapResponseSchema), ...errors },
    },
    handler: async (request, reply) => {
      // a client that goes away (the console's Cancel) stops the job at its next slice
      const controller = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) controller.abort('the client disconnected');
      };
      reply.raw.on('close', onClose);
      try {
        const map = await db.collection(request.params.name).map({ ...request.body, signal: controller.signal } as Parameters<ReturnType<typeof db.collection>['map']>[0]);
        return mapToWire(map, request.query.vectors ?? 'json');
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  });

  app.get('/v1/collections/:name/stats', {
    config: read,
    schema: { tags, operationId: 'stats', summary: 'What the engine reports about a collection now (collection.stats)', params: CollectionParamsSchema, response: { 200: ref(CollectionStatsSchema), ...errors } },
    handler: async (request) => db.collection(request.params.name).stats(),
  });

  app.post('/v1/collections/:name/optimize', {
    config: { ...write, optionalBody: true },
    schema: { tags, operationId: 'optimize', summary: 'Compact segments and checkpoint now (collection.optimize)', params: CollectionParamsSchema, body: OptimizeRequestSchema, response: { 200: EmptySchema, ...errors } },
    handler: async (request) => {
      const trainQueries = request.body.trainQueries?.map((v, index) => vectorFromWire(v, { field: 'trainQueries', index }));
      await db.collection(request.params.name).optimize(trainQueries === undefined ? {} : { trainQueries });
      return {};
    },
  });

  app.post('/v1/collections/:name/reindex', {
    config: write,
    schema: { tags, operationId: 'reindex', summary: "Change a collection's index online (collection.reindex)", params: CollectionParamsSchema, body: ReindexRequestSchema, response: { 200: EmptySchema, ...errors } },
    handler: async (request) => {
      await db.collection(request.params.name).reindex(indexFromWire(request.body.index) as string | IndexConfig);
      return {};
    },
  });
}

/** An index spec with LeanVec-OOD's sample queries (reduce.trainQueries) decoded from wire vectors. */
function indexFromWire(index: unknown): unknown {
  if (typeof index !== 'object' || index === null || !('reduce' in index)) return index;
  const reduce = (index as { reduce?: { trainQueries?: unknown[] } }).reduce;
  if (!Array.isArray(reduce?.trainQueries)) return index;
  return { ...index, reduce: { ...reduce, trainQueries: reduce.trainQueries.map((v, i) => vectorFromWire(v, { field: 'index.reduce.trainQueries', index: i })) } };
}

/** A collection's entry as listCollections gives it, from its stats. */
function infoOf(stats: CollectionStats): CollectionInfoBody {
  const info: CollectionInfoBody = { name: stats.name, dimension: stats.dimension, metric: stats.metric as CollectionInfoBody['metric'], index: stats.index, count: stats.count };
  if (stats.embedding) info.embedding = stats.embedding;
  if (stats.chunking) info.chunking = stats.chunking;
  return info;
}
