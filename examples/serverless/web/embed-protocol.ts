/** Messages between the page (embedder.ts) and the embedding worker (embed-worker.ts). */

export type EmbedRequest = { id: number; texts: string[] };

/** How the model's files were obtained: from the Cache Storage of an earlier visit, or downloaded. */
export interface ModelLoad {
  files: number;
  fromCache: number;
  downloadedBytes: number;
  cachedBytes: number;
  ms: number;
  backend: string;
}

export type EmbedReply =
  | { type: 'ready'; load: ModelLoad }
  | { type: 'failed'; message: string }
  | { type: 'vectors'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; message: string };
