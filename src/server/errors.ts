/**
 * Every failure becomes `{ "error": { code, category, message, details } }` with the status of its
 * category (protocol/errors.ts holds the one mapping). Schema violations are reported with the code the
 * embedded API gives for the same mistake (INVALID_KEY for a bad key, INVALID_VECTOR for a bad vector,
 * LIMIT_EXCEEDED for a documented limit), so a program sees the same errors in-process and over HTTP.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, QuiverError, httpStatusOf, toWireError, type WireError } from '../protocol/errors.js';
import { LIMIT_KEYWORD } from '../protocol/schemas.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: Record<string, unknown>;
}

/** The error body and status for anything a handler, hook or fastify itself threw. */
export function toErrorResponse(error: unknown, request: FastifyRequest, bodyBytesMax: number): { status: number; body: { error: WireError } } {
  const quiver = asQuiverError(error, request, bodyBytesMax);
  if (quiver !== null) return { status: httpStatusOf(quiver), body: { error: toWireError(quiver) } };
  request.log.error({ err: error }, 'internal error');
  return {
    status: 500,
    body: {
      error: {
        code: 'INTERNAL',
        category: 'internal',
        message: `Quiver hit an internal error (${errorMessage(error)}). This is a bug: please report it with the server log around request ${request.id}.`,
        details: { requestId: request.id },
      },
    },
  };
}

export function sendError(reply: FastifyReply, error: unknown, bodyBytesMax: number): FastifyReply {
  const { status, body } = toErrorResponse(error, reply.request, bodyBytesMax);
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function asQuiverError(error: unknown, request: FastifyRequest, bodyBytesMax: number): QuiverError | null {
  if (error instanceof QuiverError) return error;
  const fastify = error as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fastify.validation) && fastify.validation.length > 0) return fromValidation(fastify.validation, fastify.validationContext ?? 'body');
  switch (fastify.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new QuiverError('LIMIT_EXCEEDED', `The request body is larger than ${bodyBytesMax} bytes (limits.bodyBytesMax). Send smaller batches, or base64 vectors ({ "f32": ... }), which are about a third of the size of JSON numbers.`, {
        limit: 'bodyBytesMax',
        maximum: bodyBytesMax,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new QuiverError('INVALID_ARGUMENT', `Request bodies are JSON: send "Content-Type: application/json" (got ${JSON.stringify(request.headers['content-type'] ?? '')}).`, { header: 'content-type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new QuiverError('INVALID_ARGUMENT', 'The request has "Content-Type: application/json" but an empty body; send a JSON object such as {}.', {});
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new QuiverError('INVALID_ARGUMENT', 'The Content-Length header does not match the body.', { header: 'content-length' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new QuiverError('INVALID_ARGUMENT', `The request body is not valid JSON: ${errorMessage(error)}.`, {});
    default:
      break;
  }
  if (error instanceof SyntaxError || fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new QuiverError('INVALID_ARGUMENT', `The request body is not valid JSON: ${errorMessage(error)}.`, {});
  }
  const status = typeof fastify.statusCode === 'number' ? fastify.statusCode : 500;
  if (status === 404) return new QuiverError('NOT_FOUND', `${errorMessage(error)}.`, {});
  if (status === 413) return new QuiverError('LIMIT_EXCEEDED', `${errorMessage(error)}.`, { limit: 'bodyBytesMax', maximum: bodyBytesMax });
  if (status >= 400 && status < 500) return new QuiverError('INVALID_ARGUMENT', `${errorMessage(error)}.`, { ...(fastify.code ? { reason: fastify.code } : {}) });
  return null;
}

/** The most specific of ajv's errors (the deepest path), in the embedded API's terms. */
function fromValidation(errors: AjvError[], context: string): QuiverError {
  const error = errors.reduce((best, e) => (rank(e) > rank(best) ? e : best), errors[0]);
  const segments = error.instancePath.split('/').filter((s) => s !== '').map(unescapePointer);
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') segments.push(error.params.missingProperty);
  const where = `${context}${segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('')}`;
  const details: Record<string, unknown> = { path: [context, ...segments].join('/'), ...(recordIndex(segments) !== undefined ? { index: recordIndex(segments) } : {}) };

  const limitName = error.parentSchema?.[LIMIT_KEYWORD];
  if (typeof limitName === 'string' && (error.keyword === 'maxItems' || error.keyword === 'maxLength')) {
    const maximum = Number(error.params.limit);
    return new QuiverError('LIMIT_EXCEEDED', `${where} has more than ${maximum} items (${limitName}). Split the request.`, { ...details, limit: limitName, maximum });
  }
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params.additionalProperty);
    const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
    return new QuiverError('INVALID_ARGUMENT', `Unknown field "${field}" in ${where}.${known.length > 0 ? ` Known fields: ${known.join(', ')}.` : ''}`, { ...details, field });
  }
  const choices = literalChoices(error);
  const message =
    error.keyword === 'required' ? `${where} is required` : choices !== null ? `${where} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}` : `${where} ${error.message ?? 'is invalid'}`;
  return new QuiverError(codeForPath(segments), `${message}. The request schemas are in /openapi.json.`, { ...details, keyword: error.keyword });
}

/** The embedded API's code for a mistake at this path: the field nearest the end decides. */
function codeForPath(segments: string[]): ErrorCode {
  for (let i = segments.length - 1; i >= 0; i--) {
    const name = segments[i];
    if (/^\d+$/.test(name)) continue;
    if (name === 'key' || name === 'keys') return 'INVALID_KEY';
    if (name === 'vector' || name === 'f32') return 'INVALID_VECTOR';
    if (name === 'metadata') return 'INVALID_METADATA';
    if (name === 'filter') return 'INVALID_FILTER';
    return 'INVALID_ARGUMENT';
  }
  return 'INVALID_ARGUMENT';
}

function recordIndex(segments: string[]): number | undefined {
  return ['records', 'keys', 'queries'].includes(segments[0]) && /^\d+$/.test(segments[1] ?? '') ? Number(segments[1]) : undefined;
}

/**
 * Which of ajv's errors explains the mistake best: the deepest one; at the same depth, a choice among
 * literals ("one of 'cosine', 'dot', 'l2'") or a specific keyword rather than a union branch's bare type
 * mismatch ("must be string" for the recipe-string branch of an index object).
 */
function rank(error: AjvError): number {
  const depth = error.instancePath.split('/').length + (error.keyword === 'required' ? 1 : 0);
  const specific = literalChoices(error) !== null ? 2 : ['type', 'anyOf', 'oneOf', 'const', 'enum'].includes(error.keyword) ? 0 : 1;
  return depth * 4 + specific;
}

/** The allowed values when the failed schema is a union of literals, else null. */
function literalChoices(error: AjvError): unknown[] | null {
  const branches = error.keyword === 'anyOf' ? (error.parentSchema?.anyOf as Record<string, unknown>[] | undefined) : undefined;
  if (!branches || !branches.every((b) => 'const' in b)) return null;
  return branches.map((b) => b.const);
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/[.\s]+$/, '');
}
