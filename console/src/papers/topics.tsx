/**
 * The topic map: the papers laid out in 2-D from Quiver's k-NN graph (collection.map), coloured by
 * topic — k-means clusters of the embeddings, each labelled by its most distinctive terms (map's
 * `topics`, computed on the server). Hover shows a title; clicking opens the paper.
 */
import type { CollectionMap } from 'quiverdb/client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError } from '../format.js';
import { MapCanvas } from '../map/canvas.js';
import { CATEGORICAL, OTHER } from '../map/colours.js';
import { navigate } from '../route.js';
import { PAPERS, PapersTabs, paperMetadata } from './common.js';

const DEFAULT_TOPICS = 8;

export function TopicsPage({ client, params }: PageProps) {
  const topicsParam = Number(params.get('topics') ?? DEFAULT_TOPICS);
  const topics = Number.isInteger(topicsParam) && topicsParam >= 1 && topicsParam <= 20 ? topicsParam : DEFAULT_TOPICS;
  const [map, setMap] = useState<CollectionMap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setMap(null);
    setError(null);
    client
      .collection(PAPERS)
      .map({ topics, include: ['metadata'], signal: controller.signal })
      .then(setMap)
      .catch((e) => {
        if (!controller.signal.aborted) setError(describeError(e));
      });
    return () => controller.abort('left the page');
  }, [topics]);

  const colours = useMemo(() => map?.topics?.assignments.map((t) => CATEGORICAL[t] ?? OTHER) ?? [], [map]);
  const hovered = hover && map ? paperMetadata(map.metadata?.[hover.index]) : null;

  return (
    <section>
      <h1>Topic map</h1>
      <PapersTabs current="topics" />
      <div class="toolbar">
        <label class="inline">
          topics
          <select value={topics} onChange={(e) => navigate('topics', { topics: e.currentTarget.value })} data-testid="topics-count">
            {[4, 6, 8, 10, 12].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {map?.preservation && (
          <span class="muted">
            {map.keys.length} papers · 10-NN preservation {map.preservation.layout.toFixed(2)} (PCA {map.preservation.pca.toFixed(2)})
          </span>
        )}
      </div>
      {!map && !error && <p class="muted">Laying out the papers…</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {map?.topics && (
        <>
          <ul class="legend topics-legend" data-testid="topics-legend">
            {map.topics.topics.map((topic) => (
              <li key={topic.id} data-testid="topic">
                <span class="swatch" style={{ background: CATEGORICAL[topic.id] ?? OTHER }} />
                <strong>{topic.terms.slice(0, 3).join(' · ') || `topic ${topic.id + 1}`}</strong> <span class="muted">({topic.size})</span>
              </li>
            ))}
          </ul>
          <div class="map-area">
            <MapCanvas
              coordinates={map.coordinates}
              colours={colours}
              highlighted={hover?.index ?? null}
              onHover={(index, at) => setHover(index === null || at === null ? null : { index, ...at })}
              onPick={(index) => navigate('paper', { id: map.keys[index] })}
            />
            {hover && (
              <div class="tooltip" style={{ left: `${hover.x + 12}px`, top: `${hover.y + 12}px` }} data-testid="topics-tooltip">
                <strong>{hovered?.title ?? map.keys[hover.index]}</strong>
                <div class="muted">{map.topics.topics[map.topics.assignments[hover.index]]?.terms.join(', ')}</div>
              </div>
            )}
          </div>
        </>
      )}
    </section>
  );
}
