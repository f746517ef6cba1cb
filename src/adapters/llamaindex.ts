/**
 * quiverdb/llamaindex: Quiver in LlamaIndex.TS (@llamaindex/core, an optional peer dependency; the
 * `llamaindex` package re-exports the same classes).
 *
 * - QuiverVectorStore: a BaseVectorStore over a Quiver collection, embedded or remote. A node is a
 *   record: id -> key, text -> document (so keyword and hybrid queries search it), embedding -> vector,
 *   and its metadata beside LlamaIndex's own bookkeeping fields (`_node_content`, `ref_doc_id`, ...), as
 *   LlamaIndex's other stores keep them. MetadataFilters become Quiver filters (docs/filters.md).
 *   Query modes: default (vector), mmr, sparse (BM25 on the text), hybrid (vector + BM25, `alpha`
 *   weighting the vector side).
 * - QuiverEmbedding: any Quiver EmbeddingFunction as a LlamaIndex BaseEmbedding.
 */
import { BaseEmbedding, getTopKMMREmbeddings } from '@llamaindex/core/embeddings';
import { type BaseNode, MetadataMode } from '@llamaindex/core/schema';
import {
  BaseVectorStore,
  type MetadataFilter,
  type MetadataFilters,
  type VectorStoreBaseParams,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
  metadataDictToNode,
  nodeToMetadata,
} from '@llamaindex/core/vector-store';
import { QuiverError } from '../core/errors.js';
import { createEmbeddingFunction } from '../embed/index.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';
import { type AdapterHit, type AdapterQuery, CollectionHandle, type CollectionTarget, type VectorCollection, toMetadata } from './collection.js';

export class QuiverEmbedding extends BaseEmbedding {
  readonly embedder: EmbeddingFunction;

  constructor(embedder: EmbeddingFunction) {
    super();
    this.embedder = embedder;
    this.embedBatchSize = embedder.batchSize;
    this.getTextEmbeddings = async (texts: string[]) => (await embedder.embed(texts)).map((v) => Array.from(v));
  }

  /** Loads the embedding function an EmbeddingConfig names ('builtin' by default). */
  static async fromConfig(config: EmbeddingConfig = 'builtin'): Promise<QuiverEmbedding> {
    return new QuiverEmbedding(await createEmbeddingFunction(config));
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.embedder.embed([text]);
    return Array.from(vector);
  }
}

export type QuiverVectorStoreParams = CollectionTarget & VectorStoreBaseParams;

export class QuiverVectorStore extends BaseVectorStore<VectorCollection> {
  storesText = true;
  private readonly target: CollectionHandle;

  constructor(params: QuiverVectorStoreParams) {
    super(params);
    this.target = new CollectionHandle(params);
  }

  /** The Quiver collection (created on the first add when the store was given { db, collectionName }). */
  client(): VectorCollection {
    return this.target.forRead();
  }

  /** Upserts the nodes (they must carry embeddings); returns their ids. */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (nodes.length === 0) return [];
    const records = nodes.map((node, index) => {
      const vector = node.embedding;
      if (!Array.isArray(vector) || vector.length === 0) {
        throw new QuiverError('INVALID_VECTOR', `Node ${node.id_} has no embedding: embed the nodes first (an embedModel, or an ingestion pipeline).`, { index, key: node.id_ });
      }
      const metadata = toMetadata(nodeToMetadata(node, true, 'text', false), `node ${node.id_}`);
      return { key: node.id_, vector, document: node.getContent(MetadataMode.NONE), metadata };
    });
    const collection = await this.target.forWrite(records[0].vector.length);
    await collection.upsert(records);
    return records.map((r) => r.key);
  }

  /** Deletes every node of a source document (its ref_doc_id). */
  async delete(refDocId: string): Promise<void> {
    await this.target.forRead().delete({ filter: { ref_doc_id: refDocId } });
  }

  async query(query: VectorStoreQuery, options?: { signal?: AbortSignal }): Promise<VectorStoreQueryResult> {
    const k = query.similarityTopK;
    const filter = combine(toQuiverFilter(query.filters), query.docIds && query.docIds.length > 0 ? { ref_doc_id: { $in: query.docIds } } : undefined);
    const base: AdapterQuery = { k, include: ['metadata', 'document'], ...(filter !== undefined ? { filter } : {}), ...(options?.signal ? { signal: options.signal } : {}) };
    const collection = this.target.forRead();
    let hits: AdapterHit[];
    switch (query.mode) {
      case 'sparse':
        hits = await collection.query({ ...base, text: requireText(query), mode: 'keyword' });
        break;
      case 'hybrid': {
        const alpha = query.alpha;
        hits = await collection.query({ ...base, vector: requireVector(query), text: requireText(query), mode: 'hybrid', fusion: alpha !== undefined ? { weights: { vector: alpha, keyword: 1 - alpha } } : 'rrf' } as AdapterQuery);
        break;
      }
      case 'mmr': {
        const vector = requireVector(query);
        const candidates = await collection.query({ ...base, vector, k: Math.max(4 * k, 20), include: ['metadata', 'document', 'vector'] });
        const [similarities, ids] = getTopKMMREmbeddings(vector, candidates.map((h) => Array.from(h.vector ?? [])), null, k, candidates.map((_, i) => i), null, query.mmrThreshold ?? null);
        const picked = (ids as number[]).map((i) => candidates[i]);
        return { nodes: picked.map(toNode), ids: picked.map((h) => h.key), similarities };
      }
      case 'default':
        hits = await collection.query({ ...base, vector: requireVector(query) });
        break;
      default:
        throw new QuiverError('UNSUPPORTED', `The Quiver vector store does not run query mode "${query.mode}": use default, mmr, sparse or hybrid.`, { mode: query.mode });
    }
    return { nodes: hits.map(toNode), ids: hits.map((h) => h.key), similarities: hits.map((h) => h.score) };
  }
}

function requireVector(query: VectorStoreQuery): number[] {
  if (!query.queryEmbedding || query.queryEmbedding.length === 0) {
    throw new QuiverError('INVALID_ARGUMENT', `A ${query.mode} query needs queryEmbedding (the store's embedModel embeds queryStr for retrievers).`, { mode: query.mode });
  }
  return query.queryEmbedding;
}

function requireText(query: VectorStoreQuery): string {
  if (typeof query.queryStr !== 'string' || query.queryStr === '') throw new QuiverError('INVALID_ARGUMENT', `A ${query.mode} query needs queryStr.`, { mode: query.mode });
  return query.queryStr;
}

function toNode(hit: AdapterHit): BaseNode {
  const node = metadataDictToNode(hit.metadata ?? {}, { fallback: { id_: hit.key, metadata: hit.metadata ?? {} } });
  node.id_ = hit.key;
  if ('setContent' in node && typeof node.setContent === 'function') node.setContent(hit.document ?? '');
  return node;
}

function combine(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { $and: [a, b] };
}

/** LlamaIndex's MetadataFilters in Quiver's filter language. */
export function toQuiverFilter(filters: MetadataFilters | undefined): Record<string, unknown> | undefined {
  if (filters === undefined || filters.filters.length === 0) return undefined;
  const parts = filters.filters.map(toCondition);
  const condition = filters.condition ?? 'and';
  if (condition !== 'and' && condition !== 'or') throw new QuiverError('INVALID_FILTER', `MetadataFilters condition "${condition}" is not and/or.`, { condition });
  return parts.length === 1 ? parts[0] : { [`$${condition}`]: parts };
}

function toCondition(filter: MetadataFilter): Record<string, unknown> {
  const { key, value, operator } = filter;
  const field = (op: string, operand: unknown): Record<string, unknown> => ({ [key]: { [op]: operand } });
  const list = (): unknown[] => {
    if (!Array.isArray(value)) throw new QuiverError('INVALID_FILTER', `filter on "${key}": operator ${operator} takes an array value.`, { key, operator });
    return value;
  };
  switch (operator) {
    case '==':
      return field('$eq', value);
    case '!=':
      return field('$ne', value);
    case '>':
      return field('$gt', value);
    case '>=':
      return field('$gte', value);
    case '<':
      return field('$lt', value);
    case '<=':
      return field('$lte', value);
    case 'in':
    case 'any':
      // a metadata array matches when any element matches, so "any" is $in too
      return field('$in', list());
    case 'nin':
      return field('$nin', list());
    case 'all':
      return { $and: list().map((v) => ({ [key]: { $eq: v } })) };
    case 'contains':
      return field('$eq', value);
    case 'is_empty':
      // missing or null ($eq null matches both); Quiver compares an array's elements, so [] is not "empty" here
      return field('$eq', null);
    default:
      throw new QuiverError('UNSUPPORTED', `LlamaIndex filter operator ${operator} has no Quiver equivalent (on "${key}"): use ==, !=, >, >=, <, <=, in, nin, any, all, contains or is_empty; text search is query mode "sparse".`, { key, operator });
  }
}
