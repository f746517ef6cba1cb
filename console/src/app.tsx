/**
 * The console's shell: checks whether the server needs an API key (an unauthorised listCollections says
 * so), asks for one when it does, then shows the pages. Every page talks to the server through the one
 * QuiverClient made here.
 */
import type { CollectionInfo, QuiverClient } from 'quiverdb/client';
import { isQuiverError } from 'quiverdb/client';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError } from './format.js';
import { CollectionsPage } from './pages/collections.js';
import { MapPage } from './pages/map.js';
import { RecordPage } from './pages/record.js';
import { SearchPage } from './pages/search.js';
import { AddPaperPage } from './papers/add.js';
import { PaperPage } from './papers/paper.js';
import { PapersSearchPage } from './papers/search.js';
import { PapersSubscribe } from './papers/subscribe.js';
import { TopicsPage } from './papers/topics.js';
import { type Page, href, useRoute } from './route.js';
import { makeClient, storeKey, storedKey } from './session.js';

type Connection =
  | { state: 'connecting' }
  | { state: 'needs-key'; rejected?: boolean }
  | { state: 'ready'; collections: CollectionInfo[]; papers: boolean }
  | { state: 'failed'; message: string };

export interface PageProps {
  client: QuiverClient;
  collections: CollectionInfo[];
  params: URLSearchParams;
  /** Reloads the collection list (after a page learns that it changed). */
  refresh: () => void;
}

const PAPERS_PAGES: Page[] = ['papers', 'paper', 'topics', 'add-paper', 'subscribe'];

const NAV: { page: Page; label: string }[] = [
  { page: 'collections', label: 'Collections' },
  { page: 'search', label: 'Search' },
  { page: 'record', label: 'Records' },
  { page: 'map', label: 'Map' },
];

export function App() {
  const [apiKey, setApiKey] = useState(storedKey);
  const [client, setClient] = useState(() => makeClient(apiKey));
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const papersApp = connection.state === 'ready' && connection.papers;
  const route = useRoute(papersApp ? 'papers' : 'collections');

  const connect = useCallback(async (candidate: QuiverClient, keyGiven: boolean) => {
    try {
      const collections = await candidate.listCollections();
      // the Quiver Papers app answers GET /v1/papers when the server runs it (NOT_FOUND otherwise)
      const papers = await candidate.papers.info().then(
        () => true,
        () => false,
      );
      setConnection({ state: 'ready', collections, papers });
      return true;
    } catch (error) {
      if (isQuiverError(error) && error.code === 'UNAUTHORIZED') setConnection({ state: 'needs-key', rejected: keyGiven });
      else setConnection({ state: 'failed', message: describeError(error) });
      return false;
    }
  }, []);

  useEffect(() => {
    void connect(client, apiKey !== undefined);
  }, [client]);

  const logIn = async (key: string) => {
    const candidate = makeClient(key);
    if (await connect(candidate, true)) {
      storeKey(key);
      setApiKey(key);
      setClient(candidate);
    }
  };

  const logOut = () => {
    storeKey(undefined);
    setApiKey(undefined);
    setConnection({ state: 'connecting' });
    setClient(makeClient(undefined));
  };

  const refresh = () => void connect(client, apiKey !== undefined);

  return (
    <div class="shell">
      <header>
        <a class="brand" href={href('collections')}>
          Quiver
        </a>
        {connection.state === 'ready' && (
          <nav>
            {papersApp && (
              <a href={href('papers')} class={PAPERS_PAGES.includes(route.page) ? 'active' : ''} data-testid="nav-papers">
                Papers
              </a>
            )}
            {NAV.map(({ page, label }) => (
              <a key={page} href={href(page, { collection: route.params.get('collection') ?? undefined })} class={route.page === page ? 'active' : ''} data-testid={`nav-${page}`}>
                {label}
              </a>
            ))}
          </nav>
        )}
        <span class="spacer" />
        {apiKey !== undefined && (
          <button type="button" class="link" onClick={logOut} data-testid="logout">
            Log out
          </button>
        )}
      </header>
      <main>
        {connection.state === 'connecting' && <p class="muted">Connecting…</p>}
        {connection.state === 'failed' && (
          <div class="error" role="alert">
            <p>The console cannot reach the server: {connection.message}</p>
            <button type="button" onClick={refresh}>
              Retry
            </button>
          </div>
        )}
        {connection.state === 'needs-key' && <Login onSubmit={logIn} rejected={connection.rejected === true} />}
        {connection.state === 'ready' && <CurrentPage page={route.page} props={{ client, collections: connection.collections, params: route.params, refresh }} />}
      </main>
    </div>
  );
}

function CurrentPage({ page, props }: { page: Page; props: PageProps }) {
  if (page === 'papers') return <PapersSearchPage {...props} />;
  if (page === 'paper') return <PaperPage {...props} />;
  if (page === 'topics') return <TopicsPage {...props} />;
  if (page === 'add-paper') return <AddPaperPage {...props} />;
  if (page === 'subscribe') return <PapersSubscribe client={props.client} />;
  if (page === 'search') return <SearchPage {...props} />;
  if (page === 'record') return <RecordPage {...props} />;
  if (page === 'map') return <MapPage {...props} />;
  return <CollectionsPage {...props} />;
}

function Login({ onSubmit, rejected }: { onSubmit: (key: string) => Promise<void>; rejected: boolean }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="login card"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        await onSubmit(key.trim());
        setBusy(false);
      }}
    >
      <h1>Log in</h1>
      <p>This server requires an API key. It is kept in this tab's session storage and sent as a Bearer token.</p>
      <label>
        API key
        <input type="password" autocomplete="current-password" value={key} onInput={(e) => setKey(e.currentTarget.value)} data-testid="api-key" required />
      </label>
      {rejected && (
        <p class="error" role="alert">
          The server did not accept that key.
        </p>
      )}
      <button type="submit" disabled={busy || key.trim() === ''} data-testid="login">
        Log in
      </button>
    </form>
  );
}
