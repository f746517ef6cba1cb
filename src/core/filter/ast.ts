/**
 * The filter AST: what parse.ts turns a Mongo-style filter into. Negations are explicit nodes ($ne is
 * not(eq), $nin not(in), $nor not(or), $exists: false not(exists)), so the evaluator, the compiler and
 * the estimator each handle a handful of node kinds with one meaning each.
 *
 * Leaf semantics (docs/filters.md): a field path selects values (dotted paths descend into objects and
 * through arrays of objects; an array at the end contributes its elements); a leaf matches when ANY
 * selected value satisfies it. `eq null` also matches when the field is absent, as in MongoDB.
 */
export type Scalar = string | number | boolean | null;

export type PayloadType = 'keyword' | 'number' | 'boolean';

export type FilterNode =
  | { kind: 'all' }
  | { kind: 'and'; children: FilterNode[] }
  | { kind: 'or'; children: FilterNode[] }
  | { kind: 'not'; child: FilterNode }
  | { kind: 'eq'; field: string; value: Scalar }
  | { kind: 'in'; field: string; values: Scalar[] }
  | { kind: 'range'; field: string; op: RangeOp; value: number }
  | { kind: 'exists'; field: string }
  | { kind: 'prefix'; field: string; value: string };

export type RangeOp = 'gt' | 'gte' | 'lt' | 'lte';

/** The fields (dotted paths) a filter reads: the payload indexes it needs. */
export function filterFields(node: FilterNode, out = new Set<string>()): Set<string> {
  switch (node.kind) {
    case 'all':
      break;
    case 'and':
    case 'or':
      for (const child of node.children) filterFields(child, out);
      break;
    case 'not':
      filterFields(node.child, out);
      break;
    default:
      out.add(node.field);
  }
  return out;
}

/** A stable text form of the AST: equal filters give equal keys (the compiled-bitset cache's key). */
export function filterKey(node: FilterNode): string {
  switch (node.kind) {
    case 'all':
      return '*';
    case 'and':
    case 'or':
      return `${node.kind}(${node.children.map(filterKey).join(',')})`;
    case 'not':
      return `not(${filterKey(node.child)})`;
    case 'eq':
      return `eq(${JSON.stringify(node.field)},${scalarKey(node.value)})`;
    case 'in':
      return `in(${JSON.stringify(node.field)},${node.values.map(scalarKey).join(',')})`;
    case 'range':
      return `${node.op}(${JSON.stringify(node.field)},${node.value})`;
    case 'exists':
      return `exists(${JSON.stringify(node.field)})`;
    case 'prefix':
      return `prefix(${JSON.stringify(node.field)},${JSON.stringify(node.value)})`;
  }
}

function scalarKey(value: Scalar): string {
  return typeof value === 'number' ? `n${value}` : JSON.stringify(value);
}
