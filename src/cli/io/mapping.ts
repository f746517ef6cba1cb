/**
 * Field mapping: which column or field of an input row is the key, the vector, the document and the
 * metadata. Defaults read Quiver's own export format ({ key, vector, document?, metadata? }) as it is;
 * the options name other columns. Metadata, unless --metadata-fields lists columns: the row's `metadata`
 * object if it has one, else every column that is not the key, vector or document.
 */
import { badRow } from './source.js';
import type { TargetRecordInput } from '../target.js';

export interface FieldMapping {
  keyField: string;
  vectorField: string;
  documentField: string;
  /** Columns to keep as metadata; null: the defaults above. */
  metadataFields: string[] | null;
  /** Keys are keyPrefix + the row number (1-based) instead of a column (always for npy / fvecs without a keys file). */
  rowKeys: boolean;
  keyPrefix: string;
  /** CSV cells are text: numbers and true/false in metadata columns become JSON numbers and booleans. */
  castText: boolean;
}

/** The field of a multi-vector record's vectors, as the export and the HTTP API write it. */
const MULTIVECTOR_FIELD = 'vectors';

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export function toRecord(fields: Record<string, unknown>, row: number, mapping: FieldMapping, file: string, where: string, key?: string): TargetRecordInput {
  const document = fields[mapping.documentField];
  const hasDocument = document !== undefined && document !== null && document !== '';
  // a row with a document and no vector is for a collection that embeds documents itself (the database
  // says so with INVALID_VECTOR when this one does not)
  const vectorValue = fields[mapping.vectorField];
  // a multi-vector record (docs/multivector.md) carries `vectors`, a list of vectors, instead of one
  const vectorsValue = vectorValue === undefined ? fields[MULTIVECTOR_FIELD] : undefined;
  const vector = (vectorValue === undefined && hasDocument) || vectorsValue !== undefined ? undefined : float32(vectorOf(vectorValue, mapping.vectorField, file, where), mapping.vectorField, file, where);
  const record: TargetRecordInput = { key: key ?? keyOf(fields, row, mapping, file, where) };
  if (vector !== undefined) record.vector = vector;
  if (vectorsValue !== undefined) {
    if (!Array.isArray(vectorsValue)) throw badRow(file, where, `the "${MULTIVECTOR_FIELD}" field must be a list of vectors.`, { field: MULTIVECTOR_FIELD });
    record.vectors = vectorsValue.map((v, i) => float32(vectorOf(v, `${MULTIVECTOR_FIELD}[${i}]`, file, where), `${MULTIVECTOR_FIELD}[${i}]`, file, where));
  }
  if (hasDocument) {
    if (typeof document !== 'string') throw badRow(file, where, `the document field "${mapping.documentField}" is ${typeof document}, not text.`);
    record.document = document;
  }
  const metadata = metadataOf(fields, mapping);
  if (metadata !== undefined) record.metadata = metadata;
  return record;
}

/**
 * Vectors travel as float32 (what the store keeps, and what the HTTP client sends as compact base64);
 * a value float32 cannot hold is named here, where the file's number is still known.
 */
function float32(vector: Float32Array | number[], field: string, file: string, where: string): Float32Array {
  if (vector instanceof Float32Array) return vector;
  const out = Float32Array.from(vector);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]) && Number.isFinite(vector[i])) {
      throw badRow(file, where, `component ${i} of the vector in "${field}" (${vector[i]}) is beyond the float32 range.`, { field, position: i });
    }
  }
  return out;
}

function keyOf(fields: Record<string, unknown>, row: number, mapping: FieldMapping, file: string, where: string): string {
  if (mapping.rowKeys) return `${mapping.keyPrefix}${row}`;
  const value = fields[mapping.keyField];
  if (typeof value === 'string' && value !== '') return mapping.keyPrefix + value;
  if (typeof value === 'number' && Number.isFinite(value)) return mapping.keyPrefix + String(value);
  if (value === undefined) {
    throw badRow(file, where, `has no "${mapping.keyField}" field for the key. Name the key column with --key-field, or number the rows with --row-keys.`, { field: mapping.keyField });
  }
  throw badRow(file, where, `the key field "${mapping.keyField}" is ${JSON.stringify(value)}; keys are non-empty strings or numbers.`, { field: mapping.keyField });
}

function vectorOf(value: unknown, field: string, file: string, where: string): Float32Array | number[] {
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array) return Array.from(value);
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'number')) throw badRow(file, where, `the vector field "${field}" holds something other than numbers.`, { field });
    return value as number[];
  }
  if (value !== null && typeof value === 'object' && typeof (value as { f32?: unknown }).f32 === 'string') {
    // the wire form of api.md: { "f32": "<base64 little-endian float32>" }
    const bytes = Buffer.from((value as { f32: string }).f32, 'base64');
    if (bytes.length % 4 !== 0) throw badRow(file, where, `the base64 vector in "${field}" is ${bytes.length} bytes, not a whole number of float32s.`, { field });
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (typeof value === 'string') {
    const text = value.trim();
    let numbers: unknown;
    if (text.startsWith('[')) {
      try {
        numbers = JSON.parse(text);
      } catch {
        numbers = null;
      }
    } else {
      numbers = text === '' ? [] : text.split(/[\s,;]+/).map((part) => (NUMBER.test(part) ? Number(part) : NaN));
    }
    if (Array.isArray(numbers) && numbers.length > 0 && numbers.every((v) => typeof v === 'number' && !Number.isNaN(v))) return numbers as number[];
    throw badRow(file, where, `the vector field "${field}" is not a list of numbers (write it as [0.1, 0.2, ...] or "0.1 0.2 ...").`, { field });
  }
  if (value === undefined) throw badRow(file, where, `has no "${field}" field for the vector. Name the vector column with --vector-field.`, { field });
  throw badRow(file, where, `the vector field "${field}" is ${typeof value === 'object' ? JSON.stringify(value)?.slice(0, 40) : String(value)}, not a list of numbers.`, { field });
}

function metadataOf(fields: Record<string, unknown>, mapping: FieldMapping): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (mapping.metadataFields) {
    for (const name of mapping.metadataFields) if (present(fields[name], mapping)) out[name] = cast(fields[name], mapping);
  } else {
    const own = fields.metadata;
    if (own !== null && typeof own === 'object' && !Array.isArray(own) && mapping.vectorField !== 'metadata') return own as Record<string, unknown>;
    const skip = new Set([mapping.keyField, mapping.vectorField, mapping.documentField, MULTIVECTOR_FIELD]);
    for (const [name, value] of Object.entries(fields)) if (!skip.has(name) && present(value, mapping) && !(value instanceof Float32Array)) out[name] = cast(value, mapping);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** CSV cannot tell an empty cell from a missing value: both are left out. */
function present(value: unknown, mapping: FieldMapping): boolean {
  return value !== undefined && !(mapping.castText && value === '');
}

function cast(value: unknown, mapping: FieldMapping): unknown {
  if (!mapping.castText || typeof value !== 'string') return value;
  // "007" and 20-digit ids stay text: turning them into numbers would change them
  if (NUMBER.test(value.trim()) && !/^-?0\d/.test(value.trim())) {
    const n = Number(value);
    if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(value.trim()))) return n;
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
