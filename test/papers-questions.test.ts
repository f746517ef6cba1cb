/**
 * The Quiver Papers question set (bench/papers-questions.json, used by `npm run bench -- papers`) is
 * well-formed: at least 30 questions, unique ids, every judged paper id in the corpus, grades 1 or 2
 * with at least one 2 per question. Asserts no quality figure (that is the benchmark's job).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { contentStems, parseQuestions, QUESTIONS_MIN } from '../bench/lib/papers-questions.js';
import { parsePapersJsonl } from '../src/papers/corpus.js';

const papers = parsePapersJsonl(fs.readFileSync(new URL('../examples/papers/papers.jsonl', import.meta.url), 'utf8'));
const questionsJson = fs.readFileSync(new URL('../bench/papers-questions.json', import.meta.url), 'utf8');
const ids = new Set(papers.map((p) => p.id));

describe('papers question set', () => {
  it('parses against the corpus: >= 30 questions, known ids, grades 1/2', () => {
    const questions = parseQuestions(questionsJson, ids);
    assert.ok(questions.length >= QUESTIONS_MIN, `${questions.length} questions`);
    for (const q of questions) {
      for (const [id, grade] of Object.entries(q.relevant)) {
        assert.ok(ids.has(id), `${q.id}: ${id}`);
        assert.ok(grade === 1 || grade === 2, `${q.id}: ${id} grade ${grade}`);
      }
    }
    assert.equal(new Set(questions.map((q) => q.question.toLowerCase())).size, questions.length, 'no repeated question');
  });

  it('rejects unknown ids, bad grades and too few questions', () => {
    const one = { id: 'q1', question: 'a question long enough', relevant: { [papers[0].id]: 2 } };
    const many = (q: object) => JSON.stringify({ questions: [q, ...Array.from({ length: QUESTIONS_MIN }, (_, i) => ({ ...one, id: `x${i}` }))] });
    assert.throws(() => parseQuestions(many({ ...one, relevant: { 'no-such-paper': 2 } }), ids), /not a paper id/);
    assert.throws(() => parseQuestions(many({ ...one, relevant: { [papers[0].id]: 3 } }), ids), /grade/);
    assert.throws(() => parseQuestions(many({ ...one, id: 'x0' }), ids), /unique/);
    assert.throws(() => parseQuestions(JSON.stringify({ questions: [one] }), ids), /at least 30/);
  });

  it('compares content words as stems without stop words', () => {
    assert.deepEqual([...contentStems('How can the networks be trained?')].sort(), ['network', 'train']);
  });
});
