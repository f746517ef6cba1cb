/** What every route module gets: the database, the configuration and the server's shared state. */
import type { FastifyInstance, FastifyBaseLogger, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Quiver } from '../index.js';
import type { Access } from './auth.js';
import type { ServerConfig } from './config.js';
import type { ServerEmbedder } from './embedder.js';
import type { ServerMetrics } from './metrics.js';
import type { PapersDigest } from './papers-digest.js';
import type { ScanCursors } from './scan-cursors.js';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ServerContext {
  db: Quiver;
  config: ServerConfig;
  cursors: ScanCursors;
  metrics: ServerMetrics;
  /** POST /v1/embeddings's model, loaded on first use. */
  embedder: ServerEmbedder;
  /** Quiver Papers' daily digest: subscriptions and digest runs. */
  digest: PapersDigest;
  /** True once shutdown has begun: new requests get 503 UNAVAILABLE. */
  closing: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs from the caller's API key; routes without it need an admin key. */
    access?: Access;
    /** The route's body may be omitted (then it is {}). */
    optionalBody?: boolean;
  }
}
