/**
 * File names inside a database directory are flat: no separators, no '.' / '..', nothing a path could be
 * built from to escape the directory. Every adapter checks names the same way, so a name that works in
 * memory also works on disk.
 */
import { QuiverError } from '../core/errors.js';

/** The lock file NodeFsStorage keeps in the directory; reserved in every adapter, hidden from list(). */
export const LOCK_FILE_NAME = 'LOCK';
/** Held briefly while a stale lock is being taken over, so two openers cannot both take it. */
export const LOCK_TAKEOVER_FILE_NAME = 'LOCK.takeover';

const FILE_NAME_CHARACTERS_MAX = 200;

export function isReservedFileName(name: string): boolean {
  return name === LOCK_FILE_NAME || name === LOCK_TAKEOVER_FILE_NAME;
}

export function checkFileName(name: string): void {
  const valid =
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= FILE_NAME_CHARACTERS_MAX &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\\0:]/.test(name) &&
    !isReservedFileName(name);
  if (!valid) {
    throw new QuiverError(
      'INVALID_ARGUMENT',
      `Invalid storage file name ${JSON.stringify(name)}: names are 1..${FILE_NAME_CHARACTERS_MAX} characters ` +
        `without '/', '\\', ':' or NUL, and not '.', '..', '${LOCK_FILE_NAME}' or '${LOCK_TAKEOVER_FILE_NAME}'.`,
      { file: name },
    );
  }
}
