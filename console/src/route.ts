/** Hash routes (#/search?collection=papers): the console is static files, so the server needs no routes for it. */
import { useEffect, useState } from 'preact/hooks';

export type Page = 'collections' | 'search' | 'record' | 'map' | 'papers' | 'paper' | 'topics' | 'add-paper' | 'subscribe';

export interface Route {
  page: Page;
  params: URLSearchParams;
}

const PAGES: Page[] = ['collections', 'search', 'record', 'map', 'papers', 'paper', 'topics', 'add-paper', 'subscribe'];

/** The page of a hash; `home` when it names none (the papers app's search when the server runs it). */
export function parseRoute(hash: string, home: Page = 'collections'): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.includes(path as Page) ? (path as Page) : home;
  return { page, params: new URLSearchParams(query) };
}

export function href(page: Page, params: Record<string, string | undefined> = {}): string {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '');
  const query = new URLSearchParams(defined).toString();
  return `#/${page}${query ? `?${query}` : ''}`;
}

export function navigate(page: Page, params: Record<string, string | undefined> = {}): void {
  window.location.hash = href(page, params);
}

export function useRoute(home: Page): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash, home));
  useEffect(() => {
    setRoute(parseRoute(window.location.hash, home));
    const update = () => setRoute(parseRoute(window.location.hash, home));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, [home]);
  return route;
}
