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
type Ctor<T extends Typed> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number };

export function writeArray(file: string, arr: Typed): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  fs.renameSync(tmp, file); // never leave a half-written cache file behind
}

export function readArray<T extends Typed>(file: string, ctor: Ctor<T>): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  let buf: Uint8Array = fs.readFileSync(file);
  if (buf.byteOffset % ctor.BYTES_PER_ELEMENT !== 0) buf = new Uint8Array(buf); // small pooled buffers
  return new ctor(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / ctor.BYTES_PER_ELEMENT);
}
