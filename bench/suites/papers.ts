/**
 * Quiver Papers search quality (issue 8): BM25 (mode 'keyword'), the built-in embedder (mode 'vector')
 * and the default hybrid (`query({ text })` with no `fusion`) on examples/papers/papers.jsonl.
 *
 * - Titles: documents are the abstracts only; each title is a query whose one relevant document is its
 *   own abstract. Recall@1, Recall@5, MRR@10 over the 188 titles.
 * - Questions (bench/papers-questions.json): natural-language questions with graded judgements, over the
 *   `papers` collection exactly as the app creates it (openPapers: title + abstract, built-in embedding).
 *   nDCG@10 with gains 2^grade - 1. The overlap of each question's content words with its relevant
 *   papers' titles is reported, so the set can be seen not to restate titles.
 *
 * Tuning. Each side's ranking is fetched once per query through the public API at the depth hybrid
 * search fuses (HYBRID_DEPTH, with scores), and candidate fusions are evaluated on them with the core's
 * own `fuse` (the function the planner calls); the bench checks that this reproduces the real default's
 * top 10. The family is fixed in advance: the weighted sum of min-max normalised scores (api.md's
 * `fusion: { weights }`), vector weight w in 0..0.5 by 0.01, keyword 1 - w. Selection rule: among the w
 * whose title Recall@1, Recall@5 and MRR are all at least BM25's, the w of the best question nDCG@10
 * (ties: the smaller w). Overfitting is checked by applying the same rule to random halves (tune on one
 * half of the questions and titles, evaluate on the other) and by leave-one-question-out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HYBRID_DEPTH } from '../../src/core/collection/planner.js';
import { BUILTIN_MODEL_FUSION, type Fusion, fuse, type Ranked } from '../../src/core/text/fusion.js';
import { Quiver } from '../../src/index.js';
import { parsePapersJsonl, type Paper } from '../../src/papers/corpus.js';
import { openPapers, PAPERS_CONFIG } from '../../src/papers/collection.js';
import { type MachineInfo, machineInfo } from '../lib/machine.js';
import { parseQuestions, type Question, titleOverlap } from '../lib/papers-questions.js';
import { BENCH_DIR, ROOT_DIR } from '../lib/paths.js';
import { Rng } from '../lib/rng.js';
import { BENCHMARKS_MD, writeJson, writeSection } from '../report.js';

const K = 10;
const WEIGHTS = Array.from({ length: 51 }, (_, i) => i / 100);
const SPLITS = 200;

type Mode = 'keyword' | 'vector' | 'hybrid';

interface Lists {
  /** each side's ranking at HYBRID_DEPTH, as corpus ordinals (insertion order) with scores */
  vector: Ranked[];
  keyword: Ranked[];
  /** the default hybrid's top K, as ordinals */
  hybrid: number[];
}

export interface TitleMetrics {
  recallAt1: number;
  recallAt5: number;
  mrr: number;
}

export interface PapersRunResult {
  suite: 'papers';
  command: string;
  date: string;
  machine: MachineInfo;
  corpus: string;
  defaultFusion: string;
  embedSeconds: { abstracts: number; papers: number };
  titles: Record<Mode, TitleMetrics> & { rrf: TitleMetrics };
  questions: Record<Mode, number> & { rrf: number; count: number };
  /** the simulated default (core fuse on the fetched lists) equals the real default's top K on this many queries */
  simulationAgrees: { titles: number; questions: number };
  perQuestion: Array<{ id: string; question: string; keyword: number; vector: number; hybrid: number; overlap: string[]; words: number }>;
  titleWinsLosses: { wins: number; losses: number; ties: number; vsVector: { wins: number; losses: number } };
  sweep: Array<{ vector: number; titles: TitleMetrics; questions: number; eligible: boolean }>;
  selected: number;
  splitHalf: {
    splits: number;
    heldOut: { keyword: number; vector: number; tuned: number; rrf: number };
    questionsBeatBm25: number;
    titlesNotWorse: number;
    /** mean held-out title metrics of BM25 and of the tuned hybrid */
    heldOutTitles: { keyword: TitleMetrics; tuned: TitleMetrics };
    selectedWeights: { min: number; median: number; max: number };
  };
  leaveOneOut: { keyword: number; vector: number; tuned: number; selectedWeights: { min: number; max: number } };
}

function corpusFile(): string {
  return path.join(ROOT_DIR, 'examples', 'papers', 'papers.jsonl');
}

async function lists(
  col: { query(r: Record<string, unknown>): Promise<Array<{ key: string; score: number }>> },
  texts: readonly string[],
  ordinal: ReadonlyMap<string, number>,
): Promise<Lists[]> {
  const ranked = (hits: Array<{ key: string; score: number }>): Ranked[] => hits.map((h) => ({ id: ordinal.get(h.key)!, score: h.score }));
  const out: Lists[] = [];
  for (const text of texts) {
    const vector = ranked(await col.query({ text, k: HYBRID_DEPTH, mode: 'vector' }));
    const keyword = ranked(await col.query({ text, k: HYBRID_DEPTH, mode: 'keyword' }));
    const hybrid = (await col.query({ text, k: K })).map((h) => ordinal.get(h.key)!);
    out.push({ vector, keyword, hybrid });
  }
  return out;
}

function ndcg(ranking: readonly number[], relevant: ReadonlyMap<number, number>): number {
  let dcg = 0;
  ranking.slice(0, K).forEach((id, i) => {
    const g = relevant.get(id) ?? 0;
    dcg += (2 ** g - 1) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, K).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
  return dcg / ideal;
}

/** 1-based rank of `target` in the top K, 0 when absent. */
function rankIn(ranking: readonly number[], target: number): number {
  return ranking.slice(0, K).indexOf(target) + 1;
}

function titleMetrics(ranks: readonly number[]): TitleMetrics {
  const n = ranks.length;
  return {
    recallAt1: ranks.filter((r) => r === 1).length / n,
    recallAt5: ranks.filter((r) => r >= 1 && r <= 5).length / n,
    mrr: ranks.reduce((s, r) => s + (r > 0 ? 1 / r : 0), 0) / n,
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanMetrics = (ms: readonly TitleMetrics[]): TitleMetrics => ({ recallAt1: mean(ms.map((m) => m.recallAt1)), recallAt5: mean(ms.map((m) => m.recallAt5)), mrr: mean(ms.map((m) => m.mrr)) });
const pick = <T>(xs: readonly T[], idx: readonly number[]) => idx.map((i) => xs[i]);
const notWorse = (a: TitleMetrics, b: TitleMetrics) => a.recallAt1 >= b.recallAt1 - 1e-12 && a.recallAt5 >= b.recallAt5 - 1e-12 && a.mrr >= b.mrr - 1e-12;
const fused = (l: Lists, fusion: Fusion) => fuse(l.vector, l.keyword, fusion).map((f) => f.id);

export async function runPapers(): Promise<Omit<PapersRunResult, 'suite' | 'command' | 'date' | 'machine'>> {
  const papers: Paper[] = parsePapersJsonl(fs.readFileSync(corpusFile(), 'utf8'));
  const ordinal = new Map(papers.map((p, i) => [p.id, i]));
  const titlesById = new Map(papers.map((p) => [p.id, p.title]));
  const questions: Question[] = parseQuestions(fs.readFileSync(path.join(BENCH_DIR, 'papers-questions.json'), 'utf8'), new Set(ordinal.keys()));

  // titles -> abstracts: the app's collection configuration, documents = abstract only
  let t0 = performance.now();
  const db1 = await Quiver.open();
  const abstracts = await db1.createCollection('abstracts', { ...PAPERS_CONFIG, payloadIndexes: {} });
  await abstracts.upsert(papers.map((p) => ({ key: p.id, document: p.abstract })));
  const abstractsSeconds = (performance.now() - t0) / 1000;
  console.log(`  abstracts embedded in ${abstractsSeconds.toFixed(1)} s`);
  const titleLists = await lists(abstracts, papers.map((p) => p.title), ordinal);
  const { plan } = await abstracts.explain({ text: papers[0].title, k: K });
  await db1.close();

  // questions -> the papers collection as the app creates it
  t0 = performance.now();
  const db2 = await Quiver.open();
  const { collection } = await openPapers(db2, async () => papers);
  const papersSeconds = (performance.now() - t0) / 1000;
  console.log(`  papers embedded in ${papersSeconds.toFixed(1)} s`);
  const questionLists = await lists(collection, questions.map((q) => q.question), ordinal);
  await db2.close();

  const relevant = questions.map((q) => new Map(Object.entries(q.relevant).map(([id, g]) => [ordinal.get(id)!, g])));
  const titleRanks = (rank: (l: Lists) => number[]) => titleLists.map((l, i) => rankIn(rank(l), i));
  const questionScores = (rank: (l: Lists) => number[]) => questionLists.map((l, i) => ndcg(rank(l), relevant[i]));
  const side = { keyword: (l: Lists) => l.keyword.map((r) => r.id), vector: (l: Lists) => l.vector.map((r) => r.id), hybrid: (l: Lists) => l.hybrid };
  const rrf = (l: Lists) => fused(l, { method: 'rrf' });

  const ranks = { keyword: titleRanks(side.keyword), vector: titleRanks(side.vector), hybrid: titleRanks(side.hybrid), rrf: titleRanks(rrf) };
  const scores = { keyword: questionScores(side.keyword), vector: questionScores(side.vector), hybrid: questionScores(side.hybrid), rrf: questionScores(rrf) };

  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const simulationAgrees = {
    titles: titleLists.filter((l) => same(fused(l, BUILTIN_MODEL_FUSION).slice(0, K), l.hybrid)).length,
    questions: questionLists.filter((l) => same(fused(l, BUILTIN_MODEL_FUSION).slice(0, K), l.hybrid)).length,
  };

  // the sweep: per weight, per-query title ranks and question nDCG
  const sweepRanks = WEIGHTS.map((w) => titleRanks((l) => fused(l, { method: 'weighted', vector: w, keyword: 1 - w })));
  const sweepScores = WEIGHTS.map((w) => questionScores((l) => fused(l, { method: 'weighted', vector: w, keyword: 1 - w })));
  const select = (titleIdx: number[], questionIdx: number[]): number => {
    const bm25 = titleMetrics(pick(ranks.keyword, titleIdx));
    let best = -1;
    let bestScore = -Infinity;
    WEIGHTS.forEach((_, wi) => {
      if (!notWorse(titleMetrics(pick(sweepRanks[wi], titleIdx)), bm25)) return;
      const s = mean(pick(sweepScores[wi], questionIdx));
      if (s > bestScore + 1e-12) {
        bestScore = s;
        best = wi;
      }
    });
    return best;
  };
  const allTitles = papers.map((_, i) => i);
  const allQuestions = questions.map((_, i) => i);
  const bm25All = titleMetrics(ranks.keyword);
  const sweep = WEIGHTS.map((w, wi) => {
    const t = titleMetrics(sweepRanks[wi]);
    return { vector: w, titles: t, questions: mean(sweepScores[wi]), eligible: notWorse(t, bm25All) };
  });
  const selected = WEIGHTS[select(allTitles, allQuestions)];

  // split-half: tune on a random half of the questions and of the titles, evaluate on the other halves
  const rng = new Rng(8);
  const halves = (n: number) => {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return [order.slice(0, n >> 1), order.slice(n >> 1)];
  };
  const held = { keyword: [] as number[], vector: [] as number[], tuned: [] as number[], rrf: [] as number[] };
  const chosen: number[] = [];
  let questionsBeatBm25 = 0;
  let titlesNotWorse = 0;
  const heldTitles = { keyword: [] as TitleMetrics[], tuned: [] as TitleMetrics[] };
  for (let s = 0; s < SPLITS; s++) {
    const [tuneQ, testQ] = halves(questions.length);
    const [tuneT, testT] = halves(papers.length);
    const wi = select(tuneT, tuneQ);
    chosen.push(WEIGHTS[wi]);
    const tuned = mean(pick(sweepScores[wi], testQ));
    const bm25 = mean(pick(scores.keyword, testQ));
    held.keyword.push(bm25);
    held.vector.push(mean(pick(scores.vector, testQ)));
    held.rrf.push(mean(pick(scores.rrf, testQ)));
    held.tuned.push(tuned);
    if (tuned > bm25 + 1e-12) questionsBeatBm25++;
    const tunedTitles = titleMetrics(pick(sweepRanks[wi], testT));
    const bm25Titles = titleMetrics(pick(ranks.keyword, testT));
    heldTitles.tuned.push(tunedTitles);
    heldTitles.keyword.push(bm25Titles);
    if (notWorse(tunedTitles, bm25Titles)) titlesNotWorse++;
  }
  chosen.sort((a, b) => a - b);

  // leave one question out (titles: all)
  const loo = allQuestions.map((q) => {
    const wi = select(allTitles, allQuestions.filter((i) => i !== q));
    return { w: WEIGHTS[wi], score: sweepScores[wi][q] };
  });

  const wins = (a: number[], b: number[], better: (x: number, y: number) => boolean) => a.filter((x, i) => better(x, b[i])).length;
  const rankBetter = (x: number, y: number) => x > 0 && (y === 0 || x < y);
  return {
    corpus: `examples/papers/papers.jsonl (${papers.length} papers)`,
    defaultFusion: JSON.stringify(plan.fusion),
    embedSeconds: { abstracts: abstractsSeconds, papers: papersSeconds },
    titles: { keyword: titleMetrics(ranks.keyword), vector: titleMetrics(ranks.vector), hybrid: titleMetrics(ranks.hybrid), rrf: titleMetrics(ranks.rrf) },
    questions: { keyword: mean(scores.keyword), vector: mean(scores.vector), hybrid: mean(scores.hybrid), rrf: mean(scores.rrf), count: questions.length },
    simulationAgrees,
    perQuestion: questions.map((q, i) => {
      const o = titleOverlap(q, titlesById);
      return { id: q.id, question: q.question, keyword: scores.keyword[i], vector: scores.vector[i], hybrid: scores.hybrid[i], overlap: o.shared, words: o.words };
    }),
    titleWinsLosses: {
      wins: wins(ranks.hybrid, ranks.keyword, rankBetter),
      losses: wins(ranks.keyword, ranks.hybrid, rankBetter),
      ties: ranks.hybrid.filter((r, i) => r === ranks.keyword[i]).length,
      vsVector: { wins: wins(ranks.hybrid, ranks.vector, rankBetter), losses: wins(ranks.vector, ranks.hybrid, rankBetter) },
    },
    sweep,
    selected,
    splitHalf: {
      splits: SPLITS,
      heldOut: { keyword: mean(held.keyword), vector: mean(held.vector), tuned: mean(held.tuned), rrf: mean(held.rrf) },
      questionsBeatBm25,
      titlesNotWorse,
      heldOutTitles: { keyword: meanMetrics(heldTitles.keyword), tuned: meanMetrics(heldTitles.tuned) },
      selectedWeights: { min: chosen[0], median: chosen[chosen.length >> 1], max: chosen[chosen.length - 1] },
    },
    leaveOneOut: {
      keyword: mean(scores.keyword),
      vector: mean(scores.vector),
      tuned: mean(loo.map((l) => l.score)),
      selectedWeights: { min: Math.min(...loo.map((l) => l.w)), max: Math.max(...loo.map((l) => l.w)) },
    },
  };
}

const f3 = (x: number) => x.toFixed(3);

export function renderPapers(run: PapersRunResult): string {
  const { titles: t, questions: q } = run;
  const better = (a: number, b: number) => (a > b + 1e-9 ? 'win' : a < b - 1e-9 ? 'loss' : 'tie');
  const qWins = run.perQuestion.filter((p) => better(p.hybrid, p.keyword) === 'win').length;
  const qLosses = run.perQuestion.filter((p) => better(p.hybrid, p.keyword) === 'loss').length;
  const qWinsV = run.perQuestion.filter((p) => better(p.hybrid, p.vector) === 'win').length;
  const qLossesV = run.perQuestion.filter((p) => better(p.hybrid, p.vector) === 'loss').length;
  const words = run.perQuestion.reduce((s, p) => s + p.words, 0);
  const shared = run.perQuestion.reduce((s, p) => s + p.overlap.length, 0);
  const row = (name: string, m: TitleMetrics, nd: number) => `| ${name} | ${f3(m.recallAt1)} | ${f3(m.recallAt5)} | ${f3(m.mrr)} | ${f3(nd)} |`;
  const shown = run.sweep.filter((s) => Math.round(s.vector * 100) % 5 === 0 || s.vector === run.selected);
  const sh = run.splitHalf;
  return [
    `_Generated by \`${run.command}\` on ${run.date}._`,
    '',
    `Corpus: ${run.corpus}. Machine: ${run.machine.cpu}, Node ${run.machine.node}, shared with other jobs (quality figures do not depend on load; the embedding times do). Built-in embedder (USE lite, 512-d): the 188 abstracts embedded in ${run.embedSeconds.abstracts.toFixed(1)} s, the 188 papers (title + abstract) in ${run.embedSeconds.papers.toFixed(1)} s. Default fusion reported by \`explain\`: \`${run.defaultFusion}\`.`,
    '',
    `- **Titles → abstracts**: documents are the abstracts only; each title is a query whose one relevant document is its abstract; Recall@1, Recall@5, MRR@10 over all 188.`,
    `- **Questions**: ${q.count} natural-language questions (bench/papers-questions.json) with graded judgements, over the \`papers\` collection as the app creates it (title + abstract); nDCG@10 (gain 2^grade − 1). Content words (English stems, stop words out) shared with the relevant papers' titles: ${shared} of ${words} (${((100 * shared) / words).toFixed(1)}%).`,
    '',
    '| method | titles R@1 | titles R@5 | titles MRR@10 | questions nDCG@10 |',
    '|---|---:|---:|---:|---:|',
    row('BM25 (`mode: \'keyword\'`)', t.keyword, q.keyword),
    row('built-in embedder (`mode: \'vector\'`)', t.vector, q.vector),
    row('**default hybrid** (`query({ text })`)', t.hybrid, q.hybrid),
    row("RRF, k = 60 (`fusion: 'rrf'`, the previous default)", t.rrf, q.rrf),
    '',
    `Issue 8's criteria for the default hybrid: titles at least the better input on R@1, R@5 and MRR — ${notWorse(t.hybrid, t.keyword) && notWorse(t.hybrid, t.vector) ? 'met' : '**not met**'}; questions at least the better input — ${q.hybrid >= Math.max(q.keyword, q.vector) - 1e-12 ? 'met' : '**not met**'}; questions above BM25 alone — ${q.hybrid > q.keyword + 1e-12 ? 'met' : '**not met**'}.`,
    '',
    `Default hybrid vs BM25, per query: titles ${run.titleWinsLosses.wins} better rank / ${run.titleWinsLosses.losses} worse / ${run.titleWinsLosses.ties} same; questions ${qWins} better nDCG / ${qLosses} worse / ${q.count - qWins - qLosses} same. Vs the embedder alone: titles ${run.titleWinsLosses.vsVector.wins} / ${run.titleWinsLosses.vsVector.losses}, questions ${qWinsV} / ${qLossesV}. (The tuning below re-fuses the fetched lists with the core's \`fuse\`; it reproduces the real default's top 10 on ${run.simulationAgrees.titles}/188 titles and ${run.simulationAgrees.questions}/${q.count} questions${run.simulationAgrees.titles + run.simulationAgrees.questions < 188 + q.count ? ' — the rest differ where fused scores tie' : ''}.)`,
    '',
    '<details><summary>Per question (nDCG@10; words shared with relevant titles)</summary>',
    '',
    '| id | question | BM25 | vector | hybrid | shared title words |',
    '|---|---|---:|---:|---:|---|',
    ...run.perQuestion.map((p) => `| ${p.id} | ${p.question} | ${f3(p.keyword)} | ${f3(p.vector)} | ${f3(p.hybrid)} | ${p.overlap.join(', ') || '—'} |`),
    '',
    '</details>',
    '',
    `**Tuning** (weighted sum of min-max normalised scores, vector weight w, keyword 1 − w; each side ${HYBRID_DEPTH} deep; "eligible" = title R@1, R@5 and MRR all at least BM25's):`,
    '',
    '| w (vector) | titles R@1 | titles R@5 | titles MRR@10 | questions nDCG@10 | eligible |',
    '|---:|---:|---:|---:|---:|:---:|',
    ...shown.map((s) => `| ${s.vector.toFixed(2)}${s.vector === run.selected ? ' (selected)' : ''} | ${f3(s.titles.recallAt1)} | ${f3(s.titles.recallAt5)} | ${f3(s.titles.mrr)} | ${f3(s.questions)} | ${s.eligible ? 'yes' : 'no'} |`),
    '',
    `Selection on all queries: w = ${run.selected.toFixed(2)}. Split-half check (${sh.splits} seeded random splits; the rule picks w on half of the questions and half of the titles, scored on the other halves): held-out question nDCG@10 BM25 ${f3(sh.heldOut.keyword)}, vector ${f3(sh.heldOut.vector)}, RRF ${f3(sh.heldOut.rrf)}, tuned hybrid ${f3(sh.heldOut.tuned)}; the tuned hybrid beat BM25 on the held-out questions in ${sh.questionsBeatBm25}/${sh.splits} splits and was at least BM25 on every held-out title metric (R@1, R@5 and MRR at once) in ${sh.titlesNotWorse}/${sh.splits} (mean held-out titles R@1 / MRR: BM25 ${f3(sh.heldOutTitles.keyword.recallAt1)} / ${f3(sh.heldOutTitles.keyword.mrr)}, tuned ${f3(sh.heldOutTitles.tuned.recallAt1)} / ${f3(sh.heldOutTitles.tuned.mrr)}); chosen w ranged ${sh.selectedWeights.min.toFixed(2)}–${sh.selectedWeights.max.toFixed(2)} (median ${sh.selectedWeights.median.toFixed(2)}). Leave-one-question-out: nDCG@10 ${f3(run.leaveOneOut.tuned)} (BM25 ${f3(run.leaveOneOut.keyword)}), w ${run.leaveOneOut.selectedWeights.min.toFixed(2)}–${run.leaveOneOut.selectedWeights.max.toFixed(2)}.`,
  ].join('\n');
}

/** Runs the suite, prints the report, writes the JSON and the docs section when asked (bench/run.ts and bench/papers-run.ts). */
export async function papersMain(options: { command: string; json?: string; writeDocs: boolean }): Promise<void> {
  const res = await runPapers();
  const run: PapersRunResult = { suite: 'papers', command: options.command, date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), machine: machineInfo(), ...res };
  const md = renderPapers(run);
  console.log(`\n${md}`);
  if (options.json !== undefined) writeJson(options.json, run);
  if (options.writeDocs) {
    writeSection(BENCHMARKS_MD, 'papers', md);
    console.log(`updated ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
  }
}
