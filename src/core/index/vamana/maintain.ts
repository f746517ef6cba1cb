/**
 * Graph upkeep that is not the insert path: the entry point (medoid), reachability repair, and the
 * integrity checker.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import type { GraphArena } from '../../vectors/scoring.js';
import type { Adjacency } from './graph.js';
import type { Pruner } from './prune.js';
import type { Searcher } from './search.js';

/** Rows read per chunk when averaging (about 4 MB of floats). */
const MEAN_CHUNK_FLOATS = 1 << 20;

/**
 * The approximate medoid of the eligible rows among [0, count): the eligible row closest (squared L2)
 * to their mean. The mean is accumulated in float64 from chunks of packed rows; one kernel call then
 * scores every row against it. Returns -1 when no row is eligible. Overwrites the arena's query.
 */
export function approximateMedoid(arena: GraphArena, count: number, eligible: (slot: number) => boolean): number {
  const dim = arena.dimension;
  const sum = new Float64Array(dim);
  let n = 0;
  const chunkRows = Math.max(1, Math.floor(MEAN_CHUNK_FLOATS / Math.max(1, dim)));
  for (let first = 0; first < count; first += chunkRows) {
    const rows = Math.min(chunkRows, count - first);
    const packed = arena.packed(first, rows);
    for (let r = 0; r < rows; r++) {
      if (!eligible(first + r)) continue;
      n++;
      const at = r * dim;
      for (let i = 0; i < dim; i++) sum[i] += packed[at + i];
    }
  }
  if (n === 0) return -1;
  const mean = new Float32Array(dim);
  for (let i = 0; i < dim; i++) mean[i] = sum[i] / n;
  arena.setQuery(mean);
  const distances = arena.distancesRange('l2', 0, count);
  let best = -1;
  let bestDistance = Infinity;
  for (let slot = 0; slot < count; slot++) {
    const d = distances[slot];
    if ((best < 0 || d < bestDistance) && eligible(slot)) {
      best = slot;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Marks every node reachable from `entry` (breadth-first over out-links) with `epoch` in `reached`,
 * starting from the nodes already queued in queue[0, tail). Returns the number of nodes reached.
 */
function spread(graph: Adjacency, reached: Uint8Array, queue: Uint32Array, head: number, tail: number): number {
  const R = graph.degree;
  const links = graph.links;
  const counts = graph.counts;
  while (head < tail) {
    const u = queue[head++];
    const first = u * R;
    const end = first + counts[u];
    for (let i = first; i < end; i++) {
      const v = links[i];
      if (reached[v] === 0) {
        reached[v] = 1;
        queue[tail++] = v;
      }
    }
  }
  return tail;
}

export interface RepairContext {
  arena: GraphArena;
  metric: KernelMetric;
  graph: Adjacency;
  size: number;
  entry: number;
  L: number;
  alpha: number;
  searcher: Searcher;
  pruner: Pruner;
}

/**
 * Makes every live node reachable from the entry point. Vamana does not guarantee it (a node can lose
 * its last in-edge to later prunes, and FreshDiskANN's delete consolidation only looks one deleted hop
 * away), and a node nobody reaches is a node no search returns. For each unreachable live node u, in
 * slot order: search for u from the entry (which only visits reachable nodes), give u out-links if it
 * has none, link the closest reachable result with room to u (if all are full, see below), and mark
 * what u reaches. One pass suffices: no step unreaches a reached node. Rare in practice: a few dozen
 * nodes after a 60k build, more after heavy deletes. Returns the number of nodes fixed. Cost: one BFS
 * (O(size * R)) plus a search per fix.
 */
export function repairReachability(ctx: RepairContext, marks: Uint8Array | null): number {
  const { arena, metric, graph, size, entry, searcher, pruner } = ctx;
  if (size === 0) return 0;
  const R = graph.degree;
  const links = graph.links;
  const counts = graph.counts;
  const live = (s: number): boolean => marks === null || marks[s] !== 1;
  const reached = new Uint8Array(size);
  const queue = new Uint32Array(size);
  reached[entry] = 1;
  queue[0] = entry;
  let tail = spread(graph, reached, queue, 0, 1);
  let fixes = 0;
  for (let u = 0; u < size; u++) {
    if (reached[u] === 1 || !live(u)) continue;
    arena.setQueryFromRow(u);
    searcher.search(arena, metric, graph, size, entry, ctx.L, marks, null);
    const beam = searcher.beam;
    let roomy = -1;
    let closest = -1;
    for (let i = 0; i < beam.size; i++) {
      if (reached[beam.slotAt(i)] === 0 || !beam.isLive(i)) continue;
      if (closest < 0 || beam.distanceAt(i) < beam.distanceAt(closest)) closest = i;
      if (counts[beam.slotAt(i)] < R && (roomy < 0 || beam.distanceAt(i) < beam.distanceAt(roomy))) roomy = i;
    }
    if (counts[u] === 0 && beam.size > 0) {
      // u leads nowhere (its neighbours were all deleted): give it out-links among what search found
      const slots = new Uint32Array(beam.size);
      const dists = new Float64Array(beam.size);
      let m = 0;
      for (let i = 0; i < beam.size; i++) {
        if (!beam.isLive(i)) continue;
        slots[m] = beam.slotAt(i);
        dists[m++] = beam.distanceAt(i);
      }
      const out = new Uint32Array(R);
      graph.setList(u, out, 0, pruner.prune(arena, metric, u, slots, dists, 0, m, ctx.alpha, R, m, out, 0));
    }
    const w = roomy >= 0 ? beam.slotAt(roomy) : closest >= 0 ? beam.slotAt(closest) : entry;
    if (counts[w] < R) {
      links[w * R + counts[w]++] = u;
    } else {
      // every candidate is full: w's last link v makes way for u, and u takes over v (w -> u -> v), so
      // everything reached through v stays reached. u was unreachable, so nothing reached depended on
      // the link of u that v may displace in turn.
      const v = links[w * R + R - 1];
      links[w * R + R - 1] = u;
      let has = false;
      for (let i = u * R; i < u * R + counts[u]; i++) if (links[i] === v) has = true;
      if (!has) {
        if (counts[u] < R) links[u * R + counts[u]++] = v;
        else links[u * R + R - 1] = v;
      }
    }
    fixes++;
    reached[u] = 1;
    queue[tail] = u;
    tail = spread(graph, reached, queue, tail, tail + 1);
  }
  return fixes;
}

/**
 * The integrity checker behind GraphIndex.check: degree over R, self links, duplicate links, links out
 * of range, an entry point out of range or consolidated away, live nodes unreachable from the entry.
 * Reachability is followed through deleted nodes too: before consolidation they still carry edges and
 * searches traverse them. A deleted entry point is a problem only once it has no out-links (it was
 * consolidated away without the entry moving); before consolidation it is still a valid start.
 */
export function checkGraph(graph: Adjacency, size: number, entry: number, marks: Uint8Array): string[] {
  const problems: string[] = [];
  const report = (message: string): void => {
    if (problems.length < 100) problems.push(message);
  };
  const R = graph.degree;
  const live = (s: number): boolean => marks[s] !== 1;
  if (size === 0) return problems;
  if (size > graph.capacity) report(`size ${size} exceeds the graph's capacity ${graph.capacity}`);
  if (!(entry >= 0 && entry < size)) {
    report(`entry point ${entry} is outside [0, ${size})`);
    return problems;
  }
  const seen = new Int32Array(size).fill(-1);
  let linksOk = true;
  for (let u = 0; u < size; u++) {
    const c = graph.counts[u];
    if (c > R) {
      report(`node ${u} has ${c} links, more than R=${R}`);
      linksOk = false;
      continue;
    }
    for (let i = u * R; i < u * R + c; i++) {
      const v = graph.links[i];
      if (v >= size) {
        report(`node ${u} links to ${v}, outside [0, ${size})`);
        linksOk = false;
      } else if (v === u) {
        report(`node ${u} links to itself`);
      } else if (seen[v] === u) {
        report(`node ${u} links to ${v} twice`);
      } else {
        seen[v] = u;
      }
    }
  }
  let liveCount = 0;
  for (let s = 0; s < size; s++) if (live(s)) liveCount++;
  if (!live(entry) && liveCount > 0 && graph.counts[entry] === 0) {
    report(`entry point ${entry} is deleted and has no links while ${liveCount} live nodes remain`);
  }
  if (!linksOk) return problems;
  const reached = new Uint8Array(size);
  const queue = new Uint32Array(size);
  reached[entry] = 1;
  queue[0] = entry;
  spread(graph, reached, queue, 0, 1);
  let unreachable = 0;
  let example = -1;
  for (let s = 0; s < size; s++) {
    if (reached[s] === 0 && live(s)) {
      if (example < 0) example = s;
      unreachable++;
    }
  }
  if (unreachable > 0) report(`${unreachable} live nodes are unreachable from entry point ${entry} (first: ${example})`);
  return problems;
}
