/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every on-disk structure.
 * Castagnoli rather than the zip CRC-32 because it has better error detection for the record sizes we
 * write and is what other storage engines (ext4, iSCSI, LevelDB, RocksDB) chose, so tooling exists.
 *
 * Slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per iteration with independent
 * lookups; in plain JS this is several times faster than the byte-at-a-time loop and needs no WASM.
 */

const POLYNOMIAL_REFLECTED = 0x82f63b78;

const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REFLECTED : c >>> 1;
    tables[n] = c >>> 0;
  }
  // Table t advances the CRC of a byte by t further zero bytes, which is what lets 8 lookups run in parallel.
  for (let n = 0; n < 256; n++) {
    let c = tables[n];
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff] ^ (c >>> 8);
      tables[t * 256 + n] = c >>> 0;
    }
  }
  return tables;
}

/**
 * The CRC-32C of `bytes`, unsigned. `seed` is a previous result to continue from, so
 * crc32c(b, crc32c(a)) === crc32c(concat(a, b)).
 */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  const t = TABLES;
  let crc = ~seed;
  let i = 0;
  const length = bytes.length;
  const end8 = length - (length & 7);
  while (i < end8) {
    const lo = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    const hi = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    crc =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + (hi & 0xff)] ^
      t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^
      t[hi >>> 24];
    i += 8;
  }
  while (i < length) {
    crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
