/**
 * quiver import FILE --collection NAME: streams the file in batches of --batch-size records, one upsert
 * per batch, and checkpoints after every batch the database acknowledged (import/checkpoint.ts). The
 * next batch is read while the previous upsert is in flight, so parsing and writing overlap; batches
 * are still sent one at a time, in order, which is what makes "everything before the checkpoint is
 * stored" true.
 *
 * QUIVER_IMPORT_TRACE=FILE appends one line per batch to FILE: `send FIRST COUNT` before the upsert is
 * issued and `durable FIRST COUNT SEQUENCE` once it is acknowledged and checkpointed (rows are 0-based).
 * The resume test reads it to prove that completed batches are not sent again.
 */
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QuiverError, isQuiverError } from '../../core/errors.js';
import { type Context, openTarget } from '../context.js';
import { Interrupted, usage } from '../exit.js';
import { formatCount, formatSeconds } from '../format.js';
import { defaultCheckpointPath, fileIdentity, loadCheckpoint, mismatches, removeCheckpoint, saveCheckpoint, type ImportCheckpoint } from '../import/checkpoint.js';
import { KeysFile } from '../io/keys-file.js';
import { type FieldMapping, toRecord } from '../io/mapping.js';
import { type Position, type Source, type SourceRow, START, badRow, detectFormat, openSource } from '../io/source.js';
import { PAPERS_CONFIG } from '../../papers/collection.js';
import { checkPaper, paperRecord } from '../../papers/corpus.js';
import { Progress } from '../progress.js';
import type { Target, TargetCollection, TargetRecordInput } from '../target.js';
import { parseBatchSize, parseChunking, parseDimension, parseEmbedding, parseList } from './options.js';
import { waitForIndex } from './wait-index.js';
import { multivectorOptions } from './collections.js';

export interface ImportOptions {
  collection: string;
  format?: string;
  batchSize?: string;
  keyField: string;
  vectorField: string;
  documentField: string;
  metadataFields?: string;
  rowKeys?: boolean;
  keyPrefix: string;
  keysFile?: string;
  create?: boolean;
  dimension?: string;
  embedding?: string;
  chunking?: string;
  metric?: string;
  index?: string;
  checkpoint?: string;
  restart?: boolean;
  waitIndex: boolean;
  json?: boolean;
  multivector?: boolean;
  pooling?: string;
  /** Rows are papers ({ id?, title, abstract }) for Quiver Papers, stored with paperRecord. */
  papers?: boolean;
}

/** One row of the file as a record (or an INVALID_ARGUMENT naming the row). */
type RowMapper = (fields: Record<string, unknown>, row: number, where: string, key: string | undefined) => TargetRecordInput;

interface Batch {
  records: TargetRecordInput[];
  rows: SourceRow[];
  /** 0-based row of the first record. */
  firstRow: number;
  end: Position;
}

export async function importCommand(ctx: Context, file: string, options: ImportOptions): Promise<void> {
  const batchSize = parseBatchSize(options.batchSize, 1000);
  const format = detectFormat(file, options.format);
  const source = await openSource(file, format);
  if (source.vectorsOnly && options.metadataFields) throw usage(`--metadata-fields does not apply to ${format} files: they hold vectors only.`);
  const mapping: FieldMapping = {
    keyField: options.keyField,
    vectorField: source.vectorsOnly ? 'vector' : options.vectorField,
    documentField: options.documentField,
    metadataFields: options.metadataFields ? parseList(options.metadataFields, '--metadata-fields') : null,
    rowKeys: options.rowKeys === true || (source.vectorsOnly && options.keysFile === undefined),
    keyPrefix: options.keyPrefix,
    castText: format === 'csv',
  };
  if (format === 'listing' && !options.papers) throw usage('--format listing holds papers (a title line, then an abstract line): add --papers.');
  if (options.papers && source.vectorsOnly) throw usage(`--papers reads papers ({ id?, title, abstract }); ${format} files hold vectors only.`);
  const mapRow: RowMapper = options.papers
    ? (fields, _row, where) => {
        try {
          return paperRecord(checkPaper(fields, 'the paper'), Date.now());
        } catch (error) {
          throw badRow(file, where, (error as Error).message);
        }
      }
    : (fields, row, where, key) => toRecord(fields, row, mapping, file, where, key);
  if (options.keysFile && !source.vectorsOnly) throw usage(`--keys-file is for vector-only inputs (npy, fvecs); ${format} rows name their key with --key-field.`);

  const checkpointPath = options.checkpoint ? resolve(options.checkpoint) : defaultCheckpointPath(file);
  const identity = fileIdentity(file);
  const trace = process.env.QUIVER_IMPORT_TRACE;

  const opened = await openTarget(ctx, { create: options.create === true });
  try {
    const signature = {
      file: identity,
      target: opened.location,
      collection: options.collection,
      format,
      mapping: JSON.stringify({ ...mapping, keysFile: options.keysFile ? fileIdentity(options.keysFile) : null, papers: options.papers === true }),
    };
    let checkpoint: ImportCheckpoint | null = options.restart ? null : loadCheckpoint(checkpointPath);
    if (checkpoint) {
      const reasons = mismatches(checkpoint, signature);
      if (reasons.length > 0) {
        throw new QuiverError('CHECKPOINT_MISMATCH', `${checkpointPath} holds the checkpoint of another import: ${reasons.join('; ')}. Rerun that import to finish it, or pass --restart to import ${file} from the beginning.`, {
          checkpoint: checkpointPath,
          reasons,
        });
      }
    }
    if (options.restart) removeCheckpoint(checkpointPath);
    const from = checkpoint?.position ?? START;
    const resumedAt = checkpoint?.records ?? 0;

    const collection = await ensureCollection(opened.target, options, source, from, mapping, checkpoint !== null);
    const keys = options.keysFile ? new KeysFile(options.keysFile, from.row) : null;
    const progress = new Progress({ enabled: ctx.progress, label: 'import', total: source.total, unit: 'records', itemsBefore: resumedAt });
    progress.update(source.measure(from), resumedAt);
    let records = resumedAt;
    let batches = checkpoint?.batches ?? 0;
    let sent = 0;
    try {
      const reader = batchesOf(source, from, batchSize, mapRow, keys);
      let next = reader.next();
      for (;;) {
        const { value: batch, done } = await next;
        if (done) break;
        const stop = ctx.stopRequested();
        if (stop) throw new Interrupted(stop, `import stopped by ${stop} after ${formatCount(records)} records; the checkpoint is in ${checkpointPath}: run the same command again to resume.`);
        if (trace) appendFileSync(trace, `send ${batch.firstRow} ${batch.records.length}\n`);
        const pending = upsertBatch(collection, batch, file);
        next = reader.next();
        // a read error of the next batch must not hide the outcome of this one
        next.catch(() => undefined);
        const { sequence } = await pending;
        records += batch.records.length;
        sent += batch.records.length;
        batches++;
        checkpoint = { version: 1, ...signature, position: batch.end, records, batches, lastSequence: sequence, updatedAt: new Date().toISOString() };
        saveCheckpoint(checkpointPath, checkpoint);
        if (trace) appendFileSync(trace, `durable ${batch.firstRow} ${batch.records.length} ${sequence}\n`);
        progress.update(source.measure(batch.end), records);
      }
    } finally {
      progress.stop();
    }
    const seconds = progress.seconds;
    removeCheckpoint(checkpointPath);
    const resumed = resumedAt > 0 ? ` (resumed after ${formatCount(resumedAt)})` : '';
    process.stderr.write(`imported ${formatCount(sent)} records into "${options.collection}"${resumed} in ${formatSeconds(seconds)} (${formatCount(seconds > 0 ? sent / seconds : 0)} records/s)\n`);
    if (options.waitIndex) await waitForIndex(ctx, collection);
    if (options.json) {
      const count = await collection.count();
      process.stdout.write(JSON.stringify({ collection: options.collection, imported: sent, resumedAfter: resumedAt, batches, count, seconds }) + '\n');
    }
  } finally {
    await opened.target.close?.();
  }
}

/** Rows grouped into batches of records; mapping errors name the row. */
async function* batchesOf(source: Source, from: Position, batchSize: number, mapRow: RowMapper, keys: KeysFile | null): AsyncGenerator<Batch> {
  let batch: Batch = { records: [], rows: [], firstRow: from.row, end: from };
  for await (const chunk of source.rows(from)) {
    for (const row of chunk) {
      const index = row.next.row - 1;
      const key = keys ? await keys.next() : undefined;
      batch.records.push(mapRow(row.fields, index, row.where, key));
      batch.rows.push(row);
      batch.end = row.next;
      if (batch.records.length === batchSize) {
        yield batch;
        batch = { records: [], rows: [], firstRow: row.next.row, end: row.next };
      }
    }
  }
  if (batch.records.length > 0) yield batch;
}

/** One upsert; a record the database rejects is named by its place in the file, not in the batch. */
async function upsertBatch(collection: TargetCollection, batch: Batch, file: string): Promise<{ sequence: string }> {
  try {
    return await collection.upsert(batch.records);
  } catch (error) {
    if (isQuiverError(error) && typeof error.details.index === 'number' && batch.rows[error.details.index]) {
      const where = batch.rows[error.details.index].where;
      // the engine says "(record 3, key "a")": the batch position means nothing to the user
      const message = error.message.replace(/ \(record \d+[^)]*\)/, '');
      throw new QuiverError(error.code, `${file}, ${where}: ${message}`, { ...error.details, file, where }, { cause: error });
    }
    throw error;
  }
}

/**
 * The collection to import into: it must exist, unless --create, which makes it with --dimension (or the
 * first row's), --metric and --index.
 */
async function ensureCollection(target: Target, options: ImportOptions, source: Source, from: Position, mapping: FieldMapping, resuming: boolean): Promise<TargetCollection> {
  const existing = (await target.listCollections()).find((c) => c.name === options.collection);
  if (resuming && !existing) {
    throw new QuiverError('CHECKPOINT_MISMATCH', `The import checkpoint says records were stored in collection "${options.collection}", which no longer exists. Pass --restart to import from the beginning.`, {
      collection: options.collection,
    });
  }
  const dimension = options.dimension === undefined ? undefined : parseDimension(options.dimension);
  if (existing) {
    if (dimension !== undefined && dimension !== existing.dimension) {
      throw new QuiverError('DIMENSION_MISMATCH', `Collection "${options.collection}" has dimension ${existing.dimension}, not ${dimension}.`, { expected: existing.dimension, received: dimension });
    }
    return target.collection(options.collection);
  }
  if (!options.create) {
    throw new QuiverError('COLLECTION_NOT_FOUND', `No collection named "${options.collection}". Pass --create to make it (with --metric and --index), or create it with \`quiver collections create\`.`, {
      collection: options.collection,
    });
  }
  if (options.papers) {
    await target.createCollection(options.collection, { ...PAPERS_CONFIG, payloadIndexes: { ...PAPERS_CONFIG.payloadIndexes } });
    return target.collection(options.collection);
  }
  const embedding = options.embedding === undefined ? undefined : parseEmbedding(options.embedding);
  // with an embedding function the model says the dimension; rows may have no vectors at all
  const inferred = dimension ?? (embedding !== undefined ? undefined : await firstDimension(source, from, mapping));
  await target.createCollection(options.collection, {
    ...(inferred !== undefined ? { dimension: inferred } : {}),
    ...(embedding !== undefined ? { embedding } : {}),
    ...(options.chunking !== undefined ? { chunking: parseChunking(options.chunking) } : {}),
    ...(options.metric ? { metric: options.metric as 'cosine' | 'dot' | 'l2' } : {}),
    ...(options.index ? { index: options.index } : {}),
    ...multivectorOptions(options),
  });
  return target.collection(options.collection);
}

async function firstDimension(source: Source, from: Position, mapping: FieldMapping): Promise<number> {
  for await (const chunk of source.rows(from)) {
    const row = chunk[0];
    // the first record's vector, mapped and checked as the import will (a placeholder key: only the vector matters)
    const record = row ? toRecord(row.fields, row.next.row - 1, mapping, source.path, row.where, 'first') : undefined;
    const vector = record?.vector ?? record?.vectors?.[0];
    if (vector) return vector.length;
    if (row) throw usage(`${source.path}: the first row has no vector to infer the dimension from; pass --dimension, or --embedding to have the collection embed the documents.`);
  }
  throw usage(`${source.path} has no rows to infer the dimension from; pass --dimension.`);
}
