/**
 * Parquet through hyparquet (pure JavaScript, reads only the byte ranges it needs) with
 * hyparquet-compressors for gzip, brotli, zstd and lz4 (snappy is built in). Rows are read a slice at a
 * time, never across a row group boundary, so memory stays at one slice plus the column chunks it
 * touches; a resumed import starts at its row. Values become JSON: INT64 as numbers (strings past 2^53),
 * dates as ISO strings, binary as base64.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { type Position, type Source, type SourceRow, badRow } from './source.js';

/** Rows per read: big enough to amortise page decoding, small enough for wide vector columns. */
const SLICE_ROWS = 4096;

export async function openParquet(path: string): Promise<Source> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw badRow(path, 'its footer', `not a readable Parquet file (${(error as Error).message}).`);
  }
  const groups: { start: number; end: number }[] = [];
  let rows = 0;
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows);
    groups.push({ start: rows, end: rows + n });
    rows += n;
  }
  const total = rows;
  return {
    format: 'parquet',
    path,
    total,
    rowCount: total,
    vectorsOnly: false,
    measure: (position: Position) => position.row,
    async *rows(from: Position): AsyncGenerator<SourceRow[]> {
      for (const group of groups) {
        for (let start = Math.max(from.row, group.start); start < group.end; start += SLICE_ROWS) {
          const end = Math.min(start + SLICE_ROWS, group.end);
          let objects: Record<string, unknown>[];
          try {
            objects = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors })) as Record<string, unknown>[];
          } catch (error) {
            throw badRow(path, `rows ${start}-${end - 1}`, `cannot be decoded (${(error as Error).message}).`);
          }
          yield objects.map((object, i) => {
            const row = start + i + 1;
            return { fields: toJsonFields(object), next: { row, byte: 0, line: 0 }, where: `row ${row}` };
          });
        }
      }
    },
  };
}

function toJsonFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(object)) out[name] = toJson(value);
  return out;
}

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  // numeric lists (an embedding column) stay as they are: the vector mapping reads them directly
  if (value instanceof Float32Array || value instanceof Float64Array) return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') return toJsonFields(value as Record<string, unknown>);
  return value;
}
