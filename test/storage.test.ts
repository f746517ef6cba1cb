import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile as fsWriteFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isQuiverError } from '../src/core/errors.js';
import type { StorageAdapter } from '../src/storage/adapter.js';
import { FaultyStorage } from '../src/storage/faulty.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { NodeFsStorage } from '../src/storage/node-fs.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

const temporaryDirectories: string[] = [];
async function temporaryDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-storage-'));
  temporaryDirectories.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(temporaryDirectories.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}, but it resolved`),
    (e: unknown) => e,
  );
  assert.ok(isQuiverError(error, code as never), `expected QuiverError ${code}, got ${String(error)}`);
  return error.details;
}

const adapters: { name: string; make: () => Promise<StorageAdapter> }[] = [
  { name: 'MemoryStorage', make: async () => new MemoryStorage() },
  { name: 'NodeFsStorage', make: async () => new NodeFsStorage(join(await temporaryDirectory(), 'db')) },
  { name: 'FaultyStorage (no faults)', make: async () => new FaultyStorage({ seed: 11 }) },
];

for (const { name, make } of adapters) {
  describe(`StorageAdapter conformance: ${name}`, () => {
    it('starts empty; a missing file reads as null', async () => {
      const s = await make();
      assert.deepEqual(await s.list(), []);
      assert.equal(await s.readFile('nope'), null);
      assert.equal(await s.exists('nope'), false);
      assert.equal(typeof s.name, 'string');
      assert.equal(typeof s.location, 'string');
    });

    it('writes, replaces and reads whole files, sharing no memory with the caller', async () => {
      const s = await make();
      const input = utf8('hello');
      await s.writeFile('a.bin', input);
      input[0] = 0x58;
      assert.equal(text(await s.readFile('a.bin')), 'hello');
      const read = (await s.readFile('a.bin'))!;
      read[0] = 0x58;
      assert.equal(text(await s.readFile('a.bin')), 'hello');
      await s.writeFile('a.bin', utf8('hi'));
      assert.equal(text(await s.readFile('a.bin')), 'hi');
      await s.writeFile('empty', new Uint8Array(0));
      assert.deepEqual(await s.readFile('empty'), new Uint8Array(0));
      assert.equal(await s.exists('a.bin'), true);
      await s.syncFile('a.bin');
      await s.syncDirectory();
    });

    it('lists files sorted', async () => {
      const s = await make();
      for (const n of ['b', 'MANIFEST.tmp', 'a', 'wal-00000002.log', 'wal-00000001.log']) await s.writeFile(n, utf8(n));
      assert.deepEqual(await s.list(), ['MANIFEST.tmp', 'a', 'b', 'wal-00000001.log', 'wal-00000002.log']);
    });

    it('renames atomically over an existing file, and reports a missing source as IO_ERROR', async () => {
      const s = await make();
      await s.writeFile('MANIFEST.tmp', utf8('new'));
      await s.writeFile('MANIFEST', utf8('old'));
      await s.rename('MANIFEST.tmp', 'MANIFEST');
      assert.equal(text(await s.readFile('MANIFEST')), 'new');
      assert.deepEqual(await s.list(), ['MANIFEST']);
      const details = await rejectsWith(s.rename('missing', 'x'), 'IO_ERROR');
      assert.equal(details.file, 'missing');
      assert.equal(details.causeCode, 'ENOENT');
      assert.equal(typeof details.operation, 'string');
    });

    it('removes files; removing a missing file is not an error', async () => {
      const s = await make();
      await s.writeFile('x', utf8('x'));
      await s.remove('x');
      await s.remove('x');
      assert.equal(await s.exists('x'), false);
      assert.deepEqual(await s.list(), []);
    });

    it('syncing a missing file is IO_ERROR', async () => {
      const s = await make();
      const details = await rejectsWith(s.syncFile('ghost'), 'IO_ERROR');
      assert.equal(details.file, 'ghost');
    });

    it('appends, syncs, truncates and reopens append files', async () => {
      const s = await make();
      const f = await s.openAppend('log');
      assert.equal(f.size, 0);
      assert.equal(await s.exists('log'), true);
      await f.append(utf8('abc'));
      await f.append(utf8('def'));
      assert.equal(f.size, 6);
      await f.sync();
      await f.truncate(4);
      assert.equal(f.size, 4);
      await f.append(utf8('XY'));
      await f.sync();
      await f.close();
      assert.equal(text(await s.readFile('log')), 'abcdXY');
      await rejectsWith(f.append(utf8('late')), 'CLOSED');

      const again = await s.openAppend('log');
      assert.equal(again.size, 6);
      await again.append(utf8('!'));
      await again.close();
      assert.equal(text(await s.readFile('log')), 'abcdXY!');
    });

    it('concurrent appends land in call order', async () => {
      const s = await make();
      const f = await s.openAppend('log');
      await Promise.all(Array.from({ length: 100 }, (_, i) => f.append(utf8(`${i},`))));
      await Promise.all([f.sync(), f.append(utf8('end'))]);
      await f.close();
      assert.equal(text(await s.readFile('log')), `${Array.from({ length: 100 }, (_, i) => `${i},`).join('')}end`);
    });

    it('an append handle follows its file through a rename', async () => {
      const s = await make();
      const f = await s.openAppend('a');
      await f.append(utf8('1'));
      await s.rename('a', 'b');
      await f.append(utf8('2'));
      await f.close();
      assert.equal(text(await s.readFile('b')), '12');
      assert.equal(await s.exists('a'), false);
    });

    it('refuses file names that are not flat, with INVALID_ARGUMENT', async () => {
      const s = await make();
      for (const bad of ['', '.', '..', 'a/b', '../x', 'a\\b', 'nul\0', 'LOCK', 'LOCK.takeover']) {
        await rejectsWith(s.writeFile(bad, utf8('x')), 'INVALID_ARGUMENT');
        await rejectsWith(s.readFile(bad), 'INVALID_ARGUMENT');
      }
    });

    it('locks: a second lock is LOCKED until the first is released', async () => {
      const s = await make();
      const held = await s.lock();
      await rejectsWith(s.lock(), 'LOCKED');
      await held.release();
      await held.release(); // idempotent
      const again = await s.lock();
      assert.ok(!(await s.list()).includes('LOCK'), 'the lock file is not listed');
      await again.release();
    });

    it('files outlive close, so a database can reopen on the same adapter', async () => {
      const s = await make();
      await s.writeFile('keep', utf8('me'));
      const held = await s.lock();
      await s.close?.();
      await held.release();
      const relocked = await s.lock();
      assert.equal(text(await s.readFile('keep')), 'me');
      await relocked.release();
    });
  });
}

describe('NodeFsStorage specifics', () => {
  const nodeFsModule = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'storage', 'node-fs.ts')).href;

  /** Starts a child process that locks `dir`, and waits until it holds the lock. */
  async function childHoldingLock(dir: string): Promise<ChildProcess> {
    const code = `import { NodeFsStorage } from ${JSON.stringify(nodeFsModule)};
      await new NodeFsStorage(${JSON.stringify(dir)}).lock();
      process.stdout.write('locked\\n');
      setInterval(() => {}, 60000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not lock within 20s: ${stderr}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before locking: ${stderr}`));
      });
    });
    return child;
  }

  it('creates the directory and writes a LOCK file holding { pid, hostname, startedAt }; release removes it', async () => {
    const dir = join(await temporaryDirectory(), 'nested', 'db');
    const s = new NodeFsStorage(dir);
    const held = await s.lock();
    const info = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'));
    assert.equal(info.pid, process.pid);
    assert.equal(typeof info.hostname, 'string');
    assert.ok(!Number.isNaN(Date.parse(info.startedAt)));
    await held.release();
    await assert.rejects(readFile(join(dir, 'LOCK')), { code: 'ENOENT' });
  });

  it('a second adapter on the same directory, even through a symlink, is LOCKED in the same process', async () => {
    const root = await temporaryDirectory();
    const dir = join(root, 'db');
    const first = new NodeFsStorage(dir);
    const held = await first.lock();
    await rejectsWith(new NodeFsStorage(dir).lock(), 'LOCKED');
    await symlink(dir, join(root, 'alias'));
    await rejectsWith(new NodeFsStorage(join(root, 'alias')).lock(), 'LOCKED');
    await held.release();
    const next = await new NodeFsStorage(join(root, 'alias')).lock();
    await next.release();
  });

  it('a lock held by a live process is LOCKED naming its pid; after kill -9 it is stale and taken over', { timeout: 60_000 }, async () => {
    const dir = join(await temporaryDirectory(), 'db');
    const child = await childHoldingLock(dir);
    try {
      const s = new NodeFsStorage(dir);
      const error = await s.lock().then(
        () => assert.fail('lock should be refused'),
        (e: unknown) => e,
      );
      assert.ok(isQuiverError(error, 'LOCKED'));
      assert.equal(error.details.pid, child.pid);
      assert.match(error.message, new RegExp(`process ${child.pid}`));
      assert.match(error.message, /LOCK/);

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const held = await s.lock();
      const info = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'));
      assert.equal(info.pid, process.pid);
      await held.release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a lock left by a dead pid, but not an unreadable fresh one', async () => {
    const dir = join(await temporaryDirectory(), 'db');
    const s = new NodeFsStorage(dir);
    await s.list(); // creates the directory
    // A pid far above any default pid_max stands for a process that no longer exists.
    await fsWriteFile(join(dir, 'LOCK'), JSON.stringify({ pid: 2 ** 30, hostname: (await import('node:os')).hostname(), startedAt: 'x' }));
    const held = await s.lock();
    await held.release();

    await fsWriteFile(join(dir, 'LOCK'), '');
    await rejectsWith(s.lock(), 'LOCKED');
  });

  it('a lock from another host is never assumed stale', async () => {
    const dir = join(await temporaryDirectory(), 'db');
    const s = new NodeFsStorage(dir);
    await s.list();
    await fsWriteFile(join(dir, 'LOCK'), JSON.stringify({ pid: 1, hostname: 'some-other-host', startedAt: 'then' }));
    const details = await rejectsWith(s.lock(), 'LOCKED');
    assert.equal(details.hostname, 'some-other-host');
  });

  it('turns OS errors into IO_ERROR with { file, operation, causeCode }', async () => {
    const root = await temporaryDirectory();
    await fsWriteFile(join(root, 'plain-file'), 'x');
    const underAFile = new NodeFsStorage(join(root, 'plain-file', 'db'));
    const details = await rejectsWith(underAFile.list(), 'IO_ERROR');
    assert.equal(details.causeCode, 'ENOTDIR');
    assert.equal(typeof details.operation, 'string');

    const s = new NodeFsStorage(join(root, 'db'));
    const f = await s.openAppend('log');
    await f.close();
    await s.remove('log');
    const renameDetails = await rejectsWith(s.rename('log', 'other'), 'IO_ERROR');
    assert.deepEqual([renameDetails.file, renameDetails.causeCode], ['log', 'ENOENT']);

    await mkdir(join(root, 'db', 'a-directory'));
    const readDetails = await rejectsWith(s.readFile('a-directory'), 'IO_ERROR');
    assert.deepEqual([readDetails.file, readDetails.causeCode, readDetails.operation], ['a-directory', 'EISDIR', 'read']);
    assert.ok(!(await s.list()).includes('a-directory'), 'list() shows files only');
  });
});

describe('FaultyStorage', () => {
  it('counts fsyncs, reads and writes', async () => {
    const s = new FaultyStorage({ seed: 1 });
    await s.writeFile('a', utf8('a'));
    await s.syncFile('a');
    const f = await s.openAppend('b');
    await f.append(utf8('b'));
    await f.sync();
    await s.syncDirectory();
    await s.readFile('a');
    assert.deepEqual(s.stats, { fsyncs: 3, fileSyncs: 2, directorySyncs: 1, reads: 1, writes: 2 });
  });

  it('injects read and write errors as IO_ERROR at the configured rates', async () => {
    const s = new FaultyStorage({ seed: 2, readErrorRate: 1, writeErrorRate: 1 });
    await rejectsWith(s.readFile('a'), 'IO_ERROR');
    const details = await rejectsWith(s.writeFile('a', utf8('x')), 'IO_ERROR');
    assert.equal(details.causeCode, 'ENOSPC');
    s.faults.readErrorRate = 0;
    s.faults.writeErrorRate = 0;
    await s.writeFile('a', utf8('x'));
    assert.equal(text(await s.readFile('a')), 'x');
  });

  it('after a crash, synced data in a synced directory survives; unsynced data is lost, torn or kept', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 300; seed++) {
      const s = new FaultyStorage({ seed });
      await s.writeFile('durable', utf8('safe'));
      await s.syncFile('durable');
      const log = await s.openAppend('log');
      await log.append(utf8('0123456789'));
      await log.sync();
      await s.syncDirectory();
      await log.append(utf8('abcdefghij'));
      await s.writeFile('unsynced', utf8('maybe'));
      await s.rename('durable', 'renamed');

      const after = s.crash();
      await rejectsWith(s.readFile('log'), 'IO_ERROR'); // the old machine is gone
      const files = await after.list();
      const durable = text(await after.readFile(files.includes('renamed') ? 'renamed' : 'durable'));
      assert.equal(durable, 'safe', `seed ${seed}`);
      const logBytes = (await after.readFile('log'))!;
      assert.equal(text(logBytes.subarray(0, 10)), '0123456789', `seed ${seed}`);
      assert.ok(logBytes.length <= 20);
      if (files.includes('unsynced')) {
        const u = text(await after.readFile('unsynced'))!;
        assert.ok(u.length <= 5);
      }
      outcomes.add(`${files.join(',')}|${logBytes.length === 10 ? 'log-durable' : logBytes.length === 20 ? 'log-full' : 'log-torn'}`);
    }
    // Every kind of outcome shows up across seeds: directory operations kept or lost, logs whole or torn.
    assert.ok(outcomes.has('durable,log|log-durable'), [...outcomes].join(' '));
    assert.ok([...outcomes].some((o) => o.includes('renamed')), [...outcomes].join(' '));
    assert.ok([...outcomes].some((o) => o.includes('log-torn')), [...outcomes].join(' '));
    assert.ok([...outcomes].some((o) => o.includes('log-full')), [...outcomes].join(' '));
  });

  it('a file created but never made durable in the directory can vanish', async () => {
    let vanished = 0;
    for (let seed = 0; seed < 50; seed++) {
      const s = new FaultyStorage({ seed });
      await s.writeFile('new', utf8('x'));
      await s.syncFile('new'); // data durable, but the directory entry is not
      if (!(await s.crash().exists('new'))) vanished++;
    }
    assert.ok(vanished > 0 && vanished < 50, `vanished ${vanished} of 50`);
  });
});
