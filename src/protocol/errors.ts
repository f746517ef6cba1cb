/**
 * Errors on the wire: `{ "error": { code, category, message, details } }` with the HTTP status of the
 * category. The status mapping lives here and nowhere else: the server answers with it and the client
 * reads errors back into the same QuiverError the embedded API throws.
 */
import { type ErrorCategory, type ErrorCode, ERROR_CODES, QuiverError } from '../core/errors.js';

export { QuiverError, isQuiverError, type ErrorCategory, type ErrorCode } from '../core/errors.js';

/** The wire form of an error. */
export interface WireError {
  code: string;
  category: string;
  message: string;
  details: Record<string, unknown>;
}

const STATUS: Record<ErrorCategory, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit_exceeded: 413,
  corruption: 500,
  unavailable: 503,
  timeout: 504,
  io: 500,
  unsupported: 501,
};

/**
 * Limits that are about how often or how much at once, not how big: passing one is 429 (retry later),
 * every other limit is 413 (make the request smaller).
 */
export const RETRY_LATER_LIMITS: ReadonlySet<string> = new Set(['requestsPerMinute', 'scanCursorsMax']);

/** The one category -> status map of api.md ("Errors"). Unknown categories (a broken invariant) are 500. */
export function httpStatusOf(error: { category: string; details?: Record<string, unknown> }): number {
  if (error.category === 'limit_exceeded' && RETRY_LATER_LIMITS.has(String(error.details?.limit))) return 429;
  return STATUS[error.category as ErrorCategory] ?? 500;
}

export function toWireError(error: QuiverError): WireError {
  return { code: error.code, category: error.category, message: error.message, details: error.details };
}

/**
 * A QuiverError from a server's error body. A code this version does not know (a newer server) keeps
 * its code and category as sent.
 */
export function fromWireError(wire: WireError): QuiverError {
  const known = Object.hasOwn(ERROR_CODES, wire.code);
  const details = typeof wire.details === 'object' && wire.details !== null ? wire.details : {};
  const error = new QuiverError(known ? (wire.code as ErrorCode) : 'IO_ERROR', wire.message, details);
  if (!known || error.category !== wire.category) {
    Object.defineProperty(error, 'code', { value: wire.code, enumerable: true });
    Object.defineProperty(error, 'category', { value: wire.category, enumerable: true });
  }
  return error;
}

/** Whether a parsed JSON body is an error body. */
export function isWireErrorBody(body: unknown): body is { error: WireError } {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as WireError).code === 'string' && typeof (error as WireError).message === 'string';
}
