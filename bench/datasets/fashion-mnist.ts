/**
 * Fashion-MNIST (ann-benchmarks' fashion-mnist-784-euclidean) from Debian's dataset-fashion-mnist:
 * 60,000 train images as the base, 10,000 test images as queries; 28x28 uint8 pixels as float32 0..255; L2.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { cacheDir } from './cache.js';
import { loadOrComputeGroundTruth } from './ground-truth.js';
import type { Dataset, DatasetSpec } from './types.js';

const SRC_DIR = '/usr/share/datasets/fashion-mnist';
const TRAIN = 'train-images-idx3-ubyte.gz';
const TEST = 't10k-images-idx3-ubyte.gz';
const HOW_TO_GET = 'install Debian\'s package: `apt-get update && apt-get install -y dataset-fashion-mnist`';

function ensureInstalled(): void {
  if (fs.existsSync(path.join(SRC_DIR, TRAIN)) && fs.existsSync(path.join(SRC_DIR, TEST))) return;
  if (process.getuid?.() !== 0) throw new Error(`Fashion-MNIST not found in ${SRC_DIR}: ${HOW_TO_GET}`);
  console.log(`Fashion-MNIST not found in ${SRC_DIR}; installing dataset-fashion-mnist with apt-get ...`);
  const apt = (args: string[]) => execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['install', '-y', 'dataset-fashion-mnist']);
  } catch {
    apt(['update']);
    apt(['install', '-y', 'dataset-fashion-mnist']);
  }
  if (!fs.existsSync(path.join(SRC_DIR, TRAIN))) throw new Error(`Fashion-MNIST still missing in ${SRC_DIR}: ${HOW_TO_GET}`);
}

/** Parses a gzipped IDX3 image file (magic 0x00000803, big-endian n, rows, cols) into float32 rows. */
export function readIdxImages(file: string): { count: number; dimension: number; vectors: Float32Array } {
  const raw = gunzipSync(fs.readFileSync(file));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getUint32(0) !== 0x00000803) throw new Error(`${file}: not an IDX3 ubyte file`);
  const count = view.getUint32(4);
  const dimension = view.getUint32(8) * view.getUint32(12);
  const pixels = raw.subarray(16, 16 + count * dimension);
  if (pixels.length !== count * dimension) throw new Error(`${file}: truncated`);
  return { count, dimension, vectors: Float32Array.from(pixels) };
}

export const fashionMnist: DatasetSpec = {
  name: 'fashion-mnist',
  async load(): Promise<Dataset> {
    ensureInstalled();
    const train = readIdxImages(path.join(SRC_DIR, TRAIN));
    const test = readIdxImages(path.join(SRC_DIR, TEST));
    const dim = train.dimension;
    const dir = cacheDir('fashion-mnist', { source: 'debian dataset-fashion-mnist', base: TRAIN, queries: TEST, version: 1 });
    const gt = loadOrComputeGroundTruth(dir, 'test', train.vectors, test.vectors, dim, 'l2');
    return {
      name: 'fashion-mnist',
      description: `Fashion-MNIST ${train.count} x ${dim}, ${test.count} test queries, L2`,
      metric: 'l2',
      dimension: dim,
      base: train.vectors,
      count: train.count,
      querySets: [{ name: 'test', vectors: test.vectors, count: test.count, gt }],
    };
  },
};
