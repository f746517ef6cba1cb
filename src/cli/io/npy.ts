/**
 * NumPy .npy files holding a 2-D array of vectors, rows x dimension, C order: float32 ('<f4') as
 * written by `np.save(path, embeddings.astype('float32'))`; float64 ('<f8') is read and narrowed.
 * Format: "\x93NUMPY", version, header length (u16 for 1.x, u32 for 2.x/3.x), a Python dict literal
 * header padded with spaces to a multiple of 64 bytes, then the data.
 */
import { open } from 'node:fs/promises';
import { type FixedRowLayout, fixedRowSource, float32sOf } from './fixed-rows.js';
import { type Source, badRow } from './source.js';

const MAGIC = '\x93NUMPY';

export interface NpyHeader {
  dtype: 'f4' | 'f8';
  rows: number;
  dimension: number;
  dataOffset: number;
}

export async function readNpyHeader(path: string, size: number): Promise<NpyHeader> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(Math.min(size, 65536 + 12));
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const fail = (problem: string) => badRow(path, 'its header', problem);
  if (head.length < 10 || head.subarray(0, 6).toString('latin1') !== MAGIC) throw fail('not a NumPy .npy file (it does not start with "\\x93NUMPY").');
  const major = head[6];
  const lengthBytes = major === 1 ? 2 : major === 2 || major === 3 ? 4 : 0;
  if (lengthBytes === 0) throw fail(`.npy format version ${major}.${head[7]} is not one Quiver reads (1.x, 2.x, 3.x).`);
  const headerLength = lengthBytes === 2 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > head.length) throw fail('the header is longer than the file.');
  const dict = head.subarray(8 + lengthBytes, dataOffset).toString('latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(dict)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) throw fail(`cannot read the header dictionary ${JSON.stringify(dict.trim())}.`);
  const dtype = descr === '<f4' || descr === '=f4' ? 'f4' : descr === '<f8' || descr === '=f8' ? 'f8' : null;
  if (dtype === null) throw fail(`holds ${descr} values; Quiver imports float32 ('<f4') or float64 ('<f8'). Convert with arr.astype('float32').`);
  if (fortran === 'True') throw fail("is in Fortran order; save a C-ordered array (np.ascontiguousarray).");
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (dims.length !== 2 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`has shape (${shape}); Quiver imports a 2-D array, rows x dimension.`);
  const [rows, dimension] = dims;
  if (dimension === 0) throw fail('has vectors of dimension 0.');
  const expected = dataOffset + rows * dimension * (dtype === 'f4' ? 4 : 8);
  if (size < expected) throw fail(`the data is truncated: the header promises ${rows} x ${dimension} values (${expected} bytes) but the file has ${size}.`);
  return { dtype, rows, dimension, dataOffset };
}

export async function openNpy(path: string, size: number): Promise<Source> {
  const header = await readNpyHeader(path, size);
  const layout: FixedRowLayout = {
    format: 'npy',
    path,
    dataOffset: header.dataOffset,
    rowBytes: header.dimension * (header.dtype === 'f4' ? 4 : 8),
    rowCount: header.rows,
    decode: header.dtype === 'f4' ? float32sOf : (bytes) => Float32Array.from(new Float64Array(bytes.slice().buffer)),
  };
  return fixedRowSource(layout);
}

/**
 * A version 1.0 header for rows x dimension float32, padded to `length` bytes (a multiple of 64, at
 * least 128) so it can be rewritten in place once the final row count is known.
 */
export function npyHeader(rows: number, dimension: number, length = 128): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dimension}), }`;
  const total = Math.max(length, Math.ceil((10 + dict.length + 1) / 64) * 64);
  const header = Buffer.alloc(total, 0x20);
  header.write(MAGIC, 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}
