/**
 * The daily digest's scheduler: a plain timer that, every digest.checkEveryMs, asks whether any
 * subscriber is due (not looked at since today's scheduled time, digest.hour UTC, or a failed send
 * whose retry time has come) and runs the digest for those. It keeps nothing in memory that matters:
 * what is due is decided from each subscriber's stored checkedAt and send state, so a restart (or a
 * missed day) simply runs at the next check. It runs only with SMTP and the digest secret configured
 * and the papers app set up (a `papers` collection).
 */
import type { FastifyBaseLogger } from 'fastify';
import { PAPERS_COLLECTION } from '../papers/collection.js';
import type { DigestReport } from '../papers/digest-run.js';
import type { ServerConfig } from './config.js';
import type { PapersDigest } from './papers-digest.js';

export const DIGEST_DEFAULT_HOUR = 7;
export const DIGEST_DEFAULT_CHECK_EVERY_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** The latest scheduled time at or before `now`: today's `hour`:00 UTC, or yesterday's. */
export function scheduledSlot(now: number, hour: number): number {
  const day = new Date(now);
  const today = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour);
  return today <= now ? today : today - DAY_MS;
}

/** Why the scheduler is off, or null when it runs. */
export function schedulerOffReason(config: ServerConfig): string | null {
  if (!config.papers.enabled) return 'the papers app is off (papers.enabled)';
  if (config.digest?.enabled === false) return 'digest.enabled is false';
  if (config.smtp?.url === undefined || config.smtp.url === '') return 'no SMTP server (smtp.url, QUIVER_SMTP_URL)';
  if (config.smtp.from === undefined || config.smtp.from === '') return 'no sender address (smtp.from, QUIVER_SMTP_FROM)';
  if (config.digest?.secret === undefined || config.digest.secret === '') return 'no digest secret (digest.secret, QUIVER_DIGEST_SECRET)';
  return null;
}

export class DigestScheduler {
  private readonly digest: PapersDigest;
  private readonly config: ServerConfig;
  private readonly log: FastifyBaseLogger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private first: NodeJS.Timeout | null = null;
  private ticking: Promise<DigestReport | null> | null = null;
  private readonly stopping = new AbortController();

  constructor(digest: PapersDigest, config: ServerConfig, log: FastifyBaseLogger, now: () => number = Date.now) {
    this.digest = digest;
    this.config = config;
    this.log = log;
    this.now = now;
  }

  /** Starts the timer when the digest is configured; says why not otherwise. */
  start(): boolean {
    const off = schedulerOffReason(this.config);
    if (off !== null) {
      if (this.config.digest?.enabled === true) this.log.warn({ reason: off }, 'digest.enabled is set but the daily digest cannot run');
      else this.log.debug({ reason: off }, 'the daily digest scheduler is off');
      return false;
    }
    const every = this.config.digest?.checkEveryMs ?? DIGEST_DEFAULT_CHECK_EVERY_MS;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
    // a first look soon after start, so that a server down at the scheduled time catches up
    this.first = setTimeout(() => void this.tick(), Math.min(every, 5_000));
    this.first.unref();
    this.log.info({ hourUtc: this.config.digest?.hour ?? DIGEST_DEFAULT_HOUR, checkEveryMs: every }, 'daily digest scheduler on');
    return true;
  }

  /** One check: runs the digest for the subscribers due now. Resolves to the run's report, or null when none ran. */
  tick(): Promise<DigestReport | null> {
    if (this.ticking !== null || this.stopping.signal.aborted) return Promise.resolve(null);
    const ticking = this.check().finally(() => {
      this.ticking = null;
    });
    this.ticking = ticking;
    return ticking;
  }

  private async check(): Promise<DigestReport | null> {
    try {
      if (this.digest.isRunning) return null;
      // the papers app is off (no papers collection) or nobody ever subscribed: nothing to do
      if (!(await this.digest.hasCollection(PAPERS_COLLECTION)) || !(await this.digest.hasSubscriptions())) return null;
      const slot = scheduledSlot(this.now(), this.config.digest?.hour ?? DIGEST_DEFAULT_HOUR);
      const report = await this.digest.run({ due: { slot }, signal: this.stopping.signal });
      if (report.results.length > 0 || report.aborted !== undefined) {
        const counts: Record<string, number> = {};
        for (const r of report.results) counts[r.status] = (counts[r.status] ?? 0) + 1;
        this.log.info({ slot: new Date(slot).toISOString(), counts, notDue: report.notDue, aborted: report.aborted }, 'daily digest run');
      }
      return report;
    } catch (error) {
      this.log.error({ err: error }, 'daily digest run failed; the next check tries again');
      return null;
    }
  }

  /** Stops the timer and the run in progress (at its next subscriber), and waits for it. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.first !== null) clearTimeout(this.first);
    this.timer = null;
    this.first = null;
    this.stopping.abort('the server is shutting down');
    await this.ticking;
  }
}
