/**
 * The files of one database directory and the rules that keep them consistent:
 *
 *   MANIFEST          the current checkpoint: collections, their sealed segments and deletion marks, and
 *                     the first WAL file to replay. Replaced atomically (MANIFEST.tmp, fsync, rename,
 *                     fsync the directory), so a crash leaves either the old or the new one.
 *   wal-NNNNNNNN.log  write-ahead log files; every write is one record, so a batch is all or nothing.
 *   seg-NNNNNNNN.qseg immutable sealed segments, written before the manifest that names them.
 *   tok-NNNNNNNN.qtok a multi-vector segment's token vectors (core/format/tokens.ts): written before its
 *                     segment file, once per segment id, and removed with it.
 *   LOCK              held while a process has the database open.
 *
 * Recovery: read the manifest, load its segments, replay WAL files from its walStart in order. A torn
 * tail is truncated; since a WAL file's records are acknowledged only after the previous file is synced
 * (see log()), WAL files after a torn one hold nothing acknowledged and are discarded. Files the manifest
 * does not name are left-overs of an interrupted checkpoint and are removed. Checksum failures anywhere
 * else refuse the open with CORRUPTED.
 */
import { QuiverError } from '../core/errors.js';
import { parseWalFileName, walFileName } from '../core/format/wal.js';
import type { StorageAdapter } from './adapter.js';
import { WalWriter, readWalFile } from './wal-writer.js';

export type Durability = 'sync' | 'batched' | 'none';

export const MANIFEST_FILE = 'MANIFEST';
const MANIFEST_TEMP = 'MANIFEST.tmp';
const SEGMENT_PATTERN = /^seg-(\d{8})\.qseg$/;
/** A segment's companion files (multi-vector collections' token vectors, tok-NNNNNNNN.qtok) share its id. */
const COMPANION_PATTERN = /^tok-(\d{8})\.qtok$/;

export const segmentFileName = (id: number): string => `seg-${String(id).padStart(8, '0')}.qseg`;

export interface StoreOptions {
  durability: Durability;
  syncIntervalMs: number;
}

/** What a checkpoint writes: prepared synchronously at the moment the WAL is switched. */
export interface CheckpointPlan {
  /** Sealed segments not yet on disk, with their file bytes (encoded after the switch). */
  newSegments: { id: number; encode(): Uint8Array | Promise<Uint8Array>; companion?: { file: string; encode(): Uint8Array | Promise<Uint8Array> } }[];
  /** Encodes the manifest, given the WAL file replay must start from. */
  encodeManifest(walStart: number): Uint8Array;
  /** Segment ids the manifest names: every other segment file is garbage once it is durable. */
  liveSegmentIds: Set<number>;
  /** Called once the manifest is durable. */
  onDurable(): void;
}

/**
 * Writes segment files as temp file, fsync, rename, then fsyncs the directory once: a file is either
 * absent or whole under its name, also when a segment is written again (its graph completed).
 */
export async function writeSegmentFiles(adapter: StorageAdapter, segments: CheckpointPlan['newSegments']): Promise<void> {
  if (segments.length === 0) return;
  for (const segment of segments) {
    if (segment.companion) {
      const { file: companion } = segment.companion;
      await adapter.writeFile(`${companion}.tmp`, await segment.companion.encode());
      await adapter.syncFile(`${companion}.tmp`);
      await adapter.rename(`${companion}.tmp`, companion);
    }
    const file = segmentFileName(segment.id);
    await adapter.writeFile(`${file}.tmp`, await segment.encode());
    await adapter.syncFile(`${file}.tmp`);
    await adapter.rename(`${file}.tmp`, file);
  }
  await adapter.syncDirectory();
}

/** Writes a manifest atomically: temp file, fsync, rename, fsync the directory. */
export async function writeManifestFile(adapter: StorageAdapter, bytes: Uint8Array): Promise<void> {
  await adapter.writeFile(MANIFEST_TEMP, bytes);
  await adapter.syncFile(MANIFEST_TEMP);
  await adapter.rename(MANIFEST_TEMP, MANIFEST_FILE);
  await adapter.syncDirectory();
}

export class DurableStore {
  readonly adapter: StorageAdapter;
  private readonly options: StoreOptions;
  private readonly lock: { release(): Promise<void> };
  private wal: WalWriter | null = null;
  private walNumber = 0;
  /** Resolves once the previous WAL file is synced: later records are acknowledged only after it. */
  private previousWalSynced: Promise<void> = Promise.resolve();
  private walBytesAtStart = 0;
  private closedWalBytes = 0;
  private failure: QuiverError | null = null;

  private constructor(adapter: StorageAdapter, options: StoreOptions, lock: { release(): Promise<void> }) {
    this.adapter = adapter;
    this.options = options;
    this.lock = lock;
  }

  /** Locks the directory and reads the manifest (null for a new database). */
  static async open(adapter: StorageAdapter, options: StoreOptions): Promise<{ store: DurableStore; manifest: Uint8Array | null }> {
    const lock = await adapter.lock();
    try {
      const manifest = await adapter.readFile(MANIFEST_FILE);
      if (manifest === null) {
        const files = await adapter.list();
        const ours = files.filter((f) => parseWalFileName(f) !== null || SEGMENT_PATTERN.test(f) || COMPANION_PATTERN.test(f));
        if (ours.length > 0) {
          throw new QuiverError('CORRUPTED', `${adapter.location}: the MANIFEST file is missing but data files exist (${ours.slice(0, 3).join(', ')}). Restore the directory from a backup.`, {
            file: MANIFEST_FILE,
            location: adapter.location,
          });
        }
      }
      return { store: new DurableStore(adapter, options, lock), manifest };
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  async readSegmentFile(id: number): Promise<{ file: string; bytes: Uint8Array }> {
    const file = segmentFileName(id);
    const bytes = await this.adapter.readFile(file);
    if (bytes === null) {
      throw new QuiverError('CORRUPTED', `${this.adapter.location}: segment file ${file} named by the manifest is missing. Restore the directory from a backup.`, { file });
    }
    return { file, bytes };
  }

  /**
   * Bytes [offset, offset + length) of a segment file (the adapter's readRange, else the whole file).
   * A missing file is null: the caller decides whether that is damage or a segment compacted away.
   */
  async readSegmentRange(id: number, offset: number, length: number): Promise<Uint8Array | null> {
    const file = segmentFileName(id);
    if (this.adapter.readRange) return this.adapter.readRange(file, offset, length);
    const bytes = await this.adapter.readFile(file);
    return bytes === null ? null : bytes.slice(offset, offset + length);
  }

  /**
   * Replays every WAL file from walStart, in order, through `apply`; then starts a fresh WAL file.
   * Returns how many records were replayed.
   */
  async recover(walStart: number, apply: (payload: Uint8Array, file: string) => void): Promise<number> {
    const numbers = (await this.adapter.list())
      .map(parseWalFileName)
      .filter((n): n is number => n !== null)
      .sort((a, b) => a - b);
    let replayed = 0;
    let torn = false;
    for (const n of numbers) {
      const file = walFileName(n);
      if (n < walStart || torn) {
        await this.adapter.remove(file);
        continue;
      }
      const decoded = await readWalFile(this.adapter, file);
      if (decoded === null) continue;
      for (const record of decoded.records) {
        apply(record, file);
        replayed++;
      }
      this.walBytesAtStart += decoded.validLength;
      torn = decoded.tornTail;
    }
    for (const f of await this.adapter.list()) if (f.endsWith('.tmp')) await this.adapter.remove(f);
    this.walNumber = Math.max(walStart - 1, numbers.length ? numbers[numbers.length - 1] : 0);
    await this.startNextWal();
    return replayed;
  }

  /** Bytes of WAL written since the last checkpoint (what triggers the next one). */
  get walBytes(): number {
    return this.walBytesAtStart + this.closedWalBytes + (this.wal?.size ?? 0);
  }

  /** Appends one record; resolves when it is as durable as the durability mode promises. */
  log(payload: Uint8Array): Promise<void> {
    this.throwIfFailed();
    const wal = this.wal;
    if (wal === null) throw new QuiverError('CLOSED', 'The database is closed.', {});
    const gate = this.previousWalSynced;
    return Promise.all([wal.append(payload, this.options.durability), gate]).then(
      () => undefined,
      (error: unknown) => {
        throw this.fail(error);
      },
    );
  }

  /**
   * Switches to a new WAL file, lets `prepare` freeze the state (synchronously, so no write lands in
   * between), then writes the new segments and the manifest, and removes what it made obsolete.
   */
  async checkpoint(prepare: () => CheckpointPlan): Promise<void> {
    this.throwIfFailed();
    try {
      const next = await WalWriter.create(this.adapter, this.walNumber + 1, { syncIntervalMs: this.options.syncIntervalMs });
      const previous = this.wal;
      this.wal = next;
      this.walNumber += 1;
      const plan = prepare();
      const previousClosed = previous ? previous.close() : Promise.resolve();
      this.previousWalSynced = previousClosed.catch(() => undefined);
      await previousClosed;
      this.closedWalBytes = 0;
      this.walBytesAtStart = 0;
      await writeSegmentFiles(this.adapter, plan.newSegments);
      await this.writeManifest(this.adapter, plan.encodeManifest(this.walNumber));
      plan.onDurable();
      await this.removeObsolete(plan.liveSegmentIds);
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Flushes and closes the WAL and releases the lock. */
  async close(): Promise<void> {
    try {
      if (this.wal && !this.failure) await this.wal.close();
    } finally {
      this.wal = null;
      await this.adapter.close?.();
      await this.lock.release();
    }
  }

  async writeManifest(adapter: StorageAdapter, bytes: Uint8Array): Promise<void> {
    await writeManifestFile(adapter, bytes);
  }

  private async startNextWal(): Promise<void> {
    this.walNumber += 1;
    this.wal = await WalWriter.create(this.adapter, this.walNumber, { syncIntervalMs: this.options.syncIntervalMs });
  }

  private async removeObsolete(liveSegmentIds: Set<number>): Promise<void> {
    let removed = false;
    for (const file of await this.adapter.list()) {
      const wal = parseWalFileName(file);
      const segment = SEGMENT_PATTERN.exec(file) ?? COMPANION_PATTERN.exec(file);
      if ((wal !== null && wal < this.walNumber) || (segment && !liveSegmentIds.has(Number(segment[1])))) {
        await this.adapter.remove(file);
        removed = true;
      }
    }
    if (removed) await this.adapter.syncDirectory();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** After a failed write or fsync the on-disk state is unknown: refuse everything until reopened. */
  private fail(error: unknown): QuiverError {
    if (!this.failure) {
      this.failure =
        error instanceof QuiverError && error.category !== 'io'
          ? error
          : new QuiverError('IO_ERROR', `Writing to ${this.adapter.location} failed (${error instanceof Error ? error.message : String(error)}); the database refuses further writes. Close it and open it again to recover from the log.`, {
              location: this.adapter.location,
              cause: error instanceof Error ? error.message : String(error),
              ...(error instanceof QuiverError && typeof error.details.causeCode === 'string' ? { causeCode: error.details.causeCode } : {}),
            }, { cause: error });
    }
    return this.failure;
  }
}
