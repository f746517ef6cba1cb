/**
 * CSV with a header row, parsed by csv-parse (quotes, embedded newlines, CRLF, a BOM). The header is read
 * first on its own; the records are then parsed from a byte offset with those column names, so a
 * resumed import starts where the last durable batch ended. csv-parse reports the bytes consumed through
 * each record's line end, which is that offset.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { type Position, type SourceRow, TextSource, badRow } from './source.js';

interface Parsed {
  record: Record<string, string> | string[];
  info: { bytes: number; lines: number };
}

const CHUNK_ROWS = 512;

export class CsvSource extends TextSource {
  readonly format = 'csv';
  private header: { columns: string[]; bytes: number; lines: number } | null = null;

  async *rows(from: Position): AsyncGenerator<SourceRow[]> {
    const header = await this.readHeader();
    const start = Math.max(from.byte, header.bytes);
    let { row } = from;
    // csv-parse numbers lines from 1 within what it reads: the line a record ends on
    const firstLine = start === header.bytes ? header.lines : from.line;
    const parser = createReadStream(this.path, { start, highWaterMark: 1 << 20 }).pipe(
      parse({ columns: header.columns, info: true, relax_column_count: false, skip_empty_lines: true }),
    );
    let out: SourceRow[] = [];
    try {
      for await (const { record, info } of parser as AsyncIterable<Parsed>) {
        row++;
        const next: Position = { row, byte: start + info.bytes, line: firstLine + info.lines };
        out.push({ fields: record as Record<string, string>, next, where: `record ${row} (line ${next.line})` });
        if (out.length >= CHUNK_ROWS) {
          yield out;
          out = [];
        }
      }
    } catch (error) {
      throw csvError(this.path, error, firstLine);
    }
    if (out.length > 0) yield out;
  }

  private async readHeader(): Promise<{ columns: string[]; bytes: number; lines: number }> {
    if (this.header) return this.header;
    const parser = createReadStream(this.path, { highWaterMark: 64 * 1024 }).pipe(parse({ info: true, bom: true, to: 1, skip_empty_lines: true }));
    try {
      for await (const { record, info } of parser as AsyncIterable<Parsed>) {
        const columns = (record as string[]).map((c) => c.trim());
        const seen = new Set<string>();
        for (const column of columns) {
          if (column === '') throw badRow(this.path, 'the header', 'has an empty column name; the first line names the columns.');
          if (seen.has(column)) throw badRow(this.path, 'the header', `names column ${JSON.stringify(column)} twice.`);
          seen.add(column);
        }
        this.header = { columns, bytes: info.bytes, lines: info.lines };
        parser.destroy();
        return this.header;
      }
    } catch (error) {
      throw csvError(this.path, error, 0);
    }
    throw badRow(this.path, 'the header', 'the file is empty; a CSV file starts with a header line naming its columns.');
  }
}

/** csv-parse's errors, with the line counted from the top of the file (it counts from where it started). */
function csvError(path: string, error: unknown, linesBefore: number): Error {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('CSV_')) {
    const lines = (error as { lines?: number }).lines;
    const found = /columns length is (\d+), got (\d+)/.exec(error.message);
    const message = found ? `has ${found[2]} fields, but the header names ${found[1]} columns` : error.message.replace(/ (at|on) line \d+$/, '');
    return badRow(path, lines ? `line ${linesBefore + lines}` : 'a record', `${message}.`, { csvCode: error.code });
  }
  return error as Error;
}
