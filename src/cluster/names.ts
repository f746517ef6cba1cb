/** Names of everything Quiver keeps in NATS (docs/cluster.md, "Data model"). */
export const COLLECTIONS_BUCKET = 'quiver_collections';
export const NODES_BUCKET = 'quiver_nodes';

export function streamName(collectionId: string, shard: number): string {
  return `QUIVER_${collectionId}_${shard}`;
}

export function walSubject(collectionId: string, shard: number): string {
  return `quiver.wal.${collectionId}.${shard}`;
}

export function rpcSubject(nodeId: string): string {
  return `quiver.node.${nodeId}.rpc`;
}

/** A collection name as a KV key (KV keys allow fewer characters than collection names). */
export function collectionKey(name: string): string {
  return `c_${Buffer.from(name, 'utf8').toString('hex')}`;
}

export function replicaKey(collectionId: string, shard: number): string {
  return `${collectionId}/${shard}`;
}
