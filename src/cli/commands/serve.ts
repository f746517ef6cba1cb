/**
 * quiver serve --data DIR --port 6333: the HTTP server (src/server) on a local store. The server module
 * is loaded by a computed name so the CLI builds without it; until it is part of this build, serve says
 * so instead of pretending.
 */
import { QuiverError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { parseInteger } from './options.js';

export interface ServeOptions {
  port?: string;
  host?: string;
  config?: string;
}

export async function serveCommand(ctx: Context, options: ServeOptions): Promise<void> {
  const port = parseInteger(options.port ?? process.env.QUIVER_PORT ?? process.env.PORT, '--port', 6333, 0, 65535);
  const serverModule = '../../server/index.js';
  type ServerModule = { startServer?: (options: Record<string, unknown>) => Promise<unknown> };
  let server: ServerModule | null = null;
  try {
    server = (await import(serverModule)) as ServerModule;
  } catch {
    server = null;
  }
  if (!server?.startServer) {
    throw new QuiverError('UNSUPPORTED', 'quiver serve needs the Quiver HTTP server, which this build does not include yet. Use the embedded library or the other commands with --data DIR.', {
      command: 'serve',
    });
  }
  await server.startServer({ dataDir: ctx.data, port, host: options.host, config: options.config });
}
