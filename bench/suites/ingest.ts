/**
 * Ingest: upserts the first `count` base vectors in batches of 1,000 into a persistent Quiver
 * (Quiver.open({ path, durability })) in a fresh temp dir under bench/data/tmp, then closes it and
 * measures the bytes on disk per vector. The temp dir is removed afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../datasets/types.js';
import { dirSize } from '../lib/files.js';
import { DATA_DIR } from '../lib/paths.js';
import type { IngestPoint } from '../results.js';
import { loadQuiver, recordBatches, UPSERT_BATCH } from '../systems/quiver.js';

export const DURABILITIES = ['batched', 'sync'] as const;

export async function runIngest(ds: Dataset, count: number, durability: (typeof DURABILITIES)[number], index = 'Flat'): Promise<IngestPoint> {
  const Quiver = await loadQuiver();
  count = Math.min(count, ds.count);
  const batches = recordBatches(ds, count);
  const tmpRoot = path.join(DATA_DIR, 'tmp');
  fs.mkdirSync(tmpRoot, { recursive: true });
  const dir = fs.mkdtempSync(path.join(tmpRoot, `ingest-${durability}-`));
  try {
    const db = await Quiver.open({ path: dir, durability });
    const col = await db.createCollection('bench', { dimension: ds.dimension, metric: ds.metric, index });
    const t0 = performance.now();
    for (const batch of batches) await col.upsert(batch);
    const t1 = performance.now();
    await db.close();
    const t2 = performance.now();
    const bytesOnDisk = dirSize(dir);
    const seconds = (t1 - t0) / 1000;
    return {
      dataset: ds.name,
      system: 'quiver',
      index,
      durability,
      count,
      dimension: ds.dimension,
      batch: UPSERT_BATCH,
      seconds,
      vectorsPerS: count / seconds,
      closeSeconds: (t2 - t1) / 1000,
      bytesOnDisk,
      bytesPerVector: bytesOnDisk / count,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

