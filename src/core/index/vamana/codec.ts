/**
 * The Vamana graph's bytes (the GRAPH section body of a segment file, after its graph-kind byte).
 * Little-endian throughout.
 *
 *   offset      size    field
 *   0           2       format version (u16) = 1; a newer version is refused with UNSUPPORTED
 *   2           2       flags (u16) = 0, reserved
 *   4           4       R, the out-degree bound (u32); must equal the collection's graphDegree
 *   8           4       N, the number of indexed slots [0, N) (u32); at most the segment's rows
 *   12          4       entry point (u32), < N; 0xFFFFFFFF when N = 0
 *   16          4       medoid basis (u32) <= N: the size at which the entry point was last chosen
 *                       (inserts re-choose it once the graph has doubled)
 *   20          2N      out-degree of each node (u16 each, <= R), slot order
 *   20+2N       4E      the links, node after node in slot order (u32 each), E = sum of the degrees
 *   20+2N+4E            end: nothing may follow
 *
 * Every link is < N, not the node itself, and not repeated within its list; any violation, a truncated
 * input or trailing bytes is a QuiverError CORRUPTED with { file, offset }. The decoder checks sizes
 * against the input's length before it allocates anything, so garbage cannot make it allocate more
 * than the segment's rows justify.
 */
import { QuiverError } from '../../errors.js';
import { Adjacency, VAMANA_DEGREE_MAX } from './graph.js';

export const VAMANA_FORMAT_VERSION = 1;
const HEADER_BYTES = 20;
const NO_ENTRY = 0xffffffff;

export interface VamanaImage {
  graph: Adjacency;
  size: number;
  entry: number;
  medoidBasis: number;
}

export function encodeVamana(image: VamanaImage): Uint8Array {
  const { graph, size } = image;
  const R = graph.degree;
  let edges = 0;
  for (let u = 0; u < size; u++) edges += graph.counts[u];
  const bytes = new Uint8Array(HEADER_BYTES + 2 * size + 4 * edges);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, VAMANA_FORMAT_VERSION, true);
  view.setUint16(2, 0, true);
  view.setUint32(4, R, true);
  view.setUint32(8, size, true);
  view.setUint32(12, size === 0 ? NO_ENTRY : image.entry, true);
  view.setUint32(16, image.medoidBasis, true);
  let at = HEADER_BYTES;
  for (let u = 0; u < size; u++, at += 2) view.setUint16(at, graph.counts[u], true);
  for (let u = 0; u < size; u++) {
    const first = u * R;
    const end = first + graph.counts[u];
    for (let i = first; i < end; i++, at += 4) view.setUint32(at, graph.links[i], true);
  }
  return bytes;
}

function corrupted(what: string, offset: number, message: string): QuiverError {
  return new QuiverError('CORRUPTED', `${what}: the Vamana graph is damaged at byte ${offset}: ${message}. Rebuild the index or restore the file from a backup.`, {
    file: what,
    offset,
  });
}

/**
 * Reads encodeVamana's bytes. `rows` is how many rows the segment holds (N may not exceed it) and
 * `degree` the configured R.
 */
export function decodeVamana(bytes: Uint8Array, what: string, rows: number, degree: number): VamanaImage {
  if (bytes.length < 4) throw corrupted(what, 0, `${bytes.length} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(0, true);
  const flags = view.getUint16(2, true);
  if (version > VAMANA_FORMAT_VERSION) {
    throw new QuiverError('UNSUPPORTED', `${what}: the Vamana graph is format version ${version}; this Quiver reads up to version ${VAMANA_FORMAT_VERSION}. Upgrade quiverdb to open it.`, {
      file: what,
      version,
      supported: VAMANA_FORMAT_VERSION,
    });
  }
  if (version === 0) throw corrupted(what, 0, 'version 0');
  if (flags !== 0) throw corrupted(what, 2, `reserved flags ${flags}`);
  if (bytes.length < HEADER_BYTES) throw corrupted(what, bytes.length, `the header needs ${HEADER_BYTES} bytes, the input has ${bytes.length}`);
  const R = view.getUint32(4, true);
  const size = view.getUint32(8, true);
  const entry = view.getUint32(12, true);
  const medoidBasis = view.getUint32(16, true);
  if (R < 1 || R > VAMANA_DEGREE_MAX || R !== degree) throw corrupted(what, 4, `degree R=${R} (the collection's graphDegree is ${degree})`);
  if (size > rows) throw corrupted(what, 8, `it indexes ${size} rows but the segment holds ${rows}`);
  if (size === 0 ? entry !== NO_ENTRY : entry >= size) throw corrupted(what, 12, `entry point ${entry} with ${size} nodes`);
  if (medoidBasis > size) throw corrupted(what, 16, `medoid basis ${medoidBasis} exceeds ${size} nodes`);
  const countsEnd = HEADER_BYTES + 2 * size;
  if (countsEnd > bytes.length) throw corrupted(what, bytes.length, `the degree table needs ${2 * size} bytes`);
  let edges = 0;
  for (let u = 0, at = HEADER_BYTES; u < size; u++, at += 2) {
    const c = view.getUint16(at, true);
    if (c > R) throw corrupted(what, at, `node ${u} has ${c} links, more than R=${R}`);
    if (c >= size && c > 0) throw corrupted(what, at, `node ${u} has ${c} links among ${size} nodes`);
    edges += c;
  }
  const end = countsEnd + 4 * edges;
  if (end > bytes.length) throw corrupted(what, bytes.length, `the links need ${4 * edges} bytes, ${bytes.length - countsEnd} remain`);
  if (end < bytes.length) throw corrupted(what, end, `${bytes.length - end} unexpected bytes after the links`);
  const graph = new Adjacency(R, Math.max(1, size));
  const seen = new Int32Array(size).fill(-1);
  let at = countsEnd;
  for (let u = 0, c = HEADER_BYTES; u < size; u++, c += 2) {
    const count = view.getUint16(c, true);
    const first = u * R;
    for (let i = 0; i < count; i++, at += 4) {
      const v = view.getUint32(at, true);
      if (v >= size) throw corrupted(what, at, `node ${u} links to ${v}, outside [0, ${size})`);
      if (v === u) throw corrupted(what, at, `node ${u} links to itself`);
      if (seen[v] === u) throw corrupted(what, at, `node ${u} links to ${v} twice`);
      seen[v] = u;
      graph.links[first + i] = v;
    }
    graph.counts[u] = count;
  }
  return { graph, size, entry: size === 0 ? 0 : entry, medoidBasis };
}
