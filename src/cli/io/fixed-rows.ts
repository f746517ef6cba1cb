/**
 * Binary vector files with fixed-size rows (.npy, .fvecs): read ~1 MiB of rows per chunk from the row a
 * resumed import starts at. Each row becomes { vector }.
 */
import { open } from 'node:fs/promises';
import type { Format, Position, Source, SourceRow } from './source.js';

export interface FixedRowLayout {
  format: Format;
  path: string;
  /** Bytes before the first row. */
  dataOffset: number;
  rowBytes: number;
  rowCount: number;
  /** The vector stored in `bytes` (exactly rowBytes long); `row` is 1-based, for messages. */
  decode(bytes: Uint8Array, row: number): Float32Array;
}

const CHUNK_BYTES = 1 << 20;

export function fixedRowSource(layout: FixedRowLayout): Source {
  const { path, dataOffset, rowBytes, rowCount } = layout;
  return {
    format: layout.format,
    path,
    total: rowCount,
    rowCount,
    vectorsOnly: true,
    measure: (position: Position) => position.row,
    async *rows(from: Position): AsyncGenerator<SourceRow[]> {
      const chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(chunkRows * rowBytes);
        for (let start = from.row; start < rowCount; start += chunkRows) {
          const n = Math.min(chunkRows, rowCount - start);
          const { bytesRead } = await handle.read(buffer, 0, n * rowBytes, dataOffset + start * rowBytes);
          if (bytesRead < n * rowBytes) throw new Error(`${path} shrank while it was being read`);
          const out: SourceRow[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const row = start + i + 1;
            const vector = layout.decode(buffer.subarray(i * rowBytes, (i + 1) * rowBytes), row);
            out[i] = { fields: { vector }, next: { row, byte: dataOffset + row * rowBytes, line: 0 }, where: `row ${row}` };
          }
          yield out;
        }
      } finally {
        await handle.close();
      }
    },
  };
}

/** Little-endian float32s of `bytes` as a fresh, aligned Float32Array. */
export function float32sOf(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
