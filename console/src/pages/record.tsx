/** The record viewer: one record by key, with its metadata, document and vector. */
import type { StoredRecord } from 'quiverdb/client';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError, prettyJson } from '../format.js';
import { href, navigate } from '../route.js';
import { formatVector, toBase64 } from '../vectors.js';
import { CollectionPicker } from './collection-picker.js';

const PREVIEW_COMPONENTS = 16;

export function RecordPage({ client, collections, params }: PageProps) {
  const name = params.get('collection') ?? undefined;
  const key = params.get('key') ?? undefined;
  const [keyInput, setKeyInput] = useState(key ?? '');
  const [state, setState] = useState<{ record: StoredRecord | null } | { error: string } | null>(null);
  const [showFull, setShowFull] = useState(false);

  useEffect(() => {
    setKeyInput(key ?? '');
    setState(null);
    setShowFull(false);
    if (!name || key === undefined) return;
    let live = true;
    client
      .collection(name)
      .get([key])
      .then(
        ([record]) => live && setState({ record }),
        (error) => live && setState({ error: describeError(error) }),
      );
    return () => {
      live = false;
    };
  }, [client, name, key]);

  return (
    <section>
      <h1>Records</h1>
      <div class="toolbar">
        <CollectionPicker page="record" collections={collections} current={name} />
        {name && (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              navigate('record', { collection: name, key: keyInput });
            }}
          >
            <label class="inline">
              Key <input value={keyInput} onInput={(e) => setKeyInput(e.currentTarget.value)} data-testid="record-key" />
            </label>
            <button type="submit" disabled={keyInput === ''} data-testid="open-record">
              Open
            </button>
          </form>
        )}
      </div>
      {state && 'error' in state && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      {state && 'record' in state && state.record === null && <p data-testid="record-missing">No record with key {JSON.stringify(key)} in {name}.</p>}
      {state && 'record' in state && state.record && name && <RecordView name={name} record={state.record} showFull={showFull} setShowFull={setShowFull} />}
    </section>
  );
}

function RecordView({ name, record, showFull, setShowFull }: { name: string; record: StoredRecord; showFull: boolean; setShowFull: (v: boolean) => void }) {
  let norm = 0;
  for (const x of record.vector) norm += x * x;
  const preview = showFull ? record.vector : record.vector.subarray(0, PREVIEW_COMPONENTS);
  return (
    <div class="card record" data-testid="record">
      <h2>
        <code data-testid="record-key-shown">{record.key}</code>
      </h2>
      <p>
        <a href={href('search', { collection: name, like: record.key })} data-testid="search-similar">
          Search for similar records
        </a>
      </p>
      <h3>Metadata</h3>
      {record.metadata !== undefined ? <pre class="json" data-testid="record-metadata">{prettyJson(record.metadata)}</pre> : <p class="muted">none</p>}
      <h3>Document</h3>
      {record.document !== undefined ? <p class="document">{record.document}</p> : <p class="muted">none</p>}
      <h3>
        Vector <span class="muted">({record.vector.length} dimensions, norm {Math.sqrt(norm).toFixed(4)})</span>
      </h3>
      <pre class="vector">
        {formatVector(preview)}
        {!showFull && record.vector.length > PREVIEW_COMPONENTS ? ' …' : ''}
      </pre>
      {record.vector.length > PREVIEW_COMPONENTS && (
        <button type="button" class="link" onClick={() => setShowFull(!showFull)}>
          {showFull ? 'Show less' : 'Show all'}
        </button>
      )}{' '}
      <button type="button" class="link" onClick={() => void navigator.clipboard?.writeText(toBase64(record.vector))}>
        Copy as base64
      </button>
    </div>
  );
}
