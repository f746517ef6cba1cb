/**
 * The listing format of paper pages (Quiver Papers, docs/papers.md): a title line, then an abstract
 * line, blank lines ignored. Each pair is one row { title, abstract }, positioned after its abstract
 * line, so a resumed import starts at the next title.
 */
import { nonBlankLines } from './jsonl.js';
import { type Position, type SourceRow, TextSource, badRow } from './source.js';

export class ListingSource extends TextSource {
  readonly format = 'listing';

  async *rows(from: Position): AsyncGenerator<SourceRow[]> {
    let row = from.row;
    let title: { text: string; line: number } | null = null;
    for await (const chunk of nonBlankLines(this.path, from)) {
      const out: SourceRow[] = [];
      for (const { content, line, byte } of chunk) {
        if (title === null) {
          title = { text: content, line };
          continue;
        }
        row++;
        out.push({ fields: { title: title.text, abstract: content }, next: { row, byte, line }, where: `lines ${title.line}-${line}` });
        title = null;
      }
      if (out.length > 0) yield out;
    }
    if (title !== null) throw badRow(this.path, `line ${title.line}`, `the title "${title.text.slice(0, 80)}" has no abstract line after it (a listing alternates title and abstract lines).`);
  }
}
