/**
 * The server process of the http suite: Quiver's server over the directory argv[2] on a free loopback
 * port (the parent pins this process to one CPU with taskset). Prints { "url": ... } once listening;
 * SIGTERM closes it gracefully. Logs at 'warn' so the measurement is the API, not the log pipe.
 */
import { startServer } from '../../src/server/index.js';

const server = await startServer({
  config: { dataDir: process.argv[2], port: 0, host: '127.0.0.1', logLevel: 'warn', consoleDir: '' },
  env: {},
  handleSignals: true,
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
