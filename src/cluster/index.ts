/** The Quiver cluster on NATS JetStream (docs/cluster.md). */
export { ClusterNode, type ClusterOptions, type NodeHeartbeat } from './node.js';
export { ClusterDatabase, ClusterCollection, type ClusterCollectionConfig } from './router.js';
export { startClusterNode, type RunningClusterNode } from './serve.js';
export { clusterStatus, formatClusterStatus, type ClusterStatus } from './status.js';
export { shardOf, rendezvous } from './hash.js';
