/**
 * Write tokens (api.md "Consistency", ADR 0008). A single node's token is its WAL position and needs no
 * merging: one node always reads its own writes. A cluster token is the vector of per-shard stream
 * sequences of a collection, `c1:<collection id>:<s0>,<s1>,...` (0 where a write had no part). Users
 * treat tokens as opaque; Quiver's clients merge them so that one token per collection covers every
 * write a client made, concurrent ones included.
 */
import { QuiverError } from './errors.js';

const PREFIX = 'c1:';

export interface ClusterSequence {
  collectionId: string;
  /** The stream sequence each shard must have applied; index = shard. */
  shards: number[];
}

export function isClusterSequence(token: string): boolean {
  return token.startsWith(PREFIX);
}

export function formatClusterSequence(sequence: ClusterSequence): string {
  return `${PREFIX}${sequence.collectionId}:${sequence.shards.join(',')}`;
}

/** Parses a cluster token; INVALID_ARGUMENT when it is not one Quiver made. */
export function parseClusterSequence(token: string): ClusterSequence {
  const parts = token.split(':');
  const shards = parts[2]?.split(',').map(Number) ?? [];
  if (parts.length !== 3 || !isClusterSequence(token) || parts[1] === '' || shards.length === 0 || shards.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new QuiverError('INVALID_ARGUMENT', `sequence ${JSON.stringify(token.slice(0, 80))} is not a token a Quiver cluster returned; pass the \`sequence\` of a write result unchanged.`, { field: 'sequence' });
  }
  return { collectionId: parts[1], shards };
}

/**
 * The token that covers both: per-shard maximum for two tokens of the same cluster collection; otherwise
 * the later one (`b`), since a single node's tokens need no merging and a recreated collection starts over.
 */
export function mergeSequences(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || a === '') return b;
  if (b === undefined || b === '') return a;
  if (!isClusterSequence(a) || !isClusterSequence(b)) return b;
  const x = parseClusterSequence(a);
  const y = parseClusterSequence(b);
  if (x.collectionId !== y.collectionId || x.shards.length !== y.shards.length) return b;
  return formatClusterSequence({ collectionId: x.collectionId, shards: x.shards.map((s, i) => Math.max(s, y.shards[i])) });
}
