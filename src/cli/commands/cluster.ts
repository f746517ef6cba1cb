/** quiver cluster status --cluster nats://...: the cluster as NATS records it (docs/cluster.md). */
import type { Context } from '../context.js';
import { usage } from '../exit.js';

export async function clusterStatusCommand(ctx: Context, options: { cluster?: string; json?: boolean }): Promise<void> {
  const nats = options.cluster ?? process.env.QUIVER_CLUSTER_NATS;
  if (nats === undefined || nats === '') throw usage('quiver cluster status needs the NATS servers: --cluster nats://host:4222 (or QUIVER_CLUSTER_NATS).');
  const { clusterStatus, formatClusterStatus } = await import('../../cluster/index.js');
  const status = await clusterStatus(nats);
  process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatClusterStatus(status));
  void ctx;
}
