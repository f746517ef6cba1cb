/** Hash routes (#/search?collection=papers): the console is static files, so the server needs no routes for it. */
import { useEffect, useState } from 'preact/hooks';

export type Page = 'collections' | 'search' | 'record' | 'map';

export interface Route {
  page: Page;
  params: URLSearchParams;
}

const PAGES: Page[] = ['collections', 'search', 'record', 'map'];

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.includes(path as Page) ? (path as Page) : 'collections';
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

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
