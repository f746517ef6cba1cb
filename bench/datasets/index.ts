import { fashionMnist } from './fashion-mnist.js';
import { glove100 } from './glove.js';
import { SYNTH_768, synthDataset } from './synth.js';
import type { DatasetSpec } from './types.js';

export type { Dataset, DatasetSpec, GroundTruth, QuerySet } from './types.js';

export const DATASETS: Record<string, DatasetSpec> = {
  'fashion-mnist': fashionMnist,
  'synth-768': synthDataset('synth-768', SYNTH_768),
  'glove-100': glove100,
  // the scaling suite's 1M set: the same generator and seed, so its first 100,000 rows and its queries
  // are synth-768's; exact ground truth for 300 of the in-distribution queries only
  'synth-768-1m': synthDataset('synth-768-1m', { ...SYNTH_768, count: 1_000_000, queriesOod: 0 }, { gtQueries: 300 }),
};

export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) throw new Error(`unknown dataset '${name}' (known: ${Object.keys(DATASETS).join(', ')})`);
  return spec;
}
