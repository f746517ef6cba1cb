/**
 * JSON Lines: one JSON object per line (blank lines are skipped). Read from a byte offset in 1 MiB
 * chunks, split on '\n' bytes, so every row knows the exact byte where the next line starts.
 */
import { createReadStream } from 'node:fs';
import { type Position, type SourceRow, TextSource, badRow } from './source.js';

/** A line longer than this is not a record anyone meant (and would hold the whole file in memory). */
const LINE_BYTES_MAX = 256 * 1024 * 1024;
const NEWLINE = 0x0a;

export class JsonlSource extends TextSource {
  readonly format = 'jsonl';

  async *rows(from: Position): AsyncGenerator<SourceRow[]> {
    let row = from.row;
    for await (const chunk of nonBlankLines(this.path, from)) {
      const out: SourceRow[] = [];
      for (const { content, line, byte } of chunk) {
        const where = `line ${line}`;
        if (line === 1 && content.startsWith('[')) {
          throw badRow(this.path, where, "starts a JSON array; quiver reads JSON Lines, one object per line (convert with `jq -c '.[]' FILE`).");
        }
        let fields: unknown;
        try {
          fields = JSON.parse(content);
        } catch (error) {
          throw badRow(this.path, where, `not valid JSON (${(error as Error).message}).`);
        }
        if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw badRow(this.path, where, 'each line must be a JSON object such as {"key": "a", "vector": [0.1, 0.2]}.');
        row++;
        out.push({ fields: fields as Record<string, unknown>, next: { row, byte, line }, where });
      }
      if (out.length > 0) yield out;
    }
  }
}

/**
 * The non-blank lines from `from` on, trimmed (a byte-order mark on the first line removed), each with
 * its 1-based line number and the byte just after it: what the line-oriented formats read rows from.
 */
export async function* nonBlankLines(path: string, from: Position): AsyncGenerator<{ content: string; line: number; byte: number }[]> {
  let { byte, line } = from;
  for await (const chunk of lines(path, from.byte)) {
    const out: { content: string; line: number; byte: number }[] = [];
    for (const text of chunk) {
      line++;
      byte += text.bytes;
      const content = (line === 1 ? text.value.replace(/^\uFEFF/, '') : text.value).trim();
      if (content !== '') out.push({ content, line, byte });
    }
    if (out.length > 0) yield out;
  }
}

/** The file's lines from byte `start` on, a chunk's worth at a time, each with the bytes it spans (newline included). */
export async function* lines(path: string, start: number): AsyncGenerator<{ value: string; bytes: number }[]> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const out: { value: string; bytes: number }[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE, from); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      const piece = chunk.subarray(from, nl + 1);
      const bytes = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      out.push({ value: decoder.decode(bytes), bytes: bytes.length });
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
      if (pendingBytes > LINE_BYTES_MAX) throw badRow(path, 'a line', `is longer than ${LINE_BYTES_MAX} bytes; is this really a line-oriented file?`);
    }
    if (out.length > 0) yield out;
  }
  if (pending.length > 0) {
    const bytes = Buffer.concat(pending);
    yield [{ value: decoder.decode(bytes), bytes: bytes.length }];
  }
}
