/**
 * The cluster on real processes (docs/cluster.md): three nats-server processes in a JetStream cluster on
 * loopback and three Quiver nodes in child processes. Writes go through any node, reads through any
 * node, and the results must equal a single-node reference fed the same acknowledged writes — also
 * after a Quiver node is killed with SIGKILL during writes and after a NATS server is killed.
 * Skipped (with a message) where nats-server is not installed, except in CI, where .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { QuiverClient } from '../src/client/index.js';
import { clusterStatus } from '../src/cluster/index.js';
import { type Hit, Quiver, type StoredRecord } from '../src/index.js';

/** Polls `read` until it gives `want` (eventually consistent reads converge), for up to 10 s. */
async function eventually<T>(read: () => Promise<T>, want: T, label: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let got = await read();
  while (got !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    got = await read();
  }
  assert.equal(got, want, `${label} did not converge`);
}

const natsBinary = spawnSync('nats-server', ['--version']).status === 0 ? 'nats-server' : null;
const inCI = process.env.CI !== undefined && process.env.CI !== '';
if (natsBinary === null && inCI) throw new Error('nats-server is missing in CI: .ci/run installs it (apt-get install nats-server)');
const skip = natsBinary === null ? 'nats-server is not installed (apt-get install nats-server); the cluster tests need it' : false;

const DIM = 8;
const ROOT = natsBinary === null ? '' : mkdtempSync(join(tmpdir(), 'quiver-cluster-'));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Proc {
  child: ChildProcess;
  output: string;
}

function waitFor(proc: Proc, pattern: RegExp, ms: number, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${ms} ms:\n${proc.output.slice(-3000)}`)), ms);
    const check = () => {
      const m = proc.output.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.child.stdout?.on('data', check);
    proc.child.stderr?.on('data', check);
    proc.child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${proc.output.slice(-3000)}`));
    });
    check();
  });
}

function start(command: string, args: string[], options: { cwd?: string } = {}): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const proc: Proc = { child, output: '' };
  child.stdout!.on('data', (d: Buffer) => (proc.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (proc.output += d.toString()));
  return proc;
}

/** Three nats-servers in one JetStream cluster, max_payload 8 MB (docs/cluster.md, "Operations"). */
async function startNats(): Promise<{ procs: Proc[]; urls: string[] }> {
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const procs: Proc[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(ROOT, `nats${i}`);
    const conf = join(ROOT, `nats${i}.conf`);
    writeFileSync(
      conf,
      `server_name: n${i}
listen: 127.0.0.1:${clientPorts[i]}
max_payload: 8MB
jetstream { store_dir: "${dir}" }
cluster {
  name: quiver-test
  listen: 127.0.0.1:${routePorts[i]}
  routes: [${routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]
}
`,
    );
    procs.push(start(natsBinary!, ['-c', conf]));
  }
  await Promise.all(procs.map((p, i) => waitFor(p, /Server is ready/, 20_000, `nats-server ${i}`)));
  return { procs, urls: clientPorts.map((p) => `nats://127.0.0.1:${p}`) };
}

const BIN = join(import.meta.dirname, '..', 'bin', 'quiver.mjs');
/** The cluster settings of test/support/cluster-node.ts, as QUIVER_CLUSTER_* variables for the CLI. */
const CLUSTER_ENV = { QUIVER_CLUSTER_SHARDS: '3', QUIVER_CLUSTER_REPLICAS: '2', QUIVER_CLUSTER_STREAM_REPLICAS: '3', QUIVER_CLUSTER_HEARTBEAT_MS: '300', QUIVER_CLUSTER_LIVENESS_MS: '1500', QUIVER_CLUSTER_HEDGE_MS: '150', QUIVER_EMBEDDING: 'none', QUIVER_LOG_LEVEL: 'warn' };

/** Nodes 0 and 1 through startClusterNode in a child process; node 2 through `quiver serve --cluster`. */
function startNode(i: number, nats: string): { proc: Proc; ready: Promise<string> } {
  if (i === 2) {
    const child = spawn(process.execPath, [BIN, '--data', join(ROOT, `quiver${i}`), 'serve', '--port', '0', '--cluster', nats], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...CLUSTER_ENV, QUIVER_CLUSTER_NODE_ID: `q${i}` },
    });
    const proc: Proc = { child, output: '' };
    child.stdout!.on('data', (d: Buffer) => (proc.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (proc.output += d.toString()));
    return { proc, ready: waitFor(proc, /serving at (\S+)/, 90_000, `quiver node ${i} (CLI)`).then((m) => m[1]) };
  }
  const proc = start(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'cluster-node.ts'), join(ROOT, `quiver${i}`), nats, `q${i}`]);
  return { proc, ready: waitFor(proc, /READY (\S+)/, 90_000, `quiver node ${i}`).then((m) => m[1]) };
}

/** Seeded vectors: deterministic across runs. */
function vectors(count: number, seed: number): Float32Array[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => Float32Array.from({ length: DIM }, next));
}

function records(from: number, count: number, seed: number) {
  return vectors(count, seed).map((vector, i) => ({ key: `k${from + i}`, vector, metadata: { n: from + i, even: (from + i) % 2 === 0 } }));
}

/** Retries writes refused as UNAVAILABLE (a NATS server failing over): they are idempotent (ADR 0008). */
async function retrying<T>(fn: () => Promise<T>, counter: { retries: number }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as { code?: string }).code !== 'UNAVAILABLE' || attempt >= 40) throw error;
      counter.retries++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function sameHits(actual: Hit[], expected: Hit[], what: string): void {
  assert.deepEqual(actual.map((h) => h.key), expected.map((h) => h.key), `${what}: keys`);
  actual.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i].score) < 1e-5, `${what}: score of ${h.key} ${h.score} vs ${expected[i].score}`));
}

describe('cluster on NATS JetStream', { skip, timeout: 240_000 }, () => {
  let nats: { procs: Proc[]; urls: string[] };
  const nodes: { proc: Proc; url: string }[] = [];
  let reference: Quiver;
  let clients: QuiverClient[] = [];

  before(async () => {
    nats = await startNats();
    const natsUrls = nats.urls.join(',');
    const started = [0, 1, 2].map((i) => startNode(i, natsUrls));
    for (const s of started) nodes.push({ proc: s.proc, url: '' });
    for (const [i, s] of started.entries()) nodes[i].url = await s.ready;
    clients = nodes.map((n) => new QuiverClient({ url: n.url, timeoutMs: 60_000 }));
    reference = await Quiver.open();
  });

  after(async () => {
    if (process.env.QUIVER_CLUSTER_LOGS) nodes.forEach((n, i) => writeFileSync(join(process.env.QUIVER_CLUSTER_LOGS!, `node${i}.log`), n.proc.output));
    for (const n of nodes) n.proc.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const n of nodes) n.proc.child.kill('SIGKILL');
    for (const p of nats?.procs ?? []) p.child.kill('SIGKILL');
    await reference?.close();
    rmSync(ROOT, { recursive: true, force: true });
  });

  const query = (v: Float32Array, extra: Record<string, unknown> = {}) => ({ vector: v, k: 10, consistency: 'read-your-writes' as const, ...extra });

  it('writes through any node, reads through any node: equal to a single node fed the same writes', async () => {
    const info = await clients[0].createCollection('docs', { dimension: DIM, metric: 'l2', index: 'Flat', shards: 3, replicas: 2 } as never);
    assert.equal(info !== undefined, true);
    await reference.createCollection('docs', { dimension: DIM, metric: 'l2', index: 'Flat' });
    await assert.rejects(clients[1].createCollection('docs', { dimension: DIM } as never), { code: 'COLLECTION_EXISTS' });

    for (let b = 0; b < 6; b++) {
      const batch = records(b * 50, 50, 100 + b);
      const result = await clients[b % 3].collection('docs').upsert(batch);
      assert.equal(result.count, 50);
      assert.match(result.sequence, /^c1:/);
      await reference.collection('docs').upsert(batch);
    }
    const deleted = await clients[1].collection('docs').delete(['k1', 'k2', 'k3', 'missing']);
    assert.equal(deleted.count, 3);
    await reference.collection('docs').delete(['k1', 'k2', 'k3', 'missing']);
    const byFilter = await clients[2].collection('docs').delete({ filter: { n: { $gte: 290 } } });
    assert.equal(byFilter.count, 10);
    await reference.collection('docs').delete({ filter: { n: { $gte: 290 } } });

    // the writer reads its own writes through another node, with its tokens
    const writer = clients[0];
    for (const c of [1, 2]) writer.rememberSequence('docs', clients[c].sequenceOf('docs'));
    for (const [i, v] of vectors(5, 7).entries()) {
      const remote = new QuiverClient({ url: nodes[(i + 1) % 3].url });
      remote.rememberSequence('docs', writer.sequenceOf('docs'));
      sameHits(await remote.collection('docs').query(query(v)), await reference.collection('docs').query(query(v)), `query ${i}`);
      sameHits(await remote.collection('docs').query(query(v, { filter: { even: true }, k: 7 })), await reference.collection('docs').query(query(v, { filter: { even: true }, k: 7 })), `filtered query ${i}`);
    }
    // count and get read with 'eventual' consistency (no sequence tokens): a replica may still be applying
    // the last deletes, so they converge to the reference rather than equal it at once
    await eventually(async () => clients[2].collection('docs').count(), await reference.collection('docs').count(), 'count');
    await eventually(async () => clients[1].collection('docs').count({ filter: { even: true } }), await reference.collection('docs').count({ filter: { even: true } }), 'filtered count');
    const shape = (records: (StoredRecord | null)[]) => JSON.stringify(records.map((r) => r && { key: r.key, vector: Array.from(r.vector), metadata: r.metadata }));
    await eventually(async () => shape(await clients[2].collection('docs').get(['k0', 'k1', 'k77'])), shape(await reference.collection('docs').get(['k0', 'k1', 'k77'])), 'get');
    await assert.rejects(clients[0].collection('docs').upsert([{ key: 'bad', vector: [1, 2] }]), { code: 'DIMENSION_MISMATCH' });
    await assert.rejects(clients[0].collection('docs').query({ text: 'hello' }), { code: 'UNSUPPORTED' });

    const status = await clusterStatus(nats.urls.join(','));
    assert.equal(status.nodes.length, 3);
    const docs = status.collections.find((c) => c.name === 'docs')!;
    assert.equal(docs.shards.length, 3);
    for (const s of docs.shards) assert.equal(s.stream.replicas, 3);
    const cli = spawnSync(process.execPath, [BIN, 'cluster', 'status', '--cluster', nats.urls.join(','), '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const printed = JSON.parse(cli.stdout) as typeof status;
    assert.deepEqual(printed.nodes.map((n) => n.id).sort(), ['q0', 'q1', 'q2']);
    assert.equal(printed.collections[0].shards.every((s) => s.replicas.length >= 1), true);
  });

  it('kill -9 of a Quiver node during writes: no acknowledged write lost, queries complete after failover', async () => {
    const counter = { retries: 0 };
    let next = 300;
    const writeLoad = async (client: QuiverClient, batches: number) => {
      for (let b = 0; b < batches; b++) {
        const from = next;
        next += 20;
        const batch = records(from, 20, from);
        await retrying(() => client.collection('docs').upsert(batch), counter);
        await reference.collection('docs').upsert(batch); // acknowledged: the reference gets it too
      }
    };
    const load = Promise.all([writeLoad(clients[0], 8), writeLoad(clients[2], 8)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    nodes[1].proc.child.kill('SIGKILL');
    await load;
    // queries through the survivors keep returning complete, exactly merged results
    for (const [i, v] of vectors(5, 11).entries()) {
      const client = clients[i % 2 === 0 ? 0 : 2];
      client.rememberSequence('docs', clients[0].sequenceOf('docs'));
      client.rememberSequence('docs', clients[2].sequenceOf('docs'));
      sameHits(await client.collection('docs').query(query(v)), await reference.collection('docs').query(query(v)), `after kill, query ${i}`);
    }
    await eventually(async () => clients[0].collection('docs').count(), await reference.collection('docs').count(), 'count (eventual)');
  });

  it('kill of one NATS server: writes continue, results still equal the reference', async () => {
    const counter = { retries: 0 };
    nats.procs[0].child.kill('SIGKILL');
    for (let b = 0; b < 5; b++) {
      const batch = records(1000 + b * 20, 20, 1000 + b);
      await retrying(() => clients[b % 2 === 0 ? 0 : 2].collection('docs').upsert(batch), counter);
      await reference.collection('docs').upsert(batch);
    }
    clients[0].rememberSequence('docs', clients[2].sequenceOf('docs'));
    for (const [i, v] of vectors(3, 13).entries()) {
      sameHits(await clients[0].collection('docs').query(query(v)), await reference.collection('docs').query(query(v)), `after NATS kill, query ${i}`);
    }
    await eventually(async () => clients[0].collection('docs').count(), await reference.collection('docs').count(), 'count (eventual)');
  });
});
