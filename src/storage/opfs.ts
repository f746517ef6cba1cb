/**
 * OpfsStorage: a database directory in the browser's Origin Private File System, with the same files
 * (MANIFEST, wal-*.log, seg-*.qseg) and therefore the same recovery rules as node-fs: the rules live in
 * store.ts, above this seam.
 *
 * Two ways in, chosen once per adapter:
 *   - In a dedicated Web Worker, FileSystemSyncAccessHandle: a WAL file stays open for the life of the
 *     log, an append is one write() at the end and a sync one flush(), like write(2) and fsync(2).
 *     Whole-file writes (segments, manifests) are written and flushed before their promise resolves.
 *   - On a page's main thread (no sync handles there), FileSystemWritableFileStream: every write goes to
 *     a swap file that replaces the file atomically on close(). Appends are buffered and committed by
 *     sync(), so a commit copies the whole WAL file: correct, but for heavy writing open the database in
 *     a worker (docs/runtimes.md).
 * Directory operations (create, move, remove) are done when their promise resolves; OPFS has no separate
 * directory sync, so syncDirectory() has nothing left to do. rename() is FileSystemHandle.move(), which
 * replaces the target in one step.
 *
 * The lock is a Web Lock named after the directory: one holder across every tab and worker of the origin,
 * released by the browser when its holder's context ends (a closed tab or a terminated worker; lock() waits
 * lockWaitMs for that), so a crash
 * never leaves a stale lock behind.
 *
 * Every DOMException becomes a QuiverError IO_ERROR whose causeCode names it: QUOTA_EXCEEDED for the
 * origin's storage quota, ENOENT, EBUSY (another tab or worker holds the file), EACCES.
 */
import { QuiverError } from '../core/errors.js';
import { AssertionError, assert } from '../core/lib/assert.js';
import type { AppendFile, StorageAdapter, StorageLock } from './adapter.js';
import { checkFileName, isReservedFileName } from './file-name.js';
import { ioError } from './io-error.js';

/** The parts of the File System API this adapter uses (sync handles are typed in lib.webworker only). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface WritableStream {
  write(data: Uint8Array | { type: 'write'; position: number; data: Uint8Array }): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
interface FileHandle {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<Blob>;
  createWritable(options?: { keepExistingData?: boolean }): Promise<WritableStream>;
  createSyncAccessHandle?(): Promise<SyncAccessHandle>;
  move?(name: string): Promise<void>;
}
interface DirectoryHandle {
  readonly kind: 'directory';
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryHandle>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandle>;
  removeEntry(name: string): Promise<void>;
  entries(): AsyncIterable<[string, FileHandle | DirectoryHandle]>;
}

export interface OpfsOptions {
  /** Use sync access handles when the context has them (default), or force the main-thread path. */
  access?: 'auto' | 'sync-handles' | 'writable-streams';
  /** How long lock() waits for another holder to let go before LOCKED (default 3000 ms; 0: not at all). */
  lockWaitMs?: number;
  /** The OPFS root; default navigator.storage.getDirectory(). */
  root?: () => Promise<unknown>;
}

/** Whether this context has OPFS at all (secure contexts of current browsers do). */
export function opfsSupported(): boolean {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: unknown } } }).navigator?.storage;
  return typeof storage?.getDirectory === 'function';
}

/** Whether sync access handles exist here: only dedicated workers have them. */
export function syncAccessHandlesSupported(): boolean {
  const proto = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle?.prototype;
  return proto !== undefined && 'createSyncAccessHandle' in proto;
}

const LOCK_WAIT_MS_DEFAULT = 3000;

const CAUSES: Record<string, string> = {
  QuotaExceededError: 'QUOTA_EXCEEDED',
  NotFoundError: 'ENOENT',
  NoModificationAllowedError: 'EBUSY',
  InvalidModificationError: 'EBUSY',
  NotAllowedError: 'EACCES',
  SecurityError: 'EACCES',
  NotReadableError: 'EIO',
  InvalidStateError: 'EIO',
};

function causeOf(error: unknown): string {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  return CAUSES[name] ?? 'UNKNOWN';
}

/** The DOM's error names are what callers need to know; a QuiverError or a broken assertion passes through. */
function opfsError(error: unknown, file: string, operation: string, location: string): Error {
  if (error instanceof QuiverError || error instanceof AssertionError) return error;
  return ioError(file, operation, causeOf(error), location, error);
}

async function withOpfsErrors<T>(file: string, operation: string, location: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw opfsError(error, file, operation, location);
  }
}

function isNotFound(error: unknown): boolean {
  return causeOf(error) === 'ENOENT' || (typeof error === 'object' && error !== null && 'name' in error && error.name === 'TypeMismatchError');
}

/** Checks a database path: '/'-separated directory names under the OPFS root, none of them '.' or '..'. */
function pathSegments(path: string): string[] {
  const segments = path.split('/').filter((s) => s.length > 0);
  const bad = segments.find((s) => s === '.' || s === '..' || /[\\\0:]/.test(s) || s.length > 200);
  if (segments.length === 0 || bad !== undefined) {
    throw new QuiverError('INVALID_ARGUMENT', `Invalid OPFS database path ${JSON.stringify(path)}: use '/'-separated directory names without '.', '..', '\\', ':' or NUL, e.g. "apps/papers".`, {
      field: 'path',
    });
  }
  return segments;
}

// Without the Web Locks API the lock only spans this context: a registry shared by every copy of the module.
const LOCAL_LOCKS_KEY = Symbol.for('quiverdb.storage.opfs.locks');
const localLocks: Set<string> = ((globalThis as Record<symbol, unknown>)[LOCAL_LOCKS_KEY] as Set<string> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[LOCAL_LOCKS_KEY] = new Set<string>());

export class OpfsStorage implements StorageAdapter {
  readonly name = 'opfs';
  readonly location: string;
  private readonly segments: string[];
  private readonly options: OpfsOptions;
  private directory: Promise<DirectoryHandle> | null = null;
  private readonly useSyncHandles: boolean;
  /** Sync handles held open (append files), by name: OPFS allows one per file, so reads go through them. */
  private readonly open = new Map<string, SyncAppendFile>();

  /** `path`: a directory under the origin's OPFS root ("papers", "apps/papers"), created on first use. */
  constructor(path: string, options: OpfsOptions = {}) {
    this.segments = pathSegments(path);
    this.location = `opfs:/${this.segments.join('/')}`;
    this.options = options;
    const access = options.access ?? 'auto';
    this.useSyncHandles = access === 'sync-handles' || (access === 'auto' && syncAccessHandlesSupported());
    if (this.options.root === undefined && !opfsSupported()) {
      throw new QuiverError('UNSUPPORTED', 'This context has no Origin Private File System (navigator.storage.getDirectory); open the database in memory (Quiver.open()) or in a secure context (https or localhost).', {});
    }
  }

  /** 'sync-handles' in a dedicated worker, 'writable-streams' on a main thread. */
  get access(): 'sync-handles' | 'writable-streams' {
    return this.useSyncHandles ? 'sync-handles' : 'writable-streams';
  }

  async list(): Promise<string[]> {
    const dir = await this.dir();
    return withOpfsErrors('.', 'list', this.location, async () => {
      const names: string[] = [];
      for await (const [name, handle] of dir.entries()) if (handle.kind === 'file' && !isReservedFileName(name)) names.push(name);
      return names.sort();
    });
  }

  async exists(name: string): Promise<boolean> {
    return (await this.fileHandle(name, 'stat', false)) !== null;
  }

  async readFile(name: string): Promise<Uint8Array | null> {
    const open = this.open.get(name);
    if (open !== undefined) return open.readAll();
    const handle = await this.fileHandle(name, 'read', false);
    if (handle === null) return null;
    return withOpfsErrors(name, 'read', this.location, async () => {
      if (this.useSyncHandles) {
        const sync = await handle.createSyncAccessHandle!();
        try {
          const bytes = new Uint8Array(sync.getSize());
          const read = sync.read(bytes, { at: 0 });
          assert(read === bytes.length, `short read of ${name}: ${read} of ${bytes.length}`);
          return bytes;
        } finally {
          sync.close();
        }
      }
      return new Uint8Array(await (await handle.getFile()).arrayBuffer());
    });
  }

  async writeFile(name: string, bytes: Uint8Array): Promise<void> {
    if (this.open.has(name)) throw ioError(name, 'write', 'EBUSY', this.location);
    const handle = (await this.fileHandle(name, 'write', true))!;
    await withOpfsErrors(name, 'write', this.location, async () => {
      if (this.useSyncHandles) {
        const sync = await handle.createSyncAccessHandle!();
        try {
          sync.truncate(0);
          writeFully(sync, bytes, 0);
          sync.flush();
        } finally {
          sync.close();
        }
        return;
      }
      const writable = await handle.createWritable();
      try {
        await writable.write(bytes);
      } catch (error) {
        await writable.abort().catch(() => {});
        throw error;
      }
      await writable.close();
    });
  }

  /** writeFile flushes (sync handles) or commits atomically (writable streams) before it resolves. */
  async syncFile(name: string): Promise<void> {
    const open = this.open.get(name);
    if (open !== undefined) return open.sync();
    if ((await this.fileHandle(name, 'sync', false)) === null) throw ioError(name, 'sync', 'ENOENT', this.location);
  }

  async openAppend(name: string): Promise<AppendFile> {
    if (this.open.has(name)) throw ioError(name, 'open for append', 'EBUSY', this.location);
    const handle = (await this.fileHandle(name, 'open for append', true))!;
    if (!this.useSyncHandles) {
      const size = await withOpfsErrors(name, 'open for append', this.location, async () => (await handle.getFile()).size);
      return new StreamAppendFile(handle, size, name, this.location);
    }
    const sync = await withOpfsErrors(name, 'open for append', this.location, () => handle.createSyncAccessHandle!());
    const file = new SyncAppendFile(sync, name, this.location, () => this.open.delete(name));
    this.open.set(name, file);
    return file;
  }

  async rename(from: string, to: string): Promise<void> {
    checkFileName(to);
    if (this.open.has(from) || this.open.has(to)) throw ioError(from, `rename to ${to}`, 'EBUSY', this.location);
    const handle = await this.fileHandle(from, `rename to ${to}`, false);
    if (handle === null) throw ioError(from, `rename to ${to}`, 'ENOENT', this.location);
    if (from === to) return;
    if (typeof handle.move !== 'function') {
      throw new QuiverError('UNSUPPORTED', 'This browser cannot rename OPFS files (FileSystemHandle.move); use a current Chromium, Firefox or Safari.', {});
    }
    await withOpfsErrors(from, `rename to ${to}`, this.location, () => handle.move!(to));
  }

  async remove(name: string): Promise<void> {
    checkFileName(name);
    const open = this.open.get(name);
    if (open !== undefined) await open.close();
    const dir = await this.dir();
    try {
      await dir.removeEntry(name);
    } catch (error) {
      if (!isNotFound(error)) throw opfsError(error, name, 'remove', this.location);
    }
  }

  async syncDirectory(): Promise<void> {
    await this.dir();
  }

  async lock(): Promise<StorageLock> {
    await this.dir();
    const name = `quiverdb:${this.location}`;
    const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
    const locked = () =>
      new QuiverError('LOCKED', `The database ${this.location} is open in another tab, worker or Quiver instance of this origin; close it there first.`, {
        location: this.location,
      });
    if (locks === undefined) {
      if (localLocks.has(name)) throw locked();
      localLocks.add(name);
      return { release: async () => void localLocks.delete(name) };
    }
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Wait a little: a crashed or terminated holder's lock is released by the browser, but not instantly.
    const wait = this.options.lockWaitMs ?? LOCK_WAIT_MS_DEFAULT;
    const signal = wait > 0 && typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(wait) : undefined;
    const granted = await new Promise<boolean>((resolve, reject) => {
      locks
        .request(name, signal ? { signal } : { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          return lock === null ? undefined : held;
        })
        .catch((error: unknown) => (signal?.aborted ? resolve(false) : reject(error)));
    });
    if (!granted) throw locked();
    return { release: async () => release() };
  }

  /** Closes sync handles still open (their files stay). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((file) => file.close()));
  }

  private dir(): Promise<DirectoryHandle> {
    this.directory ??= withOpfsErrors('.', 'open directory', this.location, async () => {
      const getRoot = this.options.root ?? (() => (navigator.storage as unknown as { getDirectory(): Promise<unknown> }).getDirectory());
      let dir = (await getRoot()) as DirectoryHandle;
      for (const segment of this.segments) dir = await dir.getDirectoryHandle(segment, { create: true });
      return dir;
    }).catch((error: unknown) => {
      this.directory = null; // let a later call retry
      throw error;
    });
    return this.directory;
  }

  private async fileHandle(name: string, operation: string, create: boolean): Promise<FileHandle | null> {
    checkFileName(name);
    const dir = await this.dir();
    try {
      return await dir.getFileHandle(name, { create });
    } catch (error) {
      if (!create && isNotFound(error)) return null;
      throw opfsError(error, name, operation, this.location);
    }
  }
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void> | undefined): Promise<unknown>;
}

/** Named like the DOMException a full quota raises elsewhere, so it maps to QUOTA_EXCEEDED. */
function quotaExceeded(detail: string): Error {
  return Object.assign(new Error(`the write stopped short (${detail}): the storage quota is exhausted`), { name: 'QuotaExceededError' });
}

/**
 * Writes all of `bytes` at `at`. Chromium's sync handles do not throw when the origin's quota runs out:
 * write() stops at the quota and returns a count that is not the bytes written (measured on Chromium 156:
 * billions for a 1 MiB write). So any count other than a plausible one is checked against the file's size.
 */
function writeFully(sync: SyncAccessHandle, bytes: Uint8Array, at: number): void {
  let written = 0;
  while (written < bytes.length) {
    const wanted = bytes.length - written;
    const n = sync.write(bytes.subarray(written), { at: at + written });
    if (n === wanted) return;
    if (!(n > 0 && n < wanted) || sync.getSize() < at + written + n) throw quotaExceeded(`${at + written + wanted - sync.getSize()} of ${bytes.length} bytes missing`);
    written += n;
  }
}

/** A WAL file in a worker: one sync access handle held open; every call runs synchronously in order. */
class SyncAppendFile implements AppendFile {
  private currentSize: number;
  private closed = false;

  constructor(
    private readonly handle: SyncAccessHandle,
    private readonly name: string,
    private readonly location: string,
    private readonly onClose: () => void,
  ) {
    this.currentSize = handle.getSize();
  }

  get size(): number {
    return this.currentSize;
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.run('append', () => {
      try {
        writeFully(this.handle, bytes, this.currentSize);
      } catch (error) {
        // Keep what the file really holds: a partial record is a torn tail, which recovery truncates.
        this.currentSize = this.handle.getSize();
        throw error;
      }
      this.currentSize += bytes.length;
    });
  }

  async sync(): Promise<void> {
    this.run('sync', () => this.handle.flush());
  }

  async truncate(size: number): Promise<void> {
    assert(Number.isInteger(size) && size >= 0 && size <= this.currentSize, `truncate size out of range: ${size}`);
    this.run('truncate', () => {
      this.handle.truncate(size);
      this.currentSize = size;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    try {
      this.handle.flush();
    } finally {
      this.handle.close();
    }
  }

  readAll(): Uint8Array {
    const bytes = new Uint8Array(this.handle.getSize());
    this.handle.read(bytes, { at: 0 });
    return bytes;
  }

  private run(operation: string, body: () => void): void {
    if (this.closed) throw new QuiverError('CLOSED', `The append handle of ${this.name} is closed.`, { file: this.name });
    try {
      body();
    } catch (error) {
      throw opfsError(error, this.name, operation, this.location);
    }
  }
}

/**
 * A WAL file on a main thread: appends wait in memory and sync() commits them through a writable stream
 * (swap file, atomic replace on close), so the file on disk always ends at a commit.
 */
class StreamAppendFile implements AppendFile {
  private committed: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handle: FileHandle,
    size: number,
    private readonly name: string,
    private readonly location: string,
  ) {
    this.committed = size;
  }

  get size(): number {
    return this.committed + this.pendingBytes;
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.checkOpen();
    this.pending.push(bytes.slice());
    this.pendingBytes += bytes.length;
  }

  sync(): Promise<void> {
    this.checkOpen();
    return this.enqueue('sync', () => this.commit());
  }

  truncate(size: number): Promise<void> {
    this.checkOpen();
    assert(Number.isInteger(size) && size >= 0 && size <= this.size, `truncate size out of range: ${size}`);
    return this.enqueue('truncate', async () => {
      await this.commit();
      const writable = await this.handle.createWritable({ keepExistingData: true });
      try {
        await writable.truncate(size);
      } catch (error) {
        await writable.abort().catch(() => {});
        throw error;
      }
      await writable.close();
      this.committed = size;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue('close', () => this.commit());
    this.closed = true;
  }

  private async commit(): Promise<void> {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    this.pending = [];
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    try {
      await this.write(parts);
    } catch (error) {
      this.pending = parts.concat(this.pending); // still pending: a later sync retries, size stays honest
      throw error;
    }
    this.pendingBytes -= bytes;
    this.committed += bytes;
  }

  private async write(parts: Uint8Array[]): Promise<void> {
    const writable = await this.handle.createWritable({ keepExistingData: true });
    try {
      let at = this.committed;
      for (const part of parts) {
        await writable.write({ type: 'write', position: at, data: part });
        at += part.length;
      }
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
    await writable.close();
  }

  private enqueue(operation: string, body: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => withOpfsErrors(this.name, operation, this.location, body));
    this.tail = run.catch(() => {});
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new QuiverError('CLOSED', `The append handle of ${this.name} is closed.`, { file: this.name });
  }
}
