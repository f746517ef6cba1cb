/**
 * Colouring map points by a metadata field: categories (strings, booleans, few distinct numbers) get a
 * qualitative palette (Tableau 10, then grey for the rest), many distinct numbers a sequential scale
 * (viridis stops). Missing values are light grey.
 */
import type { Metadata } from 'quiverdb/client';

export const CATEGORICAL = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const OTHER = '#8c8c8c';
const MISSING = '#d0d0d0';
const NEUTRAL = '#4e79a7';
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
/** Numbers with at most this many distinct values are treated as categories. */
const NUMERIC_CATEGORIES_MAX = 12;

export interface Colouring {
  colours: string[];
  legend: { label: string; colour: string }[];
}

/** Top-level metadata fields holding scalar values, most frequent first. */
export function colourableFields(metadata: (Metadata | null)[] | undefined): string[] {
  if (!metadata) return [];
  const counts = new Map<string, number>();
  for (const m of metadata) {
    if (!m) continue;
    for (const [field, value] of Object.entries(m)) {
      if (value === null || typeof value === 'object') continue;
      counts.set(field, (counts.get(field) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([field]) => field);
}

export function colourBy(metadata: (Metadata | null)[] | undefined, count: number, field: string | undefined): Colouring {
  if (!metadata || !field) return { colours: Array(count).fill(NEUTRAL), legend: [] };
  const values = metadata.map((m) => {
    const v = m?.[field];
    return v === null || v === undefined || typeof v === 'object' ? undefined : v;
  });
  const distinct = new Map<string | number | boolean, number>();
  for (const v of values) if (v !== undefined) distinct.set(v, (distinct.get(v) ?? 0) + 1);
  const numeric = [...distinct.keys()].every((v) => typeof v === 'number');
  if (numeric && distinct.size > NUMERIC_CATEGORIES_MAX) {
    const numbers = [...distinct.keys()] as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const at = (v: number) => VIRIDIS[Math.min(VIRIDIS.length - 1, Math.floor(((v - min) / (max - min || 1)) * VIRIDIS.length))];
    return {
      colours: values.map((v) => (typeof v === 'number' ? at(v) : MISSING)),
      legend: [
        { label: String(min), colour: VIRIDIS[0] },
        { label: String(max), colour: VIRIDIS[VIRIDIS.length - 1] },
        ...(values.includes(undefined) ? [{ label: 'missing', colour: MISSING }] : []),
      ],
    };
  }
  const ranked = [...distinct].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const palette = new Map(ranked.slice(0, CATEGORICAL.length).map(([v], i) => [v, CATEGORICAL[i]]));
  const legend = ranked.slice(0, CATEGORICAL.length).map(([v, n]) => ({ label: `${String(v)} (${n})`, colour: palette.get(v)! }));
  if (ranked.length > CATEGORICAL.length) legend.push({ label: `${ranked.length - CATEGORICAL.length} more`, colour: OTHER });
  if (values.includes(undefined)) legend.push({ label: 'missing', colour: MISSING });
  return { colours: values.map((v) => (v === undefined ? MISSING : (palette.get(v) ?? OTHER))), legend };
}
