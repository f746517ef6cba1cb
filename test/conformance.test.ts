/** The conformance suite over every storage adapter and kernel backend (indexes join as they land). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { MemoryStorage, Quiver } from '../src/index.js';
import { conformanceSuite, type Fixture } from './support/conformance.js';

const kernels = ['wasm', 'reference'] as const;

const fixtures: Record<string, (k: (typeof kernels)[number]) => Fixture> = {
  'in-memory': (k) => ({ name: 'in-memory', persistent: false, open: () => Quiver.open({ kernels: k }) }),
  'memory adapter': (k) => {
    const storage = new MemoryStorage();
    return { name: 'memory adapter', persistent: true, open: () => Quiver.open({ storage, kernels: k }) };
  },
  'node-fs adapter': (k) => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-conformance-'));
    return {
      name: 'node-fs adapter',
      persistent: true,
      open: () => Quiver.open({ path: dir, kernels: k, durability: 'batched' }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

for (const [name, make] of Object.entries(fixtures)) {
  for (const k of kernels) {
    describe(`Flat on ${name}, ${k} kernels`, () => conformanceSuite(() => make(k), { index: 'Flat', exact: true }));
  }
}
