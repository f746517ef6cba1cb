/**
 * quiverdb/llamaindex through LlamaIndex's own calls (@llamaindex/core): documents split into sentences (buildNodeFromSplits), embedded by QuiverEmbedding as a transform (the built-in model), added to the store,
 * then VectorStoreQuery in default, MMR, sparse and hybrid modes with MetadataFilters, nodes rebuilt
 * with their text, metadata and source document, and delete by ref_doc_id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BaseNode, Document, MetadataMode, TextNode, buildNodeFromSplits } from '@llamaindex/core/schema';
import { VectorStoreQueryMode } from '@llamaindex/core/vector-store';
import { Quiver } from '../src/index.js';
import { QuiverEmbedding, QuiverVectorStore, toQuiverFilter } from '../src/adapters/llamaindex.js';

const DOCS = [
  new Document({ id_: 'pets', text: 'The cat sat on the mat. The cat sat on the mat! A dog chased the ball across the park.', metadata: { topic: 'pets', year: 2020, tags: ['cat', 'dog'] } }),
  new Document({ id_: 'money', text: 'Stock markets fell sharply after the bank raised interest rates. The central bank kept interest rates unchanged.', metadata: { topic: 'finance', year: 2024, tags: ['bank'] } }),
  new Document({ id_: 'archery', text: 'Quivers hold arrows for archers.', metadata: { topic: 'archery', year: 2021 } }),
];

describe('LlamaIndex.TS adapter', () => {
  let db: Quiver;
  let embedModel: QuiverEmbedding;
  let store: QuiverVectorStore;
  let nodes: BaseNode[];

  before(async () => {
    db = await Quiver.open();
    embedModel = await QuiverEmbedding.fromConfig('builtin');
    store = new QuiverVectorStore({ db, collectionName: 'li', embedModel });
    // one node per sentence, built by LlamaIndex from the splits (with the source relationship; node
    // parsers copy the document's metadata afterwards, as done here)
    nodes = DOCS.flatMap((doc) => buildNodeFromSplits(doc.text.split(/(?<=[.!]) /), doc).map((node) => Object.assign(node, { metadata: { ...doc.metadata } })));
    nodes = await embedModel(nodes);
  });
  after(async () => {
    await embedModel.embedder.close();
    await db.close();
  });

  const embed = (text: string): Promise<number[]> => embedModel.getTextEmbedding(text);

  it('adds embedded nodes; the collection is created with the model\'s dimension', async () => {
    assert.equal(nodes.length, 6);
    assert.equal(nodes[0].embedding?.length, 512);
    const ids = await store.add(nodes);
    assert.deepEqual(ids, nodes.map((n) => n.id_));
    const [info] = await db.listCollections();
    assert.deepEqual([info.name, info.dimension, info.count], ['li', 512, nodes.length]);
    await assert.rejects(store.add([new TextNode({ text: 'no embedding' })]), { code: 'INVALID_VECTOR' });
  });

  it('default mode: nearest nodes with text, metadata and source document; scores are cosine similarities', async () => {
    const queryEmbedding = await embed('What did the central bank do with interest rates?');
    const result = await store.query({ queryEmbedding, similarityTopK: 2, mode: VectorStoreQueryMode.DEFAULT });
    assert.equal(result.ids.length, 2);
    const top = result.nodes![0] as TextNode;
    assert.equal(top.getContent(MetadataMode.NONE), 'The central bank kept interest rates unchanged.');
    assert.equal(top.metadata.topic, 'finance');
    assert.equal(top.sourceNode?.nodeId, 'money');
    assert.equal(top.id_, result.ids[0]);
    const stored = nodes.find((n) => n.id_ === top.id_)!;
    const cosine = stored.embedding!.reduce((s, x, i) => s + x * queryEmbedding[i], 0);
    assert.ok(Math.abs(result.similarities[0] - cosine) < 1e-4);
    assert.ok(result.similarities[0] >= result.similarities[1]);
  });

  it('MetadataFilters and docIds map to Quiver filters', async () => {
    const queryEmbedding = await embed('animals');
    const filtered = await store.query({ queryEmbedding, similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT, filters: { filters: [{ key: 'year', value: 2021, operator: '>=' }, { key: 'topic', value: 'finance', operator: '!=' }] } });
    assert.deepEqual(new Set(filtered.nodes!.map((n) => n.metadata.topic)), new Set(['archery']));
    const either = await store.query({ queryEmbedding, similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT, filters: { condition: 'or', filters: [{ key: 'topic', value: 'archery', operator: '==' }, { key: 'tags', value: ['bank'], operator: 'any' }] } });
    assert.deepEqual(new Set(either.nodes!.map((n) => n.sourceNode?.nodeId)), new Set(['archery', 'money']));
    const byDoc = await store.query({ queryEmbedding, similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT, docIds: ['pets'] });
    assert.ok(byDoc.nodes!.length >= 2 && byDoc.nodes!.every((n) => n.sourceNode?.nodeId === 'pets'));
    const all = await store.query({ queryEmbedding, similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT, filters: { filters: [{ key: 'tags', value: ['cat', 'dog'], operator: 'all' }] } });
    assert.ok(all.nodes!.length >= 2 && all.nodes!.every((n) => n.metadata.topic === 'pets'));
    assert.deepEqual(toQuiverFilter({ filters: [{ key: 'a', operator: 'nin', value: [1, 2] }, { key: 'b', operator: 'is_empty' }] }), { $and: [{ a: { $nin: [1, 2] } }, { b: { $eq: null } }] });
    await assert.rejects(store.query({ queryEmbedding, similarityTopK: 1, mode: VectorStoreQueryMode.DEFAULT, filters: { filters: [{ key: 'a', value: 'x', operator: 'text_match' }] } }), { code: 'UNSUPPORTED' });
  });

  it('MMR mode skips the near-duplicate sentence that default mode returns second', async () => {
    const queryEmbedding = await embed('a cat sitting on a mat');
    const plain = await store.query({ queryEmbedding, similarityTopK: 2, mode: VectorStoreQueryMode.DEFAULT });
    const texts = plain.nodes!.map((n) => n.getContent(MetadataMode.NONE));
    assert.deepEqual(new Set(texts), new Set(['The cat sat on the mat.', 'The cat sat on the mat!']));
    const mmr = await store.query({ queryEmbedding, similarityTopK: 2, mode: VectorStoreQueryMode.MMR, mmrThreshold: 0.3 });
    const picked = mmr.nodes!.map((n) => n.getContent(MetadataMode.NONE));
    assert.equal(picked.length, 2);
    assert.ok(texts.includes(picked[0]));
    assert.ok(!texts.includes(picked[1]), picked[1]);
  });

  it('sparse mode is BM25 on the text; hybrid fuses both', async () => {
    const sparse = await store.query({ queryStr: 'arrows', similarityTopK: 3, mode: VectorStoreQueryMode.SPARSE });
    assert.deepEqual(sparse.nodes!.map((n) => n.getContent(MetadataMode.NONE)), ['Quivers hold arrows for archers.']);
    const queryStr = 'interest rates';
    const hybrid = await store.query({ queryStr, queryEmbedding: await embed(queryStr), similarityTopK: 2, mode: VectorStoreQueryMode.HYBRID, alpha: 0.5 });
    assert.equal(hybrid.nodes!.length, 2);
    assert.ok(hybrid.nodes!.every((n) => n.metadata.topic === 'finance'));
    await assert.rejects(store.query({ similarityTopK: 2, mode: VectorStoreQueryMode.SPARSE }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(store.query({ queryEmbedding: [1], similarityTopK: 2, mode: VectorStoreQueryMode.SVM }), { code: 'UNSUPPORTED' });
  });

  it('delete removes every node of a source document', async () => {
    const before = await db.collection('li').count();
    const petNodes = nodes.filter((n) => n.sourceNode?.nodeId === 'pets').length;
    await store.delete('pets');
    assert.equal(await db.collection('li').count(), before - petNodes);
    const result = await store.query({ queryEmbedding: await embed('cat'), similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT });
    assert.ok(result.nodes!.every((n) => n.sourceNode?.nodeId !== 'pets'));
  });
});
