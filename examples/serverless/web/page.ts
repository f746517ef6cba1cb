/**
 * The page: opens the library (library.ts) in its database worker, starts the embedding worker, and
 * wires the search form. This thread only posts messages and draws; searching happens in the workers.
 * `globalThis.quiverPapers` shows what happened (the browser test reads it).
 */
import type { ModelLoad } from './embed-protocol.js';
import { Embedder } from './embedder.js';
import { type Library, openLibrary } from './library.js';

type Mode = 'keyword' | 'semantic' | 'hybrid';
interface Hit {
  key: string;
  score: number;
  metadata?: Record<string, unknown>;
  document?: string;
}

const state = {
  phase: 'loading' as 'loading' | 'ready' | 'failed',
  source: null as Library['source'] | null,
  fetched: [] as string[],
  count: 0,
  openMs: 0,
  model: 'loading' as 'loading' | 'ready' | 'failed',
  modelLoad: null as ModelLoad | null,
  searches: 0,
  relatedShown: 0,
  error: null as string | null,
};
Object.assign(globalThis, { quiverPapers: state });

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const kb = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`);

function status(id: 'db-status' | 'model-status', text: string, phase: string): void {
  const element = $(id);
  element.textContent = text;
  element.dataset.state = phase;
}

function render(list: HTMLOListElement, hits: Hit[], onRelated: (hit: Hit) => void): void {
  list.replaceChildren(
    ...hits.map((hit) => {
      const item = document.createElement('li');
      item.dataset.key = hit.key;
      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = String(hit.metadata?.title ?? hit.key);
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = hit.score.toFixed(3);
      const abstract = document.createElement('p');
      const text = (hit.document ?? '').split('\n\n').slice(1).join(' ');
      abstract.textContent = text.length > 280 ? `${text.slice(0, 280)}…` : text;
      const related = document.createElement('button');
      related.type = 'button';
      related.className = 'related';
      related.textContent = 'Related papers';
      related.addEventListener('click', () => onRelated(hit));
      item.append(title, score, abstract, related);
      return item;
    }),
  );
}

async function main(): Promise<void> {
  const library = await openLibrary((message) => status('db-status', message, 'loading'));
  const { papers, manifest } = library;
  Object.assign(state, { source: library.source, fetched: library.fetched, count: manifest.count, openMs: Math.round(library.ms) });
  status(
    'db-status',
    library.source === 'network'
      ? `First visit: downloaded ${manifest.count} papers (${kb(manifest.bytes.corpus)}) and their vectors (${kb(manifest.bytes.vectors)}), stored them in OPFS and built the index in ${state.openMs} ms.`
      : `Opened ${manifest.count} papers from OPFS in ${state.openMs} ms: no corpus or vectors downloaded.`,
    library.source,
  );
  const context = await library.db.context();
  $('context').textContent = `Quiver runs in a ${context.scope} · kernels ${context.kernels} · storage ${context.storage} · cross-origin isolated: ${context.crossOriginIsolated ? 'yes' : 'no'} · build threads ${context.buildThreads} · papers embedded by ${manifest.model} (${manifest.dimension}-d) at build time`;

  const embedder = new Embedder(new URL('./embed-worker.js', import.meta.url));
  const mode = $<HTMLSelectElement>('mode');
  embedder.ready.then(
    (load) => {
      Object.assign(state, { model: 'ready', modelLoad: load });
      for (const option of mode.options) option.disabled = false;
      const how =
        load.fromCache === load.files
          ? `loaded from the browser's Cache Storage (${kb(load.cachedBytes)}) in ${load.ms} ms`
          : `downloaded (${kb(load.downloadedBytes)}, kept in Cache Storage for the next visit) and loaded in ${load.ms} ms`;
      status('model-status', `Semantic search ready: the embedding model (TensorFlow.js, ${load.backend}) was ${how}.`, 'ready');
    },
    (error: Error) => {
      Object.assign(state, { model: 'failed', error: error.message });
      status('model-status', `Semantic search is unavailable (${error.message}); keyword search and related papers still work.`, 'failed');
    },
  );

  const include = ['metadata', 'document'] as const;
  const showRelated = async (hit: Hit): Promise<void> => {
    const [record] = await papers.get([hit.key]);
    if (!record?.vector) return;
    const title = String(record.metadata?.title ?? hit.key);
    // the paper's own stored vector is the query; the filter keeps the paper itself out
    const related = (await papers.query({ vector: record.vector, k: 5, filter: { title: { $ne: title } }, include: [...include] })) as Hit[];
    $('related-title').textContent = `Related to “${title}”`;
    render($('related'), related, showRelated);
    $('related-section').hidden = false;
    $('related-section').scrollIntoView({ block: 'start' });
    state.relatedShown++;
  };

  const search = async (text: string, how: Mode): Promise<Hit[]> => {
    if (how === 'keyword') return (await papers.query({ text, mode: 'keyword', k: 10, include: [...include] })) as Hit[];
    const [vector] = await embedder.embed([text]);
    if (how === 'semantic') return (await papers.query({ vector, k: 10, include: [...include] })) as Hit[];
    return (await papers.query({ vector, text, mode: 'hybrid', k: 10, include: [...include] })) as Hit[];
  };

  $('search').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $<HTMLInputElement>('query').value.trim();
    if (text === '') return;
    const how = mode.value as Mode;
    const started = performance.now();
    try {
      const hits = await search(text, how);
      $('results-title').textContent = `${hits.length} results for “${text}” (${mode.selectedOptions[0].textContent}, ${Math.round(performance.now() - started)} ms)`;
      render($('results'), hits, showRelated);
    } catch (error) {
      $('results-title').textContent = `The search failed: ${(error as Error).message}`;
      $('results').replaceChildren();
    }
    $('results-section').hidden = false;
    state.searches++;
  });
  for (const id of ['query', 'mode']) $<HTMLInputElement>(id).disabled = false;
  $('search').querySelector('button')!.disabled = false;
  state.phase = 'ready';
}

main().catch((error: Error) => {
  Object.assign(state, { phase: 'failed', error: error.message });
  status('db-status', `The library could not open: ${error.message}`, 'failed');
});
