/**
 * Chunking (src/embed/chunking.ts): every character of the parent lands in a chunk, chunks map back to
 * their parent's offsets, overlaps are what was asked for, and sizes stay within bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chunkDocuments, chunkKey, chunkText, chunkUnits, parseChunkKey, type Chunk } from '../src/embed/chunking.js';
import { isQuiverError } from '../src/core/errors.js';

const words = (text: string): number => [...new Intl.Segmenter('en', { granularity: 'word' }).segment(text)].filter((s) => s.isWordLike).length;

/** Texts with words, spaces, punctuation, sentence ends, newlines and non-ASCII. */
const texts = fc
  .array(
    fc.oneof(
      fc.constantFrom('the', 'cat', 'sat', 'on', 'a', 'mat', 'Dr', 'vector', 'naïve', '東京', '🙂', 'x1', "it's"),
      fc.constantFrom(' ', '  ', '\n', '\n\n', ', ', '. ', '! ', '? ', '... ', '.', '"', '(', ')'),
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

function assertCovers(text: string, chunks: Chunk[]): void {
  if (text.length === 0) return assert.equal(chunks.length, 0);
  assert.equal(chunks[0].start, 0);
  assert.equal(chunks[chunks.length - 1].end, text.length);
  chunks.forEach((chunk, i) => {
    assert.equal(chunk.index, i);
    assert.equal(text.slice(chunk.start, chunk.end), chunk.text, 'a chunk maps back to its parent offsets');
    assert.ok(chunk.end > chunk.start);
    assert.equal(chunk.tokens, words(chunk.text));
    if (i > 0) {
      assert.ok(chunk.start <= chunks[i - 1].end, 'no gap between consecutive chunks');
      assert.ok(chunk.start > chunks[i - 1].start && chunk.end > chunks[i - 1].end, 'chunks advance');
    }
  });
}

describe('chunking by tokens', () => {
  it('covers every character, with size-token chunks overlapping by exactly `overlap` tokens', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 12 }), fc.nat(11), (text, size, overlapSeed) => {
        const overlap = overlapSeed % size;
        const chunks = chunkText(text, { by: 'tokens', size, overlap });
        assertCovers(text, chunks);
        chunks.forEach((chunk, i) => {
          assert.ok(chunk.tokens <= size);
          if (i < chunks.length - 1) assert.equal(chunk.tokens, size, 'only the last chunk may be short');
          if (i > 0) {
            const shared = words(text.slice(chunk.start, chunks[i - 1].end));
            assert.equal(shared, overlap, 'consecutive chunks share `overlap` tokens');
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('cuts on word boundaries: a word is never split', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta';
    assert.deepEqual(
      chunkText(text, { by: 'tokens', size: 3, overlap: 1 }).map((c) => c.text),
      ['alpha beta gamma ', 'gamma delta epsilon ', 'epsilon zeta eta ', 'eta theta'],
    );
  });
});

describe('chunking by sentences', () => {
  it('covers every character; chunks stay within size tokens and repeat at most `overlap` sentences, as many as fit', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 15 }), fc.nat(3), (text, size, overlap) => {
        const chunks = chunkText(text, { by: 'sentences', size, overlap });
        assertCovers(text, chunks);
        const units = chunkUnits(text, { by: 'sentences', size, overlap });
        assert.deepEqual(units.map((u) => [u.start, u.end]).flat().slice(1, -1), units.slice(1).flatMap((u) => [u.start, u.start]), 'units tile the text');
        const unitAt = (offset: number): number => units.findIndex((u) => u.start === offset);
        const unitEnding = (offset: number): number => units.findIndex((u) => u.end === offset);
        for (const [i, chunk] of chunks.entries()) {
          const first = unitAt(chunk.start);
          const last = unitEnding(chunk.end) + 1;
          assert.ok(first >= 0 && last > first, 'chunks start and end on sentence boundaries');
          assert.ok(chunk.tokens <= size, `chunk ${i} has ${chunk.tokens} tokens > ${size}`);
          if (i === chunks.length - 1) continue;
          const next = chunks[i + 1];
          const nextFirst = unitAt(next.start);
          const shared = last - nextFirst;
          assert.ok(shared >= 0 && shared <= overlap && shared < last - first, `chunk ${i + 1} repeats ${shared} sentences`);
          // Packing is greedy: the next unit did not fit.
          assert.ok(chunk.tokens + units[last].tokens > size, 'a chunk stops only when the next sentence would not fit');
          // Overlap is dropped only when repeating one more sentence would leave no room for the next new one.
          if (shared < overlap && shared < last - first - 1) {
            const withOneMore = units.slice(last - shared - 1, last + 1).reduce((n, u) => n + u.tokens, 0);
            assert.ok(withOneMore > size, 'overlap was dropped although it fit');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('packs whole sentences and repeats the last one', () => {
    const text = 'One two three. Four five. Six seven eight. Nine.';
    const chunks = chunkText(text, { by: 'sentences', size: 5, overlap: 1 });
    assert.deepEqual(
      chunks.map((c) => c.text),
      ['One two three. Four five. ', 'Four five. Six seven eight. ', 'Six seven eight. Nine.'],
    );
  });

  it('drops overlap that would leave no room for a new sentence, and cuts sentences longer than size', () => {
    const chunks = chunkText('a b c d. e f g h i j k. l.', { by: 'sentences', size: 4, overlap: 1 });
    assert.deepEqual(
      chunks.map((c) => c.text),
      ['a b c d. ', 'e f g h ', 'i j k. l.'],
    );
  });
});

describe('chunk -> parent mapping', () => {
  it('chunk keys round-trip to the parent key and index, even when the parent key has a #', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(10_000), (parent, index) => {
        assert.deepEqual(parseChunkKey(chunkKey(parent, index)), { parentKey: parent, index });
      }),
    );
    assert.equal(parseChunkKey('plain'), null);
    assert.equal(parseChunkKey('x#01'), null);
  });

  it('chunkDocuments keeps each chunk pointing at its parent text', () => {
    const docs = [
      { key: 'a', document: 'First sentence here. Second one there. A third!' },
      { key: 'b#2', document: 'Short.' },
    ];
    const records = chunkDocuments(docs, { by: 'sentences', size: 4, overlap: 0 });
    for (const record of records) {
      const parent = docs.find((d) => d.key === record.parentKey)!;
      assert.equal(parent.document.slice(record.start, record.end), record.text);
      assert.deepEqual(parseChunkKey(record.key), { parentKey: record.parentKey, index: record.index });
    }
    assert.deepEqual(records.map((r) => r.key), ['a#0', 'a#1', 'a#2', 'b#2#0']);
  });

  it('bad options are INVALID_ARGUMENT', () => {
    for (const options of [{ by: 'words', size: 3 }, { by: 'tokens', size: 0 }, { by: 'tokens', size: 3, overlap: 3 }, { by: 'sentences', size: 3, overlap: -1 }]) {
      assert.throws(() => chunkText('x y z', options as never), (e) => isQuiverError(e, 'INVALID_ARGUMENT'));
    }
  });
});
