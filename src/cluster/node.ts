/**
 * A Quiver cluster node (docs/cluster.md): connects to NATS, heartbeats into the membership bucket,
 * watches the collection catalog and the members, holds the shard replicas that rendezvous hashing
 * assigns to it, and answers other nodes' reads of them over request/reply. Routing lives in router.ts.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import { QuiverError } from '../index.js';
import { decodeF32, encodeF32 } from '../protocol/vectors.js';
import type { ClusterCollectionDefinition } from './definition.js';
import { rendezvous } from './hash.js';
import { COLLECTIONS_BUCKET, NODES_BUCKET, replicaKey, rpcSubject } from './names.js';
import { ShardReplica, type ReplicaLog } from './replica.js';
import { type RpcRequest, errorReply, replyOf } from './rpc.js';

export interface ClusterOptions {
  /** NATS servers, comma-separated: nats://a:4222,nats://b:4222. */
  nats: string;
  dataDir: string;
  /** Default: a random id kept in <dataDir>/cluster-node.json, so a restart keeps the node's replicas. */
  nodeId?: string;
  /** This node's HTTP address, advertised in its heartbeat (status only). */
  url?: string;
  shards?: number;
  replicas?: number;
  /** Replicas of each stream and KV bucket in the NATS cluster (3 in production; 1 with one nats-server). */
  streamReplicas?: number;
  hedgeMs?: number;
  heartbeatMs?: number;
  livenessMs?: number;
  log?: ReplicaLog;
}

export interface ReplicaState {
  applied: number;
  ready: boolean;
}

export interface NodeHeartbeat {
  id: string;
  url?: string;
  startedAt: string;
  replicas: Record<string, ReplicaState>;
}

const silent: ReplicaLog = { info: () => undefined, error: () => undefined };

export class ClusterNode {
  readonly id: string;
  readonly catalog = new Map<string, ClusterCollectionDefinition>();
  readonly replicas = new Map<string, ShardReplica>();
  private readonly members = new Map<string, { heartbeat: NodeHeartbeat; seenAt: number }>();
  private readonly starting = new Map<string, Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private readonly watchers: { stop(): void }[] = [];
  private closed = false;
  private readonly startedAt = new Date().toISOString();
  private reconciling: Promise<void> | null = null;
  readonly log: ReplicaLog;

  private constructor(
    readonly options: Required<Omit<ClusterOptions, 'nodeId' | 'url' | 'log'>> & Pick<ClusterOptions, 'url'>,
    id: string,
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly collectionsKv: KV,
    readonly nodesKv: KV,
    log: ReplicaLog,
  ) {
    this.id = id;
    this.log = log;
  }

  static async start(options: ClusterOptions): Promise<ClusterNode> {
    const full = {
      nats: options.nats,
      dataDir: options.dataDir,
      url: options.url,
      shards: options.shards ?? 4,
      replicas: options.replicas ?? 2,
      streamReplicas: options.streamReplicas ?? 3,
      hedgeMs: options.hedgeMs ?? 200,
      heartbeatMs: options.heartbeatMs ?? 1000,
      livenessMs: options.livenessMs ?? 4000,
    };
    mkdirSync(full.dataDir, { recursive: true });
    const id = options.nodeId ?? persistentNodeId(full.dataDir);
    const nc = await connectNats(full.nats);
    try {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const kvm = new Kvm(js);
      // a NATS cluster that has just started elects its JetStream leaders for a few seconds
      const [collectionsKv, nodesKv] = await whenJetStreamAnswers(async () => {
        const collections = await kvm.create(COLLECTIONS_BUCKET, { history: 1, replicas: full.streamReplicas });
        const nodes = await kvm.create(NODES_BUCKET, { history: 1, replicas: full.streamReplicas, ttl: Math.max(10_000, full.livenessMs * 3) });
        await nodes.put(id, JSON.stringify({ id, startedAt: new Date().toISOString(), replicas: {} }));
        return [collections, nodes] as const;
      });
      const node = new ClusterNode(full, id, nc, js, jsm, collectionsKv, nodesKv, options.log ?? silent);
      await node.run();
      return node;
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  private async run(): Promise<void> {
    this.nc.subscribe(rpcSubject(this.id), {
      callback: (error, message) => {
        if (error) return;
        void this.serve(message.json<RpcRequest>()).then(
          (result) => message.respond(JSON.stringify(replyOf(result))),
          (failure: unknown) => message.respond(JSON.stringify(errorReply(failure))),
        );
      },
    });
    await this.heartbeat();
    await this.watch(this.nodesKv, (key, value) => {
      if (value === null) this.members.delete(key);
      else this.members.set(key, { heartbeat: value as NodeHeartbeat, seenAt: Date.now() });
    });
    await this.watch(this.collectionsKv, (_key, value, previous) => {
      if (value === null) {
        if (previous) this.catalog.delete(previous);
      } else {
        const def = value as ClusterCollectionDefinition;
        this.catalog.set(def.name, def);
      }
    });
    this.timers.push(setInterval(() => void this.heartbeat().catch((error: unknown) => this.log.error({ err: error }, 'heartbeat failed')), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.reconcile(), Math.max(100, this.options.heartbeatMs / 2)));
    await this.reconcile();
  }

  /** Follows a bucket: initial values, then updates; deletes come with the key. */
  private async watch(kv: KV, apply: (key: string, value: unknown | null, previousName?: string) => void): Promise<void> {
    const watcher = await kv.watch();
    const names = new Map<string, string>();
    let resolveInitial!: () => void;
    const initial = new Promise<void>((resolve) => (resolveInitial = resolve));
    void (async () => {
      // an empty bucket delivers nothing: the initial state is then complete at once
      const status = await kv.status();
      if (status.values === 0) resolveInitial();
      for await (const entry of watcher) {
        if (entry.operation === 'PUT') {
          const value = entry.json<{ name?: string }>();
          if (value.name !== undefined) names.set(entry.key, value.name);
          apply(entry.key, value);
        } else {
          apply(entry.key, null, names.get(entry.key));
          names.delete(entry.key);
        }
        if (entry.delta === 0) resolveInitial();
      }
    })().catch((error: unknown) => {
      if (!this.closed) this.log.error({ err: error }, 'bucket watch ended');
    });
    this.watchers.push(watcher);
    await Promise.race([initial, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private replicaStates(): Record<string, ReplicaState> {
    const out: Record<string, ReplicaState> = {};
    for (const [key, replica] of this.replicas) out[key] = { applied: replica.applied, ready: replica.ready };
    return out;
  }

  private async heartbeat(): Promise<void> {
    if (this.closed) return;
    const beat: NodeHeartbeat = { id: this.id, startedAt: this.startedAt, replicas: this.replicaStates(), ...(this.options.url ? { url: this.options.url } : {}) };
    await this.nodesKv.put(this.id, JSON.stringify(beat));
  }

  /** Live nodes: seen heartbeating within livenessMs (this node always). */
  liveNodes(): string[] {
    const now = Date.now();
    const live = [...this.members.entries()].filter(([, m]) => now - m.seenAt < this.options.livenessMs).map(([id]) => id);
    if (!live.includes(this.id)) live.push(this.id);
    return live.sort();
  }

  heartbeatOf(id: string): NodeHeartbeat | undefined {
    return this.members.get(id)?.heartbeat;
  }

  assignment(def: ClusterCollectionDefinition, shard: number, live = this.liveNodes()): string[] {
    return rendezvous(live, def.id, shard, def.replicas);
  }

  /**
   * Ready replicas of a shard, best first: this node, then the others in rendezvous order (so load spreads
   * over the shards' first replicas).
   */
  readyReplicas(def: ClusterCollectionDefinition, shard: number): string[] {
    const key = replicaKey(def.id, shard);
    const live = this.liveNodes();
    const order = rendezvous(live, def.id, shard, live.length);
    return order
      .filter((id) => (id === this.id ? this.replicas.get(key)?.ready === true : this.members.get(id)?.heartbeat.replicas[key]?.ready === true))
      .sort((a, b) => (a === this.id ? -1 : b === this.id ? 1 : 0));
  }

  /** Starts the replicas assigned here, drops those that moved away once enough others serve them. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    const live = this.liveNodes();
    const wanted = new Set<string>();
    const byId = new Map<string, ClusterCollectionDefinition>();
    for (const def of this.catalog.values()) {
      byId.set(def.id, def);
      for (let shard = 0; shard < def.shards; shard++) {
        const key = replicaKey(def.id, shard);
        if (!this.assignment(def, shard, live).includes(this.id)) continue;
        wanted.add(key);
        if (!this.replicas.has(key) && !this.starting.has(key)) {
          const replica = new ShardReplica(def, shard, join(this.options.dataDir, 'replicas', `${def.id}-${shard}`), this.nc, this.jsm, this.log);
          const started = replica.open().then(
            () => {
              if (this.closed || !this.catalog.has(def.name)) return replica.close({ removeData: !this.closed });
              this.replicas.set(key, replica);
            },
            async (error: unknown) => {
              this.log.error({ err: error, collection: def.name, shard }, 'replica failed to start; retrying');
              await replica.close().catch(() => undefined);
            },
          );
          this.starting.set(key, started.finally(() => this.starting.delete(key)));
        }
      }
    }
    for (const [key, replica] of this.replicas) {
      if (wanted.has(key)) continue;
      const def = byId.get(replica.definition.id);
      if (def !== undefined) {
        // moved away: keep serving until the shard's assigned holders are ready elsewhere
        const others = this.assignment(def, replica.shard, live).filter((id) => id !== this.id && this.members.get(id)?.heartbeat.replicas[key]?.ready === true);
        if (others.length < Math.min(def.replicas, live.length - 1)) continue;
      }
      this.replicas.delete(key);
      this.log.info({ collection: replica.definition.name, shard: replica.shard }, def === undefined ? 'collection dropped: removing its replica' : 'replica moved to other nodes: removing it here');
      await replica.close({ removeData: true }).catch((error: unknown) => this.log.error({ err: error }, 'closing a replica failed'));
    }
  }

  private replicaFor(collectionId: string, shard: number): ShardReplica {
    const replica = this.replicas.get(replicaKey(collectionId, shard));
    if (!replica || !replica.ready) throw new QuiverError('UNAVAILABLE', `Node ${this.id} holds no ready replica of shard ${shard}.`, { node: this.id, shard });
    return replica;
  }

  /** One read against a replica held here (called for other nodes' requests and for this node's own). */
  async serve(request: RpcRequest): Promise<unknown> {
    const replica = this.replicaFor(request.collectionId, request.shard);
    if (request.op === 'result') return replica.resultOf(request.waitFor, request.timeoutMs);
    await replica.waitFor(request.waitFor, request.timeoutMs);
    const collection = replica.collection;
    switch (request.op) {
      case 'query': {
        const r = request.request;
        const vector = typeof r.vector === 'string' ? decodeF32(r.vector, { field: 'vector' }, true) : r.vector;
        const hits = await collection.query({ ...r, vector } as Parameters<typeof collection.query>[0]);
        return hits.map((h) => (h.vector ? { ...h, vector: encodeF32(h.vector) } : h));
      }
      case 'get': {
        const records = await collection.get(request.keys);
        return records.map((r) => (r === null ? null : { ...r, vector: encodeF32(r.vector) }));
      }
      case 'count':
        return collection.count(request.filter === undefined ? undefined : { filter: request.filter });
      case 'stats':
        return collection.stats();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const watcher of this.watchers) watcher.stop();
    await Promise.allSettled(this.starting.values());
    await Promise.allSettled([...this.replicas.values()].map((r) => r.close()));
    this.replicas.clear();
    await this.nodesKv.delete(this.id).catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
  }
}

/** Retries `fn` while JetStream is not answering yet (leader elections), up to 30 s. */
export async function whenJetStreamAnswers<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      const text = `${(error as Error).message} ${String((error as { cause?: Error }).cause?.message ?? '')}`;
      if (Date.now() > deadline || !/no responders|not enabled|timeout|TIMEOUT|leader|insufficient resources|temporarily unavailable/i.test(text)) {
        throw new QuiverError('UNAVAILABLE', `JetStream did not answer: ${text}. Is nats-server running with JetStream (-js), with a quorum of its cluster up?`, {}, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function connectNats(servers: string): Promise<NatsConnection> {
  const list = servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    return await connect({ servers: list, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'quiver' });
  } catch (error) {
    throw new QuiverError('UNAVAILABLE', `Cannot reach NATS at ${servers} (${(error as Error).message}); start nats-server with JetStream (-js) or fix cluster.nats.`, { nats: servers }, { cause: error });
  }
}

function persistentNodeId(dataDir: string): string {
  const file = join(dataDir, 'cluster-node.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { id: string }).id;
  const id = `n${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  writeFileSync(file, JSON.stringify({ id }));
  return id;
}
