/** Placement: which shard a key belongs to, and which nodes hold a shard's replicas. */
import { createHash } from 'node:crypto';

/** FNV-1a over the key's UTF-8 bytes: fixed forever, since it decides where every record lives. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function shardOf(key: string, shards: number): number {
  return fnv1a32(key) % shards;
}

/**
 * Rendezvous (highest-random-weight) hashing: the `count` nodes with the highest weight for this shard.
 * Every node computes the same answer from the same membership, and a join or leave moves only the
 * shards whose top set changes.
 */
export function rendezvous(nodes: readonly string[], collectionId: string, shard: number, count: number): string[] {
  const weight = (node: string) => createHash('sha256').update(`${collectionId}/${shard}/${node}`).digest().readUIntBE(0, 6);
  return [...nodes]
    .map((node) => ({ node, w: weight(node) }))
    .sort((a, b) => b.w - a.w || (a.node < b.node ? -1 : 1))
    .slice(0, count)
    .map((x) => x.node);
}
