/**
 * The seam between text and vectors (docs/architecture.md, "EmbeddingFunction"): a provider turns texts
 * into vectors of one fixed dimension, in batches, and says who it is so that a collection can refuse a
 * different model later. Providers live beside this file; the heavy ones load their packages lazily.
 */

/** How far a long embed() call has got: texts embedded so far out of all of them. */
export interface EmbeddingProgress {
  done: number;
  total: number;
}

export interface EmbedOptions {
  /** Cancels between batches (and the HTTP request in flight): rejects with ABORTED. */
  signal?: AbortSignal;
  /** Called after every batch. */
  onProgress?: (progress: EmbeddingProgress) => void;
  /** Texts per model call or HTTP request; defaults to the provider's own batch size. */
  batchSize?: number;
}

export interface EmbeddingFunction {
  /** Stable identity of the model: `builtin:use-lite`, `transformers:Xenova/all-MiniLM-L6-v2`, `openai:text-embedding-3-small`. */
  readonly name: string;
  /** Length of every vector embed() returns. */
  readonly dimension: number;
  /** Whether the vectors have unit length (cosine and dot product then agree). */
  readonly normalized: boolean;
  /** Texts per batch when the caller does not say. */
  readonly batchSize: number;
  /** One vector per text, in order. An empty list resolves to an empty list without calling the model. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Frees the model (native sessions, tensors); the function is unusable afterwards. */
  close(): Promise<void>;
}

/** api.md's EmbeddingConfig: what a collection remembers about its embedding function (never a secret). */
export type EmbeddingConfig =
  | 'builtin'
  | { provider: 'transformers'; model: string; localPath?: string; pooling?: 'mean' | 'cls'; normalize?: boolean }
  | { provider: 'openai'; baseURL: string; model: string; apiKeyEnv: string };
