/** `quiver cluster status`: nodes, collections, shards, replicas and their lag, read from NATS. */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { ClusterCollectionDefinition } from './definition.js';
import { rendezvous } from './hash.js';
import { COLLECTIONS_BUCKET, NODES_BUCKET, replicaKey, streamName } from './names.js';
import { type NodeHeartbeat, connectNats } from './node.js';

export interface ClusterStatus {
  nodes: { id: string; url?: string; startedAt: string; replicas: number; lastSeenMsAgo: number }[];
  collections: {
    name: string;
    id: string;
    shards: {
      shard: number;
      stream: { messages: number; bytes: number; firstSeq: number; lastSeq: number; replicas: number; leader?: string };
      assigned: string[];
      replicas: { node: string; applied: number; ready: boolean; lag: number }[];
    }[];
  }[];
}

export async function clusterStatus(nats: string): Promise<ClusterStatus> {
  const nc = await connectNats(nats);
  try {
    const jsm = await jetstreamManager(nc);
    const kvm = new Kvm(nc);
    const nodesKv = await kvm.open(NODES_BUCKET);
    const collectionsKv = await kvm.open(COLLECTIONS_BUCKET);
    const now = Date.now();
    const beats: (NodeHeartbeat & { created: Date })[] = [];
    // keys() follows the bucket while it lists, so a key written meanwhile may come twice
    const nodeKeys = new Set<string>();
    for await (const key of await nodesKv.keys()) nodeKeys.add(key);
    for (const key of nodeKeys) {
      const entry = await nodesKv.get(key);
      if (entry?.operation === 'PUT') beats.push({ ...entry.json<NodeHeartbeat>(), created: entry.created });
    }
    // live as the nodes judge it: a heartbeat within the last few seconds
    const live = beats.filter((b) => now - b.created.getTime() < 5000);
    const collections: ClusterStatus['collections'] = [];
    const collectionKeys = new Set<string>();
    for await (const key of await collectionsKv.keys()) collectionKeys.add(key);
    for (const key of collectionKeys) {
      const entry = await collectionsKv.get(key);
      if (entry?.operation !== 'PUT') continue;
      const def = entry.json<ClusterCollectionDefinition>();
      const shards: ClusterStatus['collections'][number]['shards'] = [];
      for (let shard = 0; shard < def.shards; shard++) {
        const info = await jsm.streams.info(streamName(def.id, shard)).catch(() => null);
        const lastSeq = info?.state.last_seq ?? 0;
        const rk = replicaKey(def.id, shard);
        shards.push({
          shard,
          stream: { messages: info?.state.messages ?? 0, bytes: info?.state.bytes ?? 0, firstSeq: info?.state.first_seq ?? 0, lastSeq, replicas: info?.config.num_replicas ?? 0, ...(info?.cluster?.leader ? { leader: info.cluster.leader } : {}) },
          assigned: rendezvous(live.map((b) => b.id).sort(), def.id, shard, def.replicas),
          replicas: live.filter((b) => b.replicas[rk]).map((b) => ({ node: b.id, applied: b.replicas[rk].applied, ready: b.replicas[rk].ready, lag: Math.max(0, lastSeq - b.replicas[rk].applied) })),
        });
      }
      collections.push({ name: def.name, id: def.id, shards });
    }
    return {
      nodes: beats.map((b) => ({ id: b.id, ...(b.url ? { url: b.url } : {}), startedAt: b.startedAt, replicas: Object.keys(b.replicas).length, lastSeenMsAgo: now - b.created.getTime() })),
      collections: collections.sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  } finally {
    await nc.close();
  }
}

export function formatClusterStatus(status: ClusterStatus): string {
  const lines: string[] = [`nodes (${status.nodes.length}):`];
  for (const n of status.nodes) lines.push(`  ${n.id}  ${n.url ?? '-'}  replicas ${n.replicas}  seen ${n.lastSeenMsAgo} ms ago${n.lastSeenMsAgo > 5000 ? '  (down)' : ''}`);
  for (const c of status.collections) {
    lines.push(`collection ${c.name} (${c.id}), ${c.shards.length} shards:`);
    for (const s of c.shards) {
      const replicas = s.replicas.map((r) => `${r.node}${r.ready ? '' : ' (catching up)'} applied ${r.applied} lag ${r.lag}`).join('; ');
      lines.push(`  shard ${s.shard}: stream ${s.stream.messages} msgs, seq ${s.stream.firstSeq}..${s.stream.lastSeq}, R${s.stream.replicas}${s.stream.leader ? ` leader ${s.stream.leader}` : ''}; assigned ${s.assigned.join(', ')}; replicas: ${replicas || 'none'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
