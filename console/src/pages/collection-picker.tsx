/** The collection selector the search, record and map pages share; the choice lives in the URL. */
import type { CollectionInfo } from 'quiverdb/client';
import { type Page, navigate } from '../route.js';

export function CollectionPicker({ page, collections, current, extra = {} }: { page: Page; collections: CollectionInfo[]; current: string | undefined; extra?: Record<string, string | undefined> }) {
  return (
    <label class="inline">
      Collection
      <select value={current ?? ''} onChange={(e) => navigate(page, { ...extra, collection: e.currentTarget.value || undefined })} data-testid="collection">
        <option value="">choose…</option>
        {collections.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name} ({c.count.toLocaleString('en-US')} × {c.dimension})
          </option>
        ))}
      </select>
    </label>
  );
}
