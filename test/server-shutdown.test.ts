/**
 * Graceful shutdown of a server process: on SIGTERM it stops taking connections, lets the request in
 * flight finish (its write is acknowledged and survives), closes the database and exits 0; the directory
 * then opens with every acknowledged write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { Quiver } from '../src/index.js';

it('SIGTERM drains the request in flight, closes the database and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-shutdown-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'server-process.ts'), join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines: Record<string, unknown>[] = [];
  const waiters: { test: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const w of [...waiters]) if (w.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
  });
  const waitFor = (test: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const seen = lines.find(test);
      if (seen) resolve(seen);
      else waiters.push({ test, resolve });
    });

  try {
    const { url } = (await waitFor((l) => typeof l.url === 'string')) as { url: string };
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status < 300, true, await r.text());
    };
    await post('/v1/collections', { name: 'docs', dimension: 3, metric: 'l2' });
    await post('/v1/collections/docs/upsert', { records: [{ key: 'before', vector: [1, 2, 3] }] });

    // A request whose body is still arriving when the signal comes: the server has it, so it must finish it.
    const body = JSON.stringify({ records: Array.from({ length: 2000 }, (_, i) => ({ key: `slow-${i}`, vector: [i, 1, 2] })) });
    const half = Math.floor(body.length / 2);
    const { port, hostname } = new URL(url);
    const slow = request({ host: hostname, port, method: 'POST', path: '/v1/collections/docs/upsert', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      slow.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      slow.on('error', reject);
    });
    slow.write(body.slice(0, half));
    await waitFor((l) => l.msg === 'incoming request' && (l.req as { url?: string })?.url === '/v1/collections/docs/upsert' && lines.filter((x) => x.msg === 'incoming request').length >= 3);

    child.kill('SIGTERM');
    await waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
    const refused = await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(refused === 'refused' || refused === 503, `a new request during shutdown got ${refused}`);

    slow.end(body.slice(half));
    const done = await response;
    assert.equal(done.status, 200, done.text);
    assert.equal(JSON.parse(done.text).count, 2000);
    assert.equal(await exited, 0, stderr);
    assert.ok(lines.some((l) => l.msg === 'database closed; bye'));

    const db = await Quiver.open({ path: join(dir, 'data') });
    try {
      const col = db.collection('docs');
      assert.equal(await col.count(), 2001);
      assert.deepEqual(Array.from((await col.get(['slow-1999']))[0]!.vector), [1999, 1, 2]);
    } finally {
      await db.close();
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
