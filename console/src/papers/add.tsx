/**
 * Adding a paper: title and abstract (and optionally its id; the title's slug otherwise) through
 * POST /v1/papers, which embeds it, indexes it for keyword search and stamps it with addedAt — so it
 * appears in searches at once and in the next daily digest.
 */
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { describeError } from '../format.js';
import { PapersTabs, paperHref } from './common.js';

export function AddPaperPage({ client, refresh }: PageProps) {
  const [title, setTitle] = useState('');
  const [abstract, setAbstract] = useState('');
  const [id, setId] = useState('');
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setAdded(null);
    try {
      const { ids } = await client.papers.add([{ title: title.trim(), abstract: abstract.trim(), ...(id.trim() !== '' ? { id: id.trim() } : {}) }]);
      setAdded(ids[0]);
      setTitle('');
      setAbstract('');
      setId('');
      refresh();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Add a paper</h1>
      <PapersTabs current="add-paper" />
      <form class="card" onSubmit={submit} data-testid="add-paper-form">
        <label>
          Title
          <input value={title} onInput={(e) => setTitle(e.currentTarget.value)} required data-testid="add-title" />
        </label>
        <label>
          Abstract
          <textarea class="prose" rows={8} value={abstract} onInput={(e) => setAbstract(e.currentTarget.value)} required data-testid="add-abstract" />
        </label>
        <label>
          Id <span class="muted">(optional: the title's slug otherwise; an existing id is replaced)</span>
          <input value={id} onInput={(e) => setId(e.currentTarget.value)} data-testid="add-id" />
        </label>
        <button type="submit" disabled={busy || title.trim() === '' || abstract.trim() === ''} data-testid="add-submit">
          {busy ? 'Adding…' : 'Add paper'}
        </button>
        <p class="muted">
          Many papers at once: <code>quiver import papers.jsonl --collection papers --papers</code> (JSONL of {'{ id?, title, abstract }'}) or a listing (a title line, then an abstract line) with{' '}
          <code>--format listing</code>; or <code>POST /v1/papers</code>.
        </p>
      </form>
      {added && (
        <p data-testid="add-done">
          Added: <a href={paperHref(added)}>{added}</a>
        </p>
      )}
      {error && (
        <p class="error" role="alert" data-testid="add-error">
          {error}
        </p>
      )}
    </section>
  );
}
