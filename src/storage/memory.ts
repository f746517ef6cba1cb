/**
 * MemoryStorage: one in-memory "directory". Files outlive any database that uses the object, so a test can
 * close a database and reopen it on the same MemoryStorage. Nothing here is ever lost, so every sync is a
 * no-op; for crash behaviour use FaultyStorage.
 */
import { QuiverError } from '../core/errors.js';
import { assert } from '../core/lib/assert.js';
import type { AppendFile, StorageAdapter, StorageLock } from './adapter.js';
import { checkFileName } from './file-name.js';
import { GrowableBytes } from './growable-bytes.js';
import { ioError } from './io-error.js';

export class MemoryStorage implements StorageAdapter {
  readonly name = 'memory';
  readonly location: string;
  /** File name -> contents. An open AppendFile keeps its GrowableBytes, like a descriptor keeps an inode. */
  private readonly files = new Map<string, GrowableBytes>();
  private lockToken: object | null = null;

  constructor(label = 'memory') {
    this.location = label;
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  async exists(name: string): Promise<boolean> {
    checkFileName(name);
    return this.files.has(name);
  }

  async readFile(name: string): Promise<Uint8Array | null> {
    checkFileName(name);
    return this.files.get(name)?.copy() ?? null;
  }

  async readRange(name: string, offset: number, length: number): Promise<Uint8Array | null> {
    checkFileName(name);
    const file = this.files.get(name);
    return file === undefined ? null : file.view().slice(offset, offset + length);
  }

  async writeFile(name: string, bytes: Uint8Array): Promise<void> {
    checkFileName(name);
    const existing = this.files.get(name);
    if (existing === undefined) this.files.set(name, new GrowableBytes(bytes));
    else existing.replace(bytes);
  }

  async syncFile(name: string): Promise<void> {
    checkFileName(name);
    if (!this.files.has(name)) throw ioError(name, 'sync', 'ENOENT', this.location);
  }

  async openAppend(name: string): Promise<AppendFile> {
    checkFileName(name);
    let file = this.files.get(name);
    if (file === undefined) {
      file = new GrowableBytes();
      this.files.set(name, file);
    }
    return new MemoryAppendFile(file, name);
  }

  async rename(from: string, to: string): Promise<void> {
    checkFileName(from);
    checkFileName(to);
    const file = this.files.get(from);
    if (file === undefined) throw ioError(from, 'rename', 'ENOENT', this.location);
    if (from === to) return;
    this.files.delete(from);
    this.files.set(to, file);
  }

  async remove(name: string): Promise<void> {
    checkFileName(name);
    this.files.delete(name);
  }

  async syncDirectory(): Promise<void> {}

  async lock(): Promise<StorageLock> {
    if (this.lockToken !== null) {
      throw new QuiverError(
        'LOCKED',
        `The in-memory storage "${this.location}" is already locked by another open database; close that database first.`,
        { location: this.location },
      );
    }
    const token = {};
    this.lockToken = token;
    return {
      release: async () => {
        if (this.lockToken === token) this.lockToken = null;
      },
    };
  }
}

class MemoryAppendFile implements AppendFile {
  private closed = false;

  constructor(
    private readonly file: GrowableBytes,
    private readonly name: string,
  ) {}

  get size(): number {
    return this.file.length;
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.checkOpen();
    this.file.append(bytes);
  }

  async sync(): Promise<void> {
    this.checkOpen();
  }

  async truncate(size: number): Promise<void> {
    this.checkOpen();
    assert(Number.isInteger(size) && size >= 0 && size <= this.file.length, `truncate size out of range: ${size}`);
    this.file.truncate(size);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new QuiverError('CLOSED', `The append handle of ${this.name} is closed.`, { file: this.name });
  }
}
