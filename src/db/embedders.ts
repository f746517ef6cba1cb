/**
 * The embedding functions of a database's collections. Each is loaded on first use, not when the
 * database opens, so a database whose embedding endpoint is down or whose key is not exported still
 * opens, lists and answers vector queries; collections with the same config share one function. A
 * function is checked against the model the collection was created with before it embeds anything, so
 * vectors of another model never reach the index.
 */
import type { CollectionDefinition, EmbeddingSetting } from '../core/collection/collection.js';
import { QuiverError } from '../core/errors.js';
import type { EmbeddingConfig, EmbeddingFunction } from '../embed/types.js';
import { runtime } from './runtime.js';

export class Embedders {
  private readonly loaded = new Map<string, Promise<EmbeddingFunction>>();

  /**
   * The function for `config`, loading it once. `dimension`, when known, spares the openai provider its
   * probe request (its first answer is still checked against it).
   */
  load(config: EmbeddingConfig, dimension?: number): Promise<EmbeddingFunction> {
    const id = JSON.stringify(config);
    let entry = this.loaded.get(id);
    if (entry === undefined) {
      const load = runtime().embeddings;
      entry =
        load === undefined
          ? Promise.reject(
              new QuiverError('EMBEDDING_PROVIDER_MISSING', `The ${runtime().name} runtime has no embedding providers yet: embed the texts yourself and pass vectors (or run this collection on Node, Bun, Deno or a Quiver server).`, {
                runtime: runtime().name,
              }),
            )
          : load(config, { dimension });
      // a failed load (a missing package, an unset key) is tried again next time: the user may fix it
      entry.catch(() => this.loaded.delete(id));
      this.loaded.set(id, entry);
    }
    return entry;
  }

  /** The collection's function, checked against the model and dimension it was created with. */
  async forCollection(definition: CollectionDefinition): Promise<EmbeddingFunction> {
    const setting = definition.embedding;
    if (setting === undefined) {
      throw new QuiverError('INVALID_VECTOR', `Collection "${definition.name}" has no embedding function: give records a vector, or create the collection with { embedding }.`, { collection: definition.name });
    }
    const fn = await this.load(setting.config as EmbeddingConfig, definition.dimension);
    checkModel(definition, setting, fn);
    return fn;
  }

  async close(): Promise<void> {
    const entries = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(entries.map((entry) => entry.then((fn) => fn.close()).catch(() => undefined)));
  }
}

export function checkModel(definition: CollectionDefinition, setting: EmbeddingSetting, fn: EmbeddingFunction): void {
  if (fn.name !== setting.model || fn.dimension !== definition.dimension) {
    throw new QuiverError(
      'EMBEDDING_MODEL_MISMATCH',
      `Collection "${definition.name}" was created with ${setting.model} (${definition.dimension}-d) but its embedding config now loads ${fn.name} (${fn.dimension}-d): ` +
        'vectors of different models are not comparable. Restore that model (its files at localPath), or create a new collection for the new model and re-import the documents.',
      { collection: definition.name, expected: { model: setting.model, dimension: definition.dimension }, received: { model: fn.name, dimension: fn.dimension } },
    );
  }
}
