import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { QuiverError, isQuiverError } from '../src/core/errors.js';
import { ByteReader, ByteWriter } from '../src/core/format/bytes.js';
import { crc32c } from '../src/core/format/crc32c.js';
import {
  WAL_FORMAT_VERSION,
  WAL_HEADER_BYTES,
  WAL_RECORD_BYTES_MAX,
  decodeWal,
  encodeWalHeader,
  encodeWalRecord,
  lengthCheck,
  parseWalFileName,
  walFileName,
} from '../src/core/format/wal.js';
import { Prng } from '../src/core/lib/prng.js';
import { FaultyStorage } from '../src/storage/faulty.js';
import { MemoryStorage } from '../src/storage/memory.js';
import { WalWriter, readWalFile, type WalDurability } from '../src/storage/wal-writer.js';

const LONG = process.env.QUIVER_LONG === '1';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function walBytes(fileNumber: number, payloads: Uint8Array[]): { bytes: Uint8Array; starts: number[] } {
  const starts: number[] = [];
  let at = WAL_HEADER_BYTES;
  const records = payloads.map((p) => {
    starts.push(at);
    const r = encodeWalRecord(p);
    at += r.length;
    return r;
  });
  return { bytes: concat([encodeWalHeader(fileNumber), ...records]), starts };
}

function expectQuiverError(fn: () => unknown, code: string): QuiverError {
  try {
    fn();
  } catch (error) {
    assert.ok(isQuiverError(error), `expected a QuiverError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected QuiverError ${code}, nothing was thrown`);
}

function bitwiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('crc32c', () => {
  it('matches the standard test vectors', () => {
    assert.equal(crc32c(utf8('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  it('equals the bitwise definition and continues from a seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
        assert.equal(crc32c(a), bitwiseCrc32c(a));
        assert.equal(crc32c(b, crc32c(a)), crc32c(concat([a, b])));
      }),
    );
  });

  it('reads only its view of a larger buffer', () => {
    const big = new Uint8Array(40).fill(7);
    big.set(utf8('123456789'), 13);
    assert.equal(crc32c(big.subarray(13, 22)), 0xe3069283);
  });
});

describe('ByteWriter / ByteReader', () => {
  it('round-trips every type, little-endian', () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.integer({ min: 0, max: 0xff }),
          b: fc.integer({ min: 0, max: 0xffff }),
          c: fc.integer({ min: 0, max: 0xffffffff }),
          d: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
          e: fc.maxSafeNat(),
          f: fc.float({ noNaN: true }),
          g: fc.double({ noNaN: true }),
          h: fc.uint8Array({ maxLength: 40 }),
          s: fc.string({ unit: 'grapheme', maxLength: 20 }),
        }),
        (v) => {
          const w = new ByteWriter(1);
          w.u8(v.a).u16(v.b).u32(v.c).i32(v.d).u64(v.e).f32(v.f).f64(v.g).u32(v.h.length).bytes(v.h).utf8(v.s);
          const r = new ByteReader(w.finish(), 'test');
          assert.equal(r.u8(), v.a);
          assert.equal(r.u16(), v.b);
          assert.equal(r.u32(), v.c);
          assert.equal(r.i32(), v.d);
          assert.equal(r.u64(), v.e);
          assert.equal(r.f32(), Math.fround(v.f));
          assert.equal(r.f64(), v.g);
          assert.deepEqual(r.bytes(r.u32()), v.h);
          assert.equal(r.utf8(), v.s);
          assert.ok(r.atEnd);
        },
      ),
    );
    assert.deepEqual([...new ByteWriter().u32(0x01020304).finish()], [4, 3, 2, 1]);
  });

  it('patches a u32 in place', () => {
    const w = new ByteWriter().u32(0).u8(9);
    w.patchU32(0, 0xdeadbeef);
    assert.equal(new ByteReader(w.finish(), 't').u32(), 0xdeadbeef);
  });

  it('throws CORRUPTED with { what, offset } on every read past the end', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3), 'seg-1.qseg');
    r.u16();
    const error = expectQuiverError(() => r.u32(), 'CORRUPTED');
    assert.equal(error.details.what, 'seg-1.qseg');
    assert.equal(error.details.offset, 2);
    assert.match(error.message, /seg-1\.qseg/);
    expectQuiverError(() => new ByteReader(Uint8Array.of(255, 255, 255, 255), 't').utf8(), 'CORRUPTED');
    expectQuiverError(() => new ByteReader(Uint8Array.of(1, 0, 0, 0, 0xff), 't').utf8(), 'CORRUPTED'); // invalid UTF-8
    expectQuiverError(() => new ByteReader(new Uint8Array(8).fill(0xff), 't').u64(), 'CORRUPTED'); // > 2^53
  });

  it('never throws anything but QuiverError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 30 }), (bytes, ops) => {
        const r = new ByteReader(bytes, 'fuzz');
        try {
          for (const op of ops) {
            [() => r.u8(), () => r.u16(), () => r.u32(), () => r.i32(), () => r.u64(), () => r.f32(), () => r.f64(), () => r.utf8(), () => r.bytes(3)][op]();
          }
        } catch (error) {
          assert.ok(isQuiverError(error, 'CORRUPTED'), String(error));
        }
      }),
    );
  });
});

describe('Prng', () => {
  it('is deterministic per seed, uniform enough, and in range', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c.next()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[a.int(7)]++;
    assert.ok(counts.every((n) => n > 800 && n < 1200), String(counts));
  });
});

describe('WAL format', () => {
  it('round-trips records and names', () => {
    const payloads = [utf8('a'), new Uint8Array(0), utf8('hello world'), new Uint8Array(1000).fill(3)];
    const { bytes } = walBytes(7, payloads);
    const decoded = decodeWal(bytes, 'wal-00000007.log');
    assert.equal(decoded.fileNumber, 7);
    assert.deepEqual(decoded.records, payloads);
    assert.equal(decoded.validLength, bytes.length);
    assert.equal(decoded.tornTail, false);
    assert.equal(walFileName(7), 'wal-00000007.log');
    assert.equal(parseWalFileName('wal-00000007.log'), 7);
    assert.equal(parseWalFileName(walFileName(0xffffffff)), 0xffffffff);
    assert.equal(parseWalFileName('wal-7.log'), null);
    assert.equal(parseWalFileName('wal-000000007.log'), null);
    assert.equal(parseWalFileName('MANIFEST'), null);
  });

  it('lays the header out as documented', () => {
    const h = encodeWalHeader(0x01020304);
    assert.equal(h.length, 16);
    assert.deepEqual([...h.subarray(0, 12)], [0x51, 0x56, 0x57, 0x4c, 1, 0, 0, 0, 4, 3, 2, 1]);
    assert.equal(new DataView(h.buffer).getUint32(12, true), crc32c(h.subarray(0, 12)));
    const r = encodeWalRecord(utf8('xyz'));
    assert.equal(new DataView(r.buffer).getUint32(0, true) & 0x1fffffff, 3);
  });

  it('an empty or short file has no records; torn when not empty', () => {
    assert.deepEqual(decodeWal(new Uint8Array(0), 'w'), { fileNumber: null, records: [], validLength: 0, tornTail: false });
    for (let n = 1; n < WAL_HEADER_BYTES; n++) {
      assert.deepEqual(decodeWal(encodeWalHeader(1).subarray(0, n), 'w'), { fileNumber: null, records: [], validLength: 0, tornTail: true });
    }
    // A damaged header with nothing after it: the header write itself was torn.
    assert.deepEqual(decodeWal(new Uint8Array(16), 'w'), { fileNumber: null, records: [], validLength: 0, tornTail: true });
  });

  it('decoding any cut of a log gives a prefix of its records, torn exactly when cut mid-record', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 12 }), (payloads) => {
        const { bytes, starts } = walBytes(3, payloads);
        const boundaries = [...starts, bytes.length];
        for (let cut = 0; cut <= bytes.length; cut++) {
          const d = decodeWal(bytes.subarray(0, cut), 'w');
          if (cut < WAL_HEADER_BYTES) {
            assert.deepEqual(d, { fileNumber: null, records: [], validLength: 0, tornTail: cut > 0 });
            continue;
          }
          const whole = boundaries.filter((b) => b <= cut).length - 1;
          assert.equal(d.fileNumber, 3);
          assert.deepEqual(d.records, payloads.slice(0, whole));
          assert.equal(d.validLength, boundaries[whole]);
          assert.equal(d.tornTail, cut !== boundaries[whole]);
        }
      }),
      { numRuns: LONG ? 300 : 60 },
    );
  });

  it('a bit flip in any record but the last is CORRUPTED naming the file and the record offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 2, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        (payloads, pick, bitPick) => {
          const { bytes, starts } = walBytes(5, payloads);
          const i = pick % (payloads.length - 1);
          const recordBits = (8 + payloads[i].length) * 8;
          const bit = bitPick % recordBits;
          const damaged = bytes.slice();
          damaged[starts[i] + (bit >>> 3)] ^= 1 << (bit & 7);
          const error = expectQuiverError(() => decodeWal(damaged, 'wal-00000005.log'), 'CORRUPTED');
          assert.equal(error.details.file, 'wal-00000005.log');
          assert.equal(error.details.offset, starts[i]);
          assert.match(error.message, /wal-00000005\.log/);
        },
      ),
      { numRuns: LONG ? 2000 : 300 },
    );
  });

  it('a bit flip in the header of a file with records is CORRUPTED at offset 0', () => {
    const { bytes } = walBytes(5, [utf8('a')]);
    for (let bit = 0; bit < 128; bit++) {
      const damaged = bytes.slice();
      damaged[bit >>> 3] ^= 1 << (bit & 7);
      assert.equal(expectQuiverError(() => decodeWal(damaged, 'w'), 'CORRUPTED').details.offset, 0);
    }
  });

  it('the length check catches every single-bit error in the length word', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: WAL_RECORD_BYTES_MAX }), fc.integer({ min: 0, max: 31 }), (length, bit) => {
        const word = ((lengthCheck(length) << 29) | length) >>> 0;
        const flipped = (word ^ (1 << bit)) >>> 0;
        const l = flipped & 0x1fffffff;
        assert.ok(flipped >>> 29 !== lengthCheck(l) || l > WAL_RECORD_BYTES_MAX);
      }),
    );
  });

  it('a checksum failure in the last record, or followed only by zeros, is a torn tail', () => {
    const { bytes, starts } = walBytes(1, [utf8('one'), utf8('two')]);
    const damaged = bytes.slice();
    damaged[damaged.length - 1] ^= 0xff;
    assert.deepEqual(decodeWal(damaged, 'w'), { fileNumber: 1, records: [utf8('one')], validLength: starts[1], tornTail: true });

    const zeroTail = concat([bytes, new Uint8Array(4096)]);
    assert.deepEqual(decodeWal(zeroTail, 'w'), { fileNumber: 1, records: [utf8('one'), utf8('two')], validLength: bytes.length, tornTail: true });

    const zeroedPayload = concat([bytes, encodeWalRecord(utf8('three-three')), new Uint8Array(100)]);
    zeroedPayload.fill(0, bytes.length + 10);
    assert.equal(decodeWal(zeroedPayload, 'w').validLength, bytes.length);
  });

  it('a record running past the end of the file is a torn tail', () => {
    const { bytes, starts } = walBytes(1, [utf8('one'), new Uint8Array(100)]);
    const d = decodeWal(bytes.subarray(0, bytes.length - 1), 'w');
    assert.equal(d.validLength, starts[1]);
    assert.equal(d.tornTail, true);
  });

  it('a damaged length that is not at the tail is CORRUPTED', () => {
    const { bytes, starts } = walBytes(1, [utf8('one'), utf8('two')]);
    const damaged = bytes.slice();
    new DataView(damaged.buffer).setUint32(starts[0], 0x1fffffff, true); // over the maximum, check bits 0
    assert.equal(expectQuiverError(() => decodeWal(damaged, 'w'), 'CORRUPTED').details.offset, starts[0]);
  });

  it('refuses a newer version, an unknown version and unknown flags with UNSUPPORTED', () => {
    const header = (version: number, flags: number): Uint8Array => {
      const h = encodeWalHeader(9);
      const v = new DataView(h.buffer);
      v.setUint16(4, version, true);
      v.setUint16(6, flags, true);
      v.setUint32(12, crc32c(h.subarray(0, 12)), true);
      return concat([h, encodeWalRecord(utf8('x'))]);
    };
    const newer = expectQuiverError(() => decodeWal(header(WAL_FORMAT_VERSION + 1, 0), 'wal-00000009.log'), 'UNSUPPORTED');
    assert.deepEqual(newer.details, { file: 'wal-00000009.log', version: 2, supportedVersion: 1 });
    assert.match(newer.message, /wal-00000009\.log.*version 2.*version 1/);
    expectQuiverError(() => decodeWal(header(0, 0), 'w'), 'UNSUPPORTED');
    expectQuiverError(() => decodeWal(header(1, 1), 'w'), 'UNSUPPORTED');
    // Even a bare header (no records) of a newer version is refused, not treated as torn.
    expectQuiverError(() => decodeWal(header(2, 0).subarray(0, 16), 'w'), 'UNSUPPORTED');
  });

  it('random and truncated garbage either decodes or throws QuiverError, nothing else', () => {
    const check = (bytes: Uint8Array): void => {
      try {
        const d = decodeWal(bytes, 'fuzz');
        assert.ok(d.validLength <= bytes.length);
        assert.equal(d.tornTail, d.validLength < bytes.length);
      } catch (error) {
        assert.ok(isQuiverError(error), String(error));
      }
    };
    const valid = walBytes(2, [utf8('abc'), new Uint8Array(70).fill(1), utf8('z')]).bytes;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.uint8Array({ maxLength: 64 }), (garbage, cut, noise) => {
        check(garbage);
        check(concat([encodeWalHeader(2), garbage]));
        const prefix = valid.subarray(0, cut % (valid.length + 1));
        check(concat([prefix, noise]));
        const overwritten = valid.slice();
        overwritten.set(noise.subarray(0, Math.max(0, overwritten.length - (cut % overwritten.length))), cut % overwritten.length);
        check(overwritten);
      }),
      { numRuns: LONG ? 5000 : 500 },
    );
  });

  it('refuses a record over the maximum with LIMIT_EXCEEDED', () => {
    const big = { length: WAL_RECORD_BYTES_MAX + 1 } as unknown as Uint8Array; // never allocated
    expectQuiverError(() => encodeWalRecord(big), 'LIMIT_EXCEEDED');
  });
});

describe('WalWriter', () => {
  const payload = (i: number): Uint8Array => utf8(`record-${i}`);

  it('writes a durable header and directory entry on create, and appends in call order', async () => {
    const storage = new FaultyStorage({ seed: 1 });
    const writer = await WalWriter.create(storage, 4);
    assert.equal(writer.name, 'wal-00000004.log');
    assert.equal(writer.size, WAL_HEADER_BYTES);
    assert.equal(storage.stats.fileSyncs, 1);
    assert.equal(storage.stats.directorySyncs, 1);
    const modes: WalDurability[] = ['sync', 'none', 'batched'];
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.append(payload(i), modes[i % 3])));
    await writer.close();
    const decoded = await readWalFile(storage, 'wal-00000004.log');
    assert.deepEqual(decoded.records, Array.from({ length: 30 }, (_, i) => payload(i)));
    assert.equal(writer.size, decoded.validLength);
    await assert.rejects(writer.append(payload(99), 'sync'), (e) => isQuiverError(e, 'CLOSED'));
  });

  it('group commit: 50 concurrent sync appends share far fewer than 50 fsyncs', async () => {
    const storage = new FaultyStorage({ seed: 2 });
    const writer = await WalWriter.create(storage, 1);
    const before = storage.stats.fsyncs;
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.append(payload(i), 'sync')));
    const used = storage.stats.fsyncs - before;
    assert.ok(used <= 2, `50 sync appends used ${used} fsyncs`);
    await writer.close();
    assert.equal((await readWalFile(storage, writer.name)).records.length, 50);
  });

  it('group commit under a slow disk: appends arriving during an fsync share the next one', async () => {
    const storage = new FaultyStorage({ seed: 3, syncDelayMs: 5 });
    const writer = await WalWriter.create(storage, 1);
    const before = storage.stats.fsyncs;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      pending.push(writer.append(payload(i), 'sync'));
      if (i % 5 === 4) await sleep(1);
    }
    await Promise.all(pending);
    const used = storage.stats.fsyncs - before;
    assert.ok(used < 25, `50 staggered sync appends used ${used} fsyncs`);
    await writer.close();
  });

  it("'batched' resolves before any fsync and syncs within syncIntervalMs; 'none' syncs only on close", async () => {
    const storage = new FaultyStorage({ seed: 4 });
    const writer = await WalWriter.create(storage, 1, { syncIntervalMs: 20 });
    const before = storage.stats.fsyncs;
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(payload(i), 'batched')));
    assert.equal(storage.stats.fsyncs, before);
    await sleep(80);
    assert.equal(storage.stats.fsyncs, before + 1);

    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(payload(i), 'none')));
    await sleep(60);
    assert.equal(storage.stats.fsyncs, before + 1);
    await writer.close();
    assert.equal(storage.stats.fsyncs, before + 2);
  });

  it('flush makes everything written durable', async () => {
    const storage = new FaultyStorage({ seed: 5 });
    const writer = await WalWriter.create(storage, 1);
    await writer.append(payload(0), 'none');
    await writer.flush();
    const after = storage.crash();
    assert.deepEqual((await readWalFile(after, writer.name)).records, [payload(0)]);
  });

  it('a failed fsync rejects every waiting append with IO_ERROR and every later one', async () => {
    const storage = new FaultyStorage({ seed: 6 });
    const writer = await WalWriter.create(storage, 1);
    storage.faults.syncErrorRate = 1;
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => writer.append(payload(i), 'sync')));
    for (const r of results) assert.ok(r.status === 'rejected' && isQuiverError(r.reason, 'IO_ERROR'));
    storage.faults.syncErrorRate = 0;
    await assert.rejects(writer.append(payload(9), 'none'), (e) => isQuiverError(e, 'IO_ERROR'));
    await assert.rejects(writer.flush(), (e) => isQuiverError(e, 'IO_ERROR'));
    await writer.close(); // closes quietly: the failure was reported already
  });

  it('a failed write rejects with IO_ERROR naming the file and cause', async () => {
    const storage = new FaultyStorage({ seed: 7 });
    const writer = await WalWriter.create(storage, 1);
    storage.faults.writeErrorRate = 1;
    const error = await writer.append(payload(0), 'none').then(
      () => assert.fail('append should fail'),
      (e: unknown) => e,
    );
    assert.ok(isQuiverError(error, 'IO_ERROR'));
    assert.equal(error.details.file, 'wal-00000001.log');
    assert.equal(error.details.causeCode, 'ENOSPC');
    await assert.rejects(writer.append(payload(1), 'sync'), (e) => isQuiverError(e, 'IO_ERROR'));
  });

  it('readWalFile cuts a torn tail so new records never follow torn bytes', async () => {
    const storage = new MemoryStorage();
    const { bytes } = walBytes(1, [payload(0), payload(1)]);
    await storage.writeFile(walFileName(1), bytes.subarray(0, bytes.length - 3));
    const { writer, records } = await WalWriter.resume(storage, 1);
    assert.deepEqual(records, [payload(0)]);
    await writer.append(payload(2), 'sync');
    await writer.close();
    const decoded = await readWalFile(storage, walFileName(1));
    assert.deepEqual(decoded.records, [payload(0), payload(2)]);
    assert.equal(decoded.tornTail, false);
    await assert.rejects(readWalFile(storage, walFileName(2)), (e) => isQuiverError(e, 'IO_ERROR'));
  });

  it('resume recreates a WAL whose creation was interrupted', async () => {
    const storage = new MemoryStorage();
    await storage.writeFile(walFileName(3), encodeWalHeader(3).subarray(0, 7));
    const { writer, records } = await WalWriter.resume(storage, 3);
    assert.deepEqual(records, []);
    await writer.append(payload(0), 'sync');
    await writer.close();
    assert.deepEqual((await readWalFile(storage, walFileName(3))).records, [payload(0)]);
  });

  it('refuses a WAL file whose header names another file number', async () => {
    const storage = new MemoryStorage();
    await storage.writeFile(walFileName(2), walBytes(1, [payload(0)]).bytes);
    await assert.rejects(readWalFile(storage, walFileName(2)), (e) => isQuiverError(e, 'CORRUPTED'));
  });

  it('after a crash at any moment, every acknowledged sync append is recovered, in order, over several crashes', async () => {
    const seeds = LONG ? 1000 : 150;
    const first = Number(process.env.QUIVER_SEED_FIRST ?? 1);
    for (let seed = first; seed < first + seeds; seed++) {
      const rng = new Prng(seed * 7919);
      let storage = new FaultyStorage({ seed });
      let writer = await WalWriter.create(storage, 1, { syncIntervalMs: rng.int(3) });
      let expected: Uint8Array[] = []; // what the log holds after recovery, in order
      for (let generation = 0; generation < 3; generation++) {
        const issued: Uint8Array[] = [];
        const acknowledged: boolean[] = [];
        const modes: WalDurability[] = ['sync', 'sync', 'batched', 'none'];
        const workload = (async () => {
          const count = 1 + rng.int(30);
          for (let i = 0; i < count; i++) {
            const body = new Uint8Array(rng.int(200)).fill(i & 0xff);
            const record = concat([utf8(`${seed}/${generation}/${i}:`), body]);
            issued.push(record);
            acknowledged.push(false);
            const mode = modes[rng.int(modes.length)];
            writer.append(record, mode).then(
              () => {
                if (mode === 'sync') acknowledged[i] = true;
              },
              () => {},
            );
            if (rng.int(3) === 0) await tick();
          }
        })();
        const turns = rng.int(40);
        for (let t = 0; t < turns; t++) await tick();
        const name = writer.name;
        storage = storage.crash();
        await workload.catch(() => {});

        const { writer: resumed, records } = await WalWriter.resume(storage, 1, { syncIntervalMs: rng.int(3) });
        writer = resumed;
        const recovered = records.map((r) => r.slice());
        const lastAcknowledged = acknowledged.lastIndexOf(true);
        const context = `seed ${seed} generation ${generation} (${name})`;
        // The log is the earlier generations' records, then a prefix of this one's.
        assert.deepEqual(recovered.slice(0, expected.length), expected, context);
        const fresh = recovered.slice(expected.length);
        assert.deepEqual(fresh, issued.slice(0, fresh.length), context);
        assert.ok(fresh.length > lastAcknowledged, `${context}: acknowledged record ${lastAcknowledged} lost (${fresh.length} recovered)`);
        expected = recovered;
      }
      await writer.close();
    }
  });
});
