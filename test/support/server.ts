/**
 * A real Quiver server on a loopback port for tests, and a request helper that checks every JSON
 * response against the server's own OpenAPI document (the response schema for that route and status,
 * or its default response) with ajv, so a body that drifts from the documented schema fails the test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { type RunningServer, type ServerConfigInput, startServer } from '../../src/server/index.js';
import type { Quiver } from '../../src/index.js';

export const ADMIN = 'test-admin-key-0123456789';
export const WRITER = 'test-writer-key-0123456789';
export const READER = 'test-reader-key-0123456789';
export const KEYS = `${ADMIN}:admin,${WRITER}:read-write,${READER}:read-only`;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is (string or bytes) instead of JSON.stringify(body). */
  raw?: string | Uint8Array;
  /** The API key; null sends none. Default: the admin key (when keys are on). */
  key?: string | null;
  headers?: Record<string, string>;
}

export class OpenApiChecker {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly cache = new Map<string, ValidateFunction>();
  readonly doc: any;

  constructor(doc: any) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema(doc, 'openapi.json');
  }

  /** The response schema's validator for a route template ('/v1/collections/{name}'), method and status. */
  validator(method: string, template: string, status: number): ValidateFunction | null {
    const operation = this.doc.paths?.[template]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${template} is not in /openapi.json`);
    const code = operation.responses[String(status)] ? String(status) : operation.responses.default ? 'default' : null;
    assert.ok(code, `${method} ${template} has no documented response for ${status}`);
    const content = operation.responses[code].content?.['application/json'];
    if (!content?.schema) return null;
    const pointer = ['paths', template, method.toLowerCase(), 'responses', code, 'content', 'application/json', 'schema'].map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    const ref = `openapi.json#/${pointer}`;
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, validate);
    }
    return validate;
  }

  check(method: string, template: string, status: number, body: unknown): void {
    const validate = this.validator(method, template, status);
    if (validate === null) return;
    if (!validate(body)) {
      assert.fail(`${method} ${template} ${status}: the response does not match /openapi.json: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    }
  }
}

export interface TestServer {
  server: RunningServer;
  url: string;
  dir: string;
  db: Quiver;
  openapi: OpenApiChecker;
  /** Requests a route by its template and checks the response against /openapi.json. */
  call<T = any>(method: string, template: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** Requests a path with no OpenAPI check (unknown routes, static files). */
  fetchRaw(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function startTestServer(config: ServerConfigInput = {}, options: { db?: Quiver } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-server-test-'));
  const server = await startServer({
    config: { dataDir: join(dir, 'data'), backupDir: join(dir, 'backups'), port: 0, host: '127.0.0.1', logLevel: 'silent', consoleDir: '', ...config },
    env: {},
    db: options.db,
  });
  const keysOn = server.config.apiKeys.length > 0;
  const defaultKey = keysOn ? server.config.apiKeys.find((k) => k.role === 'admin')?.key ?? server.config.apiKeys[0].key : null;

  const fetchRaw = async (method: string, path: string, o: CallOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? defaultKey : o.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | Uint8Array | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const query = o.query ? `?${new URLSearchParams(o.query)}` : '';
    const response = await fetch(`${server.url}${path}${query}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: response.status, body: parsed, text, headers: response.headers };
  };

  const first = await fetchRaw('GET', '/openapi.json');
  assert.equal(first.status, 200, first.text);
  const openapi = new OpenApiChecker(first.body);

  const call = async (method: string, template: string, o: CallOptions = {}): Promise<ApiResponse> => {
    const path = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(o.params?.[name] ?? ''));
    const response = await fetchRaw(method, path, o);
    // 5xx only as api.md maps UNSUPPORTED (501): never a crash, an internal error or a closed database.
    const unsupported = response.status === 501 && (response.body as { error?: { code?: string } })?.error?.code === 'UNSUPPORTED';
    assert.ok(response.status < 500 || unsupported, `${method} ${path} answered ${response.status}: ${response.text.slice(0, 500)}`);
    if ((response.headers.get('content-type') ?? '').includes('json')) openapi.check(method, template, response.status, response.body);
    return response;
  };

  return {
    server,
    url: server.url,
    dir,
    db: server.db,
    openapi,
    call: call as TestServer['call'],
    fetchRaw,
    close: async () => {
      await server.close();
      if (options.db) await options.db.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts an error response: status, code, and the { error: { code, category, message, details } } shape. */
export function assertError(response: ApiResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${response.text.slice(0, 400)}`);
  assert.equal(response.body?.error?.code, code, response.text.slice(0, 400));
  assert.equal(typeof response.body.error.category, 'string');
  assert.equal(typeof response.body.error.message, 'string');
  assert.equal(typeof response.body.error.details, 'object');
  if (message) assert.match(response.body.error.message, message);
}

export function f32(values: number[] | Float32Array): { f32: string } {
  const array = values instanceof Float32Array ? values : Float32Array.from(values);
  return { f32: Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64') };
}
