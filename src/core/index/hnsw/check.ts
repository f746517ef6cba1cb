/**
 * The HNSW integrity checker (tests and `quiver verify`): reports, per layer, lists over the degree bound,
 * self links, duplicate links, links out of range or to nodes absent from that layer; live nodes that the
 * entry point cannot reach on layer 0 (a BFS that crosses deleted nodes, as searches do); an entry
 * point that is missing, removed or not on the top layer while live nodes exist; nodes consolidate()
 * removed that are live or still linked.
 *
 * A deleted entry point is not a problem until consolidate(): deleted nodes keep their links and searches
 * traverse them, so it still leads everywhere; consolidate() moves the entry point to a live node, and an
 * entry point that consolidate() removed (no links left) is reported.
 */
import type { HnswParts } from './graph.js';

/** Problems past this many are summarised in one line, so a broken graph does not flood a report. */
const REPORT_MAX = 50;

export function checkHnsw(g: HnswParts, marks: Uint8Array): string[] {
  const problems: string[] = [];
  let suppressed = 0;
  const report = (problem: string): void => {
    if (problems.length < REPORT_MAX) problems.push(problem);
    else suppressed++;
  };
  const { size, levels, removed, counts0, links0, upperAt, upper, degree } = g;
  const degree0 = 2 * degree;
  const stamp = new Int32Array(size).fill(-1);
  let maxLevel = 0;
  let live = 0;

  const checkList = (node: number, level: number, list: Uint32Array, first: number, count: number, bound: number): void => {
    if (count > bound) report(`layer ${level}: node ${node} has ${count} links, more than ${bound}`);
    const n = Math.min(count, bound);
    for (let i = 0; i < n; i++) {
      const to = list[first + i];
      if (to >= size) report(`layer ${level}: node ${node} links to ${to}, outside [0, ${size})`);
      else if (to === node) report(`layer ${level}: node ${node} links to itself`);
      else if (levels[to] < level) report(`layer ${level}: node ${node} links to ${to}, which is not on layer ${level} (its level is ${levels[to]})`);
      else if (removed[to] !== 0) report(`layer ${level}: node ${node} links to ${to}, which consolidate removed`);
      else if (stamp[to] === node) report(`layer ${level}: node ${node} links to ${to} twice`);
      else stamp[to] = node;
    }
  };

  for (let node = 0; node < size; node++) {
    if (marks[node] !== 1) live++;
    if (removed[node] !== 0 && marks[node] !== 1) report(`node ${node} is live but consolidate removed it`);
    if (removed[node] !== 0 && counts0[node] > 0) report(`node ${node} was removed by consolidate but has links`);
    maxLevel = Math.max(maxLevel, levels[node]);
    checkList(node, 0, links0, node * degree0, counts0[node], degree0);
  }
  const stride = degree + 1;
  for (let level = 1; level <= maxLevel; level++) {
    stamp.fill(-1);
    for (let node = 0; node < size; node++) {
      if (levels[node] < level) continue;
      const block = upperAt[node] + (level - 1) * stride;
      if (upperAt[node] < 0 || block + stride > g.upperUsed) {
        report(`layer ${level}: node ${node} has level ${levels[node]} but no lists above layer 0`);
        continue;
      }
      checkList(node, level, upper, block + 1, upper[block], degree);
    }
  }

  if (live > 0) {
    if (g.entry < 0 || g.entry >= size) {
      report(`no entry point while ${live} live nodes exist`);
    } else {
      if (removed[g.entry] !== 0) report(`the entry point ${g.entry} was removed by consolidate while ${live} live nodes exist`);
      let topLive = 0;
      for (let node = 0; node < size; node++) if (marks[node] !== 1 && levels[node] > topLive) topLive = levels[node];
      if (levels[g.entry] < topLive) report(`the entry point ${g.entry} is on layer ${levels[g.entry]} but live nodes reach layer ${topLive}`);
      const reached = new Uint8Array(size);
      const queue = new Uint32Array(size);
      let head = 0;
      let tail = 0;
      reached[g.entry] = 1;
      queue[tail++] = g.entry;
      while (head < tail) {
        const node = queue[head++];
        const first = node * degree0;
        const n = Math.min(counts0[node], degree0);
        for (let i = 0; i < n; i++) {
          const to = links0[first + i];
          if (to < size && reached[to] === 0) {
            reached[to] = 1;
            queue[tail++] = to;
          }
        }
      }
      const stranded: number[] = [];
      for (let node = 0; node < size; node++) if (reached[node] === 0 && marks[node] !== 1) stranded.push(node);
      if (stranded.length > 0) {
        report(`${stranded.length} live nodes are unreachable from the entry point on layer 0 (${stranded.slice(0, 10).join(', ')}${stranded.length > 10 ? ', ...' : ''})`);
      }
    }
  }
  if (suppressed > 0) problems.push(`... and ${suppressed} more problems`);
  return problems;
}
