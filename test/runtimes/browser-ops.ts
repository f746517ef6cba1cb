/**
 * What the Chromium tests run inside the browser, on a page or in a dedicated worker: the conformance
 * suite, and the writers and verifiers of the persistence, crash and quota tests. Records are a function
 * of their number, so a verifier knows every acknowledged record without being told.
 */
import type * as Api from '../../src/browser.js';
import { Prng } from '../../src/core/lib/prng.js';
import { runConformance } from './conformance.js';

type BrowserApi = typeof Api;
const DIMENSION = 16;

export function recordVector(i: number): Float32Array {
  const rng = new Prng(1000 + i);
  const v = new Float32Array(DIMENSION);
  for (let d = 0; d < DIMENSION; d++) v[d] = rng.next() * 2 - 1;
  return v;
}

const now = () => performance.now();

export interface WriteOptions {
  path: string;
  /** First record number and how many batches of `batch` records. */
  from: number;
  batches: number;
  batch: number;
  /** Leave the database open (a reload or terminate follows). */
  keepOpen?: boolean;
  /** Bytes of metadata padding per record (fills a quota quickly). */
  padding?: number;
  durability?: 'sync' | 'batched' | 'none';
}

export interface VerifyResult {
  count: number;
  /** Numbers below `expectAtLeast` whose record is missing or wrong. */
  missing: number[];
  /** Whether querying each sampled record's own vector finds it first. */
  selfHitsOk: boolean;
  files: string[];
}

/** QuiverErrors crossing postMessage lose their class: carry what the tests assert. */
export function describeError(error: unknown): { name: string; code?: string; category?: string; message: string; details?: unknown } {
  const e = error as { name?: string; code?: string; category?: string; message?: string; details?: unknown };
  return { name: String(e?.name), code: e?.code, category: e?.category, message: String(e?.message ?? error), details: e?.details };
}

export function makeOps(api: BrowserApi, context: string, post: (message: unknown) => void) {
  const open = new Map<string, Awaited<ReturnType<BrowserApi['Quiver']['open']>>>();
  return {
    async conformance(path: string) {
      const memory = await runConformance(`chromium ${context}`, { api }, now);
      const opfs = await runConformance(`chromium ${context}`, { api, open: () => api.Quiver.open({ path }) }, now);
      const access = new api.OpfsStorage(path).access;
      await removeDirectory(path);
      return { reports: [memory, opfs], access };
    },

    /** Upserts batches in order, posting { ack: n } once the first n records are durable. */
    async write(options: WriteOptions) {
      let db = open.get(options.path);
      if (db === undefined) {
        db = await api.Quiver.open({ path: options.path, durability: options.durability ?? 'sync' });
        open.set(options.path, db);
      }
      if (!(await db.listCollections()).some((c) => c.name === 'c')) await db.createCollection('c', { dimension: DIMENSION, metric: 'l2', index: 'HNSW16' });
      const col = db.collection('c');
      const pad = 'x'.repeat(options.padding ?? 0);
      let acked = options.from;
      try {
        for (let b = 0; b < options.batches; b++) {
          const first = options.from + b * options.batch;
          const batch = [];
          for (let i = first; i < first + options.batch; i++) batch.push({ key: `r${i}`, vector: recordVector(i), metadata: { i, pad } });
          await col.upsert(batch);
          acked = first + options.batch;
          post({ ack: acked });
        }
      } catch (error) {
        return { acked, error: describeError(error) };
      }
      if (!options.keepOpen) {
        await db.close();
        open.delete(options.path);
      }
      return { acked };
    },

    async close(path: string) {
      const db = open.get(path);
      open.delete(path);
      try {
        await db?.close();
        return { closed: true };
      } catch (error) {
        return { closed: false, error: describeError(error) };
      }
    },

    /** Opens `path`, checks records [0, expectAtLeast) and a sample of self-queries, and closes it. */
    async verify(path: string, expectAtLeast: number): Promise<VerifyResult> {
      const db = await api.Quiver.open({ path });
      try {
        const col = db.collection('c');
        const count = await col.count();
        const missing: number[] = [];
        for (let first = 0; first < expectAtLeast; first += 5000) {
          const keys = Array.from({ length: Math.min(5000, expectAtLeast - first) }, (_, j) => `r${first + j}`);
          (await col.get(keys)).forEach((record, j) => {
            const i = first + j;
            if (record === null || (record.metadata as { i: number }).i !== i || record.vector![3] !== recordVector(i)[3]) missing.push(i);
          });
        }
        let selfHitsOk = true;
        for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 25))) {
          const hits = await col.query({ vector: recordVector(i), k: 1 });
          if (hits[0]?.key !== `r${i}`) selfHitsOk = false;
        }
        const files = await new api.OpfsStorage(path).list();
        return { count, missing, selfHitsOk, files };
      } finally {
        await db.close();
      }
    },

    /** File names and sizes as the page sees them, without opening the database (diagnostics). */
    async files(path: string) {
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle(path);
      const out: Record<string, number> = {};
      for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }).entries()) out[name] = (await handle.getFile()).size;
      return out;
    },

    async remove(path: string) {
      await removeDirectory(path);
      return true;
    },
  };
}

async function removeDirectory(path: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await (root as unknown as { removeEntry(name: string, options: { recursive: boolean }): Promise<void> }).removeEntry(path, { recursive: true }).catch(() => {});
}
