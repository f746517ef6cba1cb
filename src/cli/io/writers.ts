/**
 * Output files for `quiver export`: JSON Lines ({ key, vector, document?, metadata? } per line, what
 * `quiver import` reads back as it is), .npy (float32, rows x dimension) and .fvecs, the last two with
 * the keys in row order next to them (FILE.keys.jsonl, one JSON string per line; `import --keys-file`).
 * Writes respect backpressure, so a slow disk or pipe holds the scan back instead of filling memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fvecsRow } from './fvecs.js';
import { npyHeader } from './npy.js';
import type { TargetRecord } from '../target.js';

export const EXPORT_FORMATS = ['jsonl', 'npy', 'fvecs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface RecordWriter {
  write(records: TargetRecord[]): Promise<void>;
  /** Finishes the file(s); `rows` is how many records were written. */
  close(rows: number): Promise<void>;
  /** Files written, for the summary. */
  readonly files: string[];
}

export async function openWriter(format: ExportFormat, output: string | null, dimension: number, options: { vectors: boolean }): Promise<RecordWriter> {
  if (format === 'jsonl') return new JsonlWriter(output, options.vectors);
  return format === 'npy' ? NpyWriter.open(output!, dimension) : new FvecsWriter(output!);
}

/** The shortest decimal that reads back as the same float32 (0.1, not 0.10000000149011612). */
export function float32Text(value: number): string {
  for (let precision = 6; precision < 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(Number(value.toPrecision(9)));
}

export function vectorJson(vector: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < vector.length; i++) out += (i > 0 ? ',' : '') + float32Text(vector[i]);
  return `${out}]`;
}

async function writeTo(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function end(stream: WriteStream | Writable): Promise<void> {
  if (stream === process.stdout) {
    await new Promise<void>((resolve) => stream.write('', () => resolve()));
    return;
  }
  stream.end();
  await once(stream, 'finish');
}

class JsonlWriter implements RecordWriter {
  private readonly stream: Writable;
  readonly files: string[];

  constructor(
    output: string | null,
    private readonly vectors: boolean,
  ) {
    this.stream = output === null ? process.stdout : createWriteStream(output);
    this.files = output === null ? [] : [output];
  }

  async write(records: TargetRecord[]): Promise<void> {
    let text = '';
    for (const r of records) {
      text += `{"key":${JSON.stringify(r.key)}`;
      if (this.vectors && r.vectors !== undefined) text += `,"vectors":[${r.vectors.map(vectorJson).join(',')}]`;
      else if (this.vectors) text += `,"vector":${vectorJson(r.vector)}`;
      if (r.document !== undefined) text += `,"document":${JSON.stringify(r.document)}`;
      if (r.metadata !== undefined) text += `,"metadata":${JSON.stringify(r.metadata)}`;
      text += '}\n';
    }
    await writeTo(this.stream, text);
  }

  async close(): Promise<void> {
    await end(this.stream);
  }
}

class KeysWriter {
  private readonly stream: WriteStream;
  readonly path: string;

  constructor(output: string) {
    this.path = `${output}.keys.jsonl`;
    this.stream = createWriteStream(this.path);
  }

  async write(records: TargetRecord[]): Promise<void> {
    await writeTo(this.stream, records.map((r) => JSON.stringify(r.key)).join('\n') + '\n');
  }

  async close(): Promise<void> {
    await end(this.stream);
  }
}

/** The header is written with room to spare and rewritten with the final row count at the end. */
class NpyWriter implements RecordWriter {
  readonly files: string[];

  private constructor(
    private readonly output: string,
    private readonly dimension: number,
    private readonly stream: WriteStream,
    private readonly keys: KeysWriter,
  ) {
    this.files = [output, keys.path];
  }

  static async open(output: string, dimension: number): Promise<NpyWriter> {
    const stream = createWriteStream(output);
    await writeTo(stream, npyHeader(0, dimension));
    return new NpyWriter(output, dimension, stream, new KeysWriter(output));
  }

  async write(records: TargetRecord[]): Promise<void> {
    const rows = new Float32Array(records.length * this.dimension);
    records.forEach((r, i) => rows.set(r.vector, i * this.dimension));
    await writeTo(this.stream, new Uint8Array(rows.buffer));
    await this.keys.write(records);
  }

  async close(rows: number): Promise<void> {
    await end(this.stream);
    await this.keys.close();
    const handle = await open(this.output, 'r+');
    try {
      await handle.write(npyHeader(rows, this.dimension), 0, 128, 0);
    } finally {
      await handle.close();
    }
  }
}

class FvecsWriter implements RecordWriter {
  private readonly stream: WriteStream;
  private readonly keys: KeysWriter;
  readonly files: string[];

  constructor(output: string) {
    this.stream = createWriteStream(output);
    this.keys = new KeysWriter(output);
    this.files = [output, this.keys.path];
  }

  async write(records: TargetRecord[]): Promise<void> {
    await writeTo(this.stream, Buffer.concat(records.map((r) => fvecsRow(r.vector))));
    await this.keys.write(records);
  }

  async close(): Promise<void> {
    await end(this.stream);
    await this.keys.close();
  }
}
