/**
 * The child process of the shutdown test: `quiver serve` in miniature — a server on a free loopback port
 * over the directory argv[2], closing gracefully on SIGTERM / SIGINT. It logs JSON lines (pino) to stdout;
 * the first line the test reads is { "url": ... }.
 */
import { startServer } from '../../src/server/index.js';

const server = await startServer({
  config: { dataDir: process.argv[2], port: 0, host: '127.0.0.1', logLevel: 'info', consoleDir: '' },
  env: {},
  handleSignals: true,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
