/**
 * quiver query --collection NAME (--vector JSON | --vector-file FILE | --key KEY | --multivector FILE) [--text TEXT]
 * [--filter JSON] [--mode vector|keyword|hybrid] [--k 10]: the nearest records, as a table or --json.
 * A vector file may hold several queries (JSON array of arrays, JSON Lines, .npy, .fvecs); each is
 * answered in turn. --text alone is keyword (BM25) search; with a vector, hybrid search; --filter is a
 * metadata filter in the JSON of docs/filters.md and applies to every mode.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LIMITS } from '../../core/lib/limits.js';
import { QuiverError } from '../../core/errors.js';
import { type Context, openTarget } from '../context.js';
import { usage } from '../exit.js';
import { table, truncate } from '../format.js';
import { assertInputFile, detectFormat, openSource } from '../io/source.js';
import type { TargetHit } from '../target.js';
import { parseInclude, parseInteger } from './options.js';

export interface QueryOptions {
  collection: string;
  vector?: string;
  vectorFile?: string;
  key?: string;
  multivector?: string;
  candidates?: string;
  k?: string;
  ef?: string;
  include?: string;
  text?: string;
  filter?: string;
  mode?: string;
  json?: boolean;
}

/** Queries read from a file at most (a query file is not an import). */
const QUERIES_MAX = LIMITS.queryManyMax;

export async function queryCommand(ctx: Context, options: QueryOptions): Promise<void> {
  if (options.multivector !== undefined) return multivectorQuery(ctx, options);
  const given = [options.vector, options.vectorFile, options.key].filter((v) => v !== undefined).length;
  if (given > 1 || (given === 0 && options.text === undefined)) {
    throw usage('Give exactly one query: --vector \'[0.1, 0.2, ...]\', --vector-file FILE or --key KEY (the vector of a stored record), and/or --text \'search words\'.');
  }
  const filter = options.filter === undefined ? undefined : parseFilterOption(options.filter);
  if (options.mode !== undefined && !['vector', 'keyword', 'hybrid'].includes(options.mode)) throw usage(`--mode is vector, keyword or hybrid; got ${JSON.stringify(options.mode)}.`);
  const extra = {
    ...(options.text !== undefined ? { text: options.text } : {}),
    ...(filter !== undefined ? { filter } : {}),
    ...(options.mode !== undefined ? { mode: options.mode as 'vector' | 'keyword' | 'hybrid' } : {}),
  };
  const k = parseInteger(options.k, '--k', 10, 1, LIMITS.kMax);
  const ef = options.ef === undefined ? undefined : parseInteger(options.ef, '--ef', 0, 1, 100_000);
  const include = parseInclude(options.include, ['metadata', 'document']);
  const vectors = options.vector !== undefined ? [parseVector(options.vector, '--vector')] : options.vectorFile !== undefined ? await readVectors(options.vectorFile) : [];
  const { target } = await openTarget(ctx, { create: false });
  try {
    const collection = target.collection(options.collection);
    if (options.key !== undefined) {
      const [record] = await collection.get([options.key]);
      if (!record) throw new QuiverError('KEY_NOT_FOUND', `Collection "${options.collection}" has no record with key ${JSON.stringify(options.key)}.`, { key: options.key });
      vectors.push(Array.from(record.vector));
    }
    const results: TargetHit[][] = [];
    const search = ef !== undefined ? { search: { ef } } : {};
    if (vectors.length === 0) results.push(await collection.query({ k, include, ...search, ...extra }));
    for (const vector of vectors) {
      results.push(await collection.query({ vector, k, include, ...search, ...extra }));
    }
    printResults(results, results.length > 1 || options.vectorFile !== undefined, options.json === true);
  } finally {
    await target.close?.();
  }
}

/**
 * --multivector FILE: a multi-vector collection's queries from a JSON file, one query (an array of
 * vectors) or several (an array of such arrays), each scored by MaxSim (docs/multivector.md).
 */
async function multivectorQuery(ctx: Context, options: QueryOptions): Promise<void> {
  if ([options.vector, options.vectorFile, options.key, options.text].some((v) => v !== undefined)) {
    throw usage('--multivector is the whole query: give it without --vector, --vector-file, --key or --text.');
  }
  assertInputFile(options.multivector!);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(options.multivector!, 'utf8'));
  } catch (error) {
    throw usage(`${options.multivector} is not JSON: ${(error as Error).message}`);
  }
  const several = Array.isArray(value) && Array.isArray(value[0]) && Array.isArray(value[0][0]);
  const queries = (several ? (value as unknown[]) : [value]).slice(0, QUERIES_MAX);
  queries.forEach((q, i) => {
    if (!Array.isArray(q) || q.length === 0) throw usage(`${options.multivector} query ${i + 1} is not a non-empty array of vectors such as [[0.1, 0.2], [0.3, 0.4]].`);
    q.forEach((v, j) => parseVector(JSON.stringify(v), `${options.multivector} query ${i + 1} vector ${j + 1}`));
  });
  const k = parseInteger(options.k, '--k', 10, 1, LIMITS.kMax);
  const ef = options.ef === undefined ? undefined : parseInteger(options.ef, '--ef', 0, 1, 100_000);
  const candidates = options.candidates === undefined ? undefined : parseInteger(options.candidates, '--candidates', 0, 1, LIMITS.kMax);
  const include = parseInclude(options.include, ['metadata', 'document']);
  const filter = options.filter === undefined ? undefined : parseFilterOption(options.filter);
  const search = ef !== undefined || candidates !== undefined ? { search: { ...(ef !== undefined ? { ef } : {}), ...(candidates !== undefined ? { candidates } : {}) } } : {};
  const { target } = await openTarget(ctx, { create: false });
  try {
    const collection = target.collection(options.collection);
    const results: TargetHit[][] = [];
    for (const multivector of queries) results.push(await collection.query({ multivector: multivector as number[][], k, include, ...search, ...(filter !== undefined ? { filter } : {}) }));
    printResults(results, several, options.json === true);
  } finally {
    await target.close?.();
  }
}

/**
 * The hits of one query ({ hits } in JSON) or of several ({ results: [{ hits }] }, a "query N" heading
 * each in text); vectors (a record's or a multi-vector record's) as plain number arrays in JSON.
 */
function printResults(results: TargetHit[][], several: boolean, json: boolean): void {
  if (json) {
    const plain = results.map((hits) =>
      hits.map(({ vector, vectors, ...h }: TargetHit & { vectors?: Float32Array[] }) => ({
        ...h,
        ...(vector ? { vector: Array.from(vector) } : {}),
        ...(vectors ? { vectors: vectors.map((v) => Array.from(v)) } : {}),
      })),
    );
    process.stdout.write(JSON.stringify(several ? { results: plain.map((hits) => ({ hits })) } : { hits: plain[0] }) + '\n');
    return;
  }
  results.forEach((hits, q) => {
    if (results.length > 1) process.stdout.write(`${q > 0 ? '\n' : ''}query ${q + 1}\n`);
    process.stdout.write(hits.length === 0 ? 'no hits\n' : renderHits(hits) + '\n');
  });
}

function renderHits(hits: TargetHit[]): string {
  const extra = (h: TargetHit) => {
    const parts: string[] = [];
    if (h.metadata !== undefined) parts.push(JSON.stringify(h.metadata));
    if (h.document !== undefined) parts.push(JSON.stringify(h.document));
    return truncate(parts.join(' '), 80);
  };
  return table(
    ['rank', 'key', 'score', 'distance', 'metadata / document'],
    hits.map((h, i) => [i + 1, h.key, h.score, h.distance ?? '—', extra(h)]),
  );
}

/** --filter: a JSON object (the filter language itself is checked by the engine, INVALID_FILTER naming the path). */
function parseFilterOption(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usage(`--filter is a JSON filter such as '{"year": {"$gte": 2020}}': ${(error as Error).message}`);
  }
}

export function parseVector(text: string, what: string): number[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'number')) {
    throw usage(`${what} is a JSON array of numbers, such as '[0.1, 0.2, 0.3]'.`, { option: what });
  }
  return value as number[];
}

async function readVectors(path: string): Promise<(number[] | Float32Array)[]> {
  assertInputFile(path);
  const ext = extname(path).toLowerCase();
  if (ext === '.json') {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const list = Array.isArray(value) && Array.isArray(value[0]) ? value : [value];
    return list.slice(0, QUERIES_MAX).map((v, i) => parseVector(JSON.stringify(v), `${path} entry ${i + 1}`));
  }
  const source = await openSource(path, detectFormat(path, undefined));
  const out: (number[] | Float32Array)[] = [];
  for await (const chunk of source.rows({ row: 0, byte: 0, line: 0 })) {
    for (const row of chunk) {
      const vector = row.fields.vector;
      if (vector instanceof Float32Array) out.push(vector);
      else out.push(parseVector(JSON.stringify(vector), `${path}, ${row.where}`));
      if (out.length === QUERIES_MAX) return out;
    }
  }
  if (out.length === 0) throw usage(`${path} holds no query vectors.`);
  return out;
}
