/** Shared by the Quiver Papers pages: the collection's name, dates, snippets and the app's sub-navigation. */
import type { Metadata } from 'quiverdb/client';
import { href, type Page } from '../route.js';

export const PAPERS = 'papers';

export interface PaperMetadata {
  title: string;
  addedAt: number;
}

export function paperMetadata(metadata: Metadata | null | undefined): PaperMetadata | null {
  if (!metadata || typeof metadata.title !== 'string') return null;
  return { title: metadata.title, addedAt: typeof metadata.addedAt === 'number' ? metadata.addedAt : 0 };
}

/** The abstract: the document after the title's blank line (the app stores title + "\n\n" + abstract). */
export function abstractOf(document: string | undefined): string {
  if (document === undefined) return '';
  const at = document.indexOf('\n\n');
  return at < 0 ? document : document.slice(at + 2);
}

export function snippet(text: string, length = 260): string {
  return text.length <= length ? text : `${text.slice(0, text.lastIndexOf(' ', length))}…`;
}

export function formatDate(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().slice(0, 10) : '';
}

export function paperHref(id: string): string {
  return href('paper', { id });
}

const TABS: { page: Page; label: string }[] = [
  { page: 'papers', label: 'Search' },
  { page: 'topics', label: 'Topic map' },
  { page: 'add-paper', label: 'Add a paper' },
  { page: 'subscribe', label: 'Daily digest' },
];

export function PapersTabs({ current }: { current: Page }) {
  return (
    <nav class="tabs papers-tabs">
      {TABS.map(({ page, label }) => (
        <a key={page} href={href(page)} class={current === page ? 'active' : ''} data-testid={`papers-tab-${page}`}>
          {label}
        </a>
      ))}
    </nav>
  );
}
