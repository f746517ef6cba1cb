/**
 * The directory lock of NodeFsStorage: a LOCK file created exclusively (O_EXCL), holding JSON
 * { pid, hostname, startedAt, bootId }. One holder per directory across processes (the file) and within
 * this process (a registry keyed by the directory's real path, since a second open of the same directory
 * through another path or a symlink must also be refused).
 *
 * A LOCK whose pid is dead on this host, or that was written before the last reboot, belongs to a crashed
 * process and is taken over. Taking over is itself guarded by LOCK.takeover (also O_EXCL), so two
 * processes that both find the same stale lock cannot both delete it and both believe they hold it.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { QuiverError } from '../core/errors.js';
import type { StorageLock } from './adapter.js';
import { LOCK_FILE_NAME, LOCK_TAKEOVER_FILE_NAME } from './file-name.js';
import { causeCodeOf, toIoError } from './io-error.js';

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  bootId: string | null;
}

/** A lock file this young that cannot be parsed is probably being written right now, not stale. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;
const ACQUIRE_ATTEMPTS = 4;

// On globalThis, so two copies of this module (a duplicated dependency) still share one registry.
const REGISTRY_KEY = Symbol.for('quiverdb.storage.node-fs.locks');
const registry: Set<string> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Set<string> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] = new Set<string>());

let bootIdPromise: Promise<string | null> | null = null;

/** Linux's per-boot random id: a lock from before a reboot is stale even if its pid was reused since. */
function bootId(): Promise<string | null> {
  bootIdPromise ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim() || null,
    () => null,
  );
  return bootIdPromise;
}

/** Locks the directory whose real path is `realDir`; `displayDir` is what error messages show. */
export async function lockDirectory(realDir: string, displayDir: string): Promise<StorageLock> {
  if (registry.has(realDir)) {
    throw new QuiverError(
      'LOCKED',
      `The database in ${displayDir} is already open in this process; close the other instance first, or share it.`,
      { location: displayDir, pid: process.pid, sameProcess: true },
    );
  }
  registry.add(realDir);
  try {
    const text = await acquireLockFile(realDir, displayDir);
    return createRelease(realDir, text, displayDir);
  } catch (error) {
    registry.delete(realDir);
    throw error;
  }
}

function createRelease(realDir: string, ownText: string, displayDir: string): StorageLock {
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      const lockPath = join(realDir, LOCK_FILE_NAME);
      try {
        // Only remove the file if it is still ours (someone may have deleted a lock they thought was stale).
        if ((await readText(lockPath)) === ownText) await unlink(lockPath);
      } catch (error) {
        if (causeCodeOf(error) !== 'ENOENT') throw toIoError(error, LOCK_FILE_NAME, 'unlock', displayDir);
      } finally {
        registry.delete(realDir);
      }
    },
  };
}

async function acquireLockFile(realDir: string, displayDir: string): Promise<string> {
  const lockPath = join(realDir, LOCK_FILE_NAME);
  const ownText = JSON.stringify({
    pid: process.pid,
    hostname: osHostname(),
    startedAt: new Date().toISOString(),
    bootId: await bootId(),
  } satisfies LockInfo);

  for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
    if (await createExclusive(lockPath, ownText, displayDir)) return ownText;
    const heldText = await readText(lockPath).catch((error: unknown) => {
      if (causeCodeOf(error) === 'ENOENT') return null; // released meanwhile: try again
      throw toIoError(error, LOCK_FILE_NAME, 'read lock', displayDir);
    });
    if (heldText === null) continue;
    const verdict = await judge(lockPath, heldText);
    if (verdict.stale) {
      await takeOver(realDir, lockPath, heldText, ownText, displayDir);
      continue;
    }
    throw lockedError(displayDir, lockPath, verdict.holder);
  }
  throw new QuiverError(
    'LOCKED',
    `Could not lock the database in ${displayDir}: other processes kept creating and removing its LOCK file. Try again.`,
    { location: displayDir },
  );
}

/** True when this call created the file; false when it already existed. */
async function createExclusive(path: string, text: string, displayDir: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (causeCodeOf(error) === 'EEXIST') return false;
    throw toIoError(error, LOCK_FILE_NAME, 'create lock', displayDir);
  }
  try {
    await handle.writeFile(text);
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw toIoError(error, LOCK_FILE_NAME, 'write lock', displayDir);
  }
  await handle.close().catch(() => {});
  return true;
}

async function judge(lockPath: string, text: string): Promise<{ stale: boolean; holder: LockInfo | null }> {
  const holder = parseLockInfo(text);
  if (holder === null) {
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    return { stale: age > UNREADABLE_LOCK_GRACE_MS, holder: null };
  }
  if (holder.hostname !== osHostname()) return { stale: false, holder }; // cannot see that host's processes
  const ourBootId = await bootId();
  if (holder.bootId !== null && ourBootId !== null && holder.bootId !== ourBootId) return { stale: true, holder };
  // Our own pid but not in the registry: a previous process with the same pid crashed holding it.
  if (holder.pid === process.pid) return { stale: true, holder };
  return { stale: !isAlive(holder.pid), holder };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it is alive.
    return causeCodeOf(error) !== 'ESRCH';
  }
}

async function takeOver(realDir: string, lockPath: string, staleText: string, ownText: string, displayDir: string): Promise<void> {
  const guardPath = join(realDir, LOCK_TAKEOVER_FILE_NAME);
  if (!(await createExclusive(guardPath, ownText, displayDir))) {
    const guardText = await readText(guardPath).catch(() => null);
    if (guardText === null) return; // the other taker finished; the caller retries
    const verdict = await judge(guardPath, guardText);
    if (!verdict.stale) {
      throw new QuiverError(
        'LOCKED',
        `The database in ${displayDir} is being opened by process ${verdict.holder?.pid ?? 'unknown'} right now (it is taking over a stale lock). Try again shortly.`,
        { location: displayDir, pid: verdict.holder?.pid },
      );
    }
    // The guard's own holder crashed mid-takeover: clear the guard (if unchanged) and let the caller retry.
    if ((await readText(guardPath).catch(() => null)) === guardText) await unlink(guardPath).catch(() => {});
    return;
  }
  try {
    // Re-read under the guard: delete only the very lock we judged stale, never a fresh one.
    const current = await readText(lockPath).catch(() => null);
    if (current === staleText) {
      await unlink(lockPath).catch((error: unknown) => {
        if (causeCodeOf(error) !== 'ENOENT') throw toIoError(error, LOCK_FILE_NAME, 'remove stale lock', displayDir);
      });
    }
  } finally {
    await unlink(guardPath).catch(() => {});
  }
}

function parseLockInfo(text: string): LockInfo | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const v = value as Record<string, unknown>;
    if (!Number.isInteger(v.pid) || typeof v.hostname !== 'string') return null;
    return {
      pid: v.pid as number,
      hostname: v.hostname,
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : 'unknown',
      bootId: typeof v.bootId === 'string' ? v.bootId : null,
    };
  } catch {
    return null;
  }
}

function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

function lockedError(displayDir: string, lockPath: string, holder: LockInfo | null): QuiverError {
  if (holder === null) {
    return new QuiverError(
      'LOCKED',
      `The database in ${displayDir} is locked: ${lockPath} exists but is unreadable, probably being written by a process opening it right now. ` +
        `If no process is using the database, delete ${lockPath}.`,
      { location: displayDir, lockFile: lockPath },
    );
  }
  const otherHost = holder.hostname !== osHostname();
  return new QuiverError(
    'LOCKED',
    `The database in ${displayDir} is locked by process ${holder.pid} on ${otherHost ? `host ${holder.hostname}` : 'this host'} ` +
      `(since ${holder.startedAt}). Close the database in that process first. ` +
      (otherHost
        ? `If that host no longer uses this directory, delete ${lockPath}.`
        : `If process ${holder.pid} is not a quiverdb process (its pid was reused), delete ${lockPath}.`),
    { location: displayDir, lockFile: lockPath, pid: holder.pid, hostname: holder.hostname, startedAt: holder.startedAt },
  );
}
