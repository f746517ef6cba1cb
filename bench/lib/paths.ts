import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';

/** bench/ */
export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** The repository root. */
export const ROOT_DIR = path.dirname(BENCH_DIR);
/** Generated data, ground truth and temp dirs (gitignored). */
export const DATA_DIR = path.join(BENCH_DIR, 'data');

/** Version of a package installed in bench/node_modules (its package.json need not be exported). */
export function packageVersion(name: string): string {
  const file = path.join(BENCH_DIR, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
