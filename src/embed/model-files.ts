/**
 * Reads small JSON files of a Hugging Face model (the sentence-transformers pooling files, which
 * transformers.js itself does not read) from a local folder, from the transformers.js file cache, or from
 * the hub when remote loading is allowed; what is fetched is written to the same cache, so the second
 * load is offline. A file the model does not have is null.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ModelFileSource {
  /** The model folder (local models), or null for a hub model. */
  localPath: string | null;
  model: string;
  revision: string;
  cacheDir: string;
  /** The hub's host and path template, as transformers.js's env has them. */
  remoteHost: string;
  remotePathTemplate: string;
  allowRemote: boolean;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function readModelJson(source: ModelFileSource, file: string): Promise<unknown | null> {
  const text = await readModelText(source, file);
  return text === null ? null : JSON.parse(text);
}

async function readModelText(source: ModelFileSource, file: string): Promise<string | null> {
  if (source.localPath !== null) return readIfExists(join(source.localPath, file));
  // The same key transformers.js's file cache uses: <model>/<file> for main, <model>/<revision>/<file> otherwise.
  const cached = join(source.cacheDir, source.model, ...(source.revision === 'main' ? [] : [source.revision]), file);
  const hit = await readIfExists(cached);
  if (hit !== null || !source.allowRemote) return hit;
  const path = source.remotePathTemplate.replaceAll('{model}', source.model).replaceAll('{revision}', encodeURIComponent(source.revision));
  const url = new URL(`${path.replace(/\/?$/, '/')}${file}`, source.remoteHost);
  const token = process.env.HF_TOKEN ?? process.env.HF_ACCESS_TOKEN;
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const text = await response.text();
  await mkdir(dirname(cached), { recursive: true });
  await writeFile(cached, text);
  return text;
}
