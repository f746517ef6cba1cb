/**
 * Every error a user can cause is a QuiverError: a stable SCREAMING_SNAKE `code`, a `category` that maps
 * to an HTTP status in one place (server), a message that says what to do, and structured `details`.
 * Broken invariants are not QuiverErrors: they are assertion failures (core/lib/assert.ts).
 */
export type ErrorCategory =
  | 'invalid_argument'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'limit_exceeded'
  | 'corruption'
  | 'unavailable'
  | 'timeout'
  | 'io'
  | 'unsupported';

/** Each code belongs to exactly one category; docs/errors.md lists them all. */
export const ERROR_CODES = {
  INVALID_ARGUMENT: 'invalid_argument',
  INVALID_VECTOR: 'invalid_argument',
  DIMENSION_MISMATCH: 'invalid_argument',
  INVALID_KEY: 'invalid_argument',
  INVALID_METADATA: 'invalid_argument',
  INVALID_FILTER: 'invalid_argument',
  KEY_NOT_FOUND: 'not_found',
  COLLECTION_NOT_FOUND: 'not_found',
  STORE_NOT_FOUND: 'not_found',
  FILE_NOT_FOUND: 'not_found',
  COLLECTION_EXISTS: 'conflict',
  LOCKED: 'conflict',
  CHECKPOINT_MISMATCH: 'conflict',
  LIMIT_EXCEEDED: 'limit_exceeded',
  /** A set of vectors given to a one-vector collection, or one vector to a multi-vector collection. */
  MULTIVECTOR_MISMATCH: 'invalid_argument',
  CORRUPTED: 'corruption',
  IO_ERROR: 'io',
  UNSUPPORTED: 'unsupported',
  CLOSED: 'unavailable',
  ABORTED: 'timeout',
  // The server's and the client's (HTTP API)
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  CURSOR_NOT_FOUND: 'not_found',
  BACKUP_EXISTS: 'conflict',
  UNAVAILABLE: 'unavailable',
  // Quiver Papers' daily digest (src/papers)
  INVALID_TOKEN: 'forbidden',
  DIGEST_IN_PROGRESS: 'conflict',
  // Embedding providers (src/embed)
  EMBEDDING_FAILED: 'unavailable',
  EMBEDDING_RATE_LIMITED: 'unavailable',
  EMBEDDING_PROVIDER_MISSING: 'unsupported',
  MODEL_NOT_FOUND: 'not_found',
  EMBEDDING_MODEL_MISMATCH: 'conflict',
} as const satisfies Record<string, ErrorCategory>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class QuiverError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuiverError';
    this.code = code;
    this.category = ERROR_CODES[code];
    this.details = details;
  }

  toJSON(): { code: ErrorCode; category: ErrorCategory; message: string; details: Record<string, unknown> } {
    return { code: this.code, category: this.category, message: this.message, details: this.details };
  }
}

export function isQuiverError(value: unknown, code?: ErrorCode): value is QuiverError {
  return value instanceof QuiverError && (code === undefined || value.code === code);
}
