import { fashionMnist } from './fashion-mnist.js';
import { glove100 } from './glove.js';
import { SYNTH_768, synthDataset } from './synth.js';
import type { DatasetSpec } from './types.js';

export type { Dataset, DatasetSpec, GroundTruth, QuerySet } from './types.js';

export const DATASETS: Record<string, DatasetSpec> = {
  'fashion-mnist': fashionMnist,
  'synth-768': synthDataset('synth-768', SYNTH_768),
  'glove-100': glove100,
};

export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) throw new Error(`unknown dataset '${name}' (known: ${Object.keys(DATASETS).join(', ')})`);
  return spec;
}
