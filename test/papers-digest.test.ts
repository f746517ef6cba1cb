/**
 * Quiver Papers' daily digest end to end, on real components: the papers collection with the built-in
 * model (a small subset of the bundled corpus, to keep embedding cheap), subscriptions stored in Quiver,
 * and digests delivered over SMTP to a real SMTP server (npm smtp-server) started here, whose behaviour
 * each test sets: accept, refuse a recipient, drop the session, or never answer the end of a message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { Quiver } from '../src/index.js';
import { PAPERS_COLLECTION, addPapers, openPapers } from '../src/papers/collection.js';
import { type Paper, parsePapersJsonl } from '../src/papers/corpus.js';
import { runDigest } from '../src/papers/digest-run.js';
import { SmtpMailer } from '../src/papers/mailer.js';
import { Subscriptions } from '../src/papers/subscriptions.js';
import { signUnsubscribeToken, subscriberId, verifyUnsubscribeToken } from '../src/papers/tokens.js';
import { DigestScheduler, scheduledSlot } from '../src/server/digest-scheduler.js';
import { PapersDigest } from '../src/server/papers-digest.js';
import { type RunningServer, startServer } from '../src/server/index.js';

const SECRET = 'test-digest-secret-0123456789abcdef0123456789';
const corpus = parsePapersJsonl(readFileSync(new URL('../examples/papers/papers.jsonl', import.meta.url), 'utf8'));

const BIN = new URL('../bin/quiver.mjs', import.meta.url).pathname;

/** The quiver binary in a child process, as a user runs it. */
function quiver(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, QUIVER_DATA_DIR: '', QUIVER_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** What the receiving SMTP server does with the next transactions. */
type Behaviour = { refuse?: Map<string, { code: number; message: string }>; hangAfterData?: Set<string> };

class Inbox {
  readonly server: SMTPServer;
  readonly messages: ParsedMail[] = [];
  behaviour: Behaviour = {};
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) => {
        const refusal = this.behaviour.refuse?.get(address.address);
        if (refusal === undefined) return callback();
        const error = new Error(refusal.message) as Error & { responseCode: number };
        error.responseCode = refusal.code;
        callback(error);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          // never answer the final dot: the client cannot know whether the message was taken
          if (to.some((address) => this.behaviour.hangAfterData?.has(address))) return;
          simpleParser(Buffer.concat(chunks)).then((mail) => {
            this.messages.push(mail);
            callback();
          }, callback);
        });
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string): ParsedMail[] {
    return this.messages.filter((m) => addressesOf(m).includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function addressesOf(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((t) => t.value.map((v) => v.address ?? ''));
}

/** The paper ids linked from a digest, in order (the console's #/paper?id=<id> route). */
function linkedPapers(mail: ParsedMail): string[] {
  return [...(mail.text ?? '').matchAll(/#\/paper\?id=([^\s]+)/g)].map((m) => decodeURIComponent(m[1]));
}

function unsubscribeLink(mail: ParsedMail): string {
  const match = /Unsubscribe: (\S+)/.exec(mail.text ?? '');
  assert.ok(match, 'the text part has an unsubscribe link');
  return match[1];
}

describe('the daily digest over SMTP', () => {
  let dir: string;
  let db: Quiver;
  let inbox: Inbox;
  let subscriptions: Subscriptions;
  let clock = Date.UTC(2030, 0, 1);
  const now = () => clock;
  const old = corpus.slice(0, 10);
  const fresh = corpus.slice(10, 22);
  const later = corpus.slice(22, 26);
  // interests that are a new paper's title: both BM25 and the embedding rank that paper first
  const ada = { email: 'Ada@Example.org', interests: fresh[3].title };
  const bob = { email: 'bob@example.org', interests: fresh[8].title };
  const cy = { email: 'cy@example.org', interests: 'efficient training of neural networks' };
  const run = (extra: Partial<Parameters<typeof runDigest>[0]> = {}) =>
    runDigest({ db, subscriptions, mailer: new SmtpMailer({ url: inbox.url, socketTimeoutMs: 1500 }), secret: SECRET, publicUrl: 'https://papers.example.org/', from: 'Quiver Papers <papers@example.org>', now, cutoffLagMs: 0, papersMax: 5, retryDelayMs: 1, ...extra });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-digest-'));
    db = await Quiver.open({ path: dir });
    inbox = new Inbox();
    await inbox.start();
    await openPapers(db, async () => old, now);
    subscriptions = await Subscriptions.open(db);
    clock += 1000;
    for (const s of [ada, bob, cy]) await subscriptions.subscribe(s, clock);
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), fresh, now);
    clock += 1000;
  });

  after(async () => {
    await inbox.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscriptions are normalised, one per address, and re-subscribing updates the interests', async () => {
    assert.equal((await subscriptions.list()).length, 3);
    const again = await subscriptions.subscribe({ email: '  ADA@example.ORG ', interests: ada.interests }, clock);
    assert.equal(again.created, false);
    assert.equal(again.subscription.email, 'ada@example.org');
    assert.equal(again.subscription.id, subscriberId('ada@example.org'));
    assert.equal((await subscriptions.list()).length, 3);
    await assert.rejects(subscriptions.subscribe({ email: 'not an address', interests: 'x' }, clock), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(subscriptions.subscribe({ email: 'a@b.org>, evil@x.org', interests: 'x' }, clock), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(subscriptions.subscribe({ email: 'a@b.org', interests: '   ' }, clock), { code: 'INVALID_ARGUMENT' });
  });

  it('sends each subscriber the new papers that match their interests, as HTML and text, with an unsubscribe link', async () => {
    const report = await run();
    assert.deepEqual(report.results.map((r) => r.status), ['sent', 'sent', 'sent']);
    const oldIds = new Set(old.map((p) => p.id));
    const freshIds = new Set(fresh.map((p) => p.id));
    for (const [subscriber, best] of [[ada, fresh[3]], [bob, fresh[8]], [cy, null]] as const) {
      const mails = inbox.to(subscriber.email.toLowerCase());
      assert.equal(mails.length, 1);
      const [mail] = mails;
      const ids = linkedPapers(mail);
      assert.equal(ids.length, 5, 'papersMax papers');
      assert.ok(ids.every((id) => freshIds.has(id) && !oldIds.has(id)), `only papers added since the subscription: ${ids}`);
      if (best !== null) assert.equal(ids[0], best.id, 'the paper whose title is the interests comes first');
      assert.ok(mail.html && mail.html.includes(`https://papers.example.org/#/paper?id=${encodeURIComponent(ids[0])}`), 'the HTML part links the papers');
      assert.ok(mail.html.includes('/v1/papers/unsubscribe?token='), 'the HTML part has the unsubscribe link');
      const link = unsubscribeLink(mail);
      const token = new URL(link).searchParams.get('token')!;
      assert.equal(verifyUnsubscribeToken(SECRET, token), subscriberId(subscriber.email.toLowerCase()));
      const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line ?? '';
      assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      assert.equal(header('list-unsubscribe').replace(/\r?\n/g, ''), `List-Unsubscribe: <${link}>`);
      assert.equal(mail.messageId, `<digest.${subscriberId(subscriber.email.toLowerCase())}.${Date.UTC(2030, 0, 1) + 1000}@example.org>`);
      const stored = (await subscriptions.byEmail(subscriber.email))!;
      assert.equal(stored.send?.status, 'sent');
      assert.equal(stored.lastDigestAt, report.cutoff);
    }
  });

  it('a run with nothing new sends nothing', async () => {
    clock += 1000;
    const before = inbox.messages.length;
    const report = await run();
    assert.deepEqual(report.results.map((r) => r.status), ['nothing-new', 'nothing-new', 'nothing-new']);
    assert.equal(inbox.messages.length, before);
  });

  it('a send the server refuses is retried by the next run, and nobody gets a digest twice', async () => {
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), later, now);
    clock += 1000;
    inbox.behaviour = { refuse: new Map([['bob@example.org', { code: 451, message: 'Try again later' }]]) };
    const first = await run({ retriesPerRun: 1 });
    const bobResult = first.results.find((r) => r.email === 'bob@example.org')!;
    assert.equal(bobResult.status, 'failed');
    assert.equal(bobResult.attempts, 2, 'one retry within the run');
    assert.deepEqual(first.results.filter((r) => r.email !== 'bob@example.org').map((r) => r.status), ['sent', 'sent']);
    const messageId = bobResult.messageId;

    inbox.behaviour = {};
    clock += 1000;
    const second = await run();
    assert.deepEqual(second.results.map((r) => [r.email, r.status]), [['ada@example.org', 'nothing-new'], ['bob@example.org', 'sent'], ['cy@example.org', 'nothing-new']]);
    assert.equal(second.results[1].messageId, messageId, 'the retried digest keeps its Message-ID');
    assert.equal(second.results[1].attempts, 3);
    for (const address of ['ada@example.org', 'bob@example.org', 'cy@example.org']) assert.equal(inbox.to(address).length, 2, `${address}: two digests, no duplicate`);
    assert.deepEqual(new Set(linkedPapers(inbox.to('bob@example.org')[1])), new Set(later.map((p) => p.id)));
  });

  it('an SMTP server that closes the session (421) after some messages: the rest are sent by the next run', async () => {
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(26, 28), now);
    clock += 1000;
    inbox.behaviour = { refuse: new Map([['bob@example.org', { code: 421, message: 'Closing the session' }], ['cy@example.org', { code: 421, message: 'Closing the session' }]]) };
    const first = await run({ retriesPerRun: 0 });
    assert.deepEqual(first.results.map((r) => r.status), ['sent', 'failed', 'failed']);
    inbox.behaviour = {};
    const second = await run();
    assert.deepEqual(second.results.map((r) => r.status), ['nothing-new', 'sent', 'sent']);
    for (const address of ['ada@example.org', 'bob@example.org', 'cy@example.org']) assert.equal(inbox.to(address).length, 3, `${address}: three digests so far, no duplicate`);
  });

  it('a message whose fate is unknown (no answer to its end) is not sent again', async () => {
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(28, 30), now);
    clock += 1000;
    inbox.behaviour = { hangAfterData: new Set(['cy@example.org']) };
    const first = await run();
    assert.deepEqual(first.results.map((r) => r.status), ['sent', 'sent', 'uncertain']);
    inbox.behaviour = {};
    const second = await run();
    assert.deepEqual(second.results.map((r) => r.status), ['nothing-new', 'nothing-new', 'nothing-new'], 'the uncertain window is closed');
    assert.equal(inbox.to('cy@example.org').length, 3, 'the unanswered message was not delivered, and not re-sent');
  });

  it('a run that stopped mid-send (state left at sending) resumes with only the remaining subscribers', async () => {
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(30, 32), now);
    clock += 1000;
    // what a process killed during ada's SMTP transaction leaves behind
    const adaRecord = (await subscriptions.byEmail('ada@example.org'))!;
    await subscriptions.record(adaRecord.id, { send: { status: 'sending', windowStart: adaRecord.lastDigestAt, windowEnd: clock - 1, messageId: '<crashed@example.org>', attempts: 1, papers: [], updatedAt: clock - 1 } });
    const counts = ['ada@example.org', 'bob@example.org', 'cy@example.org'].map((a) => inbox.to(a).length);
    const report = await run();
    assert.deepEqual(report.results.map((r) => [r.email, r.status]), [['ada@example.org', 'uncertain'], ['ada@example.org', 'nothing-new'], ['bob@example.org', 'sent'], ['cy@example.org', 'sent']]);
    assert.deepEqual(['ada@example.org', 'bob@example.org', 'cy@example.org'].map((a) => inbox.to(a).length), [counts[0], counts[1] + 1, counts[2] + 1]);
  });

  it('a dry run composes but sends and records nothing', async () => {
    clock += 1000;
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(32, 33), now);
    clock += 1000;
    const before = inbox.messages.length;
    const states = JSON.stringify(await subscriptions.list());
    const report = await run({ dryRun: true, mailer: null });
    assert.deepEqual(report.results.map((r) => r.status), ['would-send', 'would-send', 'would-send']);
    assert.equal(report.results[0].papers[0].id, corpus[32].id);
    assert.equal(inbox.messages.length, before);
    assert.equal(JSON.stringify(await subscriptions.list()), states);
  });

  it('tokens: a tampered or foreign token is refused', () => {
    const token = signUnsubscribeToken(SECRET, subscriberId('ada@example.org'));
    assert.throws(() => verifyUnsubscribeToken(SECRET, `${token.slice(0, -2)}xx`), { code: 'INVALID_TOKEN' });
    assert.throws(() => verifyUnsubscribeToken(SECRET, subscriberId('bob@example.org') + token.slice(token.indexOf('.'))), { code: 'INVALID_TOKEN' });
    assert.throws(() => verifyUnsubscribeToken(`${SECRET}-other`, token), { code: 'INVALID_TOKEN' });
    assert.throws(() => verifyUnsubscribeToken(SECRET, 'garbage'), { code: 'INVALID_TOKEN' });
  });
});

describe('the digest through the HTTP API', () => {
  let dir: string;
  let db: Quiver;
  let inbox: Inbox;
  let server: RunningServer;
  const ADMIN = 'admin-key-0123456789';
  const WRITER = 'writer-key-0123456789';
  const papers: Paper[] = corpus.slice(40, 52);

  const call = async (method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, server.url), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, text, json: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined, type: response.headers.get('content-type') ?? '' };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-digest-http-'));
    db = await Quiver.open({ path: dir });
    inbox = new Inbox();
    await inbox.start();
    await openPapers(db, async () => papers.slice(0, 4));
    server = await startServer({
      db,
      logger: false,
      config: {
        port: 0,
        consoleDir: '',
        apiKeys: `${ADMIN}:admin,${WRITER}:read-write`,
        smtp: { url: inbox.url, from: 'Quiver Papers <papers@example.org>' },
        // the scheduler is tested on its own below; here runs are asked for through the route
        digest: { secret: SECRET, cutoffLagMs: 0, enabled: false },
        papers: { enabled: true },
      },
    });
  });

  after(async () => {
    await server.close();
    await inbox.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes with a read-write key, sends on the admin route, and unsubscribes from the link without a key', async () => {
    assert.equal((await call('POST', '/v1/papers/subscriptions', { body: { email: 'dee@example.org', interests: 'x' } })).status, 401);
    const created = await call('POST', '/v1/papers/subscriptions', { key: WRITER, body: { email: 'Dee@Example.org', interests: papers[6].title } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.subscription.email, 'dee@example.org');
    const updated = await call('POST', '/v1/papers/subscriptions', { key: WRITER, body: { email: 'dee@example.org', interests: papers[6].title } });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.created, false);
    assert.equal((await call('POST', '/v1/papers/subscriptions', { key: WRITER, body: { email: 'nope', interests: 'x' } })).json.error.code, 'INVALID_ARGUMENT');
    assert.equal((await call('POST', '/v1/papers/digest/send', { key: WRITER })).status, 403, 'sending needs an admin key');

    await addPapers(db.collection(PAPERS_COLLECTION), papers.slice(4));
    const sent = await call('POST', '/v1/papers/digest/send', { key: ADMIN });
    assert.equal(sent.status, 200, sent.text);
    assert.deepEqual(sent.json.results.map((r: { status: string }) => r.status), ['sent']);
    assert.equal(sent.json.results[0].papers[0].id, papers[6].id);
    const [mail] = inbox.to('dee@example.org');
    const link = unsubscribeLink(mail);
    assert.ok(link.startsWith(`${server.url}/v1/papers/unsubscribe?token=`), `links use the server's address without digest.publicUrl: ${link}`);

    const list = await call('GET', '/v1/papers/subscriptions', { key: ADMIN });
    assert.equal(list.json.subscriptions[0].send.status, 'sent');

    const tampered = link.replace(/token=s/, 'token=t');
    const refused = await call('GET', tampered);
    assert.equal(refused.status, 403);
    assert.match(refused.type, /text\/html/);
    assert.match(refused.text, /not valid/);
    assert.match(refused.text, /INVALID_TOKEN/);
    const refusedJson = await call('GET', tampered, { headers: { accept: 'application/json' } });
    assert.equal(refusedJson.json.error.code, 'INVALID_TOKEN');

    const confirm = await call('GET', link);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /dee@example\.org/);
    assert.match(confirm.text, /<form method="post"/);
    assert.equal((await call('GET', '/v1/papers/subscriptions', { key: ADMIN })).json.subscriptions.length, 1, 'GET alone does not unsubscribe');

    // RFC 8058 one-click, as a mail client sends it
    const done = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /no more Quiver Papers digests/);
    assert.equal((await call('GET', '/v1/papers/subscriptions', { key: ADMIN })).json.subscriptions.length, 0);
    const twice = await call('GET', link);
    assert.equal(twice.status, 200);
    assert.match(twice.text, /not subscribed/);
  });

  it('quiver digest --url asks the server to run it (admin key)', async () => {
    const subscribed = await call('POST', '/v1/papers/subscriptions', { key: WRITER, body: { email: 'fay@example.org', interests: papers[2].title } });
    assert.equal(subscribed.status, 201);
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(52, 55));
    const dry = await quiver(['--url', server.url, '--api-key', ADMIN, 'digest', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would-send +fay@example\.org 3 papers/);
    assert.match(dry.stdout, /dry run: nothing sent/);
    const refused = await quiver(['--url', server.url, '--api-key', WRITER, 'digest', '--send']);
    assert.equal(refused.code, 8, 'a read-write key may not send');
    const sent = await quiver(['--url', server.url, '--api-key', ADMIN, 'digest', '--send', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.deepEqual(JSON.parse(sent.stdout).results.map((r: { status: string }) => r.status), ['sent']);
    assert.equal(inbox.to('fay@example.org').length, 1);
    assert.equal((await quiver(['--url', server.url, '--api-key', ADMIN, 'digest'])).code, 2, 'neither --send nor --dry-run');
  });

  it('the routes are in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json', { key: ADMIN })).json;
    for (const path of ['/v1/papers/subscriptions', '/v1/papers/unsubscribe', '/v1/papers/digest/send']) assert.ok(doc.paths[path], path);
  });
});

describe('the digest scheduler', () => {
  let dir: string;
  let db: Quiver;
  let inbox: Inbox;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-digest-scheduler-'));
    db = await Quiver.open({ path: dir });
    inbox = new Inbox();
    await inbox.start();
    await openPapers(db, async () => corpus.slice(60, 64));
    server = await startServer({ db, logger: false, config: { port: 0, consoleDir: '', smtp: { url: inbox.url, from: 'papers@example.org' }, digest: { secret: SECRET, cutoffLagMs: 0, enabled: false }, papers: { enabled: true } } });
  });

  after(async () => {
    await server.close();
    await inbox.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs once per day from the stored state: a new scheduler (a restart) does not send again', async () => {
    assert.equal(scheduledSlot(Date.UTC(2030, 4, 2, 9, 30), 7), Date.UTC(2030, 4, 2, 7));
    assert.equal(scheduledSlot(Date.UTC(2030, 4, 2, 6, 59), 7), Date.UTC(2030, 4, 1, 7));
    const response = await fetch(new URL('/v1/papers/subscriptions', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'eve@example.org', interests: corpus[66].title }) });
    assert.equal(response.status, 201);
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(64, 70));
    const config = { ...server.config, digest: { ...server.config.digest, enabled: true, hour: 7 } };
    const noLog = { info() {}, warn() {}, error() {}, debug() {} } as never;
    let clock = Date.now();
    const scheduler = () => new DigestScheduler(new PapersDigest(db, config, noLog), config, noLog, () => clock);
    const first = await scheduler().tick();
    assert.deepEqual(first?.results.map((r) => r.status), ['sent']);
    const restarted = await scheduler().tick();
    assert.equal(restarted?.notDue, 1, 'after a restart the same day, the subscriber is not due');
    assert.equal(inbox.to('eve@example.org').length, 1);
    clock += 86_400_000;
    const nextDay = await scheduler().tick();
    assert.deepEqual(nextDay?.results.map((r) => r.status), ['nothing-new'], 'the next day it looks again');
  });

  it('quiver digest --send --data DIR runs against a store, with the SMTP settings from the environment', async () => {
    await server.close();
    await addPapers(db.collection(PAPERS_COLLECTION), corpus.slice(70, 72));
    await db.close();
    const env = { QUIVER_SMTP_URL: inbox.url, QUIVER_SMTP_FROM: 'papers@example.org', QUIVER_DIGEST_CUTOFF_LAG_MS: '0' };
    const noSecret = await quiver(['--data', dir, 'digest', '--send'], env);
    assert.equal(noSecret.code, 10, noSecret.stderr);
    assert.match(noSecret.stderr, /QUIVER_DIGEST_SECRET/);
    const sent = await quiver(['--data', dir, 'digest', '--send'], { ...env, QUIVER_DIGEST_SECRET: SECRET });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /^sent +eve@example\.org 2 papers/m);
    assert.equal(inbox.to('eve@example.org').length, 2);
    db = await Quiver.open({ path: dir });
  });
});
