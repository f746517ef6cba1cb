/**
 * Cuts long documents into chunks that fit an embedding model, with overlap, and remembers where each
 * chunk came from. Pure: no I/O, deterministic, runs in browsers.
 *
 * Text is first split into units that together are the whole text, character for character:
 * - tokens: words as Unicode segments them (Intl.Segmenter), each with the spaces and punctuation that
 *   follow it, so that every character belongs to exactly one unit;
 * - sentences: Intl.Segmenter's sentences; one longer than `size` tokens is cut into pieces of `size`.
 * Chunks are runs of consecutive units with [start, end) offsets into the parent (UTF-16, as JS strings
 * index), so `text.slice(start, end) === chunk.text` and the union of the chunks is the whole text.
 *
 * - by 'tokens': every chunk has `size` tokens (the last may have fewer) and shares exactly `overlap`
 *   tokens with the one before.
 * - by 'sentences': whole sentences are packed while the chunk stays within `size` tokens; the next chunk
 *   repeats the last `overlap` sentences of the previous one, fewer when they would not leave room for
 *   one new sentence.
 * Tokens here are words, not a model's subword tokens: a 512-token model takes ~350 of them.
 */
import { QuiverError } from '../core/errors.js';

export interface ChunkOptions {
  by: 'tokens' | 'sentences';
  /** Tokens (words) per chunk at most. */
  size: number;
  /** Shared with the previous chunk: tokens for by 'tokens', sentences for by 'sentences'. */
  overlap?: number;
  /** BCP 47 locale for sentence and word boundaries (default 'en'). */
  locale?: string;
}

export interface Chunk {
  /** Position among its parent's chunks, from 0. */
  index: number;
  /** UTF-16 offsets into the parent text: text === parent.slice(start, end). */
  start: number;
  end: number;
  text: string;
  /** Tokens (words) in the chunk. */
  tokens: number;
}

interface Unit {
  start: number;
  end: number;
  tokens: number;
}

function checkOptions(options: ChunkOptions): Required<ChunkOptions> {
  const { by, size, overlap = 0, locale = 'en' } = options ?? ({} as ChunkOptions);
  if (by !== 'tokens' && by !== 'sentences') throw new QuiverError('INVALID_ARGUMENT', "Chunking: by must be 'tokens' or 'sentences'.", { received: by });
  if (!Number.isInteger(size) || size < 1) throw new QuiverError('INVALID_ARGUMENT', 'Chunking: size must be a positive integer (tokens per chunk).', { received: size });
  if (!Number.isInteger(overlap) || overlap < 0 || (by === 'tokens' && overlap >= size)) {
    throw new QuiverError('INVALID_ARGUMENT', `Chunking: overlap must be an integer from 0${by === 'tokens' ? ` to size - 1 (${size - 1})` : ''}.`, { received: overlap, size });
  }
  return { by, size, overlap, locale };
}

/** Word units: each word with the non-word text after it; text before the first word joins the first unit. */
function tokenUnits(text: string, start: number, end: number, locale: string): Unit[] {
  const units: Unit[] = [];
  let unitStart = start;
  let words = 0;
  for (const segment of new Intl.Segmenter(locale, { granularity: 'word' }).segment(text.slice(start, end))) {
    if (!segment.isWordLike) continue;
    const at = start + segment.index;
    if (words > 0) units.push({ start: unitStart, end: at, tokens: 1 });
    if (words > 0) unitStart = at;
    words++;
  }
  if (words > 0) units.push({ start: unitStart, end, tokens: 1 });
  else if (end > start) units.push({ start, end, tokens: 0 });
  return units;
}

function sentenceUnits(text: string, size: number, locale: string): Unit[] {
  const units: Unit[] = [];
  for (const segment of new Intl.Segmenter(locale, { granularity: 'sentence' }).segment(text)) {
    const start = segment.index;
    const end = start + segment.segment.length;
    const words = tokenUnits(text, start, end, locale);
    const tokens = words.reduce((n, w) => n + w.tokens, 0);
    if (tokens <= size) {
      units.push({ start, end, tokens });
      continue;
    }
    for (let i = 0; i < words.length; i += size) {
      const piece = words.slice(i, i + size);
      units.push({ start: piece[0].start, end: piece[piece.length - 1].end, tokens: piece.reduce((n, w) => n + w.tokens, 0) });
    }
  }
  return units;
}

/** [first, last) unit ranges of the chunks. */
function windowsByTokens(units: Unit[], size: number, overlap: number): [number, number][] {
  const out: [number, number][] = [];
  for (let first = 0; ; first += size - overlap) {
    const last = Math.min(first + size, units.length);
    out.push([first, last]);
    if (last === units.length) return out;
  }
}

function windowsBySentences(units: Unit[], size: number, overlap: number): [number, number][] {
  const out: [number, number][] = [];
  let first = 0;
  while (true) {
    let tokens = units[first].tokens;
    let last = first + 1;
    while (last < units.length && tokens + units[last].tokens <= size) tokens += units[last++].tokens;
    out.push([first, last]);
    if (last === units.length) return out;
    // Repeat as many of the last `overlap` sentences as leave room for the next new one.
    let shared = Math.min(overlap, last - first - 1);
    const room = (k: number): number => units.slice(last - k, last + 1).reduce((n, u) => n + u.tokens, 0);
    while (shared > 0 && room(shared) > size) shared--;
    first = last - shared;
  }
}

/** The units (words or sentences, as above) that chunks of `text` are made of: together, the whole text. */
export function chunkUnits(text: string, options: ChunkOptions): { start: number; end: number; tokens: number }[] {
  const { by, size, locale } = checkOptions(options);
  return by === 'tokens' ? tokenUnits(text, 0, text.length, locale) : sentenceUnits(text, size, locale);
}

/** Splits `text` into chunks; an empty text has no chunks. */
export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  if (typeof text !== 'string') throw new QuiverError('INVALID_ARGUMENT', 'Chunking takes a string.', { received: typeof text });
  const { by, size, overlap } = checkOptions(options);
  if (text.length === 0) return [];
  const units = chunkUnits(text, options);
  const windows = by === 'tokens' ? windowsByTokens(units, size, overlap) : windowsBySentences(units, size, overlap);
  return windows.map(([first, last], index) => {
    const start = units[first].start;
    const end = units[last - 1].end;
    let tokens = 0;
    for (let i = first; i < last; i++) tokens += units[i].tokens;
    return { index, start, end, text: text.slice(start, end), tokens };
  });
}

/** A chunk as a record of its own: keyed `<parent>#<index>`, pointing back at its parent. */
export interface ChunkRecord extends Chunk {
  key: string;
  parentKey: string;
}

const SEPARATOR = '#';

export function chunkKey(parentKey: string, index: number): string {
  return `${parentKey}${SEPARATOR}${index}`;
}

/** The parent key and chunk index of a chunk key, or null when `key` is not one. */
export function parseChunkKey(key: string): { parentKey: string; index: number } | null {
  const at = key.lastIndexOf(SEPARATOR);
  if (at <= 0) return null;
  const digits = key.slice(at + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return null;
  return { parentKey: key.slice(0, at), index: Number(digits) };
}

/** Chunks many documents; each chunk knows its parent's key and its offsets in the parent's text. */
export function chunkDocuments(documents: readonly { key: string; document: string }[], options: ChunkOptions): ChunkRecord[] {
  return documents.flatMap(({ key, document }) =>
    chunkText(document, options).map((chunk) => ({ ...chunk, key: chunkKey(key, chunk.index), parentKey: key })),
  );
}
