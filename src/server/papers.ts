/**
 * The Quiver Papers app inside the server (docs/papers.md): when `papers.enabled`, the `papers`
 * collection is opened before the server listens — created and filled from the corpus on the first
 * start, found as it was left on later ones.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Quiver } from '../index.js';
import { QuiverError } from '../protocol/errors.js';
import { openPapers } from '../papers/collection.js';
import { parsePapersJsonl } from '../papers/corpus.js';
import type { ServerConfig } from './config.js';
import { bundledPapersCorpus } from './package-info.js';

export async function openPapersApp(db: Quiver, config: ServerConfig['papers'], log: (message: string, fields: object) => void): Promise<void> {
  const { created, collection } = await openPapers(db, async () => {
    const corpus = config.corpus !== undefined ? resolve(config.corpus) : bundledPapersCorpus();
    if (corpus === null) {
      throw new QuiverError('INVALID_ARGUMENT', 'The papers app is enabled but this installation has no bundled corpus: set papers.corpus (QUIVER_PAPERS_CORPUS) to a JSONL file of { id?, title, abstract }.', { field: 'papers.corpus' });
    }
    let text: string;
    try {
      text = await readFile(corpus, 'utf8');
    } catch (error) {
      throw new QuiverError('IO_ERROR', `Cannot read the papers corpus ${corpus}: ${(error as Error).message}.`, { field: 'papers.corpus', path: corpus }, { cause: error });
    }
    return parsePapersJsonl(text);
  });
  log(created ? 'created the papers collection from the corpus' : 'serving the papers collection', { collection: collection.name, papers: await collection.count() });
}
