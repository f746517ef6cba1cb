/**
 * npm run serverless: serves the built example (dist/) as static files on http://localhost:8090/
 * (PORT=..., HOST=...), building it first if it has not been built. Any static file server works; this
 * one adds the two headers that make the page cross-origin isolated, so Quiver's parallel graph builds
 * can use Web Workers over shared memory (docs/runtimes.md). Without them everything still works, on
 * one build thread.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { MANIFEST_FILE } from './assets.js';
import { DEFAULT_OUT_DIR, buildServerless } from './build.js';

export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `dir` with the isolation headers; `onRequest` sees every request's path (the test counts them). */
export async function serveStatic(dir: string, options: { port?: number; host?: string; onRequest?: (path: string) => void } = {}): Promise<StaticServer> {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(ISOLATION_HEADERS);
    options.onRequest?.(new URL(request.url, 'http://localhost').pathname);
  });
  await app.register(fastifyStatic, { root: resolve(dir) });
  const host = options.host ?? '127.0.0.1';
  const address = await app.listen({ port: options.port ?? 0, host });
  const port = new URL(address).port;
  // localhost, not the IP: browsers treat both as secure contexts, and localhost is what people type
  return { url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/`, close: () => app.close() };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (!existsSync(join(DEFAULT_OUT_DIR, MANIFEST_FILE))) {
    console.log(`${relative(process.cwd(), DEFAULT_OUT_DIR)}/ is not built yet: building it (npm run build:serverless)…`);
    await buildServerless({ log: (line) => console.log(line) });
  }
  const server = await serveStatic(DEFAULT_OUT_DIR, { port: Number(process.env.PORT ?? 8090), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`Quiver Papers, serverless: ${server.url} (Ctrl-C stops)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
