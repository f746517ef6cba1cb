/**
 * The server's embedder behind POST /v1/embeddings: the EmbeddingConfig of the `embedding` setting,
 * loaded on the first request (a server that never embeds never loads a model) and shared by every
 * request after it; closed with the server. A load that fails is not cached, so fixing the cause (an
 * environment variable, an installed package) and retrying works without a restart.
 */
import { type EmbeddingConfig, type EmbeddingFunction, QuiverError, createEmbeddingFunction } from '../index.js';

export class ServerEmbedder {
  readonly config: EmbeddingConfig | null;
  private loading: Promise<EmbeddingFunction> | null = null;
  private closed = false;

  constructor(config: EmbeddingConfig | null) {
    this.config = config;
  }

  /** The model names a request may send besides none: the embedder's name and the configured model. */
  acceptedModels(embedder: EmbeddingFunction): string[] {
    const config = this.config;
    const configured = config === null ? [] : config === 'builtin' ? ['builtin'] : [config.model];
    return [embedder.name, ...configured];
  }

  /** The loaded embedding function; UNSUPPORTED when the server has none configured. */
  async get(): Promise<EmbeddingFunction> {
    if (this.closed) throw new QuiverError('UNAVAILABLE', 'The server is shutting down.', {});
    if (this.config === null) {
      throw new QuiverError('UNSUPPORTED', 'This server has no embedder (its "embedding" setting is "none"): set embedding (QUIVER_EMBEDDING) to "builtin" or an EmbeddingConfig, or compute vectors on the client.', { field: 'embedding' });
    }
    if (this.loading === null) {
      const loading = createEmbeddingFunction(this.config);
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = null;
      });
    }
    return this.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    const loading = this.loading;
    this.loading = null;
    if (loading === null) return;
    const embedder = await loading.catch(() => null);
    await embedder?.close();
  }
}

const words = new Intl.Segmenter('en', { granularity: 'word' });

/** usage.prompt_tokens: words as chunking counts them (models' subword tokenizers differ; none is exposed). */
export function countWords(text: string): number {
  let count = 0;
  for (const segment of words.segment(text)) if (segment.isWordLike) count++;
  return count;
}
