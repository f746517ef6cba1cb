/**
 * .fvecs (the TEXMEX / ANN benchmark format): each vector is an int32 dimension d, then d float32s,
 * little-endian. Every row of a file has the same d.
 */
import { open } from 'node:fs/promises';
import { fixedRowSource, float32sOf } from './fixed-rows.js';
import { type Source, badRow } from './source.js';

export async function openFvecs(path: string, size: number): Promise<Source> {
  if (size === 0) return fixedRowSource({ format: 'fvecs', path, dataOffset: 0, rowBytes: 8, rowCount: 0, decode: () => new Float32Array(0) });
  const handle = await open(path, 'r');
  const first = Buffer.alloc(4);
  try {
    await handle.read(first, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const dimension = size >= 4 ? first.readInt32LE(0) : 0;
  if (dimension <= 0 || dimension > 1 << 20) throw badRow(path, 'row 1', `starts with dimension ${dimension}; not an .fvecs file.`);
  const rowBytes = 4 + 4 * dimension;
  if (size % rowBytes !== 0) {
    throw badRow(path, 'its length', `${size} bytes is not a whole number of ${dimension}-dimensional rows (${rowBytes} bytes each): the file is truncated or not .fvecs.`);
  }
  return fixedRowSource({
    format: 'fvecs',
    path,
    dataOffset: 0,
    rowBytes,
    rowCount: size / rowBytes,
    decode: (bytes, row) => {
      const d = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
      if (d !== dimension) throw badRow(path, `row ${row}`, `has dimension ${d}, but the first row has ${dimension}; .fvecs rows must all have the same dimension.`);
      return float32sOf(bytes.subarray(4));
    },
  });
}

/** One .fvecs row. */
export function fvecsRow(vector: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(4 + 4 * vector.length);
  out.writeInt32LE(vector.length, 0);
  const floats = new Float32Array(out.buffer, out.byteOffset + 4, vector.length);
  for (let i = 0; i < vector.length; i++) floats[i] = vector[i];
  return out;
}
