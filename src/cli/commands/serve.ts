/**
 * quiver serve --data DIR --port 6333: the HTTP server (src/server, docs/server.md) on a local store,
 * until SIGINT or SIGTERM, which drain the requests in flight and close the database. The flags win over
 * the QUIVER_* environment, which wins over the configuration file (--config): the server's loadConfig.
 */
import type { Context } from '../context.js';
import { usage } from '../exit.js';
import { parseInteger } from './options.js';

export interface ServeOptions {
  port?: string;
  host?: string;
  config?: string;
  cluster?: string;
}

export async function serveCommand(ctx: Context, options: ServeOptions): Promise<void> {
  const port = options.port === undefined ? undefined : parseInteger(options.port, '--port', 0, 0, 65535);
  if (ctx.url !== undefined && ctx.data === undefined) throw usage('quiver serve runs a server on a local directory: --data DIR, not --url.');
  const { startServer, loadConfig } = await import('../../server/index.js');
  const config = loadConfig({
    file: options.config,
    overrides: {
      ...(ctx.data !== undefined ? { dataDir: ctx.data } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.cluster !== undefined ? { cluster: { nats: options.cluster } } : {}),
    },
  });
  if (config.cluster !== undefined) {
    // a cluster node (docs/cluster.md): the same HTTP API, answered by the cluster
    const { startClusterNode } = await import('../../cluster/index.js');
    const node = await startClusterNode({ resolvedConfig: config, handleSignals: true });
    process.stderr.write(`quiver: cluster node ${node.node.id} (NATS ${config.cluster.nats}) serving at ${node.url} (Ctrl-C to stop)\n`);
    return;
  }
  const server = await startServer({ resolvedConfig: config, handleSignals: true });
  process.stderr.write(`quiver: serving ${server.config.dataDir} at ${server.url} (Ctrl-C to stop)\n`);
}
