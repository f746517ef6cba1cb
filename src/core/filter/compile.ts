/**
 * Filters over a segment's payload indexes: `compile` turns an AST into the bitset of the segment's
 * matching slots (deletions are not applied here: the caller masks them, so a sealed segment's result
 * stays valid while its deletion marks change), and `estimate` predicts how many slots match from the
 * index statistics alone (exact for single conditions, independence assumed between conditions).
 *
 * A field without an index in `payload` (a collection past payloadIndexesMax) is evaluated row by row
 * from `metadata` by the naive evaluator: slower, same answer.
 */
import { Bitset } from '../lib/bitset.js';
import type { FilterNode } from './ast.js';
import { type MetadataObject, matches } from './evaluate.js';
import type { FieldIndex, SegmentPayloadIndex } from './payload-index.js';

/** A segment's side of a filter: its payload indexes and, for unindexed fields, its rows' metadata. */
export interface FilterSource {
  payload: SegmentPayloadIndex;
  metadata: readonly (MetadataObject | undefined)[];
}

/** Share of rows assumed to match a condition on a field without an index. */
const UNINDEXED_SELECTIVITY = 0.5;

/** The slots in [0, size) whose metadata satisfies `node`. */
export function compile(node: FilterNode, source: FilterSource, size: number): Bitset {
  switch (node.kind) {
    case 'all':
      return Bitset.full(size);
    case 'not':
      return compile(node.child, source, size).complement();
    case 'or': {
      const out = new Bitset(size);
      for (const child of node.children) out.or(compile(child, source, size));
      return out;
    }
    case 'and': {
      // most selective first: once the running intersection is empty the rest is skipped
      const ordered = node.children.map((child) => ({ child, estimate: estimate(child, source.payload, size) })).sort((a, b) => a.estimate - b.estimate);
      const out = compile(ordered[0].child, source, size);
      for (let i = 1; i < ordered.length && !out.isEmpty(); i++) out.and(compile(ordered[i].child, source, size));
      return out;
    }
    default: {
      const index = source.payload.fields.get(node.field);
      if (index !== undefined) return compileLeaf(node, index, size);
      const out = new Bitset(size);
      for (let slot = 0; slot < size; slot++) if (matches(node, source.metadata[slot])) out.add(slot);
      return out;
    }
  }
}

function compileLeaf(node: Exclude<FilterNode, { kind: 'all' | 'and' | 'or' | 'not' }>, index: FieldIndex, size: number): Bitset {
  const out = new Bitset(size);
  switch (node.kind) {
    case 'exists':
      index.present.orInto(out);
      return out;
    case 'eq':
      addValue(index, node.value, out, size);
      return out;
    case 'in':
      for (const value of node.values) addValue(index, value, out, size);
      return out;
    case 'range': {
      const { op, value } = node;
      if (op === 'gt' || op === 'gte') index.numbers.range(value, op === 'gte', Infinity, true, out);
      else index.numbers.range(-Infinity, true, value, op === 'lte', out);
      return out;
    }
    case 'prefix':
      for (const value of index.stringsWithPrefix(node.value)) index.strings.get(value)!.orInto(out);
      return out;
  }
}

/** out |= slots whose field holds `value` (null: also the slots without the field). */
function addValue(index: FieldIndex, value: string | number | boolean | null, out: Bitset, size: number): void {
  if (typeof value === 'number') {
    index.numbers.range(value, true, value, true, out);
    return;
  }
  index.keyword(value)?.orInto(out);
  if (value === null) {
    const absent = new Bitset(size);
    index.present.orInto(absent);
    out.or(absent.complement());
  }
}

/** Expected matching slots among `size`, from index statistics (no bitset is built). */
export function estimate(node: FilterNode, payload: SegmentPayloadIndex, size: number): number {
  if (size === 0) return 0;
  switch (node.kind) {
    case 'all':
      return size;
    case 'not':
      return size - estimate(node.child, payload, size);
    case 'and': {
      let fraction = 1;
      for (const child of node.children) fraction *= estimate(child, payload, size) / size;
      return fraction * size;
    }
    case 'or': {
      let miss = 1;
      for (const child of node.children) miss *= 1 - estimate(child, payload, size) / size;
      return (1 - miss) * size;
    }
    default: {
      const index = payload.fields.get(node.field);
      return index === undefined ? size * UNINDEXED_SELECTIVITY : Math.min(size, leafCount(node, index, size));
    }
  }
}

function leafCount(node: Exclude<FilterNode, { kind: 'all' | 'and' | 'or' | 'not' }>, index: FieldIndex, size: number): number {
  switch (node.kind) {
    case 'exists':
      return index.present.count;
    case 'eq':
      return valueCount(index, node.value, size);
    case 'in':
      return node.values.reduce<number>((n, v) => n + valueCount(index, v, size), 0);
    case 'range': {
      const { op, value } = node;
      return op === 'gt' || op === 'gte' ? index.numbers.countRange(value, op === 'gte', Infinity, true) : index.numbers.countRange(-Infinity, true, value, op === 'lte');
    }
    case 'prefix':
      return index.stringsWithPrefix(node.value).reduce<number>((n, v) => n + index.strings.get(v)!.count, 0);
  }
}

function valueCount(index: FieldIndex, value: string | number | boolean | null, size: number): number {
  if (typeof value === 'number') return index.numbers.countRange(value, true, value, true);
  const held = index.keyword(value)?.count ?? 0;
  return value === null ? held + size - index.present.count : held;
}
