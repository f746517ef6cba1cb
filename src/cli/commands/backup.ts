/**
 * quiver backup DEST: a consistent copy while writes continue. Locally DEST is a new or empty directory
 * (Quiver.open and `quiver --data DEST` work on it); on a server it is a backup name the server writes
 * under its configured backupDir (never a path from the request).
 */
import { resolve } from 'node:path';
import { type Context, openTarget } from '../context.js';
import { formatSeconds } from '../format.js';

export async function backupCommand(ctx: Context, destination: string): Promise<void> {
  const { target, kind } = await openTarget(ctx, { create: false });
  try {
    const started = performance.now();
    const where = kind === 'local' ? resolve(destination) : destination;
    await target.backup(where);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(kind === 'local' ? `backed up to ${where} in ${formatSeconds(seconds)}\n` : `the server wrote backup "${destination}" in ${formatSeconds(seconds)}\n`);
  } finally {
    await target.close?.();
  }
}
