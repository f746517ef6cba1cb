/**
 * quiverdb/langchain through LangChain's own calls (@langchain/core): the built-in model as a LangChain
 * Embeddings, a VectorStore over an embedded collection (fromTexts creates it), search with scores that
 * are the exact cosine similarities, Quiver filters, a self-query structured filter through
 * QuiverTranslator, maximal marginal relevance, a retriever, deletes; and the same store over HTTP
 * against a real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Document } from '@langchain/core/documents';
import { Comparison, Operation, StructuredQuery } from '@langchain/core/structured_query';
import { QuiverClient } from '../src/client/index.js';
import { Quiver } from '../src/index.js';
import { QuiverEmbeddings, QuiverTranslator, QuiverVectorStore } from '../src/adapters/langchain.js';
import { type TestServer, startTestServer } from './support/server.js';

const CORPUS = [
  { text: 'The cat sat on the mat.', metadata: { topic: 'pets', year: 2019 } },
  { text: 'The cat sat on the mat!', metadata: { topic: 'pets', year: 2020 } },
  { text: 'A dog chased the ball across the park.', metadata: { topic: 'pets', year: 2023 } },
  { text: 'Stock markets fell sharply after the bank raised interest rates.', metadata: { topic: 'finance', year: 2022 } },
  { text: 'The central bank kept interest rates unchanged.', metadata: { topic: 'finance', year: 2024 } },
  { text: 'Quivers hold arrows for archers.', metadata: { topic: 'archery', year: 2021 } },
];

function dot(a: number[], b: number[]): number {
  return a.reduce((sum, x, i) => sum + x * b[i], 0);
}

describe('LangChain.js adapter', () => {
  let db: Quiver;
  let embeddings: QuiverEmbeddings;
  let store: QuiverVectorStore;

  before(async () => {
    db = await Quiver.open();
    embeddings = await QuiverEmbeddings.fromConfig('builtin');
    store = await QuiverVectorStore.fromTexts(CORPUS.map((c) => c.text), CORPUS.map((c) => c.metadata), embeddings, { db, collectionName: 'docs' });
  });
  after(async () => {
    await embeddings.embedder.close();
    await db.close();
  });

  it('QuiverEmbeddings is a LangChain Embeddings with the model\'s vectors', async () => {
    const [a, b] = await embeddings.embedDocuments(['a kitten', 'a kitten']);
    assert.equal(a.length, 512);
    assert.deepEqual(a, b);
    const q = await embeddings.embedQuery('a kitten');
    assert.ok(Math.abs(dot(q, a) - 1) < 1e-5);
  });

  it('fromTexts created the collection; similaritySearchWithScore returns the exact cosine similarities, best first', async () => {
    assert.deepEqual(await db.listCollections().then((l) => l.map((c) => [c.name, c.dimension, c.count])), [['docs', 512, CORPUS.length]]);
    const query = 'What did the central bank do with interest rates?';
    const results = await store.similaritySearchWithScore(query, 3);
    assert.equal(results.length, 3);
    assert.equal(results[0][0].pageContent, CORPUS[4].text);
    assert.deepEqual(results[0][0].metadata, CORPUS[4].metadata);
    const q = await embeddings.embedQuery(query);
    const vectors = await embeddings.embedDocuments(results.map(([d]) => d.pageContent));
    results.forEach(([doc, score], i) => {
      assert.ok(Math.abs(score - dot(q, vectors[i])) < 1e-4, `${doc.pageContent}: ${score}`);
      assert.equal(typeof doc.id, 'string');
    });
    const exact = CORPUS.map((c) => c.text);
    const all = await embeddings.embedDocuments(exact);
    const best = exact.map((text, i) => [text, dot(q, all[i])] as const).sort((x, y) => y[1] - x[1]).slice(0, 3).map(([text]) => text);
    assert.deepEqual(results.map(([d]) => d.pageContent), best, 'the same top 3 as brute force');
  });

  it('filters are Quiver filters; a structured query goes through QuiverTranslator', async () => {
    const finance = await store.similaritySearch('animals', 10, { topic: 'finance' });
    assert.deepEqual(finance.map((d) => d.metadata.topic), ['finance', 'finance']);
    const recent = await store.similaritySearch('animals', 10, { year: { $gte: 2022 }, topic: { $in: ['pets', 'archery'] } });
    assert.deepEqual(recent.map((d) => d.pageContent), [CORPUS[2].text]);

    const translator = new QuiverTranslator();
    const structured = new StructuredQuery('pets', new Operation('and', [new Comparison('gte', 'year', 2020), new Operation('not', [new Comparison('eq', 'topic', 'finance')])]));
    const { filter } = translator.visitStructuredQuery(structured);
    assert.deepEqual(filter, { $and: [{ year: { $gte: 2020 } }, { $nor: [{ topic: { $eq: 'finance' } }] }] });
    const hits = await store.similaritySearch('pets', 10, filter as Record<string, unknown>);
    assert.deepEqual(new Set(hits.map((d) => d.pageContent)), new Set([CORPUS[1].text, CORPUS[2].text, CORPUS[5].text]));
    await assert.rejects(store.similaritySearch('x', 2, { year: { $regex: '20' } }), { code: 'INVALID_FILTER' });
  });

  it('maximal marginal relevance skips the near-duplicate that plain similarity returns second', async () => {
    const query = 'a cat sitting on a mat';
    const plain = await store.similaritySearch(query, 2);
    assert.deepEqual(new Set(plain.map((d) => d.pageContent)), new Set([CORPUS[0].text, CORPUS[1].text]));
    const diverse = await store.maxMarginalRelevanceSearch(query, { k: 2, fetchK: 6, lambda: 0.3 });
    assert.equal(diverse.length, 2);
    assert.ok([CORPUS[0].text, CORPUS[1].text].includes(diverse[0].pageContent));
    assert.ok(![CORPUS[0].text, CORPUS[1].text].includes(diverse[1].pageContent), diverse[1].pageContent);
    const relevanceOnly = await store.maxMarginalRelevanceSearch(query, { k: 2, fetchK: 6, lambda: 1 });
    assert.deepEqual(relevanceOnly.map((d) => d.pageContent), plain.map((d) => d.pageContent));
    const filtered = await store.maxMarginalRelevanceSearch(query, { k: 3, filter: { topic: 'finance' } });
    assert.deepEqual(filtered.map((d) => d.metadata.topic), ['finance', 'finance']);
  });

  it('asRetriever answers invoke() with k and a filter', async () => {
    const retriever = store.asRetriever({ k: 1, filter: { topic: 'archery' } });
    const docs = await retriever.invoke('where do arrows go?');
    assert.deepEqual(docs.map((d) => d.pageContent), [CORPUS[5].text]);
  });

  it('addDocuments keeps ids (replacing an existing one); delete by ids and by filter', async () => {
    const ids = await store.addDocuments([new Document({ pageContent: 'Owls hunt at night.', metadata: { topic: 'birds', year: 2025 }, id: 'owl' }), new Document({ pageContent: 'Parrots can talk.', metadata: { topic: 'birds', year: 2025 } })], { ids: ['owl', 'parrot'] });
    assert.deepEqual(ids, ['owl', 'parrot']);
    await store.addDocuments([new Document({ pageContent: 'Owls hunt mice at night.', metadata: { topic: 'birds', year: 2026 }, id: 'owl' })]);
    const [owl] = await store.similaritySearch('owl', 1, { topic: 'birds', year: 2026 });
    assert.equal(owl.id, 'owl');
    assert.equal(owl.pageContent, 'Owls hunt mice at night.');
    assert.equal(await db.collection('docs').count(), CORPUS.length + 2);
    await store.delete({ ids: ['owl'] });
    assert.equal(await db.collection('docs').count(), CORPUS.length + 1);
    await store.delete({ filter: { topic: 'birds' } });
    assert.equal(await db.collection('docs').count(), CORPUS.length);
    await assert.rejects(store.delete(), { code: 'INVALID_ARGUMENT' });
  });

  describe('over HTTP', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ embedding: 'none' });
    });
    after(() => t.close());

    it('the same store over a QuiverClient: fromDocuments creates the collection on the server; search and delete', async () => {
      const client = new QuiverClient({ url: t.url });
      const remote = await QuiverVectorStore.fromDocuments(CORPUS.map((c, i) => new Document({ pageContent: c.text, metadata: c.metadata, id: `d${i}` })), embeddings, { db: client, collectionName: 'remote' });
      const [[doc, score]] = await remote.similaritySearchWithScore('interest rates at the central bank', 1, { topic: 'finance' });
      assert.equal(doc.id, 'd4');
      const local = await store.similaritySearchWithScore('interest rates at the central bank', 1, { topic: 'finance' });
      assert.ok(Math.abs(score - local[0][1]) < 1e-5);
      await remote.delete({ ids: ['d4'] });
      assert.equal(await client.collection('remote').count(), CORPUS.length - 1);
    });
  });
});
