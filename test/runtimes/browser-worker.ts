/** The dedicated worker of the Chromium tests: answers { id, op, args } with { id, result } or { id, error }. */
import * as api from '../../src/browser.js';
import { describeError, makeOps } from './browser-ops.js';

const scope = self as unknown as { postMessage(message: unknown): void; onmessage: ((event: MessageEvent) => void) | null };
const ops = makeOps(api, 'worker', (message) => scope.postMessage(message)) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

scope.onmessage = async (event: MessageEvent) => {
  const { id, op, args } = event.data as { id: number; op: string; args: unknown[] };
  try {
    scope.postMessage({ id, result: await ops[op](...args) });
  } catch (error) {
    scope.postMessage({ id, error: describeError(error) });
  }
};
scope.postMessage({ ready: true });
