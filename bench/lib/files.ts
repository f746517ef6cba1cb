import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from './paths.js';

/** Total bytes of the regular files under `dir`. */
export function dirSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** A fresh directory under bench/data/tmp/ (gitignored); the caller removes it. */
export function makeTempDir(prefix: string): string {
  const root = path.join(DATA_DIR, 'tmp');
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${prefix}-`));
}
