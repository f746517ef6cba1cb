/** The page of the openInWorker test: only the web client (no engine), driving a database in a worker. */
import { QuiverError, openInWorker } from '../../src/web-client.js';

Object.assign(globalThis, {
  quiverInWorker: {
    QuiverError,
    open: (options: unknown) => openInWorker(new Worker('/inworker-host.js', { type: 'module' }), options as never),
  },
});
document.title = 'ready';
