/**
 * The paper library in the browser: a Quiver database in OPFS, run by a dedicated worker (openInWorker,
 * the path docs/runtimes.md recommends for writers), holding the corpus with its precomputed vectors.
 *
 * First visit: fetch the corpus and its vectors, create the collection and write every paper in one
 * atomic batch (so a reload mid-way finds all of them or none). Later visits: the collection for this
 * corpus version is in OPFS already; only the manifest is fetched, to learn the version.
 */
import { openInWorker, type WorkerCollection, type WorkerQuiver } from 'quiverdb/web-client';
import { paperRecord, parsePapersJsonl } from '../../../src/papers/corpus.js';
import { CORPUS_FILE, MANIFEST_FILE, VECTORS_FILE, collectionName, decodeVectors, papersCollectionConfig, type Manifest } from '../assets.js';

/** The database's OPFS directory. */
export const DATABASE_PATH = 'quiver-papers';

export interface Library {
  db: WorkerQuiver;
  papers: WorkerCollection;
  manifest: Manifest;
  /** Where the papers came from on this visit. */
  source: 'network' | 'opfs';
  /** The files this visit fetched, in order. */
  fetched: string[];
  ms: number;
}

export async function openLibrary(onProgress: (message: string) => void): Promise<Library> {
  const started = performance.now();
  const fetched: string[] = [];
  const get = async (file: string): Promise<Response> => {
    fetched.push(file);
    const response = await fetch(new URL(file, document.baseURI), { cache: 'no-cache' });
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status}. Build the example first: npm run build:serverless`);
    return response;
  };
  const manifest = (await (await get(MANIFEST_FILE)).json()) as Manifest;
  const db = await openInWorker(new Worker(new URL('./quiver-worker.js', import.meta.url), { type: 'module', name: 'quiver' }), { path: DATABASE_PATH });
  const name = collectionName(manifest);
  const stored = (await db.listCollections()).find((c) => c.name === name);
  if (stored && stored.count === manifest.count) {
    return { db, papers: db.collection(name), manifest, source: 'opfs', fetched, ms: performance.now() - started };
  }
  // an older corpus version (or an empty collection left by a visit cut short) gives way to this one
  for (const old of await db.listCollections()) if (old.name.startsWith('papers-')) await db.dropCollection(old.name);
  onProgress(`Downloading ${manifest.count} papers and their vectors…`);
  const [corpus, vectorBytes] = await Promise.all([get(CORPUS_FILE).then((r) => r.text()), get(VECTORS_FILE).then((r) => r.arrayBuffer())]);
  const list = parsePapersJsonl(corpus);
  const vectors = decodeVectors(vectorBytes, manifest.count, manifest.dimension);
  if (list.length !== manifest.count) throw new Error(`${CORPUS_FILE} has ${list.length} papers, the manifest says ${manifest.count}: rebuild the example.`);
  onProgress(`Storing ${list.length} papers in OPFS and building the index…`);
  const papers = await db.createCollection(name, papersCollectionConfig(manifest.dimension));
  await papers.upsert(list.map((paper, i) => ({ ...paperRecord(paper, manifest.builtAt), vector: vectors[i] })));
  await db.idle();
  return { db, papers, manifest, source: 'network', fetched, ms: performance.now() - started };
}
