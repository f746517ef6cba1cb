/**
 * The search playground: a vector (JSON or base64 float32) or text, a metadata filter, k and the search
 * parameters; results with their metadata and documents. `like=KEY` in the URL starts from a record's vector.
 */
import type { Hit, QueryRequest } from 'quiverdb/client';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError, formatNumber, prettyJson } from '../format.js';
import { href } from '../route.js';
import { VectorInputError, formatVector, parseVector } from '../vectors.js';
import { CollectionPicker } from './collection-picker.js';

type Mode = 'vector' | 'text';

export function SearchPage({ client, collections, params }: PageProps) {
  const name = params.get('collection') ?? undefined;
  const like = params.get('like') ?? undefined;
  const info = collections.find((c) => c.name === name);
  const [mode, setMode] = useState<Mode>('vector');
  const [vectorText, setVectorText] = useState('');
  const [text, setText] = useState('');
  const [filterText, setFilterText] = useState('');
  const [k, setK] = useState(10);
  const [ef, setEf] = useState('');
  const [includeMetadata, setIncludeMetadata] = useState(true);
  const [includeDocument, setIncludeDocument] = useState(true);
  const [fromKey, setFromKey] = useState(like ?? '');
  const [result, setResult] = useState<{ hits: Hit[]; ms: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadVectorOf = async (key: string) => {
    if (!name) return;
    setError(null);
    try {
      const [record] = await client.collection(name).get([key]);
      if (!record) setError(`No record with key ${JSON.stringify(key)} in ${name}.`);
      else {
        setMode('vector');
        setVectorText(formatVector(record.vector));
      }
    } catch (e) {
      setError(describeError(e));
    }
  };

  useEffect(() => {
    if (like && name) void loadVectorOf(like);
  }, [like, name]);

  const run = async (event: Event) => {
    event.preventDefault();
    if (!name) return;
    setError(null);
    let request: QueryRequest;
    try {
      request = { k, include: [...(includeMetadata ? ['metadata' as const] : []), ...(includeDocument ? ['document' as const] : [])] };
      if (mode === 'vector') request.vector = parseVector(vectorText);
      else request.text = text;
      if (filterText.trim() !== '') {
        try {
          request.filter = JSON.parse(filterText);
        } catch (e) {
          throw new VectorInputError(`The filter is not valid JSON: ${(e as Error).message}`);
        }
      }
      if (ef.trim() !== '') request.search = { ef: Number(ef) };
    } catch (e) {
      setError(e instanceof VectorInputError ? e.message : describeError(e));
      return;
    }
    setBusy(true);
    const started = performance.now();
    try {
      const hits = await client.collection(name).query(request);
      setResult({ hits, ms: performance.now() - started });
    } catch (e) {
      setResult(null);
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Search</h1>
      <div class="toolbar">
        <CollectionPicker page="search" collections={collections} current={name} />
        {info && (
          <span class="muted">
            {info.dimension}-d · {info.metric} · <code>{info.index}</code>
          </span>
        )}
      </div>
      {name && (
        <form class="card search" onSubmit={run}>
          <div class="tabs" role="tablist">
            <label>
              <input type="radio" name="mode" checked={mode === 'vector'} onChange={() => setMode('vector')} /> vector
            </label>
            <label>
              <input type="radio" name="mode" checked={mode === 'text'} onChange={() => setMode('text')} data-testid="mode-text" /> text
            </label>
          </div>
          {mode === 'vector' ? (
            <>
              <label>
                Vector: a JSON array of {info?.dimension ?? 'N'} numbers, or base64 little-endian float32
                <textarea rows={4} value={vectorText} onInput={(e) => setVectorText(e.currentTarget.value)} placeholder="[0.12, -0.03, ...]" data-testid="vector" />
              </label>
              <div class="inline-form">
                <label class="inline">
                  or the vector of record
                  <input value={fromKey} onInput={(e) => setFromKey(e.currentTarget.value)} placeholder="key" data-testid="vector-from-key" />
                </label>
                <button type="button" onClick={() => void loadVectorOf(fromKey)} disabled={fromKey === ''} data-testid="load-vector">
                  Load
                </button>
              </div>
            </>
          ) : (
            <label>
              Text (keyword search over the documents, BM25; hits have no distance)
              <input value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="text" />
            </label>
          )}
          <label>
            Filter (JSON, Mongo-style, optional)
            <textarea rows={2} value={filterText} onInput={(e) => setFilterText(e.currentTarget.value)} placeholder='{"year": {"$gte": 2020}}' data-testid="filter" />
          </label>
          <div class="inline-form">
            <label class="inline">
              k <input type="number" min={1} value={k} onInput={(e) => setK(Number(e.currentTarget.value))} data-testid="k" />
            </label>
            <label class="inline">
              ef <input type="number" min={1} value={ef} onInput={(e) => setEf(e.currentTarget.value)} placeholder="default" data-testid="ef" />
            </label>
            <label class="inline">
              <input type="checkbox" checked={includeMetadata} onChange={(e) => setIncludeMetadata(e.currentTarget.checked)} /> metadata
            </label>
            <label class="inline">
              <input type="checkbox" checked={includeDocument} onChange={(e) => setIncludeDocument(e.currentTarget.checked)} /> document
            </label>
            <button type="submit" disabled={busy} data-testid="search">
              {busy ? 'Searching…' : 'Search'}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p class="error" role="alert" data-testid="search-error">
          {error}
        </p>
      )}
      {result && name && (
        <div>
          <p class="muted" data-testid="result-summary">
            {result.hits.length} hits in {result.ms.toFixed(1)} ms (round trip)
          </p>
          <table class="data" data-testid="results">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>key</th>
                <th class="num">score</th>
                <th class="num">distance</th>
                <th>metadata</th>
                <th>document</th>
              </tr>
            </thead>
            <tbody>
              {result.hits.map((hit, i) => (
                <tr key={hit.key} data-testid="hit">
                  <td class="num">{i + 1}</td>
                  <td>
                    <a href={href('record', { collection: name, key: hit.key })}>{hit.key}</a>
                  </td>
                  <td class="num">{formatNumber(hit.score, 4)}</td>
                  <td class="num">{hit.distance === undefined ? "—" : formatNumber(hit.distance, 4)}</td>
                  <td>{hit.metadata !== undefined ? <pre class="json">{prettyJson(hit.metadata)}</pre> : <span class="muted">—</span>}</td>
                  <td class="document">{hit.document ?? <span class="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
