/** Every collection with what the engine reports about it now: count, dimension, index, bytes per vector, estimated recall. */
import type { CollectionStats } from 'quiverdb/client';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError, formatBytes, formatCount } from '../format.js';
import { href } from '../route.js';

type StatsState = { stats: CollectionStats } | { error: string } | undefined;

export function CollectionsPage({ client, collections, refresh }: PageProps) {
  const [stats, setStats] = useState<Record<string, StatsState>>({});

  useEffect(() => {
    let live = true;
    setStats({});
    for (const { name } of collections) {
      client
        .collection(name)
        .stats()
        .then(
          (s) => live && setStats((all) => ({ ...all, [name]: { stats: s } })),
          (error) => live && setStats((all) => ({ ...all, [name]: { error: describeError(error) } })),
        );
    }
    return () => {
      live = false;
    };
  }, [client, collections]);

  return (
    <section>
      <div class="title-row">
        <h1>Collections</h1>
        <button type="button" onClick={refresh} data-testid="refresh">
          Refresh
        </button>
      </div>
      {collections.length === 0 ? (
        <p class="muted">No collections yet. Create one with the client, the CLI or POST /v1/collections.</p>
      ) : (
        <table class="data" data-testid="collections">
          <thead>
            <tr>
              <th>name</th>
              <th class="num">records</th>
              <th class="num">dimension</th>
              <th>metric</th>
              <th>index</th>
              <th class="num">bytes / vector</th>
              <th class="num">estimated recall@10</th>
              <th class="num">segments</th>
              <th class="num">unindexed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {collections.map((c) => {
              const s = stats[c.name];
              const st = s && 'stats' in s ? s.stats : undefined;
              return (
                <tr key={c.name} data-testid={`collection-${c.name}`}>
                  <td>
                    <strong>{c.name}</strong>
                  </td>
                  <td class="num">{formatCount(st?.count ?? c.count)}</td>
                  <td class="num">{c.dimension}</td>
                  <td>{c.metric}</td>
                  <td>
                    <code>{st?.index ?? c.index}</code>
                  </td>
                  <td class="num" title={st ? bytesTitle(st) : ''}>
                    {st ? formatBytes(st.bytesPerVector.total) : s && 'error' in s ? <span class="error">{s.error}</span> : '…'}
                  </td>
                  <td class="num">{st ? (st.estimatedRecall ? `${st.estimatedRecall.recallAt10.toFixed(3)} (n=${st.estimatedRecall.sampleSize})` : <span class="muted" title="No sampled query has been re-run exactly yet (exact collections are not sampled)">—</span>) : '…'}</td>
                  <td class="num">{st ? st.segments : '…'}</td>
                  <td class="num">{st ? formatCount(st.unindexed) : '…'}</td>
                  <td class="actions">
                    <a href={href('search', { collection: c.name })}>search</a> <a href={href('record', { collection: c.name })}>records</a>{' '}
                    <a href={href('map', { collection: c.name })} data-testid={`map-${c.name}`}>
                      map
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function bytesTitle(s: CollectionStats): string {
  const b = s.bytesPerVector;
  return `vectors ${formatBytes(b.vectors)}, codes ${formatBytes(b.codes)}, graph ${formatBytes(b.graph)}, rerank ${formatBytes(b.rerank)}, metadata ${formatBytes(b.metadata)}`;
}
