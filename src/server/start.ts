/**
 * Running the server: open the database, listen, and shut down gracefully — stop taking requests, let
 * the ones in flight finish (up to shutdownTimeoutMs), close open scans, then close the database (which
 * checkpoints, so a restart replays no log). `quiver serve` and `npm start` call startServer.
 */
import { Quiver, QuiverError } from '../index.js';
import { buildApp, type BuildAppOptions } from './app.js';
import { type LoadConfigOptions, type ServerConfig, type ServerConfigInput, loadConfig } from './config.js';
import type { App } from './context.js';
import { openPapersApp } from './papers.js';
import { DigestScheduler } from './digest-scheduler.js';

export interface StartServerOptions {
  /** A configuration already loaded; otherwise it is loaded from `configFile`, the environment and `config`. */
  resolvedConfig?: ServerConfig;
  /** quiver serve --config FILE. */
  configFile?: string;
  /** Values that win over the file and the environment (command-line flags). */
  config?: ServerConfigInput;
  /** Environment to read QUIVER_* from (default process.env). */
  env?: LoadConfigOptions['env'];
  /** A database to serve instead of opening config.dataDir; the server then leaves it open on close. */
  db?: Quiver;
  /** Close gracefully on SIGTERM and SIGINT, then exit (the CLI and npm start; not for tests). */
  handleSignals?: boolean;
  logger?: BuildAppOptions['logger'];
  loggerInstance?: BuildAppOptions['loggerInstance'];
}

export interface RunningServer {
  /** http://host:port of the listening socket. */
  url: string;
  port: number;
  app: App;
  db: Quiver;
  config: ServerConfig;
  /** Graceful shutdown; resolves when the database is closed. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = options.resolvedConfig ?? loadConfig({ file: options.configFile, env: options.env, overrides: options.config });
  if (config.cluster !== undefined && options.db === undefined) {
    throw new QuiverError('UNSUPPORTED', 'The configuration has "cluster": start a cluster node (quiver serve, or startClusterNode from src/cluster), not a single server.', { field: 'cluster' });
  }
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await Quiver.open({ path: config.dataDir, durability: config.durability }));
  let built;
  try {
    built = await buildApp({ db, config, logger: options.logger, loggerInstance: options.loggerInstance });
    const log = built.app.log;
    if (config.papers.enabled) await openPapersApp(db, config.papers, (message, fields) => log.info(fields, message));
    await built.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await built?.app.close().catch(() => undefined);
    if (ownsDb) await db.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new QuiverError('IO_ERROR', `Cannot listen on ${config.host}:${config.port} (${code}): ${code === 'EADDRINUSE' ? 'another process uses the port; stop it or pick another port' : code === 'EACCES' ? 'ports below 1024 need privileges; pick a higher port' : 'this machine has no such address'}.`, { host: config.host, port: config.port, causeCode: code }, { cause: error });
    }
    throw error;
  }
  const { app, context } = built;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  if (config.apiKeys.length === 0 && !isLoopback(config.host)) {
    app.log.warn({ host: config.host }, 'listening beyond this machine without API keys: anyone who can reach the port can read and write; set QUIVER_API_KEYS');
  }

  context.digest.defaultPublicUrl = url;
  const scheduler = new DigestScheduler(context.digest, config, app.log);
  scheduler.start();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      context.closing = true;
      await scheduler.stop();
      const timer = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutMs);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
        await context.cursors.closeAll();
        if (ownsDb) await db.close();
      }
    })();
    return closing;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (closing) {
        app.log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      app.log.info({ signal }, 'shutting down: draining requests, then closing the database');
      close().then(
        () => {
          app.log.info('database closed; bye');
          process.exit(0);
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  return { url, port, app, db, config, close };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
