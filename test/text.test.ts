/**
 * Keyword and hybrid search (issue 5): the analyzer (Unicode tokens, lower-casing, stop words, Porter
 * stemming checked word for word against the `stemmer` package), BM25 scores against values worked out
 * by hand on a small corpus (also after a delete changes N, df and avgdl), fusion order on constructed
 * rankings (RRF and weighted sums), keyword queries returning min(k, documents holding a query term)
 * under filters, hybrid queries through the API, and the text and payload indexes surviving reopening,
 * compaction and segment files written before they existed (format version 1).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stemmer } from 'stemmer';
import { Quiver } from '../src/index.js';
import { decodeSegment, encodeSegment } from '../src/core/format/segment.js';
import { isQuiverError } from '../src/core/errors.js';
import { Analyzer } from '../src/core/text/analyzer.js';
import { TextIndex } from '../src/core/text/bm25.js';
import { decodeTextIndex, encodeTextIndex } from '../src/core/text/codec.js';
import { fuse } from '../src/core/text/fusion.js';
import { porterStem } from '../src/core/text/porter.js';
import { Prng } from '../src/core/lib/prng.js';

/** shared/data/papers.jsonl beside the repository (or an ancestor's), or '' when there is none. */
function papersCorpus(): string {
  for (let dir = resolve(import.meta.dirname, '..'); ; dir = dirname(dir)) {
    const path = join(dir, '..', 'shared', 'data', 'papers.jsonl');
    if (existsSync(path)) return readFileSync(path, 'utf8');
    if (dirname(dir) === dir) return '';
  }
}

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

describe('analyzer', () => {
  it('tokenizes Unicode text, lower-cases, folds compatibility forms', () => {
    const plain = new Analyzer();
    assert.deepEqual(plain.terms("The Quick-Brown FOX's café, naïve résumé; don't stop: 3.5 GHz!"), ['the', 'quick', 'brown', "fox's", 'café', 'naïve', 'résumé', "don't", 'stop', '3', '5', 'ghz']);
    assert.deepEqual(plain.terms('Ｆｕｌｌｗｉｄｔｈ ﬁle Straße ΣΟΦΙΑ'), ['fullwidth', 'file', 'straße', 'σοφια']);
    assert.deepEqual(plain.terms('東京タワーへ行く'), ['東', '京', 'タ', 'ワ', 'ー', 'へ', '行', 'く']);
    assert.deepEqual(plain.terms('Привет, мир — hello world'), ['привет', 'мир', 'hello', 'world']);
    assert.deepEqual(plain.terms('it’s'), ["it's"]);
    assert.deepEqual(plain.terms(`${'x'.repeat(65)} ok`), ['ok'], 'over-long tokens are dropped');
    assert.deepEqual(plain.terms('  \n\t!!! '), []);
  });

  it('stop words and English stemming when asked', () => {
    const english = new Analyzer({ stemming: 'english', stopWords: 'english' });
    assert.deepEqual(english.terms('The running dogs were connected to the networks of a generalization'), ['run', 'dog', 'were', 'connect', 'network', 'gener']);
    assert.deepEqual(english.terms("Paper's results; Vamana's graphs"), ['paper', 'result', 'vamana', 'graph']);
    const custom = new Analyzer({ stemming: 'none', stopWords: ['Foo', 'bar'] });
    assert.deepEqual(custom.terms('foo BAR baz'), ['baz']);
  });

  it('Porter stemming matches the stemmer package on the corpus vocabulary and random words', () => {
    const words = new Set<string>();
    for (const line of papersCorpus().split('\n')) {
      if (!line) continue;
      const { title, abstract } = JSON.parse(line) as { title: string; abstract: string };
      for (const w of `${title} ${abstract}`.toLowerCase().match(/[a-z]+/g) ?? []) words.add(w);
    }
    for (const w of ['caresses', 'ponies', 'ties', 'cats', 'feed', 'agreed', 'plastered', 'motoring', 'sing', 'conflated', 'troubled', 'sized', 'hopping', 'tanned', 'falling', 'hissing', 'fizzed', 'failing', 'filing', 'happy', 'sky', 'relational', 'conditional', 'rational', 'valenci', 'hesitanci', 'digitizer', 'conformabli', 'radicalli', 'differentli', 'vileli', 'analogousli', 'vietnamization', 'predication', 'operator', 'feudalism', 'decisiveness', 'hopefulness', 'callousness', 'formaliti', 'sensitiviti', 'sensibiliti', 'triplicate', 'formative', 'formalize', 'electriciti', 'electrical', 'hopeful', 'goodness', 'revival', 'allowance', 'inference', 'airliner', 'gyroscopic', 'adjustable', 'defensible', 'irritant', 'replacement', 'adjustment', 'dependent', 'adoption', 'homologou', 'communism', 'activate', 'angulariti', 'homologous', 'effective', 'bowdlerize', 'probate', 'rate', 'cease', 'controll', 'roll', 'yes', 'yelling', 'by', 'a']) words.add(w);
    assert.ok(words.size > 70);
    for (const w of words) assert.equal(porterStem(w), stemmer(w), w);
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{1,14}$/), (w) => porterStem(w) === stemmer(w)), { numRuns: 20_000, seed: 3 });
  });
});

describe('BM25', () => {
  const corpus = ['the quick brown fox', 'the lazy dog', 'quick quick fox jumps', undefined, ''];

  it('scores as worked out by hand (k1 1.2, b 0.75, Lucene idf), and after a delete', () => {
    const index = new TextIndex(new Analyzer());
    corpus.forEach((doc, slot) => index.add(slot, doc));
    const deleted = new Uint8Array(corpus.length);
    const search = (text: string): Map<number, number> => {
      const counts = new Map<string, number>();
      for (const t of new Analyzer().terms(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
      const query = { counts };
      const df = new Map([...counts.keys()].map((t) => [t, index.documentFrequency(t, deleted)]));
      const out = new Map<number, number>();
      index.score(query, { documents: index.liveDocuments, length: index.liveLength, df }, deleted, null, (slot, score) => out.set(slot, score));
      return out;
    };
    // N = 3 documents with terms, avgdl = 11/3; idf(quick) = idf(fox) = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln 1.6
    // d0: 2 x ln1.6 x 1 x 2.2 / (1 + 1.2 x (0.25 + 0.75 x 4 / (11/3))) = 0.9063018189439682
    // d2: quick tf 2 + fox tf 1 = 1.0832942794302558
    let scores = search('quick fox');
    assert.deepEqual([...scores.keys()].sort(), [0, 2]);
    close(scores.get(0)!, 0.9063018189439682, 'd0');
    close(scores.get(2)!, 1.0832942794302558, 'd2');
    // a repeated query term counts twice
    close(search('fox fox').get(0)!, 0.9063018189439682, 'qtf');
    // idf(dog) = ln(1 + 2.5 / 1.5); d1: idf x 2.2 / (1 + 1.2 x (0.25 + 0.75 x 3 / (11/3))) = 1.0596458894144545
    close(search('dog').get(1)!, 1.0596458894144545, 'dog');
    // deleting d1 leaves N = 2, avgdl = 4: idf = ln(1 + 0.5 / 2.5) = ln 1.2
    deleted[1] = 1;
    index.remove(1);
    scores = search('quick fox');
    close(scores.get(0)!, 0.3646431135879092, 'd0 after delete');
    close(scores.get(2)!, 0.4330136973856422, 'd2 after delete');
    assert.equal(search('dog').size, 0);
    assert.equal(search('zebra').size, 0);
  });

  it('the codec round-trips and refuses damage', () => {
    const analyzer = new Analyzer({ stemming: 'english', stopWords: 'english' });
    const index = new TextIndex(analyzer);
    corpus.forEach((doc, slot) => index.add(slot, doc));
    const bytes = encodeTextIndex(index, corpus.length);
    const decoded = decodeTextIndex(bytes, corpus.length, analyzer, 'seg');
    assert.deepEqual([...decoded.postings.keys()].sort(), [...index.postings.keys()].sort());
    assert.equal(decoded.liveDocuments, index.liveDocuments);
    assert.equal(decoded.liveLength, index.liveLength);
    assert.throws(() => decodeTextIndex(bytes, corpus.length, new Analyzer(), 'seg'), (e: unknown) => isQuiverError(e, 'CORRUPTED'));
    const rng = new Prng(2);
    for (let trial = 0; trial < 300; trial++) {
      const damaged = bytes.slice(0, trial % 2 ? bytes.length : rng.int(bytes.length));
      if (trial % 2) damaged[rng.int(damaged.length)] ^= 1 << rng.int(8);
      try {
        decodeTextIndex(damaged, corpus.length, analyzer, 'seg');
      } catch (error) {
        assert.ok(isQuiverError(error, 'CORRUPTED'), String(error));
      }
    }
  });
});

describe('fusion', () => {
  const vector = [{ id: 1, score: 0.9 }, { id: 2, score: 0.5 }, { id: 3, score: 0.1 }];
  const keyword = [{ id: 3, score: 10 }, { id: 1, score: 5 }, { id: 4, score: 0 }];

  it('RRF sums 1 / (60 + rank) over the lists', () => {
    const fused = fuse(vector, keyword, { method: 'rrf' });
    assert.deepEqual(fused.map((f) => f.id), [1, 3, 2, 4]);
    close(fused[0].score, 1 / 61 + 1 / 62, 'A');
    close(fused[1].score, 1 / 63 + 1 / 61, 'C');
    close(fused[2].score, 1 / 62, 'B');
    close(fused[3].score, 1 / 63, 'D');
    assert.deepEqual([fused[0].vectorRank, fused[0].keywordRank], [1, 2]);
  });

  it('weighted sums of min-max normalised scores follow the weights', () => {
    const mostlyVector = fuse(vector, keyword, { method: 'weighted', vector: 0.7, keyword: 0.3 });
    assert.deepEqual(mostlyVector.map((f) => f.id), [1, 2, 3, 4]);
    close(mostlyVector[0].score, 0.7 + 0.3 * 0.5, 'A');
    close(mostlyVector[1].score, 0.35, 'B');
    close(mostlyVector[2].score, 0.3, 'C');
    const mostlyKeyword = fuse(vector, keyword, { method: 'weighted', vector: 0.2, keyword: 0.8 });
    assert.deepEqual(mostlyKeyword.map((f) => f.id), [3, 1, 2, 4]);
    // equal scores in a list normalise to 1; ties are broken by id
    assert.deepEqual(fuse([{ id: 9, score: 2 }, { id: 8, score: 2 }], [], { method: 'weighted', vector: 1, keyword: 1 }).map((f) => [f.id, f.score]), [[8, 1], [9, 1]]);
  });
});

/** Documents over a small vocabulary; vectors on a line so vector ranks are known. */
async function library(db: Quiver, name = 'lib') {
  const col = await db.createCollection(name, { dimension: 2, metric: 'l2', index: 'HNSW8', text: { stemming: 'english', stopWords: 'english' } });
  const docs = [
    'Graph indexes for vector search',
    'Filtered vector search with graphs',
    'Keyword search with BM25',
    'Hybrid search fuses rankings',
    'A history of databases',
    'Searching graphs, and searched graphs',
  ];
  await col.upsert(docs.map((document, i) => ({ key: `d${i}`, vector: [i, 0], document, metadata: { i, odd: i % 2 === 1 } })));
  return col;
}

describe('keyword and hybrid queries through the API', () => {
  it('keyword search returns min(k, documents holding a query term), under filters, with explain', async () => {
    const db = await Quiver.open();
    const col = await library(db);
    const all = await col.query({ text: 'graph search', k: 100 });
    assert.deepEqual(all.map((h) => h.key).sort(), ['d0', 'd1', 'd2', 'd3', 'd5']);
    for (const h of all) assert.equal(h.distance, undefined);
    assert.ok(all.every((h, i) => i === 0 || all[i - 1].score >= h.score));
    assert.equal(all[0].key, 'd5', 'stemming: searching/searched/graphs all count');
    assert.equal((await col.query({ text: 'graph search', k: 2 })).length, 2);
    const odd = await col.query({ text: 'graph search', k: 100, filter: { odd: true } });
    assert.deepEqual(odd.map((h) => h.key).sort(), ['d1', 'd3', 'd5']);
    assert.deepEqual(await col.query({ text: 'the of a', k: 10 }), [], 'only stop words: no terms, no hits');
    assert.deepEqual(await col.query({ text: 'zebra', k: 10 }), []);
    const { plan } = await col.explain({ text: 'Graphs searching', k: 3, filter: { i: { $lt: 5 } } });
    assert.equal(plan.strategy, 'keyword');
    assert.deepEqual(plan.terms, ['graph', 'search']);
    assert.equal(plan.matches, 5);
    await col.delete(['d5']);
    assert.equal((await col.query({ text: 'graph search', k: 100 }))[0].key !== 'd5', true);
    assert.equal((await col.query({ text: 'graph search', k: 100 })).length, 4);
    const [hit] = await col.query({ text: 'databases', k: 1, include: ['document', 'metadata'] });
    assert.deepEqual([hit.key, hit.document, hit.metadata], ['d4', 'A history of databases', { i: 4, odd: false }]);
    await db.close();
  });

  it('hybrid search fuses the rankings (RRF or weights; RRF by default here, without the built-in model), filters both sides, returns min(k, matching)', async () => {
    const db = await Quiver.open();
    const col = await library(db);
    // vector ranks from [0, 0]: d0 d1 d2 d3 d4 d5; keyword ranks for "keyword bm25 hybrid": d2, d3 only
    const rrf = await col.query({ vector: [0, 0], text: 'keyword BM25', k: 6, fusion: 'rrf' });
    assert.deepEqual(rrf.map((h) => h.key), ['d2', 'd0', 'd1', 'd3', 'd4', 'd5']);
    close(rrf[0].score, 1 / 61 + 1 / 63, 'd2 = keyword rank 1 + vector rank 3');
    close(rrf[1].score, 1 / 61, 'd0 = vector rank 1');
    const vectorHeavy = await col.query({ vector: [0, 0], text: 'keyword BM25', k: 3, fusion: { weights: { vector: 1, keyword: 0.1 } } });
    assert.deepEqual(vectorHeavy.map((h) => h.key), ['d0', 'd1', 'd2']);
    const keywordHeavy = await col.query({ vector: [0, 0], text: 'keyword BM25', k: 3, fusion: { weights: { vector: 0.1, keyword: 1 } } });
    assert.equal(keywordHeavy[0].key, 'd2');
    const filtered = await col.query({ vector: [0, 0], text: 'search', k: 10, filter: { odd: false } });
    assert.deepEqual(filtered.map((h) => h.key).sort(), ['d0', 'd2', 'd4']);
    const { plan } = await col.explain({ vector: [0, 0], text: 'search', k: 2, mode: 'hybrid', fusion: { weights: { vector: 1, keyword: 1 } } });
    assert.equal(plan.strategy, 'hybrid');
    assert.deepEqual(plan.fusion, { weights: { vector: 1, keyword: 1 } });
    assert.equal((await col.explain({ vector: [0, 0], text: 'search', k: 2, fusion: 'rrf' })).plan.fusion, 'rrf');
    // without `fusion` and without the built-in model: RRF (the tuned weights are the built-in model's: test/papers.test.ts)
    const byDefault = await col.explain({ vector: [0, 0], text: 'keyword BM25', k: 6 });
    assert.equal(byDefault.plan.fusion, 'rrf');
    assert.deepEqual(byDefault.hits.map((h) => [h.key, h.score]), rrf.map((h) => [h.key, h.score]));
    // explicit modes
    assert.deepEqual((await col.query({ vector: [0, 0], text: 'keyword', mode: 'vector', k: 1 })).map((h) => h.key), ['d0']);
    assert.deepEqual((await col.query({ vector: [0, 0], text: 'keyword', mode: 'keyword', k: 5 })).map((h) => h.key), ['d2']);
    await db.close();
  });

  it('text and payload indexes survive reopening, compaction, and files from before them (version 1)', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-text-'));
    try {
      let db = await Quiver.open({ path: dir });
      const col = await db.createCollection('t', { dimension: 2, metric: 'l2', index: 'Flat', payloadIndexes: { i: 'number' }, text: { stemming: 'english', stopWords: 'none' } });
      const rng = new Prng(6);
      const words = ['vector', 'graph', 'search', 'filter', 'index', 'quantise', 'segment', 'bitmap'];
      const records = Array.from({ length: 400 }, (_, i) => ({
        key: `r${i}`,
        vector: [rng.next(), rng.next()],
        document: Array.from({ length: 3 + rng.int(8) }, () => words[rng.int(words.length)]).join(' '),
        metadata: { i, tag: words[i % 8] },
      }));
      await col.upsert(records);
      await col.delete(records.filter((r) => r.metadata.i % 7 === 0).map((r) => r.key));
      await col.count({ filter: { tag: 'graph' } }); // makes an index for "tag" on demand
      const probe = async (c: ReturnType<Quiver['collection']>) => ({
        keyword: (await c.query({ text: 'graph bitmap', k: 20 })).map((h) => `${h.key}:${h.score.toFixed(12)}`),
        hybrid: (await c.query({ vector: [0.5, 0.5], text: 'filter', k: 10, filter: { i: { $gte: 100 } } })).map((h) => h.key),
        count: await c.count({ filter: { $or: [{ tag: 'graph' }, { i: { $lt: 50 } }] } }),
      });
      const before = await probe(col);
      await db.close();
      db = await Quiver.open({ path: dir });
      assert.deepEqual(await probe(db.collection('t')), before, 'reopened: indexes loaded from the segment files');
      const files = readdirSync(dir).filter((f) => f.endsWith('.qseg'));
      assert.ok(files.length > 0);
      for (const f of files) {
        const contents = decodeSegment(new Uint8Array(readFileSync(join(dir, f))), f);
        assert.ok(contents.payloadIndex && contents.textIndex, `${f} holds both index sections`);
      }
      await db.collection('t').optimize();
      assert.deepEqual(await probe(db.collection('t')), before, 'compacted');
      await db.close();
      // rewrite every segment file as version 1 (no index sections): opening rebuilds the indexes
      for (const f of readdirSync(dir).filter((name) => name.endsWith('.qseg'))) {
        const contents = decodeSegment(new Uint8Array(readFileSync(join(dir, f))), f);
        writeFileSync(join(dir, f), encodeSegment(contents, 1));
      }
      db = await Quiver.open({ path: dir });
      assert.deepEqual(await probe(db.collection('t')), before, 'version 1 segment files');
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
