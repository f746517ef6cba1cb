/** A collection as the cluster knows it: one KV entry in quiver_collections (docs/cluster.md). */
import type { CollectionConfig } from '../index.js';

export interface ClusterCollectionDefinition {
  name: string;
  /** Random, fixed at creation: names streams and replica directories, so a recreated name starts clean. */
  id: string;
  /** The engine configuration every replica's local collection is created with. */
  config: CollectionConfig;
  shards: number;
  replicas: number;
  createdAt: string;
}
