/**
 * A keys file for vector-only inputs (.npy, .fvecs): one key per line, in row order, either plain text
 * or a JSON string (what `quiver export --format npy|fvecs` writes next to its output, FILE.keys.jsonl).
 */
import { lines } from './jsonl.js';
import { assertInputFile, badRow } from './source.js';

export class KeysFile {
  private readonly iterator: AsyncGenerator<string[]>;
  private buffered: string[] = [];
  private at = 0;
  private line = 0;

  /** Keys from row `skipRows` on (a resumed import). */
  constructor(
    readonly path: string,
    private skipRows: number,
  ) {
    assertInputFile(path);
    this.iterator = this.keys();
  }

  /** The key of the next row. */
  async next(): Promise<string> {
    while (this.at === this.buffered.length) {
      const { value, done } = await this.iterator.next();
      if (done) throw badRow(this.path, `line ${this.line + 1}`, 'the keys file has fewer keys than the input has rows.');
      this.buffered = value;
      this.at = 0;
    }
    return this.buffered[this.at++];
  }

  private async *keys(): AsyncGenerator<string[]> {
    for await (const chunk of lines(this.path, 0)) {
      const out: string[] = [];
      for (const { value } of chunk) {
        this.line++;
        const text = value.replace(/\r?\n$/, '');
        if (text.trim() === '') continue;
        if (this.skipRows > 0) {
          this.skipRows--;
          continue;
        }
        out.push(text.startsWith('"') ? parseKey(text, this.path, this.line) : text);
      }
      if (out.length > 0) yield out;
    }
  }
}

function parseKey(text: string, path: string, line: number): string {
  try {
    const key = JSON.parse(text) as unknown;
    if (typeof key === 'string') return key;
  } catch {
    // reported below
  }
  throw badRow(path, `line ${line}`, 'starts with a quote but is not a JSON string.');
}
