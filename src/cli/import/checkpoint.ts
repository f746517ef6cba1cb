/**
 * The checkpoint of an import: a small JSON file (by default next to the input, FILE.quiver-import.json)
 * that records where the last durable batch ended. It is replaced atomically (temp file, fsync, rename)
 * after every batch the database has acknowledged, so after a crash or Ctrl-C it names a position whose
 * records are all stored; a resumed import reads on from there and sends nothing before it again. Only
 * the batch in flight at the moment of a kill can be sent twice, and an upsert of the same records is
 * harmless.
 *
 * It also records what it belongs to (the file's size and the hashes of its first and last MiB, the
 * store or server, the collection, the format and field mapping): resuming with anything else would
 * skip the wrong rows, so that is CHECKPOINT_MISMATCH.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { QuiverError } from '../../core/errors.js';
import type { Position } from '../io/source.js';

export interface FileIdentity {
  path: string;
  size: number;
  /** SHA-256 of the first and of the last MiB. */
  head: string;
  tail: string;
}

export interface ImportCheckpoint {
  version: 1;
  file: FileIdentity;
  /** The store's path or the server's URL. */
  target: string;
  collection: string;
  format: string;
  /** The field mapping and keys file, canonical JSON. */
  mapping: string;
  /** Just after the last durable batch. */
  position: Position;
  /** Records stored so far. */
  records: number;
  batches: number;
  lastSequence: string | null;
  updatedAt: string;
}

const EDGE_BYTES = 1 << 20;

export function defaultCheckpointPath(input: string): string {
  return `${resolve(input)}.quiver-import.json`;
}

export function fileIdentity(path: string): FileIdentity {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const hash = (start: number) => {
      const length = Math.min(EDGE_BYTES, size - start);
      const buffer = Buffer.alloc(Math.max(0, length));
      if (length > 0) readSync(fd, buffer, 0, length, start);
      return createHash('sha256').update(buffer).digest('hex');
    };
    return { path: resolve(path), size, head: hash(0), tail: hash(Math.max(0, size - EDGE_BYTES)) };
  } finally {
    closeSync(fd);
  }
}

export function loadCheckpoint(path: string): ImportCheckpoint | null {
  if (!existsSync(path)) return null;
  let value: ImportCheckpoint;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as ImportCheckpoint;
  } catch (error) {
    throw new QuiverError('CHECKPOINT_MISMATCH', `The import checkpoint ${path} is not readable (${(error as Error).message}). Delete it, or pass --restart to import from the beginning.`, { checkpoint: path });
  }
  if (value?.version !== 1 || typeof value.position?.row !== 'number' || typeof value.position?.byte !== 'number') {
    throw new QuiverError('CHECKPOINT_MISMATCH', `The import checkpoint ${path} is not one this version of quiver wrote. Delete it, or pass --restart.`, { checkpoint: path });
  }
  return value;
}

/** Why `saved` cannot be resumed as `current` (empty when it can). */
export function mismatches(saved: ImportCheckpoint, current: Pick<ImportCheckpoint, 'file' | 'target' | 'collection' | 'format' | 'mapping'>): string[] {
  const reasons: string[] = [];
  const f = saved.file;
  if (f.path !== current.file.path) reasons.push(`it is for ${f.path}`);
  else if (f.size !== current.file.size || f.head !== current.file.head || f.tail !== current.file.tail) reasons.push(`${f.path} changed since (it was ${f.size} bytes, now ${current.file.size})`);
  if (saved.target !== current.target) reasons.push(`it imported into ${saved.target}`);
  if (saved.collection !== current.collection) reasons.push(`it imported into collection "${saved.collection}"`);
  if (saved.format !== current.format) reasons.push(`it read the file as ${saved.format}`);
  if (saved.mapping !== current.mapping) reasons.push(`it used other field options (${saved.mapping})`);
  return reasons;
}

/** Replaces the checkpoint atomically: a crash leaves the old one or the new one, whole. */
export function saveCheckpoint(path: string, checkpoint: ImportCheckpoint): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, JSON.stringify(checkpoint, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.tmp`, { force: true });
}
