/**
 * The naive evaluator: a filter AST against one record's metadata, directly by the definitions of
 * docs/filters.md. It is the specification the payload-index compiler is property-tested against, and
 * what answers for rows when no index is at hand (a single record, tests).
 */
import type { FilterNode, Scalar } from './ast.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type MetadataObject = { [key: string]: Json };

/** The values a field path selects in `metadata`, and whether the path exists at all. */
export interface FieldValues {
  present: boolean;
  /** Scalars and, for arrays at the end of the path, their elements (nested arrays/objects too). */
  values: Json[];
}

/**
 * Walks a dotted path: objects by key; an array met on the way applies the rest of the path to each of
 * its object elements; the value at the end contributes itself, or each element when it is an array.
 */
export function fieldValues(metadata: MetadataObject | undefined, segments: readonly string[]): FieldValues {
  const out: FieldValues = { present: false, values: [] };
  if (metadata !== undefined) walk(metadata, segments, 0, out);
  return out;
}

function walk(value: Json, segments: readonly string[], at: number, out: FieldValues): void {
  if (at === segments.length) {
    out.present = true;
    if (Array.isArray(value)) for (const element of value) out.values.push(element);
    else out.values.push(value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const element of value) if (element !== null && typeof element === 'object' && !Array.isArray(element)) walk(element, segments, at, out);
    return;
  }
  if (Object.prototype.hasOwnProperty.call(value, segments[at])) walk(value[segments[at]], segments, at + 1, out);
}

export function splitPath(field: string): string[] {
  return field.split('.');
}

/** Does the record's metadata satisfy the filter? */
export function matches(node: FilterNode, metadata: MetadataObject | undefined): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((child) => matches(child, metadata));
    case 'or':
      return node.children.some((child) => matches(child, metadata));
    case 'not':
      return !matches(node.child, metadata);
    case 'exists':
      return fieldValues(metadata, splitPath(node.field)).present;
    case 'eq': {
      const { present, values } = fieldValues(metadata, splitPath(node.field));
      return (node.value === null && !present) || values.some((v) => v === node.value);
    }
    case 'in': {
      const { present, values } = fieldValues(metadata, splitPath(node.field));
      if (!present && node.values.includes(null)) return true;
      return values.some((v) => isScalar(v) && node.values.includes(v));
    }
    case 'range': {
      const { values } = fieldValues(metadata, splitPath(node.field));
      const bound = node.value;
      return values.some((v) => typeof v === 'number' && compare(node.op, v, bound));
    }
    case 'prefix': {
      const { values } = fieldValues(metadata, splitPath(node.field));
      return values.some((v) => typeof v === 'string' && v.startsWith(node.value));
    }
  }
}

function isScalar(value: Json): value is Scalar {
  return value === null || typeof value !== 'object';
}

function compare(op: 'gt' | 'gte' | 'lt' | 'lte', v: number, bound: number): boolean {
  switch (op) {
    case 'gt':
      return v > bound;
    case 'gte':
      return v >= bound;
    case 'lt':
      return v < bound;
    case 'lte':
      return v <= bound;
  }
}
