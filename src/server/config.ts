/**
 * The server's configuration (api.md, "Configuration"): defaults, then the JSON file given with
 * --config, then QUIVER_<FIELD> environment variables, then explicit overrides (command-line flags).
 * Every field has an environment variable: QUIVER_DATA_DIR, QUIVER_PORT, QUIVER_API_KEYS, ...; object
 * fields take JSON (QUIVER_LIMITS='{"bodyBytesMax":1048576}') or one variable per field
 * (QUIVER_LIMITS_BODY_BYTES_MAX, QUIVER_SMTP_URL). Secrets (API keys, the SMTP URL, the digest secret) come from here only,
 * never from a request, and nothing of the configuration is written into the data directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type EmbeddingConfig, checkEmbeddingConfig } from '../index.js';
import { QuiverError } from '../protocol/errors.js';

export const ROLES = ['admin', 'read-write', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

const ApiKey = Type.Object({ key: Type.String({ minLength: 1 }), role: Type.Union(ROLES.map((r) => Type.Literal(r))) }, { additionalProperties: false });

const LimitsSchema = Type.Partial(Type.Object(
  {
    bodyBytesMax: Type.Integer({ minimum: 1024, description: 'Largest request body in bytes (413 LIMIT_EXCEEDED beyond).' }),
    requestsPerMinute: Type.Integer({ minimum: 0, description: 'Requests per minute per API key (or per client address without keys); 0 turns the limit off.' }),
    scanCursorsMax: Type.Integer({ minimum: 1, description: 'Open scan cursors at once (429 LIMIT_EXCEEDED beyond).' }),
    scanCursorIdleMs: Type.Integer({ minimum: 1000, description: 'A scan cursor unused this long is closed.' }),
    embeddingInputsMax: Type.Integer({ minimum: 1, description: 'Texts in one POST /v1/embeddings request (413 LIMIT_EXCEEDED beyond).' }),
    embeddingInputBytesMax: Type.Integer({ minimum: 1, description: 'UTF-8 bytes of one text in POST /v1/embeddings (413 LIMIT_EXCEEDED beyond).' }),
  },
  { additionalProperties: false },
));

export const ServerConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, description: 'The database directory.' }),
    backupDir: Type.String({ minLength: 1, description: 'Where POST /v1/backup writes (default: <dataDir>-backups).' }),
    host: Type.String({ minLength: 1, description: 'Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    apiKeys: Type.Union([Type.String(), Type.Array(ApiKey)], { description: '"key1:admin,key2:read-only" or [{ key, role }]; none: no authentication.' }),
    cors: Type.Union([Type.Boolean(), Type.String(), Type.Array(Type.String())], { description: 'false (default), true or "*" for any origin, or the allowed origins.' }),
    limits: LimitsSchema,
    durability: Type.Union([Type.Literal('sync'), Type.Literal('batched'), Type.Literal('none')]),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    trustProxy: Type.Union([Type.Boolean(), Type.String()], { description: 'Trust X-Forwarded-* from a reverse proxy (true, or its addresses).' }),
    consoleDir: Type.String({ description: 'Static files served at / (the web console); default: the package\'s built console/dist if present; "" for none.' }),
    shutdownTimeoutMs: Type.Integer({ minimum: 0, description: 'How long a graceful shutdown waits for requests in flight.' }),
    embedding: Type.Unknown({ description: 'The embedder behind POST /v1/embeddings: "builtin" (default), an EmbeddingConfig object, or "none".' }),
    smtp: Type.Partial(Type.Object({ url: Type.String(), from: Type.String() }, { additionalProperties: false })),
    digest: Type.Partial(Type.Object(
      {
        enabled: Type.Boolean({ description: "Quiver Papers' daily digest scheduler (default on when smtp.url and digest.secret are set and the papers collection exists)." }),
        hour: Type.Integer({ minimum: 0, maximum: 23, description: 'The hour of the day (UTC) from which the daily digest is sent (default 7).' }),
        secret: Type.String({ description: 'Signs unsubscribe links (HMAC-SHA256); at least 32 characters. Required to send digests.' }),
        publicUrl: Type.String({ description: "The address readers reach the console at, for links in emails (default: the server's own http://host:port)." }),
        papersMax: Type.Integer({ minimum: 1, maximum: 50, description: 'Papers in one digest at most (default 10).' }),
        cutoffLagMs: Type.Integer({ minimum: 0, description: 'Papers added this recently wait for the next digest, as they may still be being embedded (default 60000).' }),
        checkEveryMs: Type.Integer({ minimum: 1000, description: 'How often the scheduler looks for subscribers due a digest or a retry (default 300000).' }),
      },
      { additionalProperties: false },
    )),
    cluster: Type.Object(
      {
        nats: Type.Optional(Type.String({ minLength: 1, description: 'NATS servers of the cluster, comma-separated (docs/cluster.md); required with any other cluster field.' })),
        nodeId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: "This node's id (default: a random id kept in the data directory)." })),
        shards: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'Default shards of a new collection (4).' })),
        replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'Default replicas of each shard (2).' })),
        streamReplicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'JetStream replicas of each stream and bucket (3; 1 with a single nats-server).' })),
        hedgeMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Ask another replica when one has not answered a read after this long (200).' })),
        heartbeatMs: Type.Optional(Type.Integer({ minimum: 100, description: 'Membership heartbeat period (1000).' })),
        livenessMs: Type.Optional(Type.Integer({ minimum: 500, description: 'A node unheard of this long is down (4000).' })),
      },
      { additionalProperties: false },
    ),
    papers: Type.Partial(
      Type.Object(
        {
          enabled: Type.Boolean({ description: 'Serve the Quiver Papers app: the `papers` collection (created from the corpus on first start) and its /v1/papers routes (docs/papers.md).' }),
          corpus: Type.String({ minLength: 1, description: "JSONL papers ({ id?, title, abstract }) the collection starts with (default: the package's examples/papers/papers.jsonl)." }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ServerConfigInput = Partial<Static<typeof ServerConfigSchema>>;

export interface ServerConfig {
  dataDir: string;
  backupDir: string;
  host: string;
  port: number;
  apiKeys: { key: string; role: Role }[];
  /** false, true (any origin) or the allowed origins. */
  cors: boolean | string[];
  limits: Required<Static<typeof LimitsSchema>>;
  durability: 'sync' | 'batched' | 'none';
  logLevel: string;
  trustProxy: boolean | string;
  /** undefined: the package's built console if present; '': none. */
  consoleDir: string | undefined;
  shutdownTimeoutMs: number;
  /** The embedder behind POST /v1/embeddings; null: none ("none" or false in the configuration). */
  embedding: EmbeddingConfig | null;
  smtp?: { url?: string; from?: string };
  /** The Quiver Papers app (docs/papers.md); off unless enabled. */
  papers: { enabled: boolean; corpus?: string };
  /** Quiver Papers' daily digest (docs/papers.md, "Daily digest"). */
  digest?: DigestConfig;
  /** Run as a cluster node (docs/cluster.md): `quiver serve --cluster`, startClusterNode. */
  cluster?: Static<typeof ServerConfigSchema>['cluster'] & { nats: string };
}

export type DigestConfig = Partial<{ enabled: boolean; hour: number; secret: string; publicUrl: string; papersMax: number; cutoffLagMs: number; checkEveryMs: number }>;

export const DEFAULT_LIMITS: ServerConfig['limits'] = {
  bodyBytesMax: 32 * 1024 * 1024,
  requestsPerMinute: 0,
  scanCursorsMax: 1000,
  scanCursorIdleMs: 60_000,
  embeddingInputsMax: 2048,
  embeddingInputBytesMax: 64 * 1024,
};

export const DEFAULT_PORT = 6333;

export interface LoadConfigOptions {
  /** A JSON configuration file (quiver serve --config). */
  file?: string;
  /** Environment variables to read QUIVER_* from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Values that win over the file and the environment (command-line flags). */
  overrides?: ServerConfigInput;
  /** Where relative paths in overrides and the environment start (default process.cwd()). */
  cwd?: string;
}

const PATH_FIELDS = ['dataDir', 'backupDir', 'consoleDir'] as const;

/** The effective configuration; INVALID_ARGUMENT or UNSUPPORTED naming the field and where it came from. */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const cwd = options.cwd ?? process.cwd();
  const layers: { source: string; values: Record<string, unknown>; base: string }[] = [];
  if (options.file !== undefined) layers.push({ source: options.file, values: readConfigFile(options.file), base: dirname(resolve(cwd, options.file)) });
  layers.push({ source: 'the environment', values: fromEnvironment(options.env ?? process.env), base: cwd });
  if (options.overrides) layers.push({ source: 'the options', values: withoutUndefined(options.overrides as Record<string, unknown>), base: cwd });

  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    checkAgainstSchema(layer.values, layer.source);
    for (const [field, value] of Object.entries(layer.values)) {
      const resolved = (PATH_FIELDS as readonly string[]).includes(field) && value !== '' ? resolve(layer.base, value as string) : value;
      if (field === 'limits' || field === 'smtp' || field === 'papers' || field === 'digest' || field === 'cluster') merged[field] = { ...(merged[field] as object), ...(resolved as object) };
      else merged[field] = resolved;
    }
  }
  if (merged.cluster !== undefined && (merged.cluster as { nats?: string }).nats === undefined) {
    throw new QuiverError('INVALID_ARGUMENT', 'Configuration field cluster has no "nats": give the NATS servers (cluster.nats, QUIVER_CLUSTER_NATS or quiver serve --cluster nats://...).', { field: 'cluster.nats' });
  }
  const dataDir = (merged.dataDir as string | undefined) ?? resolve(cwd, 'quiver-data');
  const limits = { ...DEFAULT_LIMITS, ...(merged.limits as object) };
  checkAgainstSchema({ limits }, 'the limits');
  return {
    dataDir,
    backupDir: (merged.backupDir as string | undefined) ?? `${dataDir}-backups`,
    host: (merged.host as string | undefined) ?? '127.0.0.1',
    port: (merged.port as number | undefined) ?? DEFAULT_PORT,
    apiKeys: parseApiKeys(merged.apiKeys as string | { key: string; role: Role }[] | undefined),
    cors: parseCors(merged.cors as boolean | string | string[] | undefined),
    limits,
    durability: (merged.durability as ServerConfig['durability'] | undefined) ?? 'sync',
    logLevel: (merged.logLevel as string | undefined) ?? 'info',
    trustProxy: (merged.trustProxy as boolean | string | undefined) ?? false,
    consoleDir: merged.consoleDir as string | undefined,
    shutdownTimeoutMs: (merged.shutdownTimeoutMs as number | undefined) ?? 30_000,
    embedding: parseEmbedding(merged.embedding),
    ...(merged.smtp !== undefined ? { smtp: merged.smtp as ServerConfig['smtp'] } : {}),
    papers: { enabled: false, ...(merged.papers as Partial<ServerConfig['papers']> | undefined) },
    ...(merged.digest !== undefined ? { digest: merged.digest as DigestConfig } : {}),
    ...(merged.cluster !== undefined ? { cluster: merged.cluster as ServerConfig['cluster'] } : {}),
  };
}

/** "key1:admin,key2:read-only" (the role after the last colon) or [{ key, role }]. */
export function parseApiKeys(value: string | { key: string; role: Role }[] | undefined): { key: string; role: Role }[] {
  if (value === undefined) return [];
  const entries =
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '')
          .map((part) => {
            const colon = part.lastIndexOf(':');
            const role = part.slice(colon + 1);
            if (colon <= 0 || !(ROLES as readonly string[]).includes(role)) {
              throw new QuiverError('INVALID_ARGUMENT', `apiKeys entries are "key:role" with a role of ${ROLES.join(', ')}; one entry has ${colon <= 0 ? 'no role' : `the role "${role}"`}.`, { field: 'apiKeys' });
            }
            return { key: part.slice(0, colon), role: role as Role };
          })
      : value;
  const seen = new Set<string>();
  for (const { key } of entries) {
    if (seen.has(key)) throw new QuiverError('INVALID_ARGUMENT', 'apiKeys lists the same key twice; give each key one role.', { field: 'apiKeys' });
    seen.add(key);
  }
  return entries;
}

/** The `embedding` setting: default the built-in model; "none" or false for no embedder. */
function parseEmbedding(value: unknown): EmbeddingConfig | null {
  if (value === undefined) return 'builtin';
  if (value === 'none' || value === false) return null;
  try {
    return checkEmbeddingConfig(value);
  } catch (error) {
    const message = error instanceof QuiverError ? error.message : String(error);
    throw new QuiverError('INVALID_ARGUMENT', `Configuration field embedding: ${message} Or "none" for no embedder.`, { field: 'embedding' });
  }
}

function parseCors(value: boolean | string | string[] | undefined): boolean | string[] {
  if (value === undefined || value === false) return false;
  if (value === true || value === '*') return true;
  const origins = (typeof value === 'string' ? value.split(',') : value).map((o) => o.trim()).filter((o) => o !== '');
  if (origins.includes('*')) return true;
  return origins.length === 0 ? false : origins;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new QuiverError('INVALID_ARGUMENT', `Cannot read the configuration file ${file}: ${(error as Error).message}.`, { file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new QuiverError('INVALID_ARGUMENT', `The configuration file ${file} is not valid JSON: ${(error as Error).message}.`, { file });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new QuiverError('INVALID_ARGUMENT', `The configuration file ${file} holds a JSON object such as { "dataDir": "./data", "port": 6333 }.`, { file });
  }
  return parsed as Record<string, unknown>;
}

/** QUIVER_DATA_DIR -> dataDir, QUIVER_LIMITS_BODY_BYTES_MAX -> limits.bodyBytesMax. */
export function envName(...path: string[]): string {
  return `QUIVER_${path.map((p) => p.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('_')}`;
}

function fromEnvironment(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(ServerConfigSchema.properties)) {
    const name = envName(field);
    const raw = env[name];
    if (raw !== undefined && raw !== '') out[field] = parseEnvValue(raw, schema, name);
    if (schema.type === 'object') {
      for (const [sub, subSchema] of Object.entries((schema as TObject).properties)) {
        const subName = envName(field, sub);
        const subRaw = env[subName];
        if (subRaw === undefined || subRaw === '') continue;
        out[field] = { ...(out[field] as object), [sub]: parseEnvValue(subRaw, subSchema, subName) };
      }
    }
  }
  return out;
}

function parseEnvValue(raw: string, schema: TSchema, name: string): unknown {
  const kinds = new Set<string>((schema.anyOf ?? [schema]).map((s: TSchema) => (s.type === 'integer' ? 'number' : String(s.type ?? 'json'))));
  if (kinds.has('number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (kinds.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (kinds.has('object') || kinds.has('array') || kinds.has('json')) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[') || !kinds.has('string')) {
      try {
        return JSON.parse(trimmed);
      } catch {
        if (kinds.has('json')) return raw; // a field of any type ("embedding"): a plain word is a string
        if (!kinds.has('string')) throw new QuiverError('INVALID_ARGUMENT', `${name} is not valid JSON.`, { variable: name });
      }
    }
  }
  if (kinds.has('string')) return raw;
  throw new QuiverError('INVALID_ARGUMENT', `${name} is ${JSON.stringify(raw)}; expected ${[...kinds].join(' or ')}.`, { variable: name });
}

function checkAgainstSchema(values: Record<string, unknown>, source: string): void {
  const known = ServerConfigSchema.properties as Record<string, TSchema>;
  for (const [field, value] of Object.entries(values)) {
    if (!(field in known)) {
      throw new QuiverError('INVALID_ARGUMENT', `Unknown configuration field "${field}" in ${source}. Known: ${Object.keys(known).join(', ')}.`, { field, source });
    }
    const nested = (known[field] as TObject).properties;
    if (nested !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const extra = Object.keys(value).find((sub) => !(sub in nested));
      if (extra !== undefined) {
        throw new QuiverError('INVALID_ARGUMENT', `Unknown configuration field "${field}.${extra}" in ${source}. Known: ${Object.keys(nested).map((n) => `${field}.${n}`).join(', ')}.`, { field: `${field}.${extra}`, source });
      }
    }
  }
  const first = Value.Errors(Type.Partial(ServerConfigSchema), values).First();
  if (first === undefined) return;
  const field = first.path.replace(/^\//, '').replaceAll('/', '.');
  throw new QuiverError('INVALID_ARGUMENT', `Configuration field ${field || '(root)'} in ${source}: ${first.message} (got ${JSON.stringify(first.value)}).`, { field, source });
}

function withoutUndefined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}
