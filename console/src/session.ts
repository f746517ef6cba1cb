/**
 * The console's connection: a QuiverClient for the server that serves the console, with the API key the
 * user logged in with. The key lives in sessionStorage (gone when the tab closes, never in localStorage
 * or a cookie) and is sent as "Authorization: Bearer <key>" by the client.
 */
import { QuiverClient } from 'quiverdb/client';

const STORAGE_KEY = 'quiver.console.apiKey';

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the key lasts until reload
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // storage disabled
  }
}

/** The server the console came from: its own directory, so a reverse proxy's path prefix is kept. */
export function serverUrl(): string {
  return new URL('./', window.location.href).href;
}

export function makeClient(apiKey: string | undefined): QuiverClient {
  return new QuiverClient({ url: serverUrl(), ...(apiKey ? { apiKey } : {}) });
}
