/**
 * Turns platform errors into QuiverError IO_ERROR, so callers above the adapter see one error type with a
 * stable shape ({ file, operation, causeCode }) and a message that says what to do about the common causes.
 */
import { QuiverError } from '../core/errors.js';
import { AssertionError } from '../core/lib/assert.js';

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; free space, then reopen the database',
  EDQUOT: 'the disk quota is exhausted; free space or raise the quota, then reopen the database',
  EACCES: 'permission denied; check the owner and permissions of the database directory',
  EPERM: 'operation not permitted; check the owner and permissions of the database directory',
  EROFS: 'the file system is read-only; open the database on a writable file system',
  EMFILE: 'too many open files in this process; raise the limit (ulimit -n) or close other databases',
  ENFILE: 'too many open files on this system; raise the system limit',
  EIO: 'the device reported an I/O error; check the disk and restore from a backup if it is failing',
  ENOENT: 'the file or directory does not exist; was it removed while the database was open?',
  EBUSY: 'the file is busy; another program may be using the database directory',
  QUOTA_EXCEEDED:
    "the browser's storage quota for this origin is exhausted; free space (drop collections or other sites' data), or ask for more with navigator.storage.persist(), then reopen the database",
};

/** The error's `code` (ENOSPC, ...) when it has one, else 'UNKNOWN'. */
export function causeCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return 'UNKNOWN';
}

/** A QuiverError passes through unchanged; anything else becomes IO_ERROR naming the file and operation. */
export function toIoError(error: unknown, file: string, operation: string, location?: string): QuiverError {
  if (error instanceof QuiverError) return error;
  return ioError(file, operation, causeCodeOf(error), location, error);
}

export function ioError(file: string, operation: string, causeCode: string, location?: string, cause?: unknown): QuiverError {
  const hint = HINTS[causeCode] ?? 'see the cause for details';
  const where = location === undefined ? file : `${file} in ${location}`;
  const details: Record<string, unknown> = { file, operation, causeCode };
  if (location !== undefined) details.location = location;
  return new QuiverError('IO_ERROR', `I/O error during ${operation} of ${where}: ${causeCode}: ${hint}.`, details, { cause });
}

/** Runs `body`, translating any rejection with toIoError. A broken invariant is never translated. */
export async function withIoErrors<T>(file: string, operation: string, location: string | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof AssertionError) throw error;
    throw toIoError(error, file, operation, location);
  }
}
