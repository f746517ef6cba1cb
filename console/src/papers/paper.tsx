/**
 * A paper: its title and abstract, when it was added, and related papers — its nearest neighbours by
 * the built-in embedder's vectors (a vector query with the paper's own vector, itself left out).
 */
import type { Hit, StoredRecord } from 'quiverdb/client';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError } from '../format.js';
import { href } from '../route.js';
import { PAPERS, PapersTabs, abstractOf, formatDate, paperMetadata } from './common.js';
import { PaperItem } from './search.js';

const RELATED = 8;

export function PaperPage({ client, params }: PageProps) {
  const id = params.get('id') ?? '';
  const [paper, setPaper] = useState<StoredRecord | null | undefined>(undefined);
  const [related, setRelated] = useState<Hit[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setPaper(undefined);
    setRelated(null);
    setError(null);
    if (id === '') return;
    const papers = client.collection(PAPERS);
    (async () => {
      const [record] = await papers.get([id]);
      setPaper(record);
      if (!record?.vector) return;
      const hits = await papers.query({ vector: record.vector, k: RELATED + 1, include: ['metadata', 'document'] });
      setRelated(hits.filter((h) => h.key !== id).slice(0, RELATED));
    })().catch((e) => setError(describeError(e)));
  }, [id]);

  const meta = paperMetadata(paper?.metadata);
  return (
    <section>
      <PapersTabs current="paper" />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {paper === null && <p class="error">No paper with the id {JSON.stringify(id)}.</p>}
      {paper && (
        <article class="card" data-testid="paper">
          <h1 data-testid="paper-title">{meta?.title ?? paper.key}</h1>
          <p class="muted">
            <code>{paper.key}</code>
            {meta && meta.addedAt > 0 ? ` · added ${formatDate(meta.addedAt)}` : ''} · <a href={href('record', { collection: PAPERS, key: paper.key })}>record</a>
          </p>
          <p class="abstract" data-testid="paper-abstract">
            {abstractOf(paper.document)}
          </p>
        </article>
      )}
      {related && (
        <>
          <h2>Related papers</h2>
          <p class="muted">Nearest neighbours of this paper's embedding (the built-in model), by cosine similarity.</p>
          <ol class="papers" data-testid="related-papers">
            {related.map((hit) => (
              <PaperItem key={hit.key} hit={hit} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
