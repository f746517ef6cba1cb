/**
 * One replica of one shard: a local Quiver database fed by consuming the shard's stream in order
 * (docs/cluster.md, "Replicas: consuming the log"). It is ready once it has applied everything the
 * stream held when it started, and answers reads for the router; read-your-writes reads wait here
 * until the sequence they need is applied.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Collection, Quiver, QuiverError, isQuiverError } from '../index.js';
import type { ClusterCollectionDefinition } from './definition.js';
import { decodeWal } from './messages.js';
import { streamName, walSubject } from './names.js';

/** How many write results (delete counts) a replica remembers for routers that ask after the fact. */
const RESULTS_KEPT = 10_000;
const APPLIED_FILE = 'applied.json';

export interface ReplicaLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export class ShardReplica {
  applied = 0;
  ready = false;
  private db: Quiver | null = null;
  private consuming: Promise<void> | null = null;
  private readyAt = 0;
  private persistedApplied = 0;
  private persistTimer: NodeJS.Timeout | null = null;
  private readonly results = new Map<number, number>();
  private waiters: { seq: number; resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }[] = [];
  private closed = false;

  constructor(
    readonly definition: ClusterCollectionDefinition,
    readonly shard: number,
    readonly dir: string,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly log: ReplicaLog,
  ) {}

  get collection(): Collection {
    if (this.db === null) throw new QuiverError('UNAVAILABLE', `The replica of ${this.definition.name} shard ${this.shard} is not open.`, {});
    return this.db.collection(this.definition.name);
  }

  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.db = await Quiver.open({ path: join(this.dir, 'db'), durability: 'sync' });
    const existing = await this.db.listCollections();
    if (!existing.some((c) => c.name === this.definition.name)) await this.db.createCollection(this.definition.name, this.definition.config);
    this.applied = this.persistedApplied = readApplied(this.dir);
    const info = await this.jsm.streams.info(streamName(this.definition.id, this.shard));
    this.readyAt = info.state.last_seq;
    if (this.applied > 0 && info.state.first_seq > this.applied + 1 && info.state.messages > 0) {
      // purged past what this copy has: only a snapshot could bring it back (snapshots are design only)
      throw new QuiverError('UNAVAILABLE', `Replica ${this.definition.name}/${this.shard} applied ${this.applied} but the stream starts at ${info.state.first_seq}.`, {});
    }
    this.markReadyIfCaughtUp();
    this.consuming = this.supervise();
    this.persistTimer = setInterval(() => this.persistApplied(), 250);
    this.persistTimer.unref();

  }

  /**
   * Reads the stream from `applied + 1`, one message at a time by sequence. Every read is a plain
   * request with a timeout, so a NATS server or stream leader going away costs a retry, not a consumer
   * to recover. A core subscription to the shard's subject wakes the loop when a write arrives (with a
   * poll as fallback). Batched reads (nats-server 2.11's batch direct get, or an ordered consumer)
   * would cut the round trips per message; see docs/cluster.md.
   */
  private async supervise(): Promise<void> {
    const stream = streamName(this.definition.id, this.shard);
    const subscription = this.nc.subscribe(walSubject(this.definition.id, this.shard), { callback: () => this.wake?.() });
    this.unsubscribe = () => subscription.unsubscribe();
    while (!this.closed) {
      let message;
      try {
        message = await this.jsm.streams.getMessage(stream, { seq: this.applied + 1 });
      } catch (error) {
        if (!this.closed) this.log.error({ err: error, collection: this.definition.name, shard: this.shard, applied: this.applied }, 'reading the shard stream failed; retrying');
        await this.idle(500);
        continue;
      }
      if (this.closed) break;
      if (message === null) {
        await this.idle(1000);
        continue;
      }
      try {
        await this.apply(message.seq, message.data);
      } catch (error) {
        this.log.error({ err: error, collection: this.definition.name, shard: this.shard, seq: message.seq }, 'applying a message failed; retrying');
        await this.idle(1000);
      }
    }
  }

  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;

  /** Waits `ms`, or less when a write to the shard arrives. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async apply(seq: number, data: Uint8Array): Promise<void> {
    const collection = this.collection;
    let count = 0;
    try {
      const message = decodeWal(data);
      if (message.op === 'upsert') count = (await collection.upsert(message.records)).count;
      else if (message.op === 'delete') count = (await collection.delete(message.keys)).count;
      else count = (await collection.delete({ filter: message.filter })).count;
    } catch (error) {
      // Routers validate before publishing; a message that still fails, fails the same way on every
      // replica (ADR 0008, 6), so skipping it keeps the replicas identical. I/O errors stop the replica.
      if (!isQuiverError(error) || error.category !== 'invalid_argument') throw error;
      this.log.error({ err: error, collection: this.definition.name, shard: this.shard, seq }, 'skipped a log message that the engine refused');
      count = 0;
    }
    this.results.set(seq, count);
    if (this.results.size > RESULTS_KEPT) this.results.delete(this.results.keys().next().value!);
    this.applied = seq;
    this.markReadyIfCaughtUp();
    this.waiters = this.waiters.filter((w) => {
      if (w.seq > this.applied) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  private markReadyIfCaughtUp(): void {
    if (!this.ready && this.applied >= this.readyAt) {
      this.ready = true;
      this.log.info({ collection: this.definition.name, shard: this.shard, applied: this.applied }, 'replica caught up: serving');
    }
  }

  /** Resolves once `seq` is applied; TIMEOUT after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.applied) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new QuiverError('UNAVAILABLE', `Replica ${this.definition.name}/${this.shard} has applied sequence ${this.applied}, not yet ${seq}, after ${timeoutMs} ms; retry, or read with consistency 'eventual'.`, { reason: 'read-your-writes wait timed out', applied: this.applied, wanted: seq }));
      }, timeoutMs);
      this.waiters.push({ seq, resolve, reject, timer });
    });
  }

  /** What applying the message at `seq` did (records deleted, or upserted), once it is applied. */
  async resultOf(seq: number, timeoutMs: number): Promise<number> {
    await this.waitFor(seq, timeoutMs);
    const count = this.results.get(seq);
    if (count === undefined) throw new QuiverError('UNAVAILABLE', `Replica ${this.definition.name}/${this.shard} no longer remembers the result of sequence ${seq}.`, { seq });
    return count;
  }

  private persistApplied(): void {
    if (this.applied === this.persistedApplied) return;
    // the local database is opened with durability 'sync': every applied write is already durable
    const applied = this.applied;
    writeFileSync(join(this.dir, `${APPLIED_FILE}.tmp`), JSON.stringify({ applied }));
    renameSync(join(this.dir, `${APPLIED_FILE}.tmp`), join(this.dir, APPLIED_FILE));
    this.persistedApplied = applied;
  }

  async close(options: { removeData?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.persistTimer) clearInterval(this.persistTimer);

    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new QuiverError('UNAVAILABLE', `Replica ${this.definition.name}/${this.shard} closed.`, {}));
    }
    this.waiters = [];
    this.unsubscribe?.();
    this.wake?.();
    await this.consuming;
    if (!options.removeData) this.persistApplied();
    await this.db?.close();
    this.db = null;
    if (options.removeData) rmSync(this.dir, { recursive: true, force: true });
  }
}

function readApplied(dir: string): number {
  try {
    const { applied } = JSON.parse(readFileSync(join(dir, APPLIED_FILE), 'utf8')) as { applied: number };
    return Number.isSafeInteger(applied) && applied >= 0 ? applied : 0;
  } catch {
    return 0;
  }
}
