/**
 * The HNSW graph's bytes (a segment file's GRAPH section body after its kind byte). Little-endian.
 *
 *   offset  size  field
 *   0       4     magic "HNSW"
 *   4       2     format version (1); a newer one is refused with UNSUPPORTED
 *   6       2     flags (0)
 *   8       2     degree M (layer 0 holds up to 2M links per node, upper layers M); must be the collection's
 *   10      1     link width W in bytes: 2, 3 or 4 (the smallest that holds N - 1)
 *   11      1     reserved (0)
 *   12      4     node count N: slots [0, N) are in the graph (a prefix of the segment's rows)
 *   16      4     entry point slot, 0xFFFFFFFF when there is none (empty graph, or every node deleted)
 *   20      4     seed of the level stream (u32)
 *   24      N     per node a u8: bits 0-4 its level (<= 31), bit 7 set when consolidate() removed it (a
 *                 deleted node with no links, in or out, and never the entry point); bits 5-6 zero
 *   24+N    2N    layer-0 link count of each node, u16 (<= 2M)
 *   24+3N         layer-0 links: node 0's, then node 1's, ...; W bytes each, a slot < N
 *   then          upper layers: for each node with level L >= 1, in slot order: L u16 link counts (<= M,
 *                 layers 1..L), then those lists' links, layer 1 first; every link names a node whose
 *                 level is at least the layer's
 *                 (no link, on any layer, names a removed node or the node itself, and no list repeats one)
 *   end           nothing follows.
 *
 * The decoder trusts nothing: every count is checked against the bytes that remain before anything is
 * allocated, every link against N, its layer and its list (no self or duplicate links), and N against the
 * arena's rows, so a search on a decoded graph cannot read outside it. Any inconsistency is a QuiverError
 * CORRUPTED with { file, offset }.
 */
import { QuiverError } from '../../errors.js';
import type { HnswParts } from './graph.js';

const MAGIC = 0x57534e48; // "HNSW" read as a little-endian u32
export const HNSW_FORMAT_VERSION = 1;
const HEADER_BYTES = 24;
const NO_ENTRY = 0xffffffff;
const LEVEL_MAX = 31;

function linkWidth(size: number): number {
  return size <= 0x10000 ? 2 : size <= 0x1000000 ? 3 : 4;
}

export function encodeHnsw(g: HnswParts): Uint8Array {
  const { size, degree, levels, removed, counts0, links0, upperAt, upper } = g;
  const degree0 = 2 * degree;
  const stride = degree + 1;
  const width = linkWidth(size);
  let links = 0;
  let upperCounts = 0;
  for (let node = 0; node < size; node++) {
    links += counts0[node];
    for (let level = 1; level <= levels[node]; level++) {
      links += upper[upperAt[node] + (level - 1) * stride];
      upperCounts++;
    }
  }
  const bytes = new Uint8Array(HEADER_BYTES + 3 * size + 2 * upperCounts + width * links);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, HNSW_FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint16(8, degree, true);
  bytes[10] = width;
  bytes[11] = 0;
  view.setUint32(12, size, true);
  view.setUint32(16, g.entry < 0 ? NO_ENTRY : g.entry, true);
  view.setUint32(20, g.seed >>> 0, true);
  let at = HEADER_BYTES;
  for (let node = 0; node < size; node++, at++) bytes[at] = levels[node] | (removed[node] << 7);
  for (let node = 0; node < size; node++, at += 2) view.setUint16(at, counts0[node], true);
  const put = (slot: number): void => {
    bytes[at] = slot & 0xff;
    bytes[at + 1] = (slot >>> 8) & 0xff;
    if (width >= 3) bytes[at + 2] = (slot >>> 16) & 0xff;
    if (width === 4) bytes[at + 3] = slot >>> 24;
    at += width;
  };
  for (let node = 0; node < size; node++) {
    const first = node * degree0;
    for (let i = 0; i < counts0[node]; i++) put(links0[first + i]);
  }
  for (let node = 0; node < size; node++) {
    const level = levels[node];
    if (level === 0) continue;
    for (let l = 1; l <= level; l++, at += 2) view.setUint16(at, upper[upperAt[node] + (l - 1) * stride], true);
    for (let l = 1; l <= level; l++) {
      const block = upperAt[node] + (l - 1) * stride;
      for (let i = 1; i <= upper[block]; i++) put(upper[block + i]);
    }
  }
  if (at !== bytes.length) throw new Error(`HNSW encode wrote ${at} of ${bytes.length} bytes`);
  return bytes;
}

/**
 * Parses and validates encode() bytes into arrays sized for exactly N nodes. `rows` is how many rows the
 * segment's arena holds; `degree` the collection's M (a graph of another degree is inconsistent).
 */
export function decodeHnsw(bytes: Uint8Array, what: string, rows: number, degree: number): HnswParts {
  const damaged = (offset: number, message: string): QuiverError =>
    new QuiverError('CORRUPTED', `${what} is damaged at byte ${offset}: its HNSW graph ${message}. Restore it from a backup.`, { file: what, offset });
  if (bytes.length < HEADER_BYTES) throw damaged(bytes.length, `is truncated (${bytes.length} bytes, the header alone is ${HEADER_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw damaged(0, 'does not start with "HNSW"');
  const version = view.getUint16(4, true);
  if (version > HNSW_FORMAT_VERSION) {
    throw new QuiverError('UNSUPPORTED', `${what} holds an HNSW graph in format version ${version}; this Quiver reads up to version ${HNSW_FORMAT_VERSION}. Upgrade quiverdb to open it.`, {
      file: what,
      version,
      supported: HNSW_FORMAT_VERSION,
    });
  }
  if (version === 0) throw damaged(4, 'has format version 0');
  if (view.getUint16(6, true) !== 0) throw damaged(6, 'has unknown flags');
  const storedDegree = view.getUint16(8, true);
  if (storedDegree !== degree) throw damaged(8, `has degree ${storedDegree}, the collection ${degree}`);
  const width = bytes[10];
  if (width < 2 || width > 4) throw damaged(10, `has link width ${width}`);
  if (bytes[11] !== 0) throw damaged(11, 'has a non-zero reserved byte');
  const size = view.getUint32(12, true);
  if (size > rows) throw damaged(12, `covers ${size} rows but the segment holds ${rows}`);
  if (size * 3 > bytes.length - HEADER_BYTES) throw damaged(12, `claims ${size} nodes, more than its ${bytes.length} bytes can hold`);
  const rawEntry = view.getUint32(16, true);
  if (rawEntry !== NO_ENTRY && rawEntry >= size) throw damaged(16, `has entry point ${rawEntry} outside [0, ${size})`);
  const entry = rawEntry === NO_ENTRY ? -1 : rawEntry;
  const seed = view.getUint32(20, true);

  const degree0 = 2 * degree;
  const stride = degree + 1;
  let at = HEADER_BYTES;
  const levels = new Uint8Array(size);
  const removed = new Uint8Array(size);
  let upperWords = 0;
  for (let node = 0; node < size; node++, at++) {
    const level = bytes[at] & 0x7f;
    if (level > LEVEL_MAX) throw damaged(at, `gives node ${node} level ${level}, above ${LEVEL_MAX}`);
    levels[node] = level;
    removed[node] = bytes[at] >> 7;
    upperWords += level * stride;
  }
  if (entry >= 0 && removed[entry] !== 0) throw damaged(16, `has a removed node (${entry}) as its entry point`);
  const counts0 = new Uint16Array(size);
  let links = 0;
  for (let node = 0; node < size; node++, at += 2) {
    const count = view.getUint16(at, true);
    if (count > degree0) throw damaged(at, `gives node ${node} ${count} links on layer 0, more than ${degree0}`);
    if (count > 0 && removed[node] !== 0) throw damaged(at, `gives removed node ${node} links`);
    counts0[node] = count;
    links += count;
  }
  if (links * width > bytes.length - at) throw damaged(at, `is truncated (${links} layer-0 links do not fit)`);
  // Each upper list costs at least its 2-byte count: bounds upperWords by the bytes before allocating.
  if ((upperWords / stride) * 2 > bytes.length - at - links * width) throw damaged(at, 'is truncated (the upper layers do not fit)');

  const stamp = new Int32Array(size).fill(-1);
  let list = 0;
  const read = (): number => {
    const slot = width === 2 ? bytes[at] | (bytes[at + 1] << 8) : width === 3 ? bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) : view.getUint32(at, true);
    return slot;
  };
  const checkLink = (node: number, level: number, to: number): void => {
    if (to >= size) throw damaged(at, `links node ${node} to ${to} on layer ${level}, outside [0, ${size})`);
    if (to === node) throw damaged(at, `links node ${node} to itself on layer ${level}`);
    if (levels[to] < level) throw damaged(at, `links node ${node} to ${to} on layer ${level}, where ${to} is absent`);
    if (removed[to] !== 0) throw damaged(at, `links node ${node} to removed node ${to}`);
    if (stamp[to] === list) throw damaged(at, `links node ${node} to ${to} twice on layer ${level}`);
    stamp[to] = list;
  };
  const links0 = new Uint32Array(size * degree0);
  for (let node = 0; node < size; node++, list++) {
    const first = node * degree0;
    for (let i = 0; i < counts0[node]; i++, at += width) {
      const to = read();
      checkLink(node, 0, to);
      links0[first + i] = to;
    }
  }
  const upperAt = new Int32Array(size).fill(-1);
  const upper = new Uint32Array(upperWords);
  let used = 0;
  for (let node = 0; node < size; node++) {
    const level = levels[node];
    if (level === 0) continue;
    if (level * 2 > bytes.length - at) throw damaged(at, `is truncated (node ${node}'s upper lists)`);
    upperAt[node] = used;
    let total = 0;
    for (let l = 1; l <= level; l++, at += 2) {
      const count = view.getUint16(at, true);
      if (count > degree) throw damaged(at, `gives node ${node} ${count} links on layer ${l}, more than ${degree}`);
      if (count > 0 && removed[node] !== 0) throw damaged(at, `gives removed node ${node} links`);
      upper[used + (l - 1) * stride] = count;
      total += count;
    }
    if (total * width > bytes.length - at) throw damaged(at, `is truncated (node ${node}'s upper links)`);
    for (let l = 1; l <= level; l++, list++) {
      const block = used + (l - 1) * stride;
      for (let i = 1; i <= upper[block]; i++, at += width) {
        const to = read();
        checkLink(node, l, to);
        upper[block + i] = to;
      }
    }
    used += level * stride;
  }
  if (at !== bytes.length) throw damaged(at, `has ${bytes.length - at} unexpected bytes after its end`);
  return { degree, seed, size, entry, levels, removed, counts0, links0, upperAt, upper, upperUsed: used };
}
