/**
 * Tests whose steps build on each other (a browser session, a cluster): after a failure the remaining
 * steps are skipped instead of each timing out on a page or a state that will never come.
 */
import { it } from 'node:test';

export function sequentialSteps(): (name: string, fn: () => Promise<void>) => void {
  let failed = false;
  return (name, fn) =>
    it(name, async (context) => {
      if (failed) return context.skip('an earlier step failed');
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });
}
