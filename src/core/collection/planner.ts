/**
 * The query planner: how a filtered, keyword or hybrid query is answered, segment by segment.
 *
 * Vector queries with a filter. The filter is compiled to the segment's bitset of matching slots
 * (payload indexes; cached per segment), whose live count is exact. Then per segment:
 * - no match: skipped;
 * - every live row matches: the plain search (graph or exact), as without a filter;
 * - few matches (at most exactMatchesMax(width)), or no graph: exact scan of the matching rows only —
 *   recall 1, and cheaper than any graph walk at that size;
 * - otherwise: filtered graph traversal (index/filtered-search.ts: ACORN-style two-hop expansion,
 *   navigation through empty regions, re-seeding), plus an exact scan of matching rows the graph does
 *   not cover yet. The traversal returns min(width, matching) results; should it ever return fewer, the
 *   segment is scanned exactly, so a query always returns min(k, matching) hits.
 * Nothing in between post-filters a plain graph search, the approach whose recall collapses.
 *
 * Keyword queries score BM25 (text/bm25.ts) over the documents holding a query term, restricted to the
 * filter's matches; hybrid queries fuse the vector and keyword rankings (text/fusion.ts), each taken
 * HYBRID_DEPTH deep (at least k), with the filter applied to both.
 */
import type { FilterNode } from '../filter/ast.js';
import type { Bitset } from '../lib/bitset.js';
import { TopK } from '../lib/topk.js';
import { scanRange } from '../index/flat/flat.js';
import { corpusStats, queryTerms } from '../text/bm25.js';
import { type Fusion, type Ranked, fuse } from '../text/fusion.js';
import type { CollectionEngine, Hit, IncludeField, SearchSummary } from './collection.js';
import type { Segment } from './segment.js';

/** A location packs (segment ordinal in the query's segment list, slot) into one safe integer. */
const SLOT_SPAN = 2 ** 32;

/**
 * Exact scans over codes (flat quantized collections, small filtered sets) re-rank this many candidates
 * per k by default (search.ef sets the number instead); graphs re-rank their whole beam (ef).
 */
export const FLAT_RERANK_PER_K = 10;

/** Candidates each side of a hybrid query contributes to the fusion (at least k). */
export const HYBRID_DEPTH = 50;

/**
 * The narrowest beam of a filtered traversal when the query leaves search.ef to the default. A filter
 * leaves the traversal a sparser graph than the full one (two hops stand in for one), so a beam that
 * suffices unfiltered (Vamana's default 32) loses recall under filters correlated with the vectors:
 * measured 0.937 at width 32 vs 0.997 at 64 on the correlated 10% case of test/filtered-search.test.ts.
 * An explicit search.ef is the caller's own trade of recall for speed and is used as given.
 */
export const FILTERED_WIDTH_MIN = 64;

/** Slots scored per kernel call by the exact scan of a matching set. */
const EXACT_CHUNK = 4096;

/**
 * Up to this many live matches a segment is scanned exactly rather than traversed. Measured on 30,000
 * synth-768 rows (HNSW16, one core): a filtered traversal at width 64 scores ~600 rows but costs ~0.75 ms
 * with its two-hop adjacency reads, about what an exact scan of 2,500-3,000 matching rows costs; at width
 * 16, ~0.25 ms. So about 40 matches per unit of beam width, and never fewer than 1,024: below that the
 * scan is cheaper than any traversal, and it is exact.
 */
export function exactMatchesMax(width: number): number {
  return Math.max(1024, 40 * width);
}

export type QueryMode = 'vector' | 'keyword' | 'hybrid';

export interface SearchRequest {
  mode: QueryMode;
  vector: Float32Array | null;
  text: string | null;
  filter: FilterNode | null;
  fusion: Fusion;
  k: number;
  include: ReadonlySet<IncludeField>;
  minScore?: number;
  ef?: number;
  /**
   * Overrides the planner's per-segment choice for filtered vector search (tests and benchmarks measure
   * each path with it): 'exact' scans the matching rows, 'graph' traverses wherever a graph exists.
   */
  strategy?: 'auto' | 'exact' | 'graph';
}

export type SegmentStrategy = 'skip' | 'exact' | 'graph' | 'filtered-graph' | 'keyword';

export interface SegmentPlan {
  segment: number;
  rows: number;
  /** Live rows matching the filter (exact, from the compiled bitset); all live rows without a filter. */
  matches: number;
  /** The payload indexes' estimate of matching rows (before compiling; independence between conditions). */
  estimatedMatches?: number;
  strategy: SegmentStrategy;
  /** Rows scored exactly. */
  scanned: number;
}

export interface EnginePlan {
  strategy: 'exact' | 'graph' | 'filtered-graph' | 'keyword' | 'hybrid';
  segments: number;
  estimatedMatches?: number;
  matches?: number;
  scanned: number;
  ef?: number;
  terms?: string[];
  fusion?: Fusion;
  perSegment: SegmentPlan[];
  /** Some scores are code distances (a quantized index without re-rank data). */
  estimates: boolean;
}

export function runSearch(engine: CollectionEngine, request: SearchRequest, explain: boolean): { hits: Hit[]; plan?: EnginePlan } {
  const segments = engine.segments;
  const plans: SegmentPlan[] | null = explain ? [] : null;
  const filter = request.filter === null ? null : engine.prepareFilter(request.filter);
  const matching = (segment: Segment): Bitset | null => (filter === null ? null : engine.matching(segment, filter));
  const estimate = (segment: Segment): number | undefined => (filter === null ? undefined : engine.estimateMatches(segment, filter));
  const ef = engine.graphFactory ? engine.effectiveEf(request.ef) : undefined;
  let hits: Hit[];
  let terms: string[] | undefined;
  const summary: SearchSummary = { scanned: 0, candidates: 0, reranked: 0, estimates: false, approximate: false };

  if (request.mode === 'vector') {
    const top = vectorTop(engine, segments, request.vector!, request.k, matching, estimate, widths(ef, request), request.strategy ?? 'auto', plans, summary);
    const { distances, ids } = top.drain();
    hits = [];
    for (let i = 0; i < ids.length; i++) {
      const hit = engine.hit(segments[Math.floor(ids[i] / SLOT_SPAN)], ids[i] % SLOT_SPAN, distances[i], request.include);
      if (request.minScore !== undefined && hit.score < request.minScore) break;
      hits.push(hit);
    }
  } else {
    const depth = request.mode === 'hybrid' ? Math.max(request.k, HYBRID_DEPTH) : request.k;
    const keyword = keywordRanking(engine, segments, request.text!, depth, matching, estimate, plans);
    terms = keyword.terms;
    let ranked: { id: number; score: number }[] = keyword.ranked;
    if (request.mode === 'hybrid') {
      const top = vectorTop(engine, segments, request.vector!, depth, matching, estimate, widths(ef, { ...request, k: depth }), request.strategy ?? 'auto', plans, summary);
      const { distances, ids } = top.drain();
      const vectorRanked: Ranked[] = [];
      for (let i = 0; i < ids.length; i++) vectorRanked.push({ id: ids[i], score: engine.scoreOf(distances[i]) });
      ranked = fuse(vectorRanked, keyword.ranked, request.fusion);
    }
    hits = [];
    for (const r of ranked.slice(0, request.k)) {
      if (request.minScore !== undefined && r.score < request.minScore) break;
      hits.push(engine.hit(segments[Math.floor(r.id / SLOT_SPAN)], r.id % SLOT_SPAN, null, request.include, r.score));
    }
  }
  if (plans === null) return { hits };
  return { hits, plan: { ...summarise(request, plans, segments.length, ef, terms, filter !== null), estimates: summary.estimates } };
}

/** Beam widths: of plain graph searches (ef, at least k), and of filtered traversals (see FILTERED_WIDTH_MIN). */
function widths(ef: number | undefined, request: SearchRequest): { plain: number; filtered: number } {
  const plain = Math.max(ef ?? 0, request.k);
  return { plain, filtered: request.ef === undefined ? Math.max(plain, FILTERED_WIDTH_MIN) : plain };
}

function summarise(request: SearchRequest, plans: SegmentPlan[], segments: number, ef: number | undefined, terms: string[] | undefined, filtered: boolean): Omit<EnginePlan, 'estimates'> {
  const vectorPlans = plans.filter((p) => p.strategy !== 'keyword');
  let strategy: EnginePlan['strategy'];
  if (request.mode === 'keyword') strategy = 'keyword';
  else if (request.mode === 'hybrid') strategy = 'hybrid';
  else if (vectorPlans.some((p) => p.strategy === 'filtered-graph')) strategy = 'filtered-graph';
  else if (vectorPlans.some((p) => p.strategy === 'graph')) strategy = 'graph';
  else strategy = 'exact';
  const byVector = request.mode === 'keyword' ? plans : vectorPlans;
  const plan: Omit<EnginePlan, 'estimates'> = {
    strategy,
    segments,
    scanned: byVector.reduce((n, p) => n + p.scanned, 0),
    perSegment: plans,
  };
  if (filtered) {
    plan.matches = byVector.reduce((n, p) => n + p.matches, 0);
    plan.estimatedMatches = Math.round(byVector.reduce((n, p) => n + (p.estimatedMatches ?? p.matches), 0));
  }
  if (ef !== undefined && request.mode !== 'keyword') plan.ef = Math.max(ef, request.k);
  if (terms !== undefined) plan.terms = terms;
  if (request.mode === 'hybrid') plan.fusion = request.fusion;
  return plan;
}

/**
 * The best k of every segment by vector, under the filter. Segments with codes (quantized collections)
 * run the same paths over their codes into a candidate list of the path's width, which is then re-ranked
 * (engine.rerank) into the result.
 */
function vectorTop(
  engine: CollectionEngine,
  segments: readonly Segment[],
  vector: Float32Array,
  k: number,
  matching: (segment: Segment) => Bitset | null,
  estimate: (segment: Segment) => number | undefined,
  width: { plain: number; filtered: number },
  strategy: 'auto' | 'exact' | 'graph',
  plans: SegmentPlan[] | null,
  summary: SearchSummary,
): TopK {
  const top = new TopK(k);
  const metric = engine.kernelMetric;
  segments.forEach((segment, ordinal) => {
    const graph = segment.graph !== null && segment.graph.size > 0 ? segment.graph : null;
    const allowed = matching(segment);
    const matches = allowed === null ? segment.liveCount : allowed.countAndNot(segment.deletedBits);
    const plan: SegmentPlan | null = plans === null ? null : { segment: segment.id, rows: segment.count, matches, strategy: 'skip', scanned: 0 };
    if (plan !== null) {
      plans!.push(plan);
      if (allowed !== null) plan.estimatedMatches = estimate(segment);
    }
    if (matches === 0) return;
    segment.arena.setQuery(vector);
    // where this segment's results go: the answer, or (over codes) a candidate list of `size` to re-rank
    const quantized = segment.codes !== null;
    let candidates: TopK | null = null;
    const into = (size: number): { out: TopK; base: number } => {
      if (!quantized) return { out: top, base: ordinal * SLOT_SPAN };
      candidates = new TopK(Math.max(k, size));
      return { out: candidates, base: 0 };
    };
    const exactWidth = Math.max(k, FLAT_RERANK_PER_K * k);
    if (allowed === null || matches === segment.liveCount) {
      // the filter passes every live row here: the plain search
      if (graph === null) {
        const { out, base } = into(exactWidth);
        scanRange(segment.arena, segment.marks, metric, out, base, 0, segment.count);
        if (plan !== null) Object.assign(plan, { strategy: 'exact', scanned: segment.count });
      } else {
        const { out, base } = into(width.plain);
        graph.search(segment.marks, out, base, width.plain);
        scanRange(segment.arena, segment.marks, metric, out, base, graph.size, segment.count);
        if (plan !== null) Object.assign(plan, { strategy: 'graph', scanned: segment.count - graph.size });
      }
    } else {
      const filteredWidth = width.filtered;
      if (graph === null || strategy === 'exact' || (strategy === 'auto' && matches <= exactMatchesMax(filteredWidth))) {
        const { out, base } = into(Math.max(filteredWidth, exactWidth));
        const scanned = scanMatching(engine, segment, allowed, out, base, 0, segment.count);
        if (plan !== null) Object.assign(plan, { strategy: 'exact', scanned });
      } else {
        const { out, base } = into(filteredWidth);
        const found = graph.searchFiltered(segment.marks, allowed, out, base, filteredWidth);
        let scanned = 0;
        if (found < filteredWidth) {
          // the traversal reports fewer than its width only when it ran out of matching rows; check that
          const indexedMatches = countMatching(segment, allowed, 0, graph.size);
          if (found < indexedMatches) scanned += scanMatching(engine, segment, allowed, out, base, 0, graph.size);
        }
        scanned += scanMatching(engine, segment, allowed, out, base, graph.size, segment.count);
        if (plan !== null) Object.assign(plan, { strategy: 'filtered-graph', scanned });
      }
    }
    if (candidates !== null) engine.rerank(segment, vector, candidates, top, ordinal * SLOT_SPAN, summary);
  });
  return top;
}

/** Live slots in [from, to) that `allowed` holds. */
function countMatching(segment: Segment, allowed: Bitset, from: number, to: number): number {
  let n = 0;
  forEachMatching(segment, allowed, from, to, () => n++);
  return n;
}

function forEachMatching(segment: Segment, allowed: Bitset, from: number, to: number, fn: (slot: number) => void): void {
  const words = allowed.words;
  const deleted = segment.deletedBits.words;
  const last = Math.min(to, allowed.size);
  for (let w = from >>> 5; w << 5 < last; w++) {
    let word = words[w] & ~(w < deleted.length ? deleted[w] : 0);
    const start = w << 5;
    if (start < from) word &= -1 << (from - start);
    if (start + 32 > last) word &= (1 << (last - start)) - 1;
    while (word !== 0) {
      const low = word & -word;
      word ^= low;
      fn(start + 31 - Math.clz32(low));
    }
  }
}

/**
 * Exact distances to the live matching rows in [from, to) (the query is prepared in the arena), in
 * kernel calls of EXACT_CHUNK slots. Returns how many rows were scored.
 */
function scanMatching(engine: CollectionEngine, segment: Segment, allowed: Bitset, top: TopK, base: number, from: number, to: number): number {
  const chunk = new Uint32Array(EXACT_CHUNK);
  const metric = engine.kernelMetric;
  let n = 0;
  let scanned = 0;
  const flush = (): void => {
    const distances = segment.arena.distancesOf(metric, n === EXACT_CHUNK ? chunk : chunk.subarray(0, n));
    let worst = top.worst;
    for (let i = 0; i < n; i++) {
      if (distances[i] < worst) {
        top.push(distances[i], base + chunk[i]);
        worst = top.worst;
      }
    }
    scanned += n;
    n = 0;
  };
  forEachMatching(segment, allowed, from, to, (slot) => {
    chunk[n++] = slot;
    if (n === EXACT_CHUNK) flush();
  });
  if (n > 0) flush();
  return scanned;
}

/** BM25 ranking of the documents holding a query term, under the filter, best first (k at most). */
function keywordRanking(
  engine: CollectionEngine,
  segments: readonly Segment[],
  text: string,
  k: number,
  matching: (segment: Segment) => Bitset | null,
  estimate: (segment: Segment) => number | undefined,
  plans: SegmentPlan[] | null,
): { ranked: Ranked[]; terms: string[] } {
  const query = queryTerms(engine.analyzer, text);
  const terms = [...query.counts.keys()];
  const top = new TopK(k);
  if (terms.length > 0) {
    const indexed = segments.map((segment) => ({ text: segment.text!, marks: segment.marks }));
    const stats = corpusStats(indexed, query);
    segments.forEach((segment, ordinal) => {
      const base = ordinal * SLOT_SPAN;
      const allowed = matching(segment);
      let scored = 0;
      segment.text!.score(query, stats, segment.marks, allowed === null ? null : (slot) => allowed.has(slot), (slot, score) => {
        scored++;
        top.push(-score, base + slot);
      });
      if (plans !== null) {
        const matches = allowed === null ? segment.liveCount : allowed.countAndNot(segment.deletedBits);
        const plan: SegmentPlan = { segment: segment.id, rows: segment.count, matches, strategy: 'keyword', scanned: scored };
        if (allowed !== null) plan.estimatedMatches = estimate(segment);
        plans.push(plan);
      }
    });
  }
  const { distances, ids } = top.drain();
  const ranked: Ranked[] = [];
  for (let i = 0; i < ids.length; i++) ranked.push({ id: ids[i], score: -distances[i] });
  return { ranked, terms };
}
