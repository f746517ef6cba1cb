/**
 * Codebook bytes (docs/formats.md, "Segment files": the codebook body): layout 2 carries a reducer and
 * round-trips bit for bit; layout 1 files (quantized collections written before reducers) are still read;
 * damage is CORRUPTED, a newer layout UNSUPPORTED.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CODEBOOK_LAYOUT_VERSION, codebookFits, decodeCodebook, encodeCodebook, trainCodebook } from '../src/core/collection/codebook.js';
import { resolveIndexConfig } from '../src/core/collection/index-config.js';
import { ParamWriter } from '../src/core/quant/params.js';
import { lowRankVectors } from './support/data.js';

const D = 32;
const ROWS = 2_000;
const sample = new Float32Array(ROWS * D);
lowRankVectors(ROWS, D, 5, 8).forEach((v, i) => sample.set(v, i * D));

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('codebook layout', () => {
  for (const recipe of ['PCA8,HNSW8', 'LeanVec8,HNSW8,LVQ4x8', 'FFT8,Flat,PQ4x8,Rerank:None', 'MRL8,HNSW8,SQ8,Rerank:LVQ8', 'HNSW8,LVQ8x8', 'HNSW8,SQ8,Rerank:LVQ8']) {
    it(`${recipe}: encode -> decode gives the same bytes, and the codebook fits its index`, () => {
      const index = resolveIndexConfig(recipe);
      const codebook = trainCodebook(index, D, sample, ROWS, 3, { metric: 'l2' });
      assert.equal(codebook.reducer?.dimension ?? null, index.reduce?.dimension ?? null);
      const bytes = encodeCodebook(codebook);
      assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint16(0, true), CODEBOOK_LAYOUT_VERSION);
      const decoded = decodeCodebook(bytes, 'test');
      assert.deepEqual(encodeCodebook(decoded), bytes);
      assert.equal(decoded.generation, 3);
      assert.ok(codebookFits(decoded, index, D));
      assert.ok(!codebookFits(decoded, resolveIndexConfig(index.reduce ? 'HNSW8,SQ8' : 'PCA8,HNSW8,SQ8'), D));
      if (decoded.reducer) {
        // the decoded reducer maps exactly like the trained one
        const row = sample.subarray(0, D);
        assert.deepEqual(decoded.reducer.transformDatabase(row), codebook.reducer!.transformDatabase(row));
      }
    });
  }

  it('reads layout 1 (quantized collections written before reducers)', () => {
    const index = resolveIndexConfig('HNSW8,SQ8,Rerank:LVQ8');
    const codebook = trainCodebook(index, D, sample, ROWS, 2, { metric: 'l2' });
    const traversal = codebook.quantizer!.serialize();
    const rerank = codebook.rerank!.serialize();
    const w = new ParamWriter();
    w.u16(1).u16(0).u32(2).u32(ROWS).f32s([codebook.baseline]).u32(traversal.length).raw(traversal).u32(rerank.length).raw(rerank);
    const decoded = decodeCodebook(w.finish(), 'old');
    assert.equal(decoded.reducer, null);
    assert.equal(decoded.reducerBaseline, 0);
    assert.deepEqual(decoded.quantizer!.serialize(), traversal);
    assert.ok(codebookFits(decoded, index, D));
  });

  it('refuses damage (CORRUPTED) and newer layouts (UNSUPPORTED)', () => {
    const codebook = trainCodebook(resolveIndexConfig('PCA8,HNSW8,SQ8'), D, sample, ROWS, 1, { metric: 'l2' });
    const bytes = encodeCodebook(codebook);
    const newer = bytes.slice();
    newer[0] = CODEBOOK_LAYOUT_VERSION + 1;
    assert.equal(code(() => decodeCodebook(newer, 'x')), 'UNSUPPORTED');
    const flags = bytes.slice();
    flags[2] = 6;
    assert.equal(code(() => decodeCodebook(flags, 'x')), 'CORRUPTED');
    assert.equal(code(() => decodeCodebook(bytes.subarray(0, bytes.length - 3), 'x')), 'CORRUPTED');
    const noReducer = bytes.slice();
    noReducer[2] = 0; // the reducer's bytes become trailing garbage
    assert.equal(code(() => decodeCodebook(noReducer, 'x')), 'CORRUPTED');
  });
});
