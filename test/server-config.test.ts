/** The server's configuration: defaults, the JSON file, QUIVER_* environment variables, flags, errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QuiverError } from '../src/index.js';
import { DEFAULT_LIMITS, envName, loadConfig, parseApiKeys } from '../src/server/index.js';

function rejects(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof QuiverError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('server configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-config-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('defaults', () => {
    const c = loadConfig({ env: {}, cwd: '/srv' });
    assert.equal(c.dataDir, '/srv/quiver-data');
    assert.equal(c.backupDir, '/srv/quiver-data-backups');
    assert.equal(c.port, 6333);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.apiKeys, []);
    assert.equal(c.cors, false);
    assert.deepEqual(c.limits, DEFAULT_LIMITS);
    assert.equal(c.durability, 'sync');
    assert.equal(c.consoleDir, undefined);
  });

  it('the file, then the environment, then the flags; relative paths from the file\'s directory', () => {
    const path = file('quiver.config.json', {
      dataDir: './data',
      port: 7000,
      apiKeys: [{ key: 'k1', role: 'admin' }],
      cors: ['https://a.example', 'https://b.example'],
      limits: { bodyBytesMax: 2048, requestsPerMinute: 100 },
      smtp: { url: 'smtp://mail', from: 'quiver@example.com' },
    });
    const fromFile = loadConfig({ file: path, env: {}, cwd: '/elsewhere' });
    assert.equal(fromFile.dataDir, join(dir, 'data'));
    assert.equal(fromFile.port, 7000);
    assert.deepEqual(fromFile.apiKeys, [{ key: 'k1', role: 'admin' }]);
    assert.deepEqual(fromFile.cors, ['https://a.example', 'https://b.example']);
    assert.deepEqual(fromFile.limits, { ...DEFAULT_LIMITS, bodyBytesMax: 2048, requestsPerMinute: 100 });
    assert.deepEqual(fromFile.smtp, { url: 'smtp://mail', from: 'quiver@example.com' });

    const env = {
      QUIVER_PORT: '7100',
      QUIVER_API_KEYS: 'reader:read-only, writer:read-write,a:b:admin',
      QUIVER_CORS: '*',
      QUIVER_LIMITS_REQUESTS_PER_MINUTE: '50',
      QUIVER_LIMITS: '{"scanCursorsMax": 7}',
      QUIVER_SMTP_URL: 'smtp://other',
      QUIVER_DATA_DIR: 'rel',
      QUIVER_TRUST_PROXY: 'true',
      QUIVER_LONG: '1',
    };
    const withEnv = loadConfig({ file: path, env, cwd: '/srv' });
    assert.equal(withEnv.port, 7100);
    assert.equal(withEnv.dataDir, '/srv/rel');
    assert.deepEqual(withEnv.apiKeys, [{ key: 'reader', role: 'read-only' }, { key: 'writer', role: 'read-write' }, { key: 'a:b', role: 'admin' }]);
    assert.equal(withEnv.cors, true);
    assert.deepEqual(withEnv.limits, { ...DEFAULT_LIMITS, bodyBytesMax: 2048, requestsPerMinute: 50, scanCursorsMax: 7 });
    assert.deepEqual(withEnv.smtp, { url: 'smtp://other', from: 'quiver@example.com' });
    assert.equal(withEnv.trustProxy, true);

    const withFlags = loadConfig({ file: path, env, cwd: '/srv', overrides: { port: 7200, dataDir: '/abs', limits: { bodyBytesMax: 4096 } } });
    assert.equal(withFlags.port, 7200);
    assert.equal(withFlags.dataDir, '/abs');
    assert.equal(withFlags.backupDir, '/abs-backups');
    assert.equal(withFlags.limits.bodyBytesMax, 4096);
    assert.equal(withFlags.limits.scanCursorsMax, 7);
  });

  it('names every field\'s environment variable QUIVER_<FIELD>', () => {
    assert.equal(envName('dataDir'), 'QUIVER_DATA_DIR');
    assert.equal(envName('apiKeys'), 'QUIVER_API_KEYS');
    assert.equal(envName('smtp', 'url'), 'QUIVER_SMTP_URL');
    assert.equal(envName('limits', 'bodyBytesMax'), 'QUIVER_LIMITS_BODY_BYTES_MAX');
  });

  it('rejects what it cannot use, naming the field and where it came from', () => {
    rejects(() => loadConfig({ file: file('typo.json', { datadir: 'x' }), env: {} }), 'INVALID_ARGUMENT', /Unknown configuration field "datadir" in .*typo.json/);
    rejects(() => loadConfig({ file: file('limits.json', { limits: { bodySize: 1 } }), env: {} }), 'INVALID_ARGUMENT', /limits.bodySize/);
    rejects(() => loadConfig({ file: file('bad.json', '{ "port": 1,'), env: {} }), 'INVALID_ARGUMENT', /not valid JSON/);
    rejects(() => loadConfig({ file: file('array.json', '[]'), env: {} }), 'INVALID_ARGUMENT', /JSON object/);
    rejects(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), 'INVALID_ARGUMENT', /Cannot read/);
    rejects(() => loadConfig({ file: file('port.json', { port: 'http' }), env: {} }), 'INVALID_ARGUMENT', /port/);
    rejects(() => loadConfig({ env: { QUIVER_PORT: 'http' } }), 'INVALID_ARGUMENT', /QUIVER_PORT/);
    rejects(() => loadConfig({ env: { QUIVER_PORT: '70000' } }), 'INVALID_ARGUMENT', /port/);
    rejects(() => loadConfig({ env: { QUIVER_LIMITS: '{nope' } }), 'INVALID_ARGUMENT', /QUIVER_LIMITS/);
    rejects(() => loadConfig({ env: { QUIVER_LIMITS_BODY_BYTES_MAX: '10' } }), 'INVALID_ARGUMENT', /bodyBytesMax/);
    rejects(() => loadConfig({ env: { QUIVER_DURABILITY: 'maybe' } }), 'INVALID_ARGUMENT', /durability/);
    rejects(() => loadConfig({ env: { QUIVER_API_KEYS: 'k1:superuser' } }), 'INVALID_ARGUMENT', /superuser/);
    rejects(() => loadConfig({ env: { QUIVER_API_KEYS: 'k1' } }), 'INVALID_ARGUMENT', /no role/);
    rejects(() => loadConfig({ env: { QUIVER_API_KEYS: 'k1:admin,k1:read-only' } }), 'INVALID_ARGUMENT', /twice/);
    rejects(() => loadConfig({ env: { QUIVER_EMBEDDING: 'gpt' } }), 'INVALID_ARGUMENT', /embedding/);
    rejects(() => loadConfig({ env: { QUIVER_EMBEDDING: '{"provider":"openai","baseURL":"http://x","model":"m","apiKey":"sk-1"}' } }), 'INVALID_ARGUMENT', /apiKeyEnv/);
    assert.equal(loadConfig({ env: {} }).embedding, 'builtin');
    assert.equal(loadConfig({ env: { QUIVER_EMBEDDING: 'none' } }).embedding, null);
    assert.equal(loadConfig({ env: { QUIVER_EMBEDDING: 'false' } }).embedding, null);
    assert.deepEqual(loadConfig({ env: { QUIVER_EMBEDDING: '{"provider":"transformers","model":"m","localPath":"./models/m"}' } }).embedding, { provider: 'transformers', model: 'm', localPath: './models/m' });
    assert.deepEqual(loadConfig({ env: { QUIVER_LIMITS_EMBEDDING_INPUTS_MAX: '16' } }).limits.embeddingInputsMax, 16);
    assert.deepEqual(loadConfig({ env: { QUIVER_CLUSTER_NATS: 'nats://x', QUIVER_CLUSTER_SHARDS: '8' } }).cluster, { nats: 'nats://x', shards: 8 });
    rejects(() => loadConfig({ env: { QUIVER_CLUSTER_SHARDS: '0' } }), 'INVALID_ARGUMENT', /cluster/i);
    rejects(() => loadConfig({ env: { QUIVER_CLUSTER_SHARDS: '2' } }), 'INVALID_ARGUMENT', /nats/);
    assert.deepEqual(loadConfig({ env: { QUIVER_CLUSTER_SHARDS: '2' }, overrides: { cluster: { nats: 'nats://y' } } }).cluster, { shards: 2, nats: 'nats://y' });
    assert.deepEqual(parseApiKeys(' a:admin , ,b:read-only '), [{ key: 'a', role: 'admin' }, { key: 'b', role: 'read-only' }]);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
