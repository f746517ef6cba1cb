/**
 * NodeFsStorage: a database directory on the local file system.
 *
 * Durability is real: syncFile and AppendFile.sync call fsync (FileHandle.sync), and syncDirectory opens
 * the directory read-only and fsyncs it, which is what makes creates, renames and removes survive power
 * loss on Linux (ext4, xfs) and macOS. Append handles stay open for the life of the WAL, so an append is
 * one write(2) and a sync one fsync(2). Windows cannot fsync a directory; there syncDirectory is a no-op
 * and NTFS's own metadata journal is what we rely on.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { QuiverError } from '../core/errors.js';
import { assert } from '../core/lib/assert.js';
import type { AppendFile, StorageAdapter, StorageLock } from './adapter.js';
import { checkFileName, isReservedFileName } from './file-name.js';
import { causeCodeOf, toIoError, withIoErrors } from './io-error.js';
import { lockDirectory } from './node-lock.js';

export class NodeFsStorage implements StorageAdapter {
  readonly name = 'node-fs';
  readonly location: string;
  private ready: Promise<void> | null = null;
  private readonly openFiles = new Set<NodeAppendFile>();

  /** The directory is created (with its parents) on first use. */
  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async list(): Promise<string[]> {
    await this.ensureDirectory();
    return withIoErrors('.', 'list', this.location, async () => {
      const entries = await readdir(this.location, { withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile() && !isReservedFileName(entry.name))
        .map((entry) => entry.name)
        .sort();
    });
  }

  async exists(name: string): Promise<boolean> {
    const path = await this.pathOf(name);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (causeCodeOf(error) === 'ENOENT') return false;
      throw toIoError(error, name, 'stat', this.location);
    }
  }

  async readFile(name: string): Promise<Uint8Array | null> {
    const path = await this.pathOf(name);
    try {
      const buffer = await readFile(path);
      // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies, a trap for callers.
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (causeCodeOf(error) === 'ENOENT') return null;
      throw toIoError(error, name, 'read', this.location);
    }
  }

  async readRange(name: string, offset: number, length: number): Promise<Uint8Array | null> {
    const path = await this.pathOf(name);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (causeCodeOf(error) === 'ENOENT') return null;
      throw toIoError(error, name, 'read', this.location);
    }
    try {
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(out, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? out : out.slice(0, filled);
    } catch (error) {
      throw toIoError(error, name, 'read', this.location);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async writeFile(name: string, bytes: Uint8Array): Promise<void> {
    const path = await this.pathOf(name);
    await withIoErrors(name, 'write', this.location, () => writeFile(path, bytes));
  }

  async syncFile(name: string): Promise<void> {
    const path = await this.pathOf(name);
    await withIoErrors(name, 'sync', this.location, async () => {
      // r+ because Windows refuses to flush a handle opened read-only.
      const handle = await open(path, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async openAppend(name: string): Promise<AppendFile> {
    const path = await this.pathOf(name);
    return withIoErrors(name, 'open for append', this.location, async () => {
      const handle = await open(path, 'a');
      let size: number;
      try {
        size = (await handle.stat()).size;
      } catch (error) {
        await handle.close().catch(() => {});
        throw error;
      }
      const file = new NodeAppendFile(handle, size, name, this.location, () => this.openFiles.delete(file));
      this.openFiles.add(file);
      return file;
    });
  }

  async rename(from: string, to: string): Promise<void> {
    const fromPath = await this.pathOf(from);
    const toPath = await this.pathOf(to);
    await withIoErrors(from, `rename to ${to}`, this.location, () => rename(fromPath, toPath));
  }

  async remove(name: string): Promise<void> {
    const path = await this.pathOf(name);
    try {
      await unlink(path);
    } catch (error) {
      if (causeCodeOf(error) !== 'ENOENT') throw toIoError(error, name, 'remove', this.location);
    }
  }

  async syncDirectory(): Promise<void> {
    await this.ensureDirectory();
    await syncDirectoryAt(this.location, '.', this.location);
  }

  async lock(): Promise<StorageLock> {
    await this.ensureDirectory();
    const real = await withIoErrors('.', 'realpath', this.location, () => realpath(this.location));
    return lockDirectory(real, this.location);
  }

  /** Closes append handles still open. Files and the lock are left alone (the lock's holder releases it). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.openFiles].map((file) => file.close()));
  }

  private async pathOf(name: string): Promise<string> {
    checkFileName(name);
    await this.ensureDirectory();
    return join(this.location, name);
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= this.createDirectory().catch((error: unknown) => {
      this.ready = null; // let a later call retry (the disk may have been remounted, space freed, ...)
      throw error;
    });
    return this.ready;
  }

  private async createDirectory(): Promise<void> {
    const created = await withIoErrors('.', 'create directory', this.location, () => mkdir(this.location, { recursive: true }));
    // A new directory's own entry lives in its parent: fsync the parent, or the whole database can vanish.
    if (created !== undefined) await syncDirectoryAt(dirname(this.location), '..', this.location);
  }
}

async function syncDirectoryAt(path: string, label: string, location: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    // Some file systems (certain FUSE and network mounts) do not support fsync on a directory at all.
    if (causeCodeOf(error) !== 'EINVAL') throw toIoError(error, label, 'sync directory', location);
  } finally {
    await handle?.close().catch(() => {});
  }
}

class NodeAppendFile implements AppendFile {
  private currentSize: number;
  private closing = false;
  /** Every operation runs after the previous one settles: appends land in call order, sync covers them. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handle: FileHandle,
    size: number,
    private readonly name: string,
    private readonly location: string,
    private readonly onClose: () => void,
  ) {
    this.currentSize = size;
  }

  get size(): number {
    return this.currentSize;
  }

  append(bytes: Uint8Array): Promise<void> {
    return this.enqueue('append', async () => {
      let written = 0;
      while (written < bytes.length) {
        // 'a' opens with O_APPEND: the kernel places every write at the end, position is ignored.
        const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written, null);
        written += bytesWritten;
        this.currentSize += bytesWritten;
      }
    });
  }

  sync(): Promise<void> {
    return this.enqueue('sync', () => this.handle.sync());
  }

  truncate(size: number): Promise<void> {
    assert(Number.isInteger(size) && size >= 0, `truncate size must be a non-negative integer: ${size}`);
    return this.enqueue('truncate', async () => {
      assert(size <= this.currentSize, `truncate size ${size} beyond the end of ${this.name} (${this.currentSize})`);
      await this.handle.truncate(size);
      this.currentSize = size;
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.tail.then(() => undefined);
    this.closing = true;
    const run = this.tail.then(async () => {
      this.onClose();
      try {
        await this.handle.close();
      } catch (error) {
        throw toIoError(error, this.name, 'close', this.location);
      }
    });
    this.tail = run.catch(() => {});
    return run;
  }

  private enqueue(operation: string, body: () => Promise<void>): Promise<void> {
    if (this.closing) {
      return Promise.reject(new QuiverError('CLOSED', `The append handle of ${this.name} is closed.`, { file: this.name }));
    }
    const run = this.tail.then(() => withIoErrors(this.name, operation, this.location, body));
    this.tail = run.catch(() => {});
    return run;
  }
}
