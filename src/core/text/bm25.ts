/**
 * BM25 over documents: one inverted index per segment (term -> ascending slots with term frequencies,
 * plus each slot's document length), scored with collection-wide statistics so a record's score does
 * not depend on which segment holds it:
 *
 *   score(D, Q) = sum over query terms t of qtf(t) * idf(t) * tf(t, D) * (k1 + 1) / (tf(t, D) + k1 * (1 - b + b * |D| / avgdl))
 *   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))            (Lucene's, never negative)
 *
 * N counts the live records whose document has at least one term, avgdl their mean length in terms,
 * df(t) the live records containing t; qtf(t) is how often t occurs in the query. Deleted rows stay in
 * the postings until compaction but count nowhere: the live totals are kept as rows are deleted, and df
 * is counted over live postings when a query runs. k1 = 1.2, b = 0.75.
 */
import type { Analyzer } from './analyzer.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export class TermPostings {
  slots: Uint32Array;
  tfs: Uint32Array;
  length = 0;

  constructor(capacity = 2) {
    this.slots = new Uint32Array(capacity);
    this.tfs = new Uint32Array(capacity);
  }

  static of(slots: Uint32Array, tfs: Uint32Array): TermPostings {
    const p = new TermPostings(0);
    p.slots = slots;
    p.tfs = tfs;
    p.length = slots.length;
    return p;
  }

  push(slot: number, tf: number): void {
    if (this.length === this.slots.length) {
      const capacity = Math.max(2, this.slots.length * 2);
      const slots = new Uint32Array(capacity);
      const tfs = new Uint32Array(capacity);
      slots.set(this.slots);
      tfs.set(this.tfs);
      this.slots = slots;
      this.tfs = tfs;
    }
    this.slots[this.length] = slot;
    this.tfs[this.length++] = tf;
  }
}

export class TextIndex {
  readonly analyzer: Analyzer;
  readonly postings = new Map<string, TermPostings>();
  /** Terms in each slot's document (0: no document, or no terms in it). */
  lengths: Uint32Array = new Uint32Array(16);
  /** Slots indexed: [0, rows). */
  rows = 0;
  /** Live documents with at least one term, and their total length (BM25's N and avgdl). */
  liveDocuments = 0;
  liveLength = 0;
  /** Scores of the query in progress, by slot (reused; see score()). */
  private scratch: Float64Array = new Float64Array(0);

  constructor(analyzer: Analyzer) {
    this.analyzer = analyzer;
  }

  /** Indexes the next slot's document (undefined: the record has none). */
  add(slot: number, document: string | undefined): void {
    if (slot >= this.lengths.length) {
      const grown = new Uint32Array(Math.max(slot + 1, this.lengths.length * 2));
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.rows = slot + 1;
    if (document === undefined) return;
    const terms = this.analyzer.terms(document);
    if (terms.length === 0) return;
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let p = this.postings.get(term);
      if (p === undefined) {
        p = new TermPostings();
        this.postings.set(term, p);
      }
      p.push(slot, tf);
    }
    this.lengths[slot] = terms.length;
    this.liveDocuments++;
    this.liveLength += terms.length;
  }

  /** A row was deleted: it leaves N and avgdl (its postings are skipped by the deletion marks). */
  remove(slot: number): void {
    const length = this.lengths[slot];
    if (slot >= this.rows || length === 0) return;
    this.liveDocuments--;
    this.liveLength -= length;
  }

  /** Live rows containing `term`. */
  documentFrequency(term: string, deleted: Uint8Array): number {
    const p = this.postings.get(term);
    if (p === undefined) return 0;
    let n = 0;
    for (let i = 0; i < p.length; i++) if (deleted[p.slots[i]] === 0) n++;
    return n;
  }

  /**
   * Scores the live rows holding at least one query term (and allowed by `allowed`, when given) and
   * calls `emit(slot, score)` for each, in ascending slot order of first appearance per term.
   */
  score(query: QueryTerms, stats: CorpusStats, deleted: Uint8Array, allowed: ((slot: number) => boolean) | null, emit: (slot: number, score: number) => void): void {
    if (this.scratch.length < this.rows) this.scratch = new Float64Array(Math.max(this.rows, this.scratch.length * 2));
    const scores = this.scratch;
    const touched: number[] = [];
    const avgdl = stats.documents > 0 ? stats.length / stats.documents : 1;
    for (const [term, qtf] of query.counts) {
      const p = this.postings.get(term);
      const df = stats.df.get(term) ?? 0;
      if (p === undefined || df === 0) continue;
      const idf = Math.log(1 + (stats.documents - df + 0.5) / (df + 0.5));
      const weight = qtf * idf;
      for (let i = 0; i < p.length; i++) {
        const slot = p.slots[i];
        if (deleted[slot] !== 0 || (allowed !== null && !allowed(slot))) continue;
        const tf = p.tfs[i];
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * this.lengths[slot]) / avgdl);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] += (weight * tf * (BM25_K1 + 1)) / (tf + norm);
      }
    }
    for (const slot of touched) {
      emit(slot, scores[slot]);
      scores[slot] = 0;
    }
  }

  get bytes(): number {
    let total = this.lengths.byteLength;
    for (const [term, p] of this.postings) total += p.slots.byteLength + p.tfs.byteLength + term.length * 2 + 48;
    return total;
  }
}

/** A query's distinct terms with their counts. */
export interface QueryTerms {
  counts: Map<string, number>;
}

export function queryTerms(analyzer: Analyzer, text: string): QueryTerms {
  const counts = new Map<string, number>();
  for (const term of analyzer.terms(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
  return { counts };
}

/** Collection-wide BM25 statistics for one query, summed over the segments. */
export interface CorpusStats {
  documents: number;
  length: number;
  df: Map<string, number>;
}

export function corpusStats(segments: readonly { text: TextIndex; marks: Uint8Array }[], query: QueryTerms): CorpusStats {
  const stats: CorpusStats = { documents: 0, length: 0, df: new Map() };
  for (const s of segments) {
    stats.documents += s.text.liveDocuments;
    stats.length += s.text.liveLength;
    for (const term of query.counts.keys()) stats.df.set(term, (stats.df.get(term) ?? 0) + s.text.documentFrequency(term, s.marks));
  }
  return stats;
}
