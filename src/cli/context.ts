/**
 * The options every command shares (--data, --url, --api-key, --verbose, --progress) and how a command
 * reaches its database: a local directory opened in this process, or a server through the HTTP client.
 * Both load lazily, so a command pays only for the side it uses.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { QuiverError } from '../core/errors.js';
import { usage } from './exit.js';
import type { OpenedTarget, Target } from './target.js';

export interface GlobalOptions {
  data?: string;
  url?: string;
  apiKey?: string;
  verbose?: boolean;
  /** undefined: bars when stderr is a terminal. */
  progress?: boolean;
}

export interface Context {
  data: string | undefined;
  url: string | undefined;
  apiKey: string | undefined;
  verbose: boolean;
  progress: boolean;
  /** Set by a signal handler: long jobs stop at their next safe point. */
  stopRequested: () => string | null;
}

export function contextOf(options: GlobalOptions, env: NodeJS.ProcessEnv, stopRequested: () => string | null): Context {
  // an empty variable is an unset one
  const url = options.url ?? (env.QUIVER_URL || undefined);
  const data = options.data ?? (env.QUIVER_DATA_DIR || undefined);
  if (options.data !== undefined && options.url !== undefined) throw usage('Give either --data DIR (a local store) or --url URL (a server), not both.');
  return {
    data: options.url !== undefined ? undefined : data,
    url: options.data !== undefined ? undefined : url,
    apiKey: options.apiKey ?? (env.QUIVER_API_KEY || undefined),
    verbose: options.verbose === true,
    progress: options.progress ?? process.stderr.isTTY === true,
    stopRequested,
  };
}

/** The local store directory, for commands that only work on one (verify, serve). */
export function localDirectory(ctx: Context, command: string): string {
  if (ctx.url !== undefined && ctx.data === undefined) {
    throw new QuiverError('UNSUPPORTED', `quiver ${command} works on a local directory (--data DIR), not through a server: run it on the server's machine.`, { command });
  }
  if (ctx.data === undefined) throw usage(`Say which store: quiver ${command} --data DIR (or set QUIVER_DATA_DIR).`);
  return resolve(ctx.data);
}

/**
 * Opens the target of a command. `create`: a missing local directory becomes a new store (commands that
 * write: collections create, import); otherwise a directory without a store is STORE_NOT_FOUND, so a
 * typo in --data does not silently create an empty store.
 */
export async function openTarget(ctx: Context, options: { create: boolean }): Promise<OpenedTarget> {
  if (ctx.url !== undefined) return openRemote(ctx.url, ctx.apiKey);
  if (ctx.data === undefined) throw usage('Say which store: --data DIR for a local directory, or --url URL for a server (or set QUIVER_DATA_DIR / QUIVER_URL).');
  const path = resolve(ctx.data);
  if (!options.create) assertStore(path);
  else if (existsSync(path) && !statSync(path).isDirectory()) throw usage(`--data ${ctx.data} is a file, not a directory.`, { path });
  const { Quiver } = await import('../index.js');
  const db = await Quiver.open({ path });
  return { target: db, kind: 'local', location: path };
}

export function assertStore(path: string): void {
  if (!existsSync(path)) throw new QuiverError('STORE_NOT_FOUND', `No Quiver store at ${path}: the directory does not exist. Check --data, or create one with \`quiver collections create\`.`, { path });
  if (!statSync(path).isDirectory()) throw new QuiverError('STORE_NOT_FOUND', `${path} is a file, not a Quiver store directory.`, { path });
  if (!existsSync(resolve(path, 'MANIFEST'))) {
    throw new QuiverError('STORE_NOT_FOUND', `No Quiver store at ${path} (it has no MANIFEST file). Check --data, or create one with \`quiver collections create\`.`, { path });
  }
}

/** A server through the HTTP client (src/client): nothing of the engine is loaded. */
async function openRemote(url: string, apiKey: string | undefined): Promise<OpenedTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usage(`--url ${JSON.stringify(url)} is not a URL; use the server's address, e.g. http://localhost:6333.`, { url });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usage(`--url must be an http:// or https:// address; got ${url}.`, { url });
  const { QuiverClient } = await import('../client/index.js');
  return { target: new QuiverClient({ url, apiKey }), kind: 'remote', location: parsed.href };
}
