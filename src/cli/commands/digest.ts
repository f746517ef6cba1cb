/**
 * quiver digest --send | --dry-run: Quiver Papers' daily digest by hand. With --data DIR it runs in this
 * process against the store (the server must not have it open), with the SMTP server and digest secret
 * of the server's configuration (--config FILE and QUIVER_* variables, as `quiver serve` reads them);
 * with --url it asks the server to run it (POST /v1/papers/digest/send, an admin key). Either way only
 * subscribers with papers added since their last digest get one, and a digest is never sent twice.
 */
import type { DigestReport } from '../../papers/digest-run.js';
import type { Context } from '../context.js';
import { assertStore } from '../context.js';
import { EXIT, usage } from '../exit.js';
import { resolve } from 'node:path';

export interface DigestOptions {
  send?: boolean;
  dryRun?: boolean;
  config?: string;
  json?: boolean;
}

export async function digestCommand(ctx: Context, options: DigestOptions): Promise<void> {
  if (options.send === true && options.dryRun === true) throw usage('Give --send (send the digest now) or --dry-run (show what would be sent), not both.');
  if (options.send !== true && options.dryRun !== true) throw usage('quiver digest needs --send (send the digest now) or --dry-run (show what would be sent).');
  const dryRun = options.dryRun === true;
  const report = ctx.url !== undefined ? await remote(ctx, dryRun) : await local(ctx, options, dryRun);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
  if (report.aborted !== undefined || report.results.some((r) => r.status === 'failed')) process.exitCode = EXIT.unavailable;
}

async function remote(ctx: Context, dryRun: boolean): Promise<DigestReport> {
  if (ctx.data !== undefined) throw usage('Give either --data DIR or --url URL, not both.');
  const { QuiverClient } = await import('../../client/index.js');
  return new QuiverClient({ url: ctx.url!, apiKey: ctx.apiKey }).papers.sendDigest({ dryRun });
}

async function local(ctx: Context, options: DigestOptions, dryRun: boolean): Promise<DigestReport> {
  if (ctx.data === undefined) throw usage('Say which store: quiver digest --send --data DIR (or set QUIVER_DATA_DIR), or --url URL for a server.');
  const path = resolve(ctx.data);
  assertStore(path);
  const { loadConfig } = await import('../../server/config.js');
  const config = loadConfig({ file: options.config, overrides: { dataDir: path } });
  const { Quiver } = await import('../../index.js');
  const { PapersDigest } = await import('../../server/papers-digest.js');
  const db = await Quiver.open({ path, durability: config.durability });
  try {
    const say = (fields: object, message: string) => {
      if (ctx.verbose) process.stderr.write(`quiver: ${message} ${JSON.stringify(fields)}\n`);
    };
    const digest = new PapersDigest(db, config, { info: say, warn: say } as never);
    return await digest.run({ dryRun });
  } finally {
    await db.close();
  }
}

function describe(report: DigestReport): string {
  const lines = report.results.map((r) => {
    const papers = r.papers.length === 1 ? '1 paper' : `${r.papers.length} papers`;
    const detail = r.status === 'nothing-new' ? '' : ` ${papers}${r.error ? ` (${r.error})` : ''}`;
    const titles = r.status === 'would-send' ? r.papers.map((p) => `\n    - ${p.title}`).join('') : '';
    return `${r.status.padEnd(11)} ${r.email}${detail}${titles}`;
  });
  const counts = new Map<string, number>();
  for (const r of report.results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'nobody is subscribed';
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${report.dryRun ? 'dry run: nothing sent. ' : ''}${summary}; papers added up to ${new Date(report.cutoff).toISOString()}.${report.aborted ? `\nstopped early: ${report.aborted}` : ''}\n`;
}
