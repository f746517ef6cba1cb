/**
 * The transformers.js provider on a model folder that scripts/make-test-embedder.mjs generates (an ONNX
 * embedding-table lookup behind a BERT tokenizer), with remote loading off: the vectors are the pooled
 * table rows the tokenizer's ids pick, and pooling / normalisation follow the folder's
 * sentence-transformers files unless the options say otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { makeTinyEmbedder, tinyEmbedderTable, TINY_EMBEDDER_VOCAB, TINY_EMBEDDER_DIMENSION } from '../scripts/make-test-embedder.mjs';
import { createEmbeddingFunction, transformersEmbedding, type EmbeddingFunction } from '../src/embed/index.js';
import { isQuiverError } from '../src/core/errors.js';

const MODEL_DIR = resolve(import.meta.dirname, '..', '.tmp', 'models', 'tiny-embedder');
const table: Float32Array = tinyEmbedderTable();
const vocab: string[] = TINY_EMBEDDER_VOCAB;
const D: number = TINY_EMBEDDER_DIMENSION;

/** The table rows of [CLS] word... [SEP] for a text of lowercase vocabulary words and spaces. */
function rows(text: string): Float32Array[] {
  const tokens = ['[CLS]', ...text.toLowerCase().split(/\s+/).filter(Boolean), '[SEP]'];
  return tokens.map((token) => {
    const id = vocab.indexOf(token);
    assert.ok(id >= 0, `test text uses a word outside the vocabulary: ${token}`);
    return table.subarray(id * D, (id + 1) * D);
  });
}
function mean(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(D);
  for (const v of vectors) for (let i = 0; i < D; i++) out[i] += v[i] / vectors.length;
  return out;
}
function unit(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
function assertClose(actual: Float32Array, expected: Float32Array): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-5, `component ${i}: ${actual[i]} vs ${expected[i]}`);
}

const TEXTS = ['The cat sat on the mat', 'dogs run in the park', 'stock prices fell today', 'a quick brown fox jumps over the lazy dog'];

describe('transformers.js provider on the generated local model', () => {
  let model: EmbeddingFunction;
  let scratch: string;
  before(async () => {
    if (!existsSync(join(MODEL_DIR, 'onnx', 'model.onnx'))) makeTinyEmbedder(MODEL_DIR);
    scratch = mkdtempSync(join(tmpdir(), 'quiver-tjs-'));
    model = await transformersEmbedding({ model: 'quiver/tiny-embedder', localPath: MODEL_DIR, cacheDir: join(scratch, 'cache') });
  });
  after(async () => {
    await model.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reads dimension, mean pooling and normalisation from the folder', () => {
    assert.equal(model.name, 'transformers:quiver/tiny-embedder');
    assert.equal(model.dimension, D);
    assert.equal(model.normalized, true);
  });

  it('returns the normalised mean of the token rows, in order, across batches (padding does not leak in)', async () => {
    const progress: number[] = [];
    const vectors = await model.embed(TEXTS, { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(progress, [3, 4]);
    TEXTS.forEach((text, i) => assertClose(vectors[i], unit(mean(rows(text)))));
  });

  it('options override the model config: cls pooling without normalisation is the [CLS] row', async () => {
    const cls = await transformersEmbedding({ model: 'quiver/tiny-embedder', localPath: MODEL_DIR, pooling: 'cls', normalize: false });
    assert.equal(cls.normalized, false);
    const [v] = await cls.embed(['dogs run']);
    assertClose(v, rows('dogs run')[0]);
    await cls.close();
  });

  it('a folder whose pooling config says cls and has no Normalize module is read that way', async () => {
    const dir = makeTinyEmbedder(join(scratch, 'cls-model'), { pooling: 'cls', normalize: false });
    const fromConfig = await createEmbeddingFunction({ provider: 'transformers', model: 'cls-model', localPath: dir });
    assert.equal(fromConfig.normalized, false);
    const [v] = await fromConfig.embed(['the cat']);
    assertClose(v, rows('the cat')[0]);
    await fromConfig.close();
  });

  it('a missing folder, or a hub id with remote loading off and nothing cached, is MODEL_NOT_FOUND', async () => {
    await assert.rejects(transformersEmbedding({ model: 'x', localPath: join(scratch, 'nothing') }), (e) => isQuiverError(e, 'MODEL_NOT_FOUND'));
    await assert.rejects(
      transformersEmbedding({ model: 'Xenova/all-MiniLM-L6-v2', allowRemote: false, cacheDir: join(scratch, 'empty-cache') }),
      (e) => isQuiverError(e, 'MODEL_NOT_FOUND') && /remote loading is off/.test(e.message),
    );
  });
});
