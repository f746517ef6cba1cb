/**
 * Graph indexes are built in the background after writes (rows are searched exactly until they are in
 * a graph). Commands that load data wait for that here, with a progress bar, by polling stats().unindexed:
 * the same on a local store and on a server.
 */
import type { Context } from '../context.js';
import { formatSeconds } from '../format.js';
import { Progress } from '../progress.js';
import type { TargetCollection } from '../target.js';

const POLL_MS = 100;

export async function waitForIndex(ctx: Context, collection: TargetCollection): Promise<number> {
  const first = (await collection.stats()).unindexed ?? 0;
  if (first === 0) return 0;
  const progress = new Progress({ enabled: ctx.progress, label: 'indexing', total: first, unit: 'rows' });
  let unindexed = first;
  let total = first;
  try {
    while (unindexed > 0) {
      const stop = ctx.stopRequested();
      if (stop) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      unindexed = (await collection.stats()).unindexed ?? 0;
      // writes from elsewhere can add rows while we wait
      if (unindexed > total) {
        total = unindexed;
        progress.setTotal(total);
      }
      progress.update(total - unindexed, total - unindexed);
    }
  } finally {
    progress.stop();
  }
  if (unindexed === 0) process.stderr.write(`indexed ${total.toLocaleString('en-US')} rows in ${formatSeconds(progress.seconds)}\n`);
  return progress.seconds;
}
