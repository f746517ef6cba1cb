/**
 * The page side of the Chromium tests: the same operations on the main thread (OPFS through writable
 * streams), and a small driver for the dedicated worker (OPFS through sync access handles).
 */
import * as api from '../../src/browser.js';
import { makeOps } from './browser-ops.js';

interface Driven {
  call(op: string, ...args: unknown[]): Promise<unknown>;
  acked: number;
  terminate(): void;
}

function startWorker(): Promise<Driven> {
  const worker = new Worker('/worker.js', { type: 'module' });
  let next = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const driven: Driven = {
    acked: 0,
    call(op, ...args) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, op, args });
      });
    },
    terminate: () => worker.terminate(),
  };
  return new Promise((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(`worker failed: ${event.message}`));
    worker.onmessage = (event: MessageEvent) => {
      const data = event.data as { ready?: boolean; ack?: number; id?: number; result?: unknown; error?: { message: string } };
      if (data.ready) return resolve(driven);
      if (data.ack !== undefined) return void (driven.acked = data.ack);
      const entry = pending.get(data.id!);
      pending.delete(data.id!);
      if (data.error) entry?.reject(Object.assign(new Error(data.error.message), data.error));
      else entry?.resolve(data.result);
    };
  });
}

const page = makeOps(api, 'page', () => {});
let current: Driven | null = null;

Object.assign(globalThis, {
  quiverTest: {
    page,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    async startWorker() {
      current?.terminate();
      current = await startWorker();
      return true;
    },
    worker: (op: string, ...args: unknown[]) => current!.call(op, ...args),
    acked: () => current?.acked ?? 0,
    terminateWorker() {
      current?.terminate();
      current = null;
    },
  },
});
document.title = 'ready';
