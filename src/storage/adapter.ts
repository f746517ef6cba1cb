/**
 * The StorageAdapter seam: the few file operations the database needs, small enough to implement over node
 * fs, memory and (later) browser OPFS. One adapter is one database directory holding flat file names (no
 * subdirectories). Durability rules (WAL framing, torn tails, checksums, atomic manifest swap) live above
 * this seam, once, so an adapter only has to be honest about what is durable when:
 *   - file contents are durable after syncFile / AppendFile.sync;
 *   - creates, renames and removes are durable after syncDirectory.
 * Every failure an adapter reports is a QuiverError (IO_ERROR with { file, operation, causeCode }, LOCKED,
 * CLOSED, INVALID_ARGUMENT for a bad file name), never a raw platform error.
 */

/** A file opened for appending. Calls may be issued concurrently; appends land in call order. */
export interface AppendFile {
  /** Bytes in the file, including every completed append. */
  readonly size: number;
  append(bytes: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  /** Cuts the file to `size` bytes (<= the current size); later appends go after it. */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export interface StorageLock {
  release(): Promise<void>;
}

export interface StorageAdapter {
  /** 'node-fs' | 'memory' | 'faulty' | ... */
  readonly name: string;
  /** A path or label, for error messages. */
  readonly location: string;
  list(): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** The whole file, or null when it does not exist. */
  readFile(name: string): Promise<Uint8Array | null>;
  /**
   * `length` bytes from `offset` (fewer at the end of the file), or null when the file does not exist.
   * Optional: without it callers read the whole file (readRange() in store.ts does the fallback).
   */
  readRange?(name: string, offset: number, length: number): Promise<Uint8Array | null>;
  /** Creates or replaces the file; its contents are durable only after syncFile. */
  writeFile(name: string, bytes: Uint8Array): Promise<void>;
  syncFile(name: string): Promise<void>;
  /** Opens for appending at the end, creating the file if missing. */
  openAppend(name: string): Promise<AppendFile>;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** No error when the file is missing. */
  remove(name: string): Promise<void>;
  /** Makes creates, renames and removes durable. */
  syncDirectory(): Promise<void>;
  /** One holder at a time: QuiverError LOCKED when another holder (process or open database) has it. */
  lock(): Promise<StorageLock>;
  close?(): Promise<void>;
}
