/**
 * WalWriter: appends records to one open WAL file (format in core/format/wal.ts) with group commit.
 *
 * One pipeline runs at a time: take every record queued so far, write them with one append, and if any
 * waiting caller needs durability, fsync once. Records that arrive while a write or fsync is in flight
 * queue up and go out together in the next round, so N concurrent 'sync' appends cost about two fsyncs,
 * not N. The pipeline starts one microtask after the first append, so appends made in the same tick share
 * even the first round.
 *
 * Durability per append:
 *   'sync'    resolves after an fsync that covers the record;
 *   'batched' resolves after the write; an fsync follows within syncIntervalMs (at most one per interval);
 *   'none'    resolves after the write is handed to the adapter; fsynced only by flush/close or by a later
 *             'sync' append (every fsync covers everything written before it).
 *
 * Failure is final: after a failed write or fsync the file's state is unknown (Linux may already have
 * dropped the dirty pages a failed fsync was flushing), so every waiting append rejects with IO_ERROR and
 * every later one too; the database must reopen and recover from what is on disk. An append that rejected
 * may still turn out to be in the log after recovery (it can have reached the disk before the failure).
 */
import { QuiverError } from '../core/errors.js';
import { assert } from '../core/lib/assert.js';
import {
  type DecodedWal,
  decodeWal,
  encodeWalHeader,
  encodeWalRecord,
  parseWalFileName,
  walFileName,
} from '../core/format/wal.js';
import type { AppendFile, StorageAdapter } from './adapter.js';
import { ioError, toIoError } from './io-error.js';

export type WalDurability = 'sync' | 'batched' | 'none';

export interface WalWriterOptions {
  /** Longest time a 'batched' append stays unsynced, in milliseconds. */
  syncIntervalMs?: number;
}

export const WAL_SYNC_INTERVAL_MS_DEFAULT = 100;

interface Waiter {
  /** The record's sequence number (1-based, within this writer), or the sequence a flush waits for. */
  sequence: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class WalWriter {
  readonly name: string;
  private readonly syncIntervalMs: number;
  private queued: Uint8Array[] = [];
  private acceptedSequence = 0;
  private writtenSequence = 0;
  private syncedSequence = 0;
  /** A sync wanted without a waiter (the batched timer): sequence to cover. */
  private syncWanted = 0;
  private writeWaiters: Waiter[] = [];
  private syncWaiters: Waiter[] = [];
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failure: QuiverError | null = null;
  /** Set when close() starts: appends after that would race the final flush, so they are refused. */
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private logicalSize: number;

  private constructor(
    private readonly file: AppendFile,
    readonly fileNumber: number,
    options: WalWriterOptions,
  ) {
    this.name = walFileName(fileNumber);
    this.logicalSize = file.size;
    const interval = options.syncIntervalMs ?? WAL_SYNC_INTERVAL_MS_DEFAULT;
    assert(Number.isFinite(interval) && interval >= 0, `syncIntervalMs must be a non-negative number: ${interval}`);
    this.syncIntervalMs = interval;
  }

  /**
   * Creates WAL file `fileNumber` (it must not exist, or be empty), writes its header and makes both the
   * header and the directory entry durable before returning, so a record is never written without them.
   */
  static async create(adapter: StorageAdapter, fileNumber: number, options: WalWriterOptions = {}): Promise<WalWriter> {
    const name = walFileName(fileNumber);
    const file = await adapter.openAppend(name);
    try {
      assert(file.size === 0, `WAL file ${name} already exists with ${file.size} bytes; pick a new file number`);
      await file.append(encodeWalHeader(fileNumber));
      await file.sync();
      await adapter.syncDirectory();
    } catch (error) {
      await file.close().catch(() => {});
      throw error;
    }
    return new WalWriter(file, fileNumber, options);
  }

  /**
   * Opens an existing WAL file to append more records, after recovering it: reads and decodes it, cuts a
   * torn tail (see readWalFile) and returns its records for replay. A missing file, or one that holds no
   * complete header (a crash during create), is created afresh.
   */
  static async resume(
    adapter: StorageAdapter,
    fileNumber: number,
    options: WalWriterOptions = {},
  ): Promise<{ writer: WalWriter; records: Uint8Array[] }> {
    const name = walFileName(fileNumber);
    const decoded = (await adapter.exists(name)) ? await readWalFile(adapter, name) : null;
    if (decoded === null || decoded.fileNumber === null) {
      return { writer: await WalWriter.create(adapter, fileNumber, options), records: [] };
    }
    const file = await adapter.openAppend(name);
    assert(file.size === decoded.validLength, `WAL file ${name} changed while it was being resumed`);
    return { writer: new WalWriter(file, fileNumber, options), records: decoded.records };
  }

  /** Bytes in the file once every accepted append is written: header + records (for rotation decisions). */
  get size(): number {
    return this.logicalSize;
  }

  /** Appends one record; records land in the file in call order. See the file comment for durability. */
  append(payload: Uint8Array, durability: WalDurability): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.refusal());
    if (this.closing) return Promise.reject(closedError(this.name));
    let record: Uint8Array;
    try {
      record = encodeWalRecord(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    this.queued.push(record);
    this.logicalSize += record.length;
    const sequence = ++this.acceptedSequence;
    const done = new Promise<void>((resolve, reject) => {
      (durability === 'sync' ? this.syncWaiters : this.writeWaiters).push({ sequence, resolve, reject });
    });
    if (durability === 'batched') this.armTimer();
    this.kick();
    return done;
  }

  /** Writes and fsyncs everything accepted so far, whatever its durability. */
  flush(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.refusal());
    const sequence = this.acceptedSequence;
    if (sequence <= this.syncedSequence) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.syncWaiters.push({ sequence, resolve, reject }));
    this.kick();
    return done;
  }

  /**
   * Flushes, then closes the file; later appends reject with CLOSED. Rejects if the final flush fails.
   * After an earlier failure it just closes (that failure was already reported to the appends).
   */
  close(): Promise<void> {
    this.closePromise ??= this.closeOnce();
    return this.closePromise;
  }

  private async closeOnce(): Promise<void> {
    this.closing = true;
    let flushError: unknown = null;
    if (this.failure === null) {
      await this.flush().catch((error: unknown) => {
        flushError = error;
      });
    }
    this.clearTimer();
    await this.file.close().catch((error: unknown) => {
      flushError ??= toIoError(error, this.name, 'close');
    });
    if (flushError !== null) throw flushError;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    // One microtask of patience: appends issued in the same tick join the first round.
    await Promise.resolve();
    try {
      while (this.failure === null) {
        let worked = false;
        if (this.queued.length > 0) {
          const batch = concat(this.queued);
          const upTo = this.acceptedSequence;
          this.queued = [];
          await this.io('append', () => this.file.append(batch));
          this.writtenSequence = upTo;
          this.writeWaiters = settle(this.writeWaiters, upTo);
          worked = true;
        }
        // Sync only for waiters already written: one that arrived during the write goes out with the next
        // round's write, then shares its fsync, instead of costing an fsync that cannot cover it.
        const waiterWritten = this.syncWaiters.length > 0 && this.syncWaiters[0].sequence <= this.writtenSequence;
        if ((waiterWritten || this.syncWanted > this.syncedSequence) && this.writtenSequence > this.syncedSequence) {
          const upTo = this.writtenSequence;
          await this.io('sync', () => this.file.sync());
          this.syncedSequence = upTo;
          this.syncWaiters = settle(this.syncWaiters, upTo);
          if (this.syncedSequence >= this.writtenSequence && this.queued.length === 0) this.clearTimer();
          worked = true;
        }
        if (!worked) break;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.running = false;
    }
  }

  private async io(operation: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      throw toIoError(error, this.name, operation);
    }
  }

  private fail(error: unknown): void {
    this.failure =
      error instanceof QuiverError ? error : toIoError(error, this.name, 'write-ahead log');
    this.clearTimer();
    this.queued = [];
    const waiters = [...this.writeWaiters, ...this.syncWaiters];
    this.writeWaiters = [];
    this.syncWaiters = [];
    for (const waiter of waiters) waiter.reject(this.failure);
  }

  private refusal(): QuiverError {
    const failure = this.failure!;
    return new QuiverError(
      'IO_ERROR',
      `The write-ahead log ${this.name} failed earlier (${failure.message}) and accepts no more writes; reopen the database to recover.`,
      { ...failure.details, file: this.name, operation: 'append after failure' },
      { cause: failure },
    );
  }

  private armTimer(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.syncWanted = Math.max(this.syncWanted, this.acceptedSequence);
      this.kick();
    }, this.syncIntervalMs);
    // An unsynced 'batched' record is already in the OS page cache; it need not keep the process alive.
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Reads and decodes WAL file `name` (IO_ERROR with causeCode ENOENT when it does not exist). A torn tail is cut off the file and the
 * cut fsynced, so the torn bytes can never end up between old records and new ones (which would turn a
 * harmless torn tail into corruption in the middle of the log). Throws CORRUPTED / UNSUPPORTED as decodeWal.
 */
export async function readWalFile(adapter: StorageAdapter, name: string): Promise<DecodedWal> {
  const bytes = await adapter.readFile(name);
  if (bytes === null) throw ioError(name, 'read', 'ENOENT', adapter.location);
  const decoded = decodeWal(bytes, name);
  const expectedNumber = parseWalFileName(name);
  if (decoded.fileNumber !== null && expectedNumber !== null && decoded.fileNumber !== expectedNumber) {
    throw new QuiverError(
      'CORRUPTED',
      `WAL file ${name} says it is file number ${decoded.fileNumber}; it was renamed or copied over. Restore it under its own name, or restore from a backup.`,
      { file: name, offset: 8, expected: expectedNumber, received: decoded.fileNumber },
    );
  }
  if (decoded.validLength < bytes.length) {
    assert(decoded.tornTail, 'decodeWal left bytes unaccounted for without a torn tail');
    const file = await adapter.openAppend(name);
    try {
      await file.truncate(decoded.validLength);
      await file.sync();
    } finally {
      await file.close();
    }
  }
  return decoded;
}

function settle(waiters: Waiter[], upTo: number): Waiter[] {
  let i = 0;
  while (i < waiters.length && waiters[i].sequence <= upTo) waiters[i++].resolve();
  return i === 0 ? waiters : waiters.slice(i);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function closedError(name: string): QuiverError {
  return new QuiverError('CLOSED', `The write-ahead log ${name} is closed; reopen the database to write.`, { file: name });
}
