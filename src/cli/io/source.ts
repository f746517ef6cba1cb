/**
 * Input files for `quiver import`, read as a stream of rows in chunks: never the whole file in memory.
 * Every row carries the position just after it (row number, byte offset, line), so an import can record
 * where its last durable batch ended and a resumed import can start reading right there: by byte offset
 * for the text formats, by row for the binary ones.
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { QuiverError } from '../../core/errors.js';
import { usage } from '../exit.js';

export const FORMATS = ['jsonl', 'csv', 'parquet', 'npy', 'fvecs', 'listing'] as const;
export type Format = (typeof FORMATS)[number];

export interface Position {
  /** Rows before this point. */
  row: number;
  /** Byte offset in the file (text formats; binary formats compute it from the row). */
  byte: number;
  /** Lines before this point (text formats, for messages). */
  line: number;
}

export const START: Position = { row: 0, byte: 0, line: 0 };

export interface SourceRow {
  fields: Record<string, unknown>;
  /** The position just after this row. */
  next: Position;
  /** Where the row is, for messages: "line 12" or "row 12". */
  where: string;
}

export interface Source {
  readonly format: Format;
  readonly path: string;
  /** The progress bar's total: bytes for text formats, rows for binary ones. */
  readonly total: number;
  /** Rows in the file when the format says (binary formats), else null. */
  readonly rowCount: number | null;
  /** Rows hold only a vector (npy, fvecs): keys come from row numbers or a keys file. */
  readonly vectorsOnly: boolean;
  /** How far `position` is, in the unit of `total`. */
  measure(position: Position): number;
  /** Rows from `from` on, in chunks. */
  rows(from: Position): AsyncGenerator<SourceRow[]>;
}

const EXTENSIONS: Record<string, Format> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.npy': 'npy',
  '.fvecs': 'fvecs',
};

export function detectFormat(path: string, explicit: string | undefined): Format {
  if (explicit !== undefined) {
    if (!(FORMATS as readonly string[]).includes(explicit)) throw usage(`--format is one of ${FORMATS.join(', ')}; got ${JSON.stringify(explicit)}.`, { field: 'format' });
    return explicit as Format;
  }
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (!format) throw usage(`Cannot tell the format of ${path} from its extension; pass --format (${FORMATS.join(', ')}).`, { file: path });
  return format;
}

export function assertInputFile(path: string): number {
  if (!existsSync(path)) throw new QuiverError('FILE_NOT_FOUND', `${path} does not exist.`, { file: path });
  const stat = statSync(path);
  if (!stat.isFile()) throw usage(`${path} is not a file.`, { file: path });
  return stat.size;
}

export async function openSource(path: string, format: Format): Promise<Source> {
  const size = assertInputFile(path);
  switch (format) {
    case 'jsonl':
      return new (await import('./jsonl.js')).JsonlSource(path, size);
    case 'csv':
      return new (await import('./csv.js')).CsvSource(path, size);
    case 'parquet':
      return (await import('./parquet.js')).openParquet(path);
    case 'npy':
      return (await import('./npy.js')).openNpy(path, size);
    case 'fvecs':
      return (await import('./fvecs.js')).openFvecs(path, size);
    case 'listing':
      return new (await import('./listing.js')).ListingSource(path, size);
  }
}

/**
 * A text format read from byte offsets (JSONL, CSV, listing): progress and resume positions are bytes,
 * and the row count is unknown until the end.
 */
export abstract class TextSource implements Source {
  abstract readonly format: Format;
  readonly rowCount = null;
  readonly vectorsOnly = false;

  constructor(
    readonly path: string,
    readonly total: number,
  ) {}

  measure(position: Position): number {
    return position.byte;
  }

  abstract rows(from: Position): AsyncGenerator<SourceRow[]>;
}

/** A malformed row: INVALID_ARGUMENT naming the file and where, so the user can fix that line. */
export function badRow(file: string, where: string, problem: string, details: Record<string, unknown> = {}): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', `${file}, ${where}: ${problem}`, { file, where, ...details });
}
