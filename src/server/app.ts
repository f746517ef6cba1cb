/**
 * The HTTP server as a fastify application: JSON routes under /v1 that mirror the embedded API,
 * request validation and the OpenAPI document from one set of TypeBox schemas, API keys with roles,
 * CORS, rate and size limits, Prometheus metrics, pino logs, and the web console's static files at /.
 * See docs/server.md and ADR 0004 for the choices.
 */
import { isUtf8 } from 'node:buffer';
import { existsSync } from 'node:fs';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Quiver } from '../index.js';
import { QuiverError } from '../protocol/errors.js';
import { LIMIT_KEYWORD, NAMED_SCHEMAS } from '../protocol/schemas.js';
import { KeyRing, type Principal } from './auth.js';
import type { ServerConfig } from './config.js';
import type { App, ServerContext } from './context.js';
import { ServerEmbedder } from './embedder.js';
import { sendError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { PACKAGE_VERSION, bundledConsoleDir } from './package-info.js';
import { PapersDigest } from './papers-digest.js';
import { collectionRoutes } from './routes/collections.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { papersRoutes } from './routes/papers.js';
import { papersDigestRoutes } from './routes/papers-digest.js';
import { systemRoutes } from './routes/system.js';
import { ScanCursors } from './scan-cursors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request was admitted with (null: no keys configured, or a public route). */
    principal: Principal | null;
  }
}

export interface BuildAppOptions {
  db: Quiver;
  config: ServerConfig;
  /** fastify's logger option (pino options, or false); default: pino at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** A pino logger to use instead (for example the CLI's). */
  loggerInstance?: FastifyBaseLogger;
}

export interface QuiverApp {
  app: App;
  context: ServerContext;
}

export async function buildApp(options: BuildAppOptions): Promise<QuiverApp> {
  const { db, config } = options;
  const keys = new KeyRing(config.apiKeys);
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? { level: config.logLevel, redact: ['req.headers.authorization'] } }),
    bodyLimit: config.limits.bodyBytesMax,
    trustProxy: config.trustProxy,
    return503OnClosing: false,
    // Errors the router raises before a route is chosen (a malformed or overlong URL) get the same JSON form.
    frameworkErrors: (error, _request, reply) => sendError(reply, routerError(error), config.limits.bodyBytesMax),
    forceCloseConnections: 'idle',
    ajv: {
      // Strict: no type coercion ("10" is not 10), nothing silently removed or defaulted; the limit
      // annotation is a known keyword, and `verbose` lets errors name the limit they hit.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true, keywords: [LIMIT_KEYWORD] },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const context: ServerContext = {
    db,
    config,
    cursors: new ScanCursors(config.limits.scanCursorsMax, config.limits.scanCursorIdleMs),
    metrics: new ServerMetrics(),
    embedder: new ServerEmbedder(config.embedding),
    digest: new PapersDigest(db, config, app.log),
    closing: false,
  };
  app.addHook('onClose', () => context.embedder.close());

  // Responses are plain JSON.stringify: a response schema documents the body (and the tests check every
  // response against it) but never silently drops a field the engine returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON bodies: UTF-8 only (RFC 8259) so that no key or text is silently altered by replacement
  // characters, and an empty body is no body (routes whose body is optional treat it as {}).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    const bytes = raw as Buffer;
    if (!isUtf8(bytes)) {
      done(new QuiverError('INVALID_ARGUMENT', 'The request body is not valid UTF-8; JSON bodies are UTF-8 text.', {}), undefined);
      return;
    }
    if (isBlank(bytes)) {
      done(null, undefined);
      return;
    }
    const text = bytes.toString('utf8');
    // Query bodies are mostly numbers (16 KB for a 768-d vector): when no key could be __proto__ or
    // constructor, spelled out or escaped, plain JSON.parse is safe and skips the poisoning scans.
    if (text.indexOf('proto') === -1 && text.indexOf('constructor') === -1 && text.indexOf('\\u') === -1) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        parseJson(request, text, done); // the default parser's error, for the same message and status
        return;
      }
      done(null, body);
    } else parseJson(request, text, done);
  });
  const optionalBodies = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.config?.optionalBody) optionalBodies.add(`${String(route.method).toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.config.optionalBody) request.body = {};
  });
  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);
  app.decorateRequest('principal', null);

  app.setErrorHandler((error, _request, reply) => sendError(reply, error, config.limits.bodyBytesMax));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new QuiverError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}. The routes are listed in /openapi.json (and at /docs).`, { method: request.method }), config.limits.bodyBytesMax),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (context.closing) {
      reply.header('connection', 'close');
      throw new QuiverError('UNAVAILABLE', 'The server is shutting down; retry in a moment or against another instance.', {});
    }
    // CORS preflights carry no credentials (the cors plugin answers them); unknown routes answer 404.
    if (request.method === 'OPTIONS' || request.routeOptions.url === undefined) return;
    request.principal = keys.authorize(request, request.routeOptions.config.access ?? 'admin');
  });
  // During shutdown a response ends its connection, so that keep-alive clients do not hold the close open.
  app.addHook('onSend', async (_request, reply) => {
    if (context.closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    context.metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  if (config.cors !== false) {
    await app.register(cors, { origin: config.cors, methods: ['GET', 'POST', 'DELETE'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600 });
  }
  if (config.limits.requestsPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.limits.requestsPerMinute,
      timeWindow: 60_000,
      hook: 'preParsing',
      keyGenerator: (request) => request.principal?.id ?? request.ip,
      allowList: (request) => request.routeOptions.config.access === 'public',
      errorResponseBuilder: (_request, limit) =>
        new QuiverError('LIMIT_EXCEEDED', `More than ${limit.max} requests in a minute (limits.requestsPerMinute); retry after ${limit.after}.`, {
          limit: 'requestsPerMinute',
          maximum: limit.max,
          retryAfterMs: limit.ttl,
        }),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Quiver',
        version: PACKAGE_VERSION,
        description: 'The HTTP API of the Quiver vector database: every route mirrors a method of the embedded API. Errors are { "error": { code, category, message, details } } (docs/errors.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key> (when the server has keys configured).' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'collections', description: 'Collections (db.createCollection, listCollections, dropCollection, collection.stats, optimize, reindex)' },
        { name: 'records', description: 'Records (upsert, update, get, delete, count, scan)' },
        { name: 'queries', description: 'Nearest-neighbour queries (query, queryMany, explain)' },
        { name: 'system', description: 'Health, metrics, this document, backups, embeddings' },
        { name: 'papers', description: "The Quiver Papers app, when the server runs it (papers.enabled; docs/papers.md): papers, digest subscriptions, unsubscribe links, digest runs" },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      for (const [path, operations] of Object.entries(openapiObject.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations as Record<string, { requestBody?: { required?: boolean } }>)) {
          if (operation.requestBody && optionalBodies.has(`${method} ${path}`)) operation.requestBody.required = false;
        }
      }
      return openapiObject;
    },
  });

  systemRoutes(app, context);
  collectionRoutes(app, context);
  embeddingRoutes(app, context);
  if (config.papers.enabled) {
    papersRoutes(app, context);
    await papersDigestRoutes(app, context);
  }

  // The documentation page: public assets would be harmless, but api.md keeps everything but health and
  // the console behind a key, so it needs a read key like /openapi.json.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'read' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json', deepLinking: false } });
  });

  const consoleDir = config.consoleDir === undefined ? bundledConsoleDir() : config.consoleDir === '' ? null : config.consoleDir;
  if (consoleDir !== null && existsSync(consoleDir)) {
    await app.register(async (site) => {
      site.addHook('onRoute', (route) => {
        route.config = { ...route.config, access: 'public' };
        route.schema = { ...route.schema, hide: true };
      });
      await site.register(fastifyStatic, { root: consoleDir, prefix: '/', index: 'index.html', wildcard: true });
    });
  } else {
    if (consoleDir !== null) app.log.warn({ consoleDir }, 'consoleDir does not exist; serving no console');
    app.get('/', {
      config: { access: 'public' },
      schema: { hide: true },
      handler: async () => ({ name: 'quiverdb', version: PACKAGE_VERSION, console: false, docs: '/docs', openapi: '/openapi.json', health: '/healthz' }),
    });
  }

  await app.ready();
  return { app, context };
}

function routerError(error: Error & { code?: string }): QuiverError | Error {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return new QuiverError('INVALID_ARGUMENT', 'A segment of the URL path is longer than 100 characters; collection names are at most 64.', { reason: error.code });
  if (error.code === 'FST_ERR_BAD_URL') return new QuiverError('INVALID_ARGUMENT', 'The URL is malformed (bad percent-encoding); encode collection names with encodeURIComponent.', { reason: error.code });
  return error;
}

/** Only JSON whitespace (or nothing): an empty body. Stops at the first other byte, so it is O(1) for real bodies. */
function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  }
  return true;
}
