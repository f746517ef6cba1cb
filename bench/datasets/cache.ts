/** Raw little-endian typed-array files under bench/data/<name>-<hash of params>/. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../lib/paths.js';

export function cacheDir(name: string, params: unknown): string {
  const json = JSON.stringify(params);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 10);
  const dir = path.join(DATA_DIR, `${name}-${hash}`);
  fs.mkdirSync(dir, { recursive: true });
  const paramsFile = path.join(dir, 'params.json');
  if (!fs.existsSync(paramsFile)) fs.writeFileSync(paramsFile, JSON.stringify(params, null, 2) + '\n');
  return dir;
}

type Typed = Float32Array | Float64Array | Int32Array;
type Ctor<T extends Typed> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number; name: string };

/** Files are read and written in chunks: fs.readFileSync refuses files over 2 GiB (the 1M x 768 set is 3 GB). */
const IO_CHUNK = 1 << 30;

export function writeArray(file: string, arr: Typed): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  const fd = fs.openSync(tmp, 'w');
  try {
    for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, Math.min(IO_CHUNK, bytes.length - off));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file); // never leave a half-written cache file behind
}

export function readArray<T extends Typed>(file: string, ctor: Ctor<T>): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  const size = fs.statSync(file).size;
  if (size % ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`${file}: ${size} bytes is not a whole number of ${ctor.name} elements`);
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const fd = fs.openSync(file, 'r');
  try {
    for (let off = 0; off < size; ) {
      const n = fs.readSync(fd, bytes, off, Math.min(IO_CHUNK, size - off), off);
      if (n === 0) throw new Error(`${file}: unexpected end of file`);
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return new ctor(buffer, 0, size / ctor.BYTES_PER_ELEMENT);
}
