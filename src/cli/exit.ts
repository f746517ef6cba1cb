/**
 * Exit codes (docs/cli.md lists them) and how errors are shown: one line with the QuiverError's code and
 * message, the stack only with --verbose. The code follows the error's category, so scripts can tell
 * "fix your arguments" from "the store is damaged" from "the server is down".
 */
import { type ErrorCategory, QuiverError, isQuiverError } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  /** A bug: an error that is not a QuiverError (please report it). */
  internal: 1,
  /** Bad command line or bad request: unknown command or option, a malformed value, invalid input data. */
  usage: 2,
  notFound: 3,
  conflict: 4,
  /** A damaged store: `quiver verify` found damage, or a command refused a damaged file. */
  corrupted: 5,
  io: 6,
  /** The database or server is unavailable, or a deadline passed. */
  unavailable: 7,
  /** The server refused the API key (missing, unknown, or its role may not do this). */
  auth: 8,
  limit: 9,
  unsupported: 10,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM; an import can be resumed. */
  interrupted: 130,
} as const;

const BY_CATEGORY: Record<ErrorCategory, number> = {
  invalid_argument: EXIT.usage,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  corruption: EXIT.corrupted,
  io: EXIT.io,
  unavailable: EXIT.unavailable,
  timeout: EXIT.unavailable,
  unauthorized: EXIT.auth,
  forbidden: EXIT.auth,
  limit_exceeded: EXIT.limit,
  unsupported: EXIT.unsupported,
};

export function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return EXIT.interrupted;
  return isQuiverError(error) ? (BY_CATEGORY[error.category] ?? EXIT.internal) : EXIT.internal;
}

/** Thrown when a signal stopped a command between two safe points. */
export class Interrupted extends Error {
  constructor(readonly signal: string, message: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

/** A usage error the CLI itself detects (exit code 2). */
export function usage(message: string, details: Record<string, unknown> = {}): QuiverError {
  return new QuiverError('INVALID_ARGUMENT', message, details);
}

const HINTS: Partial<Record<string, string>> = {
  LOCKED: 'If a Quiver server is running on this directory, talk to it with --url instead.',
  CORRUPTED: 'Run `quiver verify --data DIR` to see every damaged file.',
};

/** The lines written to stderr for an error. */
export function describeError(error: unknown, verbose: boolean): string {
  if (error instanceof Interrupted) return `quiver: ${error.message}`;
  if (isQuiverError(error)) {
    const lines = [`quiver: error ${error.code}: ${error.message}`];
    // verify's own verdict needs no pointer to verify
    const hint = error.details.verified === true ? undefined : HINTS[error.code];
    if (hint) lines.push(`  ${hint}`);
    if (verbose) {
      if (Object.keys(error.details).length > 0) lines.push(`  details: ${JSON.stringify(error.details)}`);
      if (error.stack) lines.push(error.stack);
    }
    return lines.join('\n');
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`quiver: internal error: ${message}`];
  if (verbose && error instanceof Error && error.stack) lines.push(error.stack);
  else lines.push('  This is a bug in Quiver; rerun with --verbose for the stack trace and please report it.');
  return lines.join('\n');
}
