/** The runtimes workload in a Chromium dedicated worker, through the browser entry. */
import * as api from '../../src/browser.js';
import { type WorkloadOptions, runWorkload } from './workload.js';

const scope = self as unknown as { postMessage(message: unknown): void; onmessage: ((event: MessageEvent) => void) | null };
scope.onmessage = async (event: MessageEvent) => {
  const { options, runtime } = event.data as { options: WorkloadOptions; runtime: string };
  try {
    scope.postMessage({ result: await runWorkload(api, runtime, options, () => performance.now()) });
  } catch (error) {
    scope.postMessage({ error: String((error as Error)?.stack ?? error) });
  }
};
