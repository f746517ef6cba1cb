/**
 * The Quiver Papers question set (bench/papers-questions.json): natural-language questions over
 * examples/papers/papers.jsonl with graded relevance judgements (2 = about exactly this, 1 = partly
 * relevant), written by reading the abstracts. Used by `npm run bench -- papers`; test/papers-questions
 * checks the file is well-formed. Pure: the caller reads the files.
 */
import { Analyzer } from '../../src/core/text/analyzer.js';

export interface Question {
  id: string;
  question: string;
  /** paper id -> grade (1 or 2) */
  relevant: Record<string, number>;
}

export const QUESTIONS_MIN = 30;

/** Parses and checks the question file against the corpus's ids; throws naming the first problem. */
export function parseQuestions(json: string, corpusIds: ReadonlySet<string>): Question[] {
  const root = JSON.parse(json) as { questions?: unknown };
  if (!Array.isArray(root.questions)) throw new Error('papers-questions.json: expected { questions: [...] }');
  const seen = new Set<string>();
  const questions = root.questions.map((raw, i) => {
    const q = raw as Partial<Question>;
    const where = `question ${i + 1}`;
    if (typeof q.id !== 'string' || q.id === '' || seen.has(q.id)) throw new Error(`${where}: id must be a unique non-empty string`);
    seen.add(q.id);
    if (typeof q.question !== 'string' || q.question.trim().length < 10) throw new Error(`${where} (${q.id}): question must be a sentence`);
    if (q.relevant === null || typeof q.relevant !== 'object' || Object.keys(q.relevant).length === 0) throw new Error(`${where} (${q.id}): relevant must list at least one paper`);
    for (const [paper, grade] of Object.entries(q.relevant)) {
      if (!corpusIds.has(paper)) throw new Error(`${where} (${q.id}): "${paper}" is not a paper id of the corpus`);
      if (grade !== 1 && grade !== 2) throw new Error(`${where} (${q.id}): grade of "${paper}" must be 1 or 2`);
    }
    if (!Object.values(q.relevant).includes(2)) throw new Error(`${where} (${q.id}): needs at least one paper of grade 2`);
    return q as Question;
  });
  if (questions.length < QUESTIONS_MIN) throw new Error(`papers-questions.json: ${questions.length} questions, at least ${QUESTIONS_MIN} expected`);
  return questions;
}

/** Content words compared as English stems without Lucene's stop words (so "networks" matches "network"). */
const CONTENT = new Analyzer({ stemming: 'english', stopWords: 'english' });
/** Words that carry no topic in this corpus's questions (question words and generic verbs), beyond the stop list. */
const FILLER = new Set(['how', 'why', 'what', 'which', 'can', 'do', 'does', 'i', 'my', 'make', 'us', 'we', 'one', 'way', 'while', 'when', 'keep', 'mani', 'everi', 'from', 'veri']);

export function contentStems(text: string): Set<string> {
  return new Set(CONTENT.terms(text).filter((t) => !FILLER.has(t)));
}

/** The question's content stems that also occur in the title of a paper judged relevant to it. */
export function titleOverlap(question: Question, titles: ReadonlyMap<string, string>): { words: number; shared: string[] } {
  const words = contentStems(question.question);
  const inTitles = new Set<string>();
  for (const id of Object.keys(question.relevant)) for (const s of contentStems(titles.get(id) ?? '')) inTitles.add(s);
  return { words: words.size, shared: [...words].filter((w) => inTitles.has(w)) };
}
