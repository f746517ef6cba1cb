/**
 * quiver export --collection NAME [--output FILE] [--format jsonl|npy|fvecs]: streams every record
 * through scan() in batches into the file (or stdout for JSON Lines). Records written while the export
 * runs may or may not be included; none appears twice.
 */
import { extname, resolve } from 'node:path';
import { QuiverError } from '../../core/errors.js';
import { type Context, openTarget } from '../context.js';
import { Interrupted, usage } from '../exit.js';
import { formatCount, formatSeconds } from '../format.js';
import { EXPORT_FORMATS, type ExportFormat, openWriter } from '../io/writers.js';
import { Progress } from '../progress.js';
import { parseInteger } from './options.js';
import { LIMITS } from '../../core/lib/limits.js';

export interface ExportOptions {
  collection: string;
  output?: string;
  format?: string;
  batchSize?: string;
  vectors: boolean;
}

export async function exportCommand(ctx: Context, options: ExportOptions): Promise<void> {
  const output = options.output === undefined || options.output === '-' ? null : resolve(options.output);
  const format = exportFormat(options.format, output);
  if (format !== 'jsonl' && output === null) throw usage(`--format ${format} writes a file and its keys next to it: pass --output FILE.`);
  if (format !== 'jsonl' && !options.vectors) throw usage(`--no-vectors leaves nothing to write in a ${format} file.`);
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1000, 1, LIMITS.scanBatchMax);
  const { target } = await openTarget(ctx, { create: false });
  try {
    const info = (await target.listCollections()).find((c) => c.name === options.collection);
    if (!info) throw new QuiverError('COLLECTION_NOT_FOUND', `No collection named "${options.collection}". See \`quiver collections list\`.`, { collection: options.collection });
    if (info.multivector && format !== 'jsonl') {
      throw usage(`"${options.collection}" is a multi-vector collection: its records hold sets of vectors, which only JSONL can write (--format jsonl).`);
    }
    const collection = target.collection(options.collection);
    const total = await collection.count();
    const writer = await openWriter(format, output, info.dimension, { vectors: options.vectors });
    const progress = new Progress({ enabled: ctx.progress, label: 'export', total, unit: 'records' });
    let rows = 0;
    try {
      for await (const batch of collection.scan({ batchSize })) {
        await writer.write(batch);
        rows += batch.length;
        progress.update(rows, rows);
        const stop = ctx.stopRequested();
        if (stop) throw new Interrupted(stop, `export stopped by ${stop} after ${formatCount(rows)} records; the output is incomplete.`);
      }
      await writer.close(rows);
    } finally {
      progress.stop();
    }
    const where = writer.files.length > 0 ? ` to ${writer.files.join(' and ')}` : '';
    process.stderr.write(`exported ${formatCount(rows)} records of "${options.collection}"${where} in ${formatSeconds(progress.seconds)} (${formatCount(progress.rate())} records/s)\n`);
  } finally {
    await target.close?.();
  }
}

function exportFormat(explicit: string | undefined, output: string | null): ExportFormat {
  if (explicit !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(explicit)) throw usage(`--format is one of ${EXPORT_FORMATS.join(', ')}; got ${JSON.stringify(explicit)}.`);
    return explicit as ExportFormat;
  }
  const ext = output ? extname(output).toLowerCase() : '';
  return ext === '.npy' ? 'npy' : ext === '.fvecs' ? 'fvecs' : 'jsonl';
}
