/**
 * One Quiver cluster node in its own process, for test/cluster.test.ts (which kills it with SIGKILL):
 * argv: dataDir nats nodeId. Prints "READY <url>" once serving.
 */
import { startClusterNode } from '../../src/cluster/index.js';

const [dataDir, nats, nodeId] = process.argv.slice(2);
const running = await startClusterNode({
  config: { dataDir, port: 0, logLevel: 'warn', embedding: 'none', consoleDir: '' },
  env: {},
  cluster: { nats, nodeId, shards: 3, replicas: 2, streamReplicas: 3, heartbeatMs: 300, livenessMs: 1500, hedgeMs: 150 },
  handleSignals: true,
});
process.stdout.write(`READY ${running.url}\n`);
