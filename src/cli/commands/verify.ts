/**
 * quiver verify --data DIR: the read-only check of db/verify.ts (every checksum, every cross-reference,
 * every saved graph's invariants), with a progress bar over the files. Prints what is damaged by file
 * name and exits 5 when anything is; notices (what recovery cleans up by itself) do not fail it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { QuiverError } from '../../core/errors.js';
import { type Context, localDirectory } from '../context.js';
import { formatBytes, formatCount, formatSeconds } from '../format.js';
import { Progress } from '../progress.js';

export async function verifyCommand(ctx: Context, options: { json?: boolean }): Promise<void> {
  const dir = localDirectory(ctx, 'verify');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new QuiverError('STORE_NOT_FOUND', `No Quiver store at ${dir}: the directory does not exist.`, { path: dir });
  warnIfOpen(dir);
  const { verifyStore } = await import('../../index.js');
  let progress: Progress | null = null;
  let bytes = 0;
  const report = await verifyStore(dir, {
    onFile: ({ filesDone, filesTotal, bytes: fileBytes }) => {
      progress ??= new Progress({ enabled: ctx.progress, label: 'verify', total: filesTotal, unit: 'files' });
      bytes += fileBytes;
      progress.update(filesDone, filesDone);
    },
  });
  (progress as Progress | null)?.stop();
  const seconds = (progress as Progress | null)?.seconds ?? 0;
  const damaged = report.files.filter((f) => f.status === 'damaged').map((f) => f.file);
  if (options.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    const out: string[] = [];
    for (const finding of report.findings) out.push(`${finding.severity === 'damage' ? 'DAMAGED' : 'notice '} ${finding.file}: ${finding.message}`);
    const records = report.collections.reduce((n, c) => n + c.records, 0);
    const graphs = report.collections.reduce((n, c) => n + c.graphsChecked, 0);
    out.push(
      `${report.healthy ? 'ok' : 'DAMAGED'}: ${report.location}: ${report.files.length} files (${formatBytes(bytes)}) checked in ${formatSeconds(seconds)}; ` +
        `${report.collections.length} collections, ${formatCount(records)} records in segments, ${graphs} graphs, ${formatCount(report.walRecords)} log records`,
    );
    for (const c of report.collections) out.push(`  ${c.name}: ${c.index}, dimension ${c.dimension}, ${c.segments} segments, ${formatCount(c.records)} records, ${c.graphsChecked} graphs checked`);
    process.stdout.write(out.join('\n') + '\n');
  }
  if (!report.healthy) {
    throw new QuiverError('CORRUPTED', `${report.location} is damaged: ${damaged.join(', ')}. Restore from a backup; the store was not modified.`, { files: damaged, verified: true });
  }
}

/** verify takes no lock: say so when a live process has the store open and may rewrite files meanwhile. */
function warnIfOpen(dir: string): void {
  const lock = join(dir, 'LOCK');
  if (!existsSync(lock)) return;
  try {
    const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid?: number; hostname?: string };
    if (typeof holder.pid !== 'number' || holder.hostname !== hostname()) return;
    process.kill(holder.pid, 0);
    process.stderr.write(`quiver: note: process ${holder.pid} has this store open; files it rewrites during the check may show up as damage. Verify a backup for a stable answer.\n`);
  } catch (error) {
    // EPERM: the process exists but belongs to another user; anything else: no such process, or an unreadable lock
    if ((error as NodeJS.ErrnoException).code === 'EPERM') process.stderr.write(`quiver: note: another user's process has this store open; files it rewrites during the check may show up as damage.\n`);
  }
}
