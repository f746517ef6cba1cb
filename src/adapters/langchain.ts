/**
 * quiverdb/langchain: Quiver in LangChain.js (@langchain/core, an optional peer dependency).
 *
 * - QuiverVectorStore: a LangChain VectorStore over a Quiver collection, embedded or remote. Documents
 *   are records: id -> key, pageContent -> document, metadata -> metadata. Filters are Quiver's own
 *   language (docs/filters.md), which includes LangChain's usual `{ field: value }`; QuiverTranslator
 *   turns a self-query retriever's structured queries into it. Scores are Quiver's (higher is better:
 *   cosine similarity for cosine collections).
 * - QuiverEmbeddings: any Quiver EmbeddingFunction (the offline built-in model, transformers.js, an
 *   OpenAI-compatible endpoint) as a LangChain Embeddings.
 */
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { Embeddings, type EmbeddingsInterface, type EmbeddingsParams } from '@langchain/core/embeddings';
import { BasicTranslator } from '@langchain/core/structured_query';
import type { Operation } from '@langchain/core/structured_query';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { type MaxMarginalRelevanceSearchOptions, VectorStore } from '@langchain/core/vectorstores';
import { QuiverError } from '../core/errors.js';
import { createEmbeddingFunction } from '../embed/index.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';
import { CollectionHandle, type CollectionTarget, type Metadata, newKey, toMetadata } from './collection.js';

/** A Quiver filter (docs/filters.md): `{ year: { $gte: 2020 }, tag: 'graphs' }`, `$and`, `$or`, `$nor`, ... */
export type QuiverFilter = Record<string, unknown>;

export class QuiverEmbeddings extends Embeddings {
  readonly embedder: EmbeddingFunction;

  constructor(embedder: EmbeddingFunction, params: EmbeddingsParams = {}) {
    super(params);
    this.embedder = embedder;
  }

  /** Loads the embedding function an EmbeddingConfig names ('builtin' by default). */
  static async fromConfig(config: EmbeddingConfig = 'builtin', params: EmbeddingsParams = {}): Promise<QuiverEmbeddings> {
    return new QuiverEmbeddings(await createEmbeddingFunction(config), params);
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return (await this.caller.call(() => this.embedder.embed(documents))).map((v) => Array.from(v));
  }

  async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.caller.call(() => this.embedder.embed([document]));
    return Array.from(vector);
  }
}

export type QuiverVectorStoreArgs = CollectionTarget;

export class QuiverVectorStore extends VectorStore {
  declare FilterType: QuiverFilter;
  private readonly target: CollectionHandle;

  constructor(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs) {
    super(embeddings, args as unknown as Record<string, unknown>);
    this.target = new CollectionHandle(args);
  }

  _vectorstoreType(): string {
    return 'quiver';
  }

  /** The name of the Quiver collection behind the store. */
  get collectionName(): string {
    return this.target.name;
  }

  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  /** Upserts one record per document (an existing id is replaced); returns the ids. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (vectors.length !== documents.length) {
      throw new QuiverError('INVALID_ARGUMENT', `addVectors got ${vectors.length} vectors for ${documents.length} documents.`, { vectors: vectors.length, documents: documents.length });
    }
    if (options?.ids !== undefined && options.ids.length !== documents.length) {
      throw new QuiverError('INVALID_ARGUMENT', `addVectors got ${options.ids.length} ids for ${documents.length} documents.`, { ids: options.ids.length, documents: documents.length });
    }
    if (documents.length === 0) return [];
    const ids = documents.map((d, i) => options?.ids?.[i] ?? d.id ?? newKey());
    const records = documents.map((d, i) => ({ key: ids[i], vector: vectors[i], document: d.pageContent, metadata: toMetadata(d.metadata, `document ${i}`) }));
    const collection = await this.target.forWrite(vectors[0].length);
    await collection.upsert(records);
    return ids;
  }

  /** Deletes by ids, or every record a Quiver filter matches: `delete({ ids })` / `delete({ filter })`. */
  override async delete(params?: { ids?: string[]; filter?: QuiverFilter }): Promise<void> {
    const collection = this.target.forRead();
    if (params?.ids !== undefined) await collection.delete(params.ids);
    else if (params?.filter !== undefined) await collection.delete({ filter: params.filter });
    else throw new QuiverError('INVALID_ARGUMENT', 'delete() takes { ids } or { filter }.', {});
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: QuiverFilter): Promise<[Document, number][]> {
    const hits = await this.target.forRead().query({ vector: query, k, ...(filter !== undefined ? { filter } : {}), include: ['metadata', 'document'] });
    return hits.map((hit) => [toDocument(hit), hit.score]);
  }

  /**
   * Maximal marginal relevance: fetches `fetchK` nearest records with their vectors and picks `k` of them
   * that are relevant to the query and different from each other (`lambda` 1: relevance only, 0: diversity only).
   */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<this['FilterType']>): Promise<Document[]> {
    const k = options.k ?? 4;
    const fetchK = Math.max(options.fetchK ?? 20, k);
    const queryVector = await this.embeddings.embedQuery(query);
    const hits = await this.target.forRead().query({ vector: queryVector, k: fetchK, ...(options.filter !== undefined ? { filter: options.filter } : {}), include: ['metadata', 'document', 'vector'] });
    if (hits.length === 0) return [];
    const picked = maximalMarginalRelevance(queryVector, hits.map((h) => Array.from(h.vector ?? [])), options.lambda ?? 0.5, k);
    return picked.map((index) => toDocument(hits[index]));
  }

  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const documents = texts.map((pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? metadatas[i] : metadatas }));
    return QuiverVectorStore.fromDocuments(documents, embeddings, args);
  }

  static override async fromDocuments(documents: DocumentInterface[], embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const store = new QuiverVectorStore(embeddings, args);
    await store.addDocuments(documents);
    return store;
  }

  /** A store over a collection that already exists. */
  static async fromExistingCollection(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    return new QuiverVectorStore(embeddings, args);
  }
}

function toDocument(hit: { key: string; document?: string; metadata?: Metadata }): Document {
  return new Document({ id: hit.key, pageContent: hit.document ?? '', metadata: hit.metadata ?? {} });
}

/**
 * Structured queries (a self-query retriever's) to Quiver filters: comparisons become `$eq $ne $gt $gte
 * $lt $lte`, `and`/`or` become `$and`/`$or`, and `not` becomes `$nor`.
 */
export class QuiverTranslator extends BasicTranslator<QuiverVectorStore> {
  constructor() {
    super({ allowedOperators: ['and', 'or', 'not'], allowedComparators: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] });
  }

  override visitOperation(operation: Operation): this['VisitOperationOutput'] {
    const args = operation.args?.map((arg) => arg.accept(this)) ?? [];
    if (operation.operator === 'not') return { $nor: args } as unknown as this['VisitOperationOutput'];
    return { [this.formatFunction(operation.operator)]: args } as this['VisitOperationOutput'];
  }
}
