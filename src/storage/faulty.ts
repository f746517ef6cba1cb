/**
 * FaultyStorage: an in-memory disk that loses data the way real disks do, for recovery tests.
 *
 * The model, strict on purpose (stricter than ext4's defaults, so code that passes here does not rely on
 * file-system luck):
 *   - every file has durable bytes and current bytes; syncFile / AppendFile.sync make current durable;
 *   - directory entries (creates, renames, removes) are durable only after syncDirectory;
 *   - crash() is a power loss. The returned FaultyStorage is the disk after reboot: the directory is its
 *     durable state plus a random prefix of the later operations (journaled metadata is ordered), and each
 *     file that survives holds either its durable bytes, or its durable bytes extended by a random prefix
 *     of what was written since (appended or rewritten), of which the last up-to-4 bytes may be garbled
 *     (a partially programmed write) or a suffix may read as zeros (the file size reached the disk before
 *     its data). Unsynced writeFile contents are therefore lost or torn.
 *   - not modelled: unsynced pages reaching the disk out of order with non-zero garbage in between. The
 *     WAL reports that shape as CORRUPTED rather than guess, which is the right answer for synced data.
 * All randomness comes from the seed, so a failing seed replays exactly.
 *
 * Every operation completes on a later turn of the event loop (setImmediate), so concurrent callers really
 * interleave and a test can crash() between any two steps. After crash() the old object fails every call.
 */
import { QuiverError } from '../core/errors.js';
import { assert } from '../core/lib/assert.js';
import { Prng } from '../core/lib/prng.js';
import type { AppendFile, StorageAdapter, StorageLock } from './adapter.js';
import { checkFileName } from './file-name.js';
import { GrowableBytes } from './growable-bytes.js';
import { ioError } from './io-error.js';

export interface FaultyStorageOptions {
  seed: number;
  /** Probability that a readFile throws IO_ERROR (EIO). */
  readErrorRate?: number;
  /** Probability that a writeFile, append or truncate throws IO_ERROR (ENOSPC), after writing a random prefix. */
  writeErrorRate?: number;
  /** Probability that an fsync (file or directory) throws IO_ERROR (EIO), making nothing durable. */
  syncErrorRate?: number;
  /** How long every fsync takes, in milliseconds; lets tests show group commit under slow disks. */
  syncDelayMs?: number;
  label?: string;
}

export interface FaultyStorageStats {
  /** syncFile + AppendFile.sync + syncDirectory calls. */
  fsyncs: number;
  fileSyncs: number;
  directorySyncs: number;
  /** readFile calls. */
  reads: number;
  /** writeFile, append and truncate calls. */
  writes: number;
}

export interface FaultRates {
  readErrorRate: number;
  writeErrorRate: number;
  syncErrorRate: number;
}

interface Inode {
  data: GrowableBytes;
  /** Durable bytes when they are no longer a prefix of `data` (after a rewrite or truncate); else null. */
  durableCopy: Uint8Array | null;
  /** When durableCopy is null, the durable bytes are data[0, durableLength). */
  durableLength: number;
}

type DirectoryOperation =
  | { kind: 'link'; name: string; inode: Inode }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'unlink'; name: string };

const GARBLED_BYTES_MAX = 4;

export class FaultyStorage implements StorageAdapter {
  readonly name = 'faulty';
  readonly location: string;
  readonly stats: FaultyStorageStats = { fsyncs: 0, fileSyncs: 0, directorySyncs: 0, reads: 0, writes: 0 };
  /** Mutable, so a test can set up cleanly and then turn faults on. */
  readonly faults: FaultRates;
  private readonly prng: Prng;
  private readonly syncDelayMs: number;
  private readonly directory = new Map<string, Inode>();
  private durableDirectory = new Map<string, Inode>();
  private pendingOperations: DirectoryOperation[] = [];
  private lockToken: object | null = null;
  private crashed = false;

  constructor(options: FaultyStorageOptions) {
    this.prng = new Prng(options.seed);
    this.location = options.label ?? `faulty(seed ${options.seed})`;
    this.faults = {
      readErrorRate: options.readErrorRate ?? 0,
      writeErrorRate: options.writeErrorRate ?? 0,
      syncErrorRate: options.syncErrorRate ?? 0,
    };
    this.syncDelayMs = options.syncDelayMs ?? 0;
  }

  /** Power loss: this object dies, and the returned one holds what the disk holds after reboot. */
  crash(): FaultyStorage {
    assert(!this.crashed, 'crash() called twice on the same FaultyStorage');
    this.crashed = true;
    const surviving = new Map(this.durableDirectory);
    const kept = this.prng.int(this.pendingOperations.length + 1);
    for (const operation of this.pendingOperations.slice(0, kept)) applyOperation(surviving, operation);

    const next = new FaultyStorage({
      seed: this.prng.u32(),
      label: this.location,
      syncDelayMs: this.syncDelayMs,
      ...this.faults,
    });
    for (const name of [...surviving.keys()].sort()) {
      const inode = newInode(this.survivingBytes(surviving.get(name)!));
      inode.durableLength = inode.data.length;
      next.directory.set(name, inode);
    }
    next.durableDirectory = new Map(next.directory);
    return next;
  }

  async list(): Promise<string[]> {
    await this.step('.', 'list');
    return [...this.directory.keys()].sort();
  }

  async exists(name: string): Promise<boolean> {
    checkFileName(name);
    await this.step(name, 'stat');
    return this.directory.has(name);
  }

  async readFile(name: string): Promise<Uint8Array | null> {
    checkFileName(name);
    this.stats.reads++;
    await this.step(name, 'read');
    if (this.roll(this.faults.readErrorRate)) throw ioError(name, 'read', 'EIO', this.location);
    return this.directory.get(name)?.data.copy() ?? null;
  }

  async readRange(name: string, offset: number, length: number): Promise<Uint8Array | null> {
    checkFileName(name);
    this.stats.reads++;
    await this.step(name, 'read');
    if (this.roll(this.faults.readErrorRate)) throw ioError(name, 'read', 'EIO', this.location);
    return this.directory.get(name)?.data.view().slice(offset, offset + length) ?? null;
  }

  async writeFile(name: string, bytes: Uint8Array): Promise<void> {
    checkFileName(name);
    this.stats.writes++;
    const copy = bytes.slice();
    await this.step(name, 'write');
    let inode = this.directory.get(name);
    if (inode === undefined) {
      inode = newInode();
      this.link(name, inode);
    }
    beforeRewrite(inode, 0);
    if (this.roll(this.faults.writeErrorRate)) {
      inode.data.replace(copy.subarray(0, this.prng.int(copy.length + 1)));
      throw ioError(name, 'write', 'ENOSPC', this.location);
    }
    inode.data.replace(copy);
  }

  async syncFile(name: string): Promise<void> {
    checkFileName(name);
    await this.syncInode(name, () => this.directory.get(name));
  }

  async openAppend(name: string): Promise<AppendFile> {
    checkFileName(name);
    await this.step(name, 'open for append');
    let inode = this.directory.get(name);
    if (inode === undefined) {
      inode = newInode();
      this.link(name, inode);
    }
    return new FaultyAppendFile(this, inode, name);
  }

  async rename(from: string, to: string): Promise<void> {
    checkFileName(from);
    checkFileName(to);
    await this.step(from, `rename to ${to}`);
    const inode = this.directory.get(from);
    if (inode === undefined) throw ioError(from, `rename to ${to}`, 'ENOENT', this.location);
    if (from === to) return;
    this.directory.delete(from);
    this.directory.set(to, inode);
    this.pendingOperations.push({ kind: 'rename', from, to });
  }

  async remove(name: string): Promise<void> {
    checkFileName(name);
    await this.step(name, 'remove');
    if (!this.directory.delete(name)) return;
    this.pendingOperations.push({ kind: 'unlink', name });
  }

  async syncDirectory(): Promise<void> {
    this.stats.fsyncs++;
    this.stats.directorySyncs++;
    await this.step('.', 'sync directory');
    await this.syncDelay('.', 'sync directory');
    if (this.roll(this.faults.syncErrorRate)) throw ioError('.', 'sync directory', 'EIO', this.location);
    this.durableDirectory = new Map(this.directory);
    this.pendingOperations = [];
  }

  async lock(): Promise<StorageLock> {
    await this.step('.', 'lock');
    if (this.lockToken !== null) {
      throw new QuiverError('LOCKED', `The storage "${this.location}" is already locked by another open database; close that database first.`, {
        location: this.location,
      });
    }
    const token = {};
    this.lockToken = token;
    return {
      release: async () => {
        if (this.lockToken === token) this.lockToken = null;
      },
    };
  }

  /** @internal shared with FaultyAppendFile */
  async appendTo(inode: Inode, name: string, bytes: Uint8Array): Promise<void> {
    this.stats.writes++;
    const copy = bytes.slice();
    await this.step(name, 'append');
    if (this.roll(this.faults.writeErrorRate)) {
      inode.data.append(copy.subarray(0, this.prng.int(copy.length + 1)));
      throw ioError(name, 'append', 'ENOSPC', this.location);
    }
    inode.data.append(copy);
  }

  /** @internal */
  async truncateInode(inode: Inode, name: string, size: number): Promise<void> {
    this.stats.writes++;
    await this.step(name, 'truncate');
    assert(Number.isInteger(size) && size >= 0 && size <= inode.data.length, `truncate size out of range: ${size}`);
    if (this.roll(this.faults.writeErrorRate)) throw ioError(name, 'truncate', 'EIO', this.location);
    beforeRewrite(inode, size);
    inode.data.truncate(size);
  }

  /** @internal */
  async syncInode(name: string, resolveInode: () => Inode | undefined): Promise<void> {
    this.stats.fsyncs++;
    this.stats.fileSyncs++;
    await this.step(name, 'sync');
    await this.syncDelay(name, 'sync');
    const inode = resolveInode();
    if (inode === undefined) throw ioError(name, 'sync', 'ENOENT', this.location);
    if (this.roll(this.faults.syncErrorRate)) throw ioError(name, 'sync', 'EIO', this.location);
    inode.durableCopy = null;
    inode.durableLength = inode.data.length;
  }

  /** @internal Waits a turn of the event loop, then fails if the machine crashed meanwhile. */
  async step(file: string, operation: string): Promise<void> {
    this.checkAlive(file, operation);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.checkAlive(file, operation);
  }

  private async syncDelay(file: string, operation: string): Promise<void> {
    if (this.syncDelayMs <= 0) return;
    await new Promise<void>((resolve) => setTimeout(resolve, this.syncDelayMs));
    this.checkAlive(file, operation);
  }

  private checkAlive(file: string, operation: string): void {
    if (this.crashed) {
      throw new QuiverError('IO_ERROR', `The simulated machine crashed; ${operation} of ${file} did not happen. Use the storage crash() returned.`, {
        file,
        operation,
        causeCode: 'ECRASHED',
        location: this.location,
      });
    }
  }

  private link(name: string, inode: Inode): void {
    this.directory.set(name, inode);
    this.pendingOperations.push({ kind: 'link', name, inode });
  }

  private roll(rate: number): boolean {
    return rate > 0 && this.prng.next() < rate;
  }

  private survivingBytes(inode: Inode): Uint8Array {
    const current = inode.data.view();
    const durable = inode.durableCopy ?? current.subarray(0, inode.durableLength);
    const common = inode.durableCopy === null ? inode.durableLength : commonPrefixLength(durable, current);
    if (common === current.length && common === durable.length) return durable.slice();
    if (this.prng.int(4) === 0) return durable.slice(); // none of the unsynced changes reached the disk
    const cut = common + this.prng.int(current.length - common + 1);
    const kept = current.slice(0, cut);
    const unsynced = cut - common;
    if (unsynced > 0) {
      const damage = this.prng.int(3);
      if (damage === 1) {
        const garbled = 1 + this.prng.int(Math.min(GARBLED_BYTES_MAX, unsynced));
        for (let i = cut - garbled; i < cut; i++) kept[i] = this.prng.int(256);
      } else if (damage === 2) {
        kept.fill(0, common + this.prng.int(unsynced));
      }
    }
    return kept;
  }
}

class FaultyAppendFile implements AppendFile {
  private closed = false;
  /** Operations run one after another, in call order, like the node-fs handle. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: FaultyStorage,
    private readonly inode: Inode,
    private readonly name: string,
  ) {}

  get size(): number {
    return this.inode.data.length;
  }

  append(bytes: Uint8Array): Promise<void> {
    return this.enqueue(() => this.storage.appendTo(this.inode, this.name, bytes));
  }

  sync(): Promise<void> {
    return this.enqueue(() => this.storage.syncInode(this.name, () => this.inode));
  }

  truncate(size: number): Promise<void> {
    return this.enqueue(() => this.storage.truncateInode(this.inode, this.name, size));
  }

  close(): Promise<void> {
    this.closed = true;
    return this.tail.then(() => undefined);
  }

  private enqueue(body: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new QuiverError('CLOSED', `The append handle of ${this.name} is closed.`, { file: this.name }));
    const run = this.tail.then(body);
    this.tail = run.catch(() => {});
    return run;
  }
}

function newInode(initial?: Uint8Array): Inode {
  return { data: new GrowableBytes(initial), durableCopy: null, durableLength: 0 };
}

/** Keeps the durable bytes aside before `data` changes below `keep` bytes, which appends never do. */
function beforeRewrite(inode: Inode, keep: number): void {
  if (inode.durableCopy === null && keep < inode.durableLength) {
    inode.durableCopy = inode.data.view().slice(0, inode.durableLength);
  }
}

function applyOperation(directory: Map<string, Inode>, operation: DirectoryOperation): void {
  if (operation.kind === 'link') {
    directory.set(operation.name, operation.inode);
  } else if (operation.kind === 'unlink') {
    directory.delete(operation.name);
  } else {
    const inode = directory.get(operation.from);
    if (inode === undefined) return;
    directory.delete(operation.from);
    directory.set(operation.to, inode);
  }
}

function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
