/**
 * Quiver Papers' search: text through `query({ text, mode })` on the papers collection — hybrid (the
 * default: the built-in embedder's vector search fused with BM25), keyword (BM25) or semantic (vector
 * only) — with an optional "added since" date and a Mongo-style filter on the metadata.
 */
import type { Hit } from 'quiverdb/client';

/** A Mongo-style filter as the server takes it (checked there). */
type Filter = Record<string, unknown>;
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError, formatNumber } from '../format.js';
import { navigate } from '../route.js';
import { PAPERS, PapersTabs, abstractOf, formatDate, paperHref, paperMetadata, snippet } from './common.js';

type Mode = 'hybrid' | 'keyword' | 'vector';
const MODES: { mode: Mode; label: string }[] = [
  { mode: 'hybrid', label: 'hybrid' },
  { mode: 'keyword', label: 'keyword' },
  { mode: 'vector', label: 'semantic' },
];

export function PapersSearchPage({ client, params }: PageProps) {
  const query = params.get('q') ?? '';
  const mode = (MODES.some((m) => m.mode === params.get('mode')) ? params.get('mode') : 'hybrid') as Mode;
  const since = params.get('since') ?? '';
  const filterParam = params.get('filter') ?? '';
  const [text, setText] = useState(query);
  const [modeChoice, setModeChoice] = useState<Mode>(mode);
  const [sinceChoice, setSinceChoice] = useState(since);
  const [filterText, setFilterText] = useState(filterParam);
  const [result, setResult] = useState<{ hits: Hit[]; ms: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // the URL is the state: searching navigates, and a URL with ?q= runs its search (links and reloads work).
  // The inputs start from the URL; later URL changes (back, a link) replace them — but not on the first
  // run, which would overwrite what the user typed between the first paint and this effect.
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current) {
      setText(query);
      setModeChoice(mode);
      setSinceChoice(since);
      setFilterText(filterParam);
    }
    mounted.current = true;
    if (query.trim() === '') {
      setResult(null);
      return;
    }
    let filter: Filter | undefined;
    try {
      filter = combinedFilter(since, filterParam);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    const started = performance.now();
    setBusy(true);
    setError(null);
    client
      .collection(PAPERS)
      .query({ text: query, mode, k: 20, include: ['metadata', 'document'], ...(filter ? { filter } : {}) })
      .then((hits) => setResult({ hits, ms: performance.now() - started }))
      .catch((e) => {
        setResult(null);
        setError(describeError(e));
      })
      .finally(() => setBusy(false));
  }, [query, mode, since, filterParam]);

  const submit = (event: Event) => {
    event.preventDefault();
    navigate('papers', { q: text.trim(), mode: modeChoice === 'hybrid' ? undefined : modeChoice, since: sinceChoice || undefined, filter: filterText.trim() || undefined });
  };

  return (
    <section>
      <h1>Quiver Papers</h1>
      <PapersTabs current="papers" />
      <form class="card" onSubmit={submit} data-testid="papers-search-form">
        <div class="inline-form">
          <input type="search" class="grow" placeholder="Ask in your own words, e.g. how to make nearest-neighbour search use less memory" value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="papers-query" />
          <button type="submit" disabled={busy || text.trim() === ''} data-testid="papers-search">
            Search
          </button>
        </div>
        <div class="toolbar">
          <span class="tabs" role="radiogroup" aria-label="search mode">
            {MODES.map((m) => (
              <label key={m.mode}>
                <input type="radio" name="mode" checked={modeChoice === m.mode} onChange={() => setModeChoice(m.mode)} data-testid={`papers-mode-${m.mode}`} /> {m.label}
              </label>
            ))}
          </span>
          <label class="inline">
            added since <input type="date" value={sinceChoice} onInput={(e) => setSinceChoice(e.currentTarget.value)} data-testid="papers-since" />
          </label>
        </div>
        <details open={filterParam !== ''}>
          <summary class="muted">filter on metadata (title, addedAt)</summary>
          <textarea rows={2} placeholder='{ "title": { "$prefix": "Vector" } }' value={filterText} onInput={(e) => setFilterText(e.currentTarget.value)} data-testid="papers-filter" />
        </details>
      </form>
      {busy && <p class="muted">Searching…</p>}
      {error && (
        <p class="error" role="alert" data-testid="papers-error">
          {error}
        </p>
      )}
      {result && (
        <>
          <p class="muted" data-testid="papers-summary">
            {result.hits.length === 0 ? 'No papers match.' : `${result.hits.length} papers`} · {MODES.find((m) => m.mode === mode)!.label} search · {result.ms.toFixed(0)} ms
          </p>
          <ol class="papers" data-testid="papers-results">
            {result.hits.map((hit) => (
              <PaperItem key={hit.key} hit={hit} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

export function PaperItem({ hit }: { hit: Hit }) {
  const paper = paperMetadata(hit.metadata);
  return (
    <li class="paper" data-testid="paper-hit">
      <a href={paperHref(hit.key)} class="paper-title" data-testid="paper-link">
        {paper?.title ?? hit.key}
      </a>
      <span class="muted score" title="score">
        {' '}
        {formatNumber(hit.score)}
        {paper && paper.addedAt > 0 ? ` · added ${formatDate(paper.addedAt)}` : ''}
      </span>
      {hit.document !== undefined && <p class="paper-snippet">{snippet(abstractOf(hit.document))}</p>}
    </li>
  );
}

/** The "added since" date and the JSON filter, combined with $and; a malformed JSON filter says so. */
function combinedFilter(since: string, filterText: string): Filter | undefined {
  const parts: Filter[] = [];
  if (since !== '') {
    const ms = Date.parse(since);
    if (Number.isNaN(ms)) throw new Error(`"${since}" is not a date.`);
    parts.push({ addedAt: { $gte: ms } });
  }
  if (filterText.trim() !== '') {
    try {
      parts.push(JSON.parse(filterText) as Filter);
    } catch (e) {
      throw new Error(`The filter is not valid JSON: ${(e as Error).message}`);
    }
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
}
