/**
 * Text -> terms, the same way for documents and queries:
 *   1. Unicode NFKC normalisation (full-width letters, ligatures and compatibility forms fold to their
 *      plain equivalents) and lower-casing;
 *   2. tokens: runs of letters, digits and combining marks (any script), with apostrophes inside words
 *      kept ("don't"); Han, Hiragana and Katakana characters are one token each, as in Unicode's word
 *      segmentation for scripts written without spaces; tokens longer than TOKEN_LENGTH_MAX are dropped;
 *   3. optional stop words (dropped), then optional English stemming (Porter; possessive 's removed,
 *      ASCII words only).
 * The options are fixed per collection (`text` at creation), since an index built one way cannot
 * answer queries analysed another way; `signature` names them in the text index section.
 */
import { porterStem } from './porter.js';
import { ENGLISH_STOP_WORDS } from './stop-words.js';

export interface TextOptions {
  /** 'english': Porter stemming of ASCII words. Default 'none'. */
  stemming: 'english' | 'none';
  /** 'english': Lucene's English stop set; or your own list; default 'none' (BM25's IDF already discounts common words). */
  stopWords: 'english' | 'none' | string[];
}

export const DEFAULT_TEXT_OPTIONS: TextOptions = { stemming: 'none', stopWords: 'none' };

export const TOKEN_LENGTH_MAX = 64;

const IDEOGRAPHIC = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
const TOKEN = new RegExp(`[${IDEOGRAPHIC}]|(?:(?![${IDEOGRAPHIC}])[\\p{L}\\p{N}\\p{M}])+(?:'(?:(?![${IDEOGRAPHIC}])[\\p{L}\\p{N}\\p{M}])+)*`, 'gu');
const APOSTROPHES = /[\u2019\u02bc\uff07]/g;
const ASCII_WORD = /^[a-z]+$/;

export class Analyzer {
  readonly options: TextOptions;
  readonly signature: string;
  private readonly stopWords: ReadonlySet<string>;
  private readonly stem: boolean;
  /** Stems of recent words: a corpus repeats its vocabulary, so most stems are looked up, not computed. */
  private readonly stemCache = new Map<string, string>();

  constructor(options: TextOptions = DEFAULT_TEXT_OPTIONS) {
    this.options = options;
    const list = options.stopWords === 'english' ? ENGLISH_STOP_WORDS : options.stopWords === 'none' ? [] : options.stopWords.map((w) => normalise(w));
    this.stopWords = new Set(list);
    this.stem = options.stemming === 'english';
    this.signature = JSON.stringify({ v: 1, stemming: options.stemming, stopWords: options.stopWords });
  }

  /** The terms of `text`, in order (repeats kept: term frequencies count them). */
  terms(text: string): string[] {
    const out: string[] = [];
    for (const match of normalise(text).matchAll(TOKEN)) {
      let token = match[0];
      if (token.length > TOKEN_LENGTH_MAX) continue;
      if (this.stopWords.has(token)) continue;
      if (this.stem) {
        token = this.stemmed(token);
        if (token.length === 0 || this.stopWords.has(token)) continue;
      }
      out.push(token);
    }
    return out;
  }

  private stemmed(token: string): string {
    let stem = this.stemCache.get(token);
    if (stem !== undefined) return stem;
    let word = token.endsWith("'s") ? token.slice(0, -2) : token;
    word = word.replace(/'/g, '');
    stem = ASCII_WORD.test(word) ? porterStem(word) : word;
    if (this.stemCache.size >= 65_536) this.stemCache.clear();
    this.stemCache.set(token, stem);
    return stem;
  }
}

function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'");
}
