/**
 * Digest subscriptions, stored in Quiver: the `papers_subscriptions` collection, one record per
 * subscriber keyed by an id derived from the normalised email (tokens.ts), whose document is the
 * subscriber's interests, embedded by the same model as the `papers` collection so that the stored
 * vector can be matched against papers directly. The metadata holds the address, the times, and the
 * state of the digest being sent (the send ledger: see digest-run.ts), so that each change of a
 * subscriber is one atomic record write.
 *
 * Writes go through one queue per store, so a re-subscription and a digest run that both update a
 * subscriber never interleave their read-modify-write.
 */
import { QuiverError } from '../core/errors.js';
import type { Collection, RecordInput } from '../db/collection.js';
import type { CollectionConfig } from '../db/config.js';
import type { Quiver } from '../db/database.js';
import { PAPERS_COLLECTION } from './collection.js';
import { subscriberId } from './tokens.js';

type Metadata = NonNullable<RecordInput['metadata']>;
type EmbeddingConfig = NonNullable<CollectionConfig['embedding']>;

export const SUBSCRIPTIONS_COLLECTION = 'papers_subscriptions';
/** Longest interests text kept (the model reads the first few hundred words anyway). */
export const INTERESTS_MAX_CHARS = 2000;
/** RFC 5321's limit on a forward path's length. */
const EMAIL_MAX_CHARS = 254;
/**
 * A practical address check (not RFC 5322's full grammar, which allows quoted and commented forms no
 * one subscribes with): a local part and a dotted domain, no spaces, no angle brackets or commas that
 * could add recipients or headers.
 */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Where a subscriber's current (or last) digest stands. See docs/papers.md, "Daily digest". */
export type SendStatus = 'sending' | 'sent' | 'failed' | 'uncertain' | 'given-up';

export interface SendState {
  status: SendStatus;
  /** The digest covers papers with windowStart < addedAt <= windowEnd. */
  windowStart: number;
  windowEnd: number;
  /** Stable for a subscriber and windowStart: every attempt at the same digest carries the same Message-ID. */
  messageId: string;
  /** Attempts at this window so far (each is one SMTP transaction). */
  attempts: number;
  /** The papers (ids) of the digest, best first. */
  papers: string[];
  updatedAt: number;
  /** failed: the scheduler tries again from this time on. */
  retryAt?: number;
  /** failed, uncertain, given-up: what the SMTP server or the connection said. */
  error?: string;
}

export interface Subscription {
  id: string;
  email: string;
  interests: string;
  createdAt: number;
  updatedAt: number;
  /** The next digest lists papers added after this (ms since the epoch). */
  lastDigestAt: number;
  /** When a digest run last looked at this subscriber (sent or found nothing new). */
  checkedAt?: number;
  send?: SendState;
}

type SubscriptionMetadata = Omit<Subscription, 'id' | 'interests'>;

/** Lower-cased and trimmed; INVALID_ARGUMENT naming the problem otherwise. */
export function normaliseEmail(input: unknown): string {
  if (typeof input !== 'string') throw new QuiverError('INVALID_ARGUMENT', 'email must be a string, e.g. "ada@example.org".', { field: 'email' });
  const email = input.trim().toLowerCase();
  if (email.length === 0) throw new QuiverError('INVALID_ARGUMENT', 'email is empty; give the address the digest goes to, e.g. "ada@example.org".', { field: 'email' });
  if (email.length > EMAIL_MAX_CHARS) throw new QuiverError('INVALID_ARGUMENT', `email has ${email.length} characters; an address has at most ${EMAIL_MAX_CHARS}.`, { field: 'email' });
  if (!EMAIL.test(email)) {
    throw new QuiverError('INVALID_ARGUMENT', `${JSON.stringify(input.slice(0, 80))} is not an email address this server sends to: it needs one "@" between a name and a domain with a dot (e.g. "ada@example.org"), without spaces, quotes, commas or angle brackets.`, { field: 'email' });
  }
  return email;
}

export function checkInterests(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new QuiverError('INVALID_ARGUMENT', 'interests must be a non-empty text: what papers the digest should bring, in your own words (e.g. "graph neural networks for molecules").', { field: 'interests' });
  }
  const interests = input.trim().replace(/\s+/g, ' ');
  if (interests.length > INTERESTS_MAX_CHARS) {
    throw new QuiverError('INVALID_ARGUMENT', `interests has ${interests.length} characters; at most ${INTERESTS_MAX_CHARS} are kept: shorten it.`, { field: 'interests', maximum: INTERESTS_MAX_CHARS });
  }
  return interests;
}

export class Subscriptions {
  readonly collection: Collection;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(collection: Collection) {
    this.collection = collection;
  }

  /**
   * The store, creating its collection on first use with the papers collection's embedding config (so
   * interests and papers are vectors of one model). Needs the papers collection to exist.
   */
  static async open(db: Quiver): Promise<Subscriptions> {
    const names = new Set((await db.listCollections()).map((c) => c.name));
    if (!names.has(SUBSCRIPTIONS_COLLECTION)) {
      if (!names.has(PAPERS_COLLECTION)) {
        throw new QuiverError('COLLECTION_NOT_FOUND', `Quiver Papers is not set up in this database: it has no "${PAPERS_COLLECTION}" collection, so there is nothing to subscribe to. Start the papers app (npm start) first.`, { collection: PAPERS_COLLECTION });
      }
      const papers = await db.collection(PAPERS_COLLECTION).stats();
      if (papers.embedding === undefined) {
        throw new QuiverError('UNSUPPORTED', `The "${PAPERS_COLLECTION}" collection has no embedding function, so interests cannot be matched to papers by meaning; recreate it with the papers app.`, { collection: PAPERS_COLLECTION });
      }
      try {
        await db.createCollection(SUBSCRIPTIONS_COLLECTION, { embedding: papers.embedding.config as EmbeddingConfig, metric: papers.metric as 'cosine', index: 'Flat' });
      } catch (error) {
        // another caller created it meanwhile: the same collection
        if (!(error instanceof QuiverError && error.code === 'COLLECTION_EXISTS')) throw error;
      }
    }
    return new Subscriptions(db.collection(SUBSCRIPTIONS_COLLECTION));
  }

  /** Runs `job` after every write queued before it (and before any queued after it). */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Subscribes an address, or updates the interests of an existing subscription (keeping its digest
   * position and send state). `created` says which.
   */
  async subscribe(input: { email: unknown; interests: unknown }, now: number): Promise<{ subscription: Subscription; created: boolean }> {
    const email = normaliseEmail(input.email);
    const interests = checkInterests(input.interests);
    const id = subscriberId(email);
    return this.serial(async () => {
      const existing = await this.get(id);
      const metadata: SubscriptionMetadata = {
        email,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        lastDigestAt: existing?.lastDigestAt ?? now,
        ...(existing?.checkedAt !== undefined ? { checkedAt: existing.checkedAt } : {}),
        ...(existing?.send !== undefined ? { send: existing.send } : {}),
      };
      await this.collection.upsert([{ key: id, document: interests, metadata: metadata as unknown as Metadata }]);
      return { subscription: { id, interests, ...metadata }, created: existing === null };
    });
  }

  /** Removes a subscriber; false when there was none (unsubscribing twice is not an error). */
  async unsubscribe(id: string): Promise<boolean> {
    return this.serial(async () => (await this.collection.delete([id])).count > 0);
  }

  async get(id: string): Promise<Subscription | null> {
    const [record] = await this.collection.get([id]);
    return record === null ? null : toSubscription(record.key, record.document, record.metadata);
  }

  /** A subscriber with the embedded interests (the vector digests are matched by). */
  async getWithVector(id: string): Promise<{ subscription: Subscription; vector: Float32Array } | null> {
    const [record] = await this.collection.get([id]);
    if (record === null) return null;
    return { subscription: toSubscription(record.key, record.document, record.metadata), vector: Float32Array.from(record.vector) };
  }

  async byEmail(email: unknown): Promise<Subscription | null> {
    return this.get(subscriberId(normaliseEmail(email)));
  }

  /** Every subscription, ordered by email. */
  async list(): Promise<Subscription[]> {
    const all: Subscription[] = [];
    for await (const batch of this.collection.scan({ batchSize: 500 })) {
      for (const record of batch) all.push(toSubscription(record.key, record.document, record.metadata));
    }
    return all.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  }

  /**
   * Changes a subscriber's digest fields (shallow merge); false when the subscriber is gone (they
   * unsubscribed meanwhile: nothing to record).
   */
  async record(id: string, changes: Partial<Pick<Subscription, 'lastDigestAt' | 'checkedAt' | 'send'>>): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.collection.get([id]))[0] === null) return false;
      await this.collection.update([{ key: id, metadata: changes as unknown as Metadata }]);
      return true;
    });
  }
}

function toSubscription(id: string, document: string | undefined, metadata: Record<string, unknown> | undefined): Subscription {
  const m = (metadata ?? {}) as unknown as SubscriptionMetadata;
  return {
    id,
    email: m.email,
    interests: document ?? '',
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    lastDigestAt: m.lastDigestAt,
    ...(m.checkedAt !== undefined ? { checkedAt: m.checkedAt } : {}),
    ...(m.send !== undefined ? { send: m.send } : {}),
  };
}
