/** Where this copy of quiverdb is installed (source or dist layout), its version and its built console. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'quiverdb') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

const root = findRoot();

export const PACKAGE_VERSION: string = root ? String(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) : '0.0.0';

/** The built web console (console/dist in the package), or null when it has not been built. */
export function bundledConsoleDir(): string | null {
  if (root === null) return null;
  const dir = join(root, 'console', 'dist');
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

/** The Quiver Papers corpus shipped with the package (examples/papers/papers.jsonl), or null. */
export function bundledPapersCorpus(): string | null {
  if (root === null) return null;
  const file = join(root, 'examples', 'papers', 'papers.jsonl');
  return existsSync(file) ? file : null;
}
