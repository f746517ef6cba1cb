/** Number and error formatting shared by the pages. */
import { isQuiverError } from 'quiverdb/client';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  return n >= 10 ? `${Math.round(n).toLocaleString('en-US')} B` : `${n.toFixed(1)} B`;
}

export function formatNumber(n: number, digits = 3): string {
  if (Number.isInteger(n)) return String(n === 0 ? 0 : n);
  const text = n.toFixed(digits);
  return /^-0\.0*$/.test(text) ? text.slice(1) : text; // no "-0.0000" for a score of -0.00001
}

/** A QuiverError as "CODE: message"; anything else as its message. */
export function describeError(error: unknown): string {
  if (isQuiverError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
