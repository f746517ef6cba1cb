/**
 * Scan pages over HTTP: the first request opens the embedded API's scan (keys as of that moment, none
 * twice, records deleted meanwhile skipped) and each later request with the cursor reads its next batch.
 * Cursors are random, bound to their collection, closed when finished, when idle for scanCursorIdleMs,
 * or when the server shuts down; at most scanCursorsMax are open at once.
 */
import { randomBytes } from 'node:crypto';
import type { StoredRecord } from '../index.js';
import { QuiverError } from '../protocol/errors.js';

interface OpenScan {
  collection: string;
  iterator: AsyncIterator<StoredRecord[]>;
  lastUsed: number;
  busy: boolean;
}

export class ScanCursors {
  private readonly open = new Map<string, OpenScan>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 10_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.open.size;
  }

  /** Starts a scan and reads its first page. */
  async start(collection: string, iterable: AsyncIterable<StoredRecord[]>): Promise<{ records: StoredRecord[]; cursor: string | null }> {
    this.sweep();
    if (this.open.size >= this.max) {
      throw new QuiverError('LIMIT_EXCEEDED', `${this.open.size} scans are open on this server (limits.scanCursorsMax is ${this.max}). Finish or abandon scans (an idle one closes after ${this.idleMs} ms) and retry.`, {
        limit: 'scanCursorsMax',
        maximum: this.max,
      });
    }
    const iterator = iterable[Symbol.asyncIterator]();
    const id = randomBytes(18).toString('base64url');
    const scan: OpenScan = { collection, iterator, lastUsed: Date.now(), busy: false };
    this.open.set(id, scan);
    return this.read(id, scan);
  }

  /** The next page of an open scan. */
  async next(collection: string, cursor: string): Promise<{ records: StoredRecord[]; cursor: string | null }> {
    const scan = this.open.get(cursor);
    if (scan === undefined || scan.collection !== collection) {
      throw new QuiverError('CURSOR_NOT_FOUND', `The scan cursor is unknown, finished, or was closed after ${this.idleMs} ms unused. Start the scan again without a cursor.`, { collection });
    }
    if (scan.busy) {
      throw new QuiverError('INVALID_ARGUMENT', 'This scan cursor is already reading a page; request the pages of one scan one after another.', { collection });
    }
    return this.read(cursor, scan);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const scans = [...this.open.values()];
    this.open.clear();
    await Promise.all(scans.map((s) => s.iterator.return?.().catch(() => undefined)));
  }

  private async read(id: string, scan: OpenScan): Promise<{ records: StoredRecord[]; cursor: string | null }> {
    scan.busy = true;
    try {
      const step = await scan.iterator.next();
      scan.lastUsed = Date.now();
      if (step.done) {
        this.open.delete(id);
        return { records: [], cursor: null };
      }
      return { records: step.value, cursor: id };
    } catch (error) {
      this.open.delete(id);
      throw error;
    } finally {
      scan.busy = false;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, scan] of this.open) {
      if (!scan.busy && now - scan.lastUsed > this.idleMs) {
        this.open.delete(id);
        void scan.iterator.return?.().catch(() => undefined);
      }
    }
  }
}
