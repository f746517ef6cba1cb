/**
 * The 2-D map of a collection: the server lays out (a sample of) the records from Quiver's k-NN graph
 * (col.map); points are coloured by a metadata field, hovering shows a record, clicking opens it. The
 * page reports the layout's 10-NN preservation beside a PCA projection's, and can show the PCA view.
 */
import type { CollectionMap, Metadata } from 'quiverdb/client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError, formatCount, prettyJson } from '../format.js';
import { MapCanvas } from '../map/canvas.js';
import { colourBy, colourableFields } from '../map/colours.js';
import { navigate } from '../route.js';
import { CollectionPicker } from './collection-picker.js';

const DEFAULT_SAMPLE = 10_000;

export function MapPage({ client, collections, params }: PageProps) {
  const name = params.get('collection') ?? undefined;
  const info = collections.find((c) => c.name === name);
  const [sample, setSample] = useState(DEFAULT_SAMPLE);
  const [k, setK] = useState(15);
  const [seed, setSeed] = useState(1);
  const [result, setResult] = useState<{ map: CollectionMap; seconds: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<{ started: number; controller: AbortController } | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [view, setView] = useState<'layout' | 'pca'>('layout');
  const [field, setField] = useState<string | undefined>(undefined);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);

  useEffect(() => {
    setResult(null);
    setError(null);
    setHover(null);
    busy?.controller.abort('collection changed');
    setBusy(null);
  }, [name]);

  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => setElapsed((performance.now() - busy.started) / 1000), 200);
    return () => clearInterval(timer);
  }, [busy]);

  const compute = async () => {
    if (!name) return;
    const controller = new AbortController();
    const started = performance.now();
    setBusy({ started, controller });
    setElapsed(0);
    setError(null);
    try {
      const map = await client.collection(name).map({ sample, k, seed, include: ['metadata'], signal: controller.signal });
      setResult({ map, seconds: (performance.now() - started) / 1000 });
      setHover(null);
      const fields = colourableFields(map.metadata);
      setField((current) => (current && fields.includes(current) ? current : fields[0]));
    } catch (e) {
      if (!controller.signal.aborted) setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  const fields = useMemo(() => colourableFields(result?.map.metadata), [result]);
  const colouring = useMemo(() => colourBy(result?.map.metadata, result?.map.keys.length ?? 0, field), [result, field]);
  const coordinates = result ? (view === 'layout' ? result.map.coordinates : result.map.pca) : null;
  const p = result?.map.preservation;

  return (
    <section>
      <h1>Map</h1>
      <div class="toolbar">
        <CollectionPicker page="map" collections={collections} current={name} />
        {info && (
          <>
            <label class="inline">
              points at most <input type="number" min={1} value={sample} onInput={(e) => setSample(Number(e.currentTarget.value))} data-testid="map-sample" />
            </label>
            <label class="inline">
              neighbours k <input type="number" min={1} value={k} onInput={(e) => setK(Number(e.currentTarget.value))} />
            </label>
            <label class="inline">
              seed <input type="number" min={0} value={seed} onInput={(e) => setSeed(Number(e.currentTarget.value))} />
            </label>
            {busy ? (
              <button type="button" onClick={() => busy.controller.abort('cancelled')}>
                Cancel ({elapsed.toFixed(1)} s)
              </button>
            ) : (
              <button type="button" onClick={() => void compute()} data-testid="compute-map">
                Compute map
              </button>
            )}
          </>
        )}
      </div>
      {info && !result && !busy && !error && (
        <p class="muted">
          Lays out {formatCount(Math.min(sample, info.count))} of {formatCount(info.count)} records from their {k} nearest neighbours in Quiver's index (a
          LargeVis/UMAP-style layout). Large maps take a few seconds.
        </p>
      )}
      {busy && <p class="muted" data-testid="map-busy">Computing the layout… {elapsed.toFixed(1)} s</p>}
      {error && (
        <p class="error" role="alert" data-testid="map-error">
          {error}
        </p>
      )}
      {result && coordinates && name && (
        <div class="map">
          <div class="map-figures" data-testid="map-figures">
            {p ? (
              <p data-testid="preservation">
                <strong>{p.k}-NN preservation</strong>: layout <strong data-testid="preservation-layout">{p.layout.toFixed(3)}</strong> vs PCA{' '}
                <strong data-testid="preservation-pca">{p.pca.toFixed(3)}</strong>{' '}
                <span class="muted">
                  (share of each point's {p.k} nearest neighbours in {info?.dimension ?? 'the original'}-d space that stay among its {p.k} nearest on the map;{' '}
                  {formatCount(p.evaluated)} points evaluated)
                </span>
              </p>
            ) : (
              <p class="muted">Too few points to measure neighbour preservation.</p>
            )}
            <p class="muted">
              {formatCount(result.map.keys.length)} of {formatCount(result.map.count)} records · k = {result.map.neighbors.k} from{' '}
              {result.map.neighbors.source === 'index' ? "the collection's index" : 'a graph over the sample'} · {result.map.epochs} epochs · seed {result.map.seed} ·{' '}
              {result.seconds.toFixed(1)} s
            </p>
          </div>
          <div class="toolbar">
            <label class="inline">
              view
              <select value={view} onChange={(e) => setView(e.currentTarget.value as 'layout' | 'pca')} data-testid="map-view">
                <option value="layout">layout (k-NN graph)</option>
                <option value="pca">PCA projection</option>
              </select>
            </label>
            <label class="inline">
              colour by
              <select value={field ?? ''} onChange={(e) => setField(e.currentTarget.value || undefined)} data-testid="colour-by">
                <option value="">nothing</option>
                {fields.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
            <ul class="legend">
              {colouring.legend.map((entry) => (
                <li key={entry.label}>
                  <span class="swatch" style={{ background: entry.colour }} />
                  {entry.label}
                </li>
              ))}
            </ul>
          </div>
          <div class="map-area">
            <MapCanvas
              coordinates={coordinates}
              colours={colouring.colours}
              highlighted={hover?.index ?? null}
              onHover={(index, at) => setHover(index === null || at === null ? null : { index, ...at })}
              onPick={(index) => navigate('record', { collection: name, key: result.map.keys[index] })}
            />
            {hover && <Tooltip x={hover.x} y={hover.y} recordKey={result.map.keys[hover.index]} metadata={result.map.metadata?.[hover.index] ?? null} />}
          </div>
        </div>
      )}
    </section>
  );
}

/** The hovered record (clicking the point opens it in the record viewer). */
function Tooltip({ x, y, recordKey, metadata }: { x: number; y: number; recordKey: string; metadata: Metadata | null }) {
  return (
    <div class="tooltip" style={{ left: `${x + 12}px`, top: `${y + 12}px` }} data-testid="map-tooltip">
      <code>{recordKey}</code>
      {metadata ? <pre class="json">{prettyJson(metadata)}</pre> : <p class="muted">no metadata</p>}
    </div>
  );
}
