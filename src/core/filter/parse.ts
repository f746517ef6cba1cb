/**
 * The filter language of api.md, parsed and validated into the AST (ast.ts). Every problem is a
 * QuiverError INVALID_FILTER whose message starts with the path of the offending part —
 * `filter.year.$gte: expected number, got "2024"` — and says what to write instead; the limits
 * (depth, conditions, $in values) are LIMIT_EXCEEDED naming the limit. Nothing here reads records.
 */
import { QuiverError } from '../errors.js';
import { LIMITS } from '../lib/limits.js';
import type { FilterNode, PayloadType, RangeOp, Scalar } from './ast.js';

export interface FilterSchema {
  /** Fields declared with payloadIndexes at creation: their operands must have the declared type. */
  declared?: Readonly<Record<string, PayloadType>>;
}

const LOGICAL = ['$and', '$or', '$nor'];
const FIELD_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$prefix', '$not'];
const RANGE_OPS: Record<string, RangeOp> = { $gt: 'gt', $gte: 'gte', $lt: 'lt', $lte: 'lte' };
const TYPE_OF: Record<PayloadType, string> = { keyword: 'string', number: 'number', boolean: 'boolean' };

export function parseFilter(raw: unknown, schema: FilterSchema = {}): FilterNode {
  return new Parser(schema).document(raw, 'filter', 0);
}

class Parser {
  private conditions = 0;
  private values = 0;
  private readonly declared: Readonly<Record<string, PayloadType>>;

  constructor(schema: FilterSchema) {
    this.declared = schema.declared ?? {};
  }

  /** A filter document: field conditions and logical operators, implicitly ANDed. */
  document(raw: unknown, path: string, depth: number): FilterNode {
    if (!isPlainObject(raw)) throw invalid(path, `expected a filter object such as { year: 2024 }, got ${describeValue(raw)}`, 'object', raw);
    if (depth > LIMITS.filterDepthMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `${path}: the filter nests logical operators deeper than ${LIMITS.filterDepthMax} levels. Flatten it (for example one $or with more branches).`, {
        path,
        limit: 'filterDepthMax',
        maximum: LIMITS.filterDepthMax,
      });
    }
    const children: FilterNode[] = [];
    for (const [key, value] of Object.entries(raw)) {
      const at = `${path}.${key}`;
      if (key.startsWith('$')) {
        if (key === '$not') throw invalid(at, `$not applies to a field's operators, as in { year: { $not: { $gt: 2020 } } }; to negate a whole filter use { $nor: [filter] }`);
        if (!LOGICAL.includes(key)) throw invalid(at, `unknown operator ${key}; a filter's top level takes field names and ${LOGICAL.join(', ')}`);
        children.push(this.logical(key, value, at, depth));
      } else {
        children.push(this.field(key, value, at, depth));
      }
    }
    if (children.length === 0) return { kind: 'all' };
    return children.length === 1 ? children[0] : { kind: 'and', children };
  }

  private logical(op: string, raw: unknown, path: string, depth: number): FilterNode {
    if (!Array.isArray(raw) || raw.length === 0) throw invalid(path, `expected a non-empty array of filters, got ${describeValue(raw)}`, 'array', raw);
    this.count(path);
    const children = raw.map((item, i) => this.document(item, `${path}[${i}]`, depth + 1));
    if (op === '$and') return children.length === 1 ? children[0] : { kind: 'and', children };
    const any: FilterNode = children.length === 1 ? children[0] : { kind: 'or', children };
    return op === '$or' ? any : { kind: 'not', child: any };
  }

  private field(name: string, raw: unknown, path: string, depth: number): FilterNode {
    checkFieldPath(name, path);
    if (isPlainObject(raw)) {
      const keys = Object.keys(raw);
      if (keys.length === 0) throw invalid(path, 'an empty object; give a value ({ year: 2024 }) or operators ({ year: { $gte: 2020 } })');
      if (!keys.some((k) => k.startsWith('$'))) {
        throw invalid(path, `expected a string, number, boolean, null or an operator object, got an object; to match a nested field use a dotted path such as "${name}.${keys[0]}"`, 'scalar', raw);
      }
      return this.operators(name, raw, path, depth);
    }
    if (Array.isArray(raw)) throw invalid(path, `expected a string, number, boolean or null, got ${describeValue(raw)}; to match any of several values use { $in: [...] }`, 'scalar', raw);
    this.count(path);
    return { kind: 'eq', field: name, value: this.scalar(name, raw, path) };
  }

  /** { $gte: 2020, $lt: 2030 }: each operator a condition, ANDed (per operator "any element matches"). */
  private operators(name: string, ops: Record<string, unknown>, path: string, depth: number): FilterNode {
    const children: FilterNode[] = [];
    for (const [op, operand] of Object.entries(ops)) {
      const at = `${path}.${op}`;
      if (!op.startsWith('$')) throw invalid(at, `"${op}" is mixed with operators; an operator object holds only operators (${FIELD_OPERATORS.join(' ')})`);
      if (!FIELD_OPERATORS.includes(op)) {
        throw invalid(at, LOGICAL.includes(op) ? `${op} belongs at a filter's top level, not inside a field` : `unknown operator ${op}; field operators are ${FIELD_OPERATORS.join(' ')}`);
      }
      this.count(at);
      children.push(this.operator(name, op, operand, at, depth));
    }
    return children.length === 1 ? children[0] : { kind: 'and', children };
  }

  private operator(name: string, op: string, operand: unknown, path: string, depth: number): FilterNode {
    switch (op) {
      case '$eq':
        return { kind: 'eq', field: name, value: this.scalar(name, operand, path) };
      case '$ne':
        return { kind: 'not', child: { kind: 'eq', field: name, value: this.scalar(name, operand, path) } };
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) throw invalid(path, `expected an array of values, got ${describeValue(operand)}`, 'array', operand);
        this.values += operand.length;
        if (this.values > LIMITS.filterValuesMax) {
          throw new QuiverError('LIMIT_EXCEEDED', `${path}: the filter's $in/$nin lists hold more than ${LIMITS.filterValuesMax} values together. Split the query or store a shared tag to match instead.`, {
            path,
            limit: 'filterValuesMax',
            maximum: LIMITS.filterValuesMax,
          });
        }
        const values = operand.map((v, i) => this.scalar(name, v, `${path}[${i}]`));
        const node: FilterNode = { kind: 'in', field: name, values };
        return op === '$in' ? node : { kind: 'not', child: node };
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const declared = this.declared[name];
        if (declared !== undefined && declared !== 'number') {
          throw invalid(path, `"${name}" is declared ${declared} in payloadIndexes; range operators compare numbers`, 'number', operand);
        }
        if (typeof operand !== 'number' || !Number.isFinite(operand)) {
          throw invalid(path, `expected number, got ${describeValue(operand)}; range operators compare finite numbers (store dates as epoch numbers to compare them)`, 'number', operand);
        }
        return { kind: 'range', field: name, op: RANGE_OPS[op], value: operand === 0 ? 0 : operand };
      }
      case '$exists': {
        if (typeof operand !== 'boolean') throw invalid(path, `expected true or false, got ${describeValue(operand)}`, 'boolean', operand);
        const node: FilterNode = { kind: 'exists', field: name };
        return operand ? node : { kind: 'not', child: node };
      }
      case '$prefix': {
        const declared = this.declared[name];
        if (declared !== undefined && declared !== 'keyword') throw invalid(path, `"${name}" is declared ${declared} in payloadIndexes; $prefix matches strings`, 'string', operand);
        if (typeof operand !== 'string') throw invalid(path, `expected string, got ${describeValue(operand)}`, 'string', operand);
        return { kind: 'prefix', field: name, value: operand };
      }
      case '$not': {
        if (!isPlainObject(operand) || Object.keys(operand).length === 0 || !Object.keys(operand).every((k) => k.startsWith('$'))) {
          throw invalid(path, `expected an operator object such as { $gt: 2020 }, got ${describeValue(operand)}; for "not equal" use $ne`, 'operator object', operand);
        }
        if (depth + 1 > LIMITS.filterDepthMax) {
          throw new QuiverError('LIMIT_EXCEEDED', `${path}: the filter nests logical operators deeper than ${LIMITS.filterDepthMax} levels.`, { path, limit: 'filterDepthMax', maximum: LIMITS.filterDepthMax });
        }
        return { kind: 'not', child: this.operators(name, operand, path, depth + 1) };
      }
    }
    throw invalid(path, `unknown operator ${op}`);
  }

  private scalar(name: string, value: unknown, path: string): Scalar {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      this.checkDeclared(name, value, path);
      return value;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(path, `expected a finite number, got ${describeValue(value)}`, 'number', value);
      this.checkDeclared(name, value, path);
      return value === 0 ? 0 : value;
    }
    throw invalid(path, `expected a string, number, boolean or null, got ${describeValue(value)}`, 'scalar', value);
  }

  private checkDeclared(name: string, value: Scalar, path: string): void {
    const declared = this.declared[name];
    if (declared === undefined || value === null || typeof value === TYPE_OF[declared]) return;
    throw invalid(path, `expected ${TYPE_OF[declared]}, got ${describeValue(value)} (payloadIndexes declares "${name}" as ${declared})`, TYPE_OF[declared], value);
  }

  private count(path: string): void {
    if (++this.conditions > LIMITS.filterConditionsMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `${path}: the filter has more than ${LIMITS.filterConditionsMax} conditions. Use $in for long lists of values.`, {
        path,
        limit: 'filterConditionsMax',
        maximum: LIMITS.filterConditionsMax,
      });
    }
  }
}

/** A field name or dotted path: non-empty segments, none starting with '$'. */
export function checkFieldPath(name: string, path: string): void {
  const segments = name.split('.');
  if (segments.some((s) => s.length === 0)) throw invalid(path, `"${name}" is not a field path: names are non-empty, and dotted paths have no empty parts`);
  if (segments.some((s) => s.startsWith('$'))) throw invalid(path, `"${name}": field names in filters may not start with "$"`);
  if (segments.length > LIMITS.filterPathSegmentsMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `${path}: the field path has ${segments.length} parts; the limit is ${LIMITS.filterPathSegmentsMax}.`, {
      path,
      limit: 'filterPathSegmentsMax',
      received: segments.length,
      maximum: LIMITS.filterPathSegmentsMax,
    });
  }
}

function invalid(path: string, problem: string, expected?: string, received?: unknown): QuiverError {
  const details: Record<string, unknown> = { path };
  if (expected !== undefined) details.expected = expected;
  if (received !== undefined || expected !== undefined) details.received = describeValue(received);
  return new QuiverError('INVALID_FILTER', `${path}: ${problem}.`, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return isPlainObject(value) ? 'an object' : `a ${(value as object).constructor?.name ?? 'object'}`;
  return `a ${typeof value}`;
}
