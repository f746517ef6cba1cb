/** The page's side of the embedding worker: embed(texts) once the model has loaded. */
import type { EmbedReply, ModelLoad } from './embed-protocol.js';

export class Embedder {
  /** Resolves when the model is loaded (with how its files were obtained); rejects if it cannot load. */
  readonly ready: Promise<ModelLoad>;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(vectors: Float32Array[]): void; reject(error: Error): void }>();

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module', name: 'embedder' });
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener('message', (event: MessageEvent<EmbedReply>) => {
        const reply = event.data;
        if (reply.type === 'ready') resolve(reply.load);
        else if (reply.type === 'failed') reject(new Error(reply.message));
        else {
          const entry = this.pending.get(reply.id);
          this.pending.delete(reply.id);
          if (reply.type === 'vectors') entry?.resolve(reply.vectors);
          else entry?.reject(new Error(reply.message));
        }
      });
      this.worker.addEventListener('error', (event) => reject(new Error(event.message || 'the embedding worker failed to start')));
    });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts });
    });
  }
}
