/**
 * A read-only check of a database directory (`quiver verify`): every checksum of every file the store
 * would read (manifest, segments, write-ahead log), the cross-references between them, and the graph
 * invariants of every saved index. It only lists and reads files: no lock is taken, no torn tail is
 * truncated, nothing is replayed into a live database, so it can run on a damaged store or a backup.
 *
 * Damage is what would make Quiver.open refuse the store (or lose acknowledged data): a failed checksum,
 * a missing or mismatched segment, a log out of order, a graph that breaks its invariants. Notices are
 * what recovery cleans up by itself (a torn log tail, files of an interrupted checkpoint).
 */
import { CollectionEngine, type CollectionDefinition } from '../core/collection/collection.js';
import { printRecipe } from '../core/collection/recipe.js';
import { QuiverError, isQuiverError } from '../core/errors.js';
import { type ManifestData, decodeManifest } from '../core/format/manifest.js';
import { decodeOp } from '../core/format/ops.js';
import { decodeSegment } from '../core/format/segment.js';
import { decodeWal, parseWalFileName } from '../core/format/wal.js';
import { SEGMENT_BYTES_MAX_DEFAULT } from '../core/lib/limits.js';
import type { StorageAdapter } from '../storage/adapter.js';
import { MANIFEST_FILE, segmentFileName } from '../storage/store.js';
import { TOKEN_HEADER_BYTES, type TokenFileTable, decodeTokenHeader, decodeTokenTable, tokenRowsMatch } from '../core/format/tokens.js';
import { TOKEN_FILE_PATTERN, tokenFileName } from './multivector.js';
import { runtime } from './runtime.js';

export type VerifySeverity = 'damage' | 'notice';

export interface VerifyFinding {
  /** The file the finding is about. */
  file: string;
  severity: VerifySeverity;
  message: string;
  /** The QuiverError code a reader would raise, when there is one (CORRUPTED, UNSUPPORTED, ...). */
  code?: string;
  /** Byte offset of the damage inside the file, when known. */
  offset?: number;
  collection?: string;
}

export interface VerifiedFile {
  file: string;
  kind: 'manifest' | 'segment' | 'wal' | 'tokens' | 'other';
  bytes: number;
  status: 'ok' | 'damaged' | 'notice';
}

export interface VerifiedCollection {
  name: string;
  index: string;
  dimension: number;
  segments: number;
  /** Live records in the segment files (writes still in the log are counted in walRecords). */
  records: number;
  /** Segments whose saved graph was decoded and passed the graph checker. */
  graphsChecked: number;
}

export interface VerifyReport {
  location: string;
  /** No damage found (notices do not count). */
  healthy: boolean;
  files: VerifiedFile[];
  findings: VerifyFinding[];
  collections: VerifiedCollection[];
  /** Log records from the manifest's walStart on, each decoded and checked. */
  walRecords: number;
}

export interface VerifyProgress {
  file: string;
  bytes: number;
  filesDone: number;
  filesTotal: number;
}

export interface VerifyOptions {
  /** Called after each file is checked. */
  onFile?(progress: VerifyProgress): void;
}

const SEGMENT_PATTERN = /^seg-(\d{8})\.qseg$/;

/** Checks the store at `storage` (a directory path or an adapter) without changing it. */
export async function verifyStore(storage: string | StorageAdapter, options: VerifyOptions = {}): Promise<VerifyReport> {
  const adapter = typeof storage === 'string' ? runtime().openStorage(storage) : storage;
  const names = await adapter.list();
  const wals = names.filter((f) => parseWalFileName(f) !== null);
  const segmentFiles = names.filter((f) => SEGMENT_PATTERN.test(f));
  if (!names.includes(MANIFEST_FILE) && wals.length === 0 && segmentFiles.length === 0) {
    throw new QuiverError('STORE_NOT_FOUND', `${adapter.location} holds no Quiver store (no MANIFEST, log or segment files).`, { location: adapter.location });
  }
  const run = new Verification(adapter, names, options);
  try {
    await run.check();
  } finally {
    if (typeof storage === 'string') await adapter.close?.();
  }
  return run.report();
}

class Verification {
  private readonly files = new Map<string, VerifiedFile>();
  private readonly findings: VerifyFinding[] = [];
  private readonly collections: VerifiedCollection[] = [];
  private walRecords = 0;
  private filesDone = 0;

  constructor(
    private readonly adapter: StorageAdapter,
    private readonly names: string[],
    private readonly options: VerifyOptions,
  ) {}

  async check(): Promise<void> {
    const manifest = await this.checkManifest();
    const named = new Set<string>();
    if (manifest) {
      for (const entry of manifest.collections) {
        for (const s of entry.segments) named.add(segmentFileName(s.id));
        if (entry.definition.multivector) for (const s of entry.segments) named.add(tokenFileName(s.id));
        await this.checkCollection(entry);
      }
    }
    for (const file of this.names.filter((f) => TOKEN_FILE_PATTERN.test(f) && !named.has(f))) {
      this.notice(file, 'tokens', 'a token file no segment of the manifest names: a left-over of an interrupted checkpoint or compaction, removed when the store is next opened');
      this.progress(file);
    }
    for (const file of this.names.filter((f) => SEGMENT_PATTERN.test(f) && !named.has(f))) {
      if (manifest) {
        this.notice(file, 'segment', 'not named by the manifest: a left-over of an interrupted checkpoint or compaction, removed when the store is next opened');
      } else {
        // Without a manifest nothing says which segments are live: check each file on its own.
        const bytes = await this.read(file, 'segment');
        if (bytes) this.attempt(file, 'segment', () => decodeSegment(bytes, file));
      }
      this.progress(file);
    }
    await this.checkLog(manifest);
    for (const file of this.names) {
      if (this.files.has(file)) continue;
      if (file.endsWith('.tmp')) this.notice(file, 'other', 'a temporary file of an interrupted write, removed when the store is next opened');
      else this.notice(file, 'other', 'not a Quiver file; Quiver ignores it');
      this.progress(file);
    }
  }

  report(): VerifyReport {
    return {
      location: this.adapter.location,
      healthy: !this.findings.some((f) => f.severity === 'damage'),
      files: [...this.files.values()].sort((a, b) => a.file.localeCompare(b.file)),
      findings: this.findings,
      collections: this.collections,
      walRecords: this.walRecords,
    };
  }

  private async checkManifest(): Promise<ManifestData | null> {
    if (!this.names.includes(MANIFEST_FILE)) {
      this.damage(MANIFEST_FILE, 'manifest', 'the MANIFEST file is missing but data files exist; the store cannot be opened', { code: 'CORRUPTED' });
      return null;
    }
    const bytes = await this.read(MANIFEST_FILE, 'manifest');
    const manifest = bytes ? this.attempt(MANIFEST_FILE, 'manifest', () => decodeManifest(bytes, MANIFEST_FILE)) : null;
    this.progress(MANIFEST_FILE);
    return manifest;
  }

  private async checkCollection(entry: ManifestData['collections'][number]): Promise<void> {
    const { definition } = entry;
    const summary: VerifiedCollection = { name: definition.name, index: '?', dimension: definition.dimension, segments: entry.segments.length, records: 0, graphsChecked: 0 };
    this.collections.push(summary);
    try {
      summary.index = printRecipe(definition.index);
      this.engineFor(definition);
    } catch (error) {
      this.damage(MANIFEST_FILE, 'manifest', `collection "${definition.name}" has an index configuration this Quiver cannot use: ${messageOf(error)}`, { ...codeOf(error), collection: definition.name });
      return;
    }
    const liveIn = new Map<string, number>();
    for (const s of entry.segments) {
      const file = segmentFileName(s.id);
      const bytes = await this.read(file, 'segment', definition.name);
      if (bytes === undefined) {
        this.progress(file);
        continue;
      }
      if (bytes === null) {
        this.damage(file, 'segment', `named by the manifest (collection "${definition.name}") but missing`, { collection: definition.name, code: 'CORRUPTED' });
        continue;
      }
      const contents = this.attempt(file, 'segment', () => decodeSegment(bytes, file), definition.name);
      if (contents && (contents.id !== s.id || contents.dimension !== definition.dimension || contents.keys.length !== s.count)) {
        this.damage(file, 'segment', `does not match the manifest: id ${contents.id}, dimension ${contents.dimension}, ${contents.keys.length} records; the manifest says id ${s.id}, dimension ${definition.dimension}, ${s.count} records`, {
          collection: definition.name,
          code: 'CORRUPTED',
        });
      } else if (contents) {
        // a multi-vector segment's token file, checked on its own first (its damage is named there)
        const tokens = definition.multivector ? await this.checkTokens(s, definition.name, definition.multivector.dimension) : undefined;
        // The load path of Quiver.open on a throwaway engine: graph decoding, deletion marks in range.
        const restored = tokens === null ? null : this.attempt(file, 'segment', () => {
          const scratch = this.engineFor(definition);
          scratch.restoreSegment(contents, s.deleted, file, tokens);
          return scratch.sealed[scratch.sealed.length - 1];
        }, definition.name);
        if (restored) {
          summary.records += restored.liveCount;
          for (let slot = 0; slot < restored.count; slot++) {
            if (restored.isDeleted(slot)) continue;
            const key = restored.keys[slot];
            const other = liveIn.get(key);
            if (other !== undefined) {
              this.damage(file, 'segment', `key ${JSON.stringify(key)} is live here and in ${segmentFileName(other)} (collection "${definition.name}")`, { collection: definition.name, code: 'CORRUPTED' });
            } else liveIn.set(key, s.id);
          }
          if (restored.graph) {
            const problems = restored.graph.check(restored.marks);
            for (const problem of problems) this.damage(file, 'segment', `${restored.graph.kind} graph: ${problem}`, { collection: definition.name });
            if (problems.length === 0) summary.graphsChecked++;
          }
        }
      }
      this.progress(file);
    }
  }

  /**
   * A multi-vector segment's token file (core/format/tokens.ts): header and table checksums, that it
   * belongs to the segment (id, record count, token dimension), and every slot's rows against its CRC —
   * what a query would check row by row when it re-ranks.
   */
  private async checkTokens(segment: { id: number; count: number }, collection: string, dimension: number): Promise<TokenFileTable | null> {
    const file = tokenFileName(segment.id);
    const bytes = await this.read(file, 'tokens', collection);
    if (bytes === null) this.damage(file, 'tokens', `the token vectors of segment ${segment.id} (multi-vector collection "${collection}") are missing`, { collection, code: 'CORRUPTED' });
    if (!bytes) {
      this.progress(file);
      return null;
    }
    const table = this.attempt(file, 'tokens', () => {
      const header = decodeTokenHeader(bytes, file);
      return decodeTokenTable(header, bytes.subarray(TOKEN_HEADER_BYTES), bytes.length, file);
    }, collection);
    let usable = table !== null;
    if (table && (table.id !== segment.id || table.counts.length !== segment.count || table.dimension !== dimension)) {
      this.damage(file, 'tokens', `does not match its segment: id ${table.id}, ${table.counts.length} records of ${table.dimension}-d tokens; the manifest says id ${segment.id}, ${segment.count} records, ${dimension}-d`, { collection, code: 'CORRUPTED' });
      usable = false;
    } else if (table) {
      for (let slot = 0; slot < table.counts.length; slot++) {
        const start = table.offsets[slot];
        if (!tokenRowsMatch(bytes.subarray(start, start + table.counts[slot] * dimension * 4), table.checksums[slot])) {
          this.damage(file, 'tokens', `the token vectors of slot ${slot} do not match their checksum`, { collection, code: 'CORRUPTED', offset: start });
        }
      }
    }
    this.progress(file);
    return usable ? table : null;
  }

  /**
   * The log from walStart on, as recovery would replay it: checksums and framing per file, each record
   * decoded, sequence numbers increasing, every record naming a collection that exists at that point.
   */
  private async checkLog(manifest: ManifestData | null): Promise<void> {
    const numbers = this.names
      .map(parseWalFileName)
      .filter((n): n is number => n !== null)
      .sort((a, b) => a - b);
    const walStart = manifest?.walStart ?? 1;
    let lastLsn = manifest?.lastLsn ?? 0;
    const live = new Map<string, { id: number; dimension: number }>();
    for (const entry of manifest?.collections ?? []) live.set(entry.definition.name, { id: entry.definition.id, dimension: entry.definition.dimension });
    let tornIn: string | null = null;
    for (const n of numbers) {
      const file = this.names.find((f) => parseWalFileName(f) === n)!;
      if (n < walStart) {
        this.notice(file, 'wal', `older than the manifest's first log file (${walStart}): already folded into segments, removed when the store is next opened`);
        this.progress(file);
        continue;
      }
      if (tornIn !== null) {
        this.notice(file, 'wal', `follows ${tornIn}, whose tail is torn: it holds nothing acknowledged and is discarded when the store is next opened`);
        this.progress(file);
        continue;
      }
      const bytes = await this.read(file, 'wal');
      if (!bytes) {
        this.progress(file);
        continue;
      }
      const decoded = this.attempt(file, 'wal', () => decodeWal(bytes, file));
      if (decoded) {
        if (decoded.fileNumber !== null && decoded.fileNumber !== n) {
          this.damage(file, 'wal', `its header says it is log file ${decoded.fileNumber}: it was renamed or copied over`, { code: 'CORRUPTED', offset: 8 });
        }
        if (decoded.tornTail) {
          tornIn = file;
          this.notice(file, 'wal', `torn tail at byte ${decoded.validLength} (an interrupted write, never acknowledged): truncated when the store is next opened`);
        }
        decoded.records.forEach((payload, index) => {
          const op = this.attempt(file, 'wal', () => decodeOp(payload, file));
          if (!op) return;
          this.walRecords++;
          const where = `log record ${index} (sequence ${op.lsn})`;
          if (op.lsn <= lastLsn) this.damage(file, 'wal', `${where} is not after ${lastLsn}: the log is out of order`, { code: 'CORRUPTED' });
          lastLsn = Math.max(lastLsn, op.lsn);
          if (op.type === 'create') {
            live.set(op.collection.name, { id: op.collection.id, dimension: op.collection.dimension });
            return;
          }
          const target = live.get(op.name);
          if (!target || target.id !== op.id) {
            this.damage(file, 'wal', `${where} names collection "${op.name}" (#${op.id}), which does not exist at that point`, { code: 'CORRUPTED' });
            return;
          }
          if (op.type === 'drop') live.delete(op.name);
          if (op.type === 'upsert' && op.dimension !== target.dimension) {
            this.damage(file, 'wal', `${where} writes ${op.dimension}-dimensional vectors into "${op.name}", which has ${target.dimension}`, { code: 'CORRUPTED' });
          }
        });
      }
      this.progress(file);
    }
  }

  private engineFor(definition: CollectionDefinition): CollectionEngine {
    return new CollectionEngine(definition, { backend: runtime().kernels('auto'), segmentBytesMax: SEGMENT_BYTES_MAX_DEFAULT, nextSegmentId: () => 0 });
  }

  /** The file's bytes, null when it does not exist, undefined when reading failed (recorded as damage). */
  private async read(file: string, kind: VerifiedFile['kind'], collection?: string): Promise<Uint8Array | null | undefined> {
    try {
      const bytes = await this.adapter.readFile(file);
      if (bytes) this.entry(file, kind).bytes = bytes.length;
      return bytes;
    } catch (error) {
      this.damage(file, kind, `cannot be read: ${messageOf(error)}`, { ...codeOf(error), collection });
      return undefined;
    }
  }

  /** Runs a decoder; a QuiverError it throws is damage on `file` (or UNSUPPORTED: a newer format). */
  private attempt<T>(file: string, kind: VerifiedFile['kind'], decode: () => T, collection?: string): T | null {
    try {
      return decode();
    } catch (error) {
      if (!isQuiverError(error)) throw error;
      const offset = typeof error.details.offset === 'number' ? error.details.offset : undefined;
      this.damage(file, kind, error.message, { code: error.code, offset, collection });
      return null;
    }
  }

  private entry(file: string, kind: VerifiedFile['kind']): VerifiedFile {
    let entry = this.files.get(file);
    if (!entry) {
      entry = { file, kind, bytes: 0, status: 'ok' };
      this.files.set(file, entry);
    }
    return entry;
  }

  private damage(file: string, kind: VerifiedFile['kind'], message: string, extra: Partial<VerifyFinding> = {}): void {
    this.entry(file, kind).status = 'damaged';
    this.findings.push({ file, severity: 'damage', message, ...definedOnly(extra) });
  }

  private notice(file: string, kind: VerifiedFile['kind'], message: string): void {
    const entry = this.entry(file, kind);
    if (entry.status === 'ok') entry.status = 'notice';
    this.findings.push({ file, severity: 'notice', message });
  }

  private progress(file: string): void {
    this.filesDone++;
    this.options.onFile?.({ file, bytes: this.files.get(file)?.bytes ?? 0, filesDone: this.filesDone, filesTotal: this.names.length });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): { code?: string } {
  return isQuiverError(error) ? { code: error.code } : {};
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
