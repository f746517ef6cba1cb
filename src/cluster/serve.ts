/**
 * `quiver serve --cluster nats://...`: a cluster node behind the ordinary HTTP server. The server's
 * routes call the embedded API's methods; here they reach a ClusterDatabase instead of a local
 * database, so every node accepts every request (docs/cluster.md, "Operations").
 */
import type { Quiver } from '../index.js';
import { type ServerConfig, loadConfig } from '../server/config.js';
import { type RunningServer, type StartServerOptions, startServer } from '../server/start.js';
import { ClusterNode, type ClusterOptions } from './node.js';
import { ClusterDatabase } from './router.js';

export interface RunningClusterNode extends RunningServer {
  node: ClusterNode;
  cluster: ClusterDatabase;
}

export async function startClusterNode(options: StartServerOptions & { cluster?: Partial<ClusterOptions> } = {}): Promise<RunningClusterNode> {
  const config: ServerConfig = options.resolvedConfig ?? loadConfig({ file: options.configFile, env: options.env, overrides: options.config });
  const settings = { ...config.cluster, ...options.cluster };
  if (settings.nats === undefined) throw new Error('startClusterNode needs cluster.nats (the NATS servers)');
  const log = settings.log ?? {
    info: (fields: Record<string, unknown>, message: string) => {
      if (config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace') process.stderr.write(`quiver cluster: ${message} ${JSON.stringify(fields)}\n`);
    },
    error: (fields: Record<string, unknown>, message: string) => process.stderr.write(`quiver cluster error: ${message} ${String((fields.err as Error | undefined)?.stack ?? '')} ${JSON.stringify({ ...fields, err: undefined })}\n`),
  };
  const node = await ClusterNode.start({ ...settings, nats: settings.nats, dataDir: config.dataDir, log });
  const cluster = new ClusterDatabase(node);
  let server: RunningServer;
  try {
    // the routes use the embedded API's methods, which ClusterDatabase provides for the cluster
    server = await startServer({ ...options, resolvedConfig: config, db: cluster as unknown as Quiver, handleSignals: false });
  } catch (error) {
    await node.close();
    throw error;
  }
  const close = async (): Promise<void> => {
    await server.close();
    await cluster.close();
    await node.close();
  };
  if (options.handleSignals) {
    let closing = false;
    const onSignal = (): void => {
      if (closing) process.exit(1);
      closing = true;
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { ...server, node, cluster, close };
}
