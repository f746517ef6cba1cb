/**
 * Quiver Papers' daily digest inside the server: the subscription store (opened on first use), digest
 * runs (one at a time: the route, the scheduler and nothing else start them), and unsubscribe tokens.
 * The configuration (smtp, digest) is the server's; nothing of it is stored. docs/papers.md, "Daily digest".
 */
import type { FastifyBaseLogger } from 'fastify';
import { type Quiver, QuiverError } from '../index.js';
import { type DigestReport, runDigest } from '../papers/digest-run.js';
import { SmtpMailer } from '../papers/mailer.js';
import { Subscriptions, SUBSCRIPTIONS_COLLECTION } from '../papers/subscriptions.js';
import { checkDigestSecret, verifyUnsubscribeToken } from '../papers/tokens.js';
import type { ServerConfig } from './config.js';

export interface DigestRunRequest {
  dryRun?: boolean;
  /** The scheduler's: only subscribers due at this slot. */
  due?: { slot: number };
  signal?: AbortSignal;
}

/** Where runs report (the server's pino logger, or the CLI's stderr). */
export type DigestLog = Pick<FastifyBaseLogger, 'info' | 'warn'>;

export class PapersDigest {
  /** The server's own address once it listens: links in emails use it when digest.publicUrl is not set. */
  defaultPublicUrl: string | undefined;
  private readonly db: Quiver;
  private readonly config: ServerConfig;
  private readonly log: DigestLog;
  private store: Promise<Subscriptions> | null = null;
  private running: Promise<DigestReport> | null = null;

  constructor(db: Quiver, config: ServerConfig, log: DigestLog) {
    this.db = db;
    this.config = config;
    this.log = log;
  }

  /** The subscription store; its collection is created on first use (it needs the papers collection). */
  subscriptions(): Promise<Subscriptions> {
    if (this.store === null) {
      const opening = Subscriptions.open(this.db);
      this.store = opening;
      // a failure (no papers collection yet) is not cached: the next request tries again
      opening.catch(() => {
        if (this.store === opening) this.store = null;
      });
    }
    return this.store;
  }

  /** Whether subscriptions exist in this database at all (without creating anything). */
  async hasSubscriptions(): Promise<boolean> {
    return this.hasCollection(SUBSCRIPTIONS_COLLECTION);
  }

  async hasCollection(name: string): Promise<boolean> {
    return (await this.db.listCollections()).some((c) => c.name === name);
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  /** The subscriber id an unsubscribe token was signed for (INVALID_TOKEN, or UNSUPPORTED without a secret). */
  verifyToken(token: string): string {
    return verifyUnsubscribeToken(checkDigestSecret(this.config.digest?.secret, 'Unsubscribing'), token);
  }

  /** Runs the digest now; DIGEST_IN_PROGRESS while another run is going. */
  async run(request: DigestRunRequest = {}): Promise<DigestReport> {
    if (this.running !== null) {
      throw new QuiverError('DIGEST_IN_PROGRESS', 'A digest run is going on now (started by the scheduler or another request); wait for it to finish, then run again: only the subscribers it did not reach will be sent to.', {});
    }
    const dryRun = request.dryRun === true;
    const secret = checkDigestSecret(this.config.digest?.secret, 'Sending the digest');
    const smtp = this.config.smtp ?? {};
    if (!dryRun && (smtp.url === undefined || smtp.url === '')) {
      throw new QuiverError('UNSUPPORTED', 'Sending the digest needs an SMTP server: set smtp.url (QUIVER_SMTP_URL, e.g. smtp://user:password@mail.example.org:587) and smtp.from (QUIVER_SMTP_FROM).', { field: 'smtp.url' });
    }
    if (!dryRun && (smtp.from === undefined || smtp.from.trim() === '')) {
      throw new QuiverError('UNSUPPORTED', 'Sending the digest needs a sender address: set smtp.from (QUIVER_SMTP_FROM), e.g. "Quiver Papers <papers@example.org>".', { field: 'smtp.from' });
    }
    const mailer = dryRun ? null : new SmtpMailer({ url: smtp.url! });
    const run = (async () => {
      const subscriptions = await this.subscriptions();
      const digest = this.config.digest ?? {};
      return runDigest({
        db: this.db,
        subscriptions,
        mailer,
        secret,
        publicUrl: digest.publicUrl ?? this.defaultPublicUrl ?? `http://${this.config.host}:${this.config.port}`,
        from: smtp.from ?? 'Quiver Papers <papers@localhost>',
        dryRun,
        ...(request.due !== undefined ? { due: request.due } : {}),
        ...(request.signal !== undefined ? { signal: request.signal } : {}),
        ...(digest.papersMax !== undefined ? { papersMax: digest.papersMax } : {}),
        ...(digest.cutoffLagMs !== undefined ? { cutoffLagMs: digest.cutoffLagMs } : {}),
        log: (level, message, fields) => this.log[level](fields, message),
      });
    })();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }
}
