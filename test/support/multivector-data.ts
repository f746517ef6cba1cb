/**
 * Seeded multi-vector data drawn from topic mixtures, ColBERT-like: each topic has a vocabulary of term
 * vectors near its centre; a document mixes 1–3 topics and each of its vectors is one of their terms plus
 * noise; a query takes some of a source document's terms (with fresh noise) and some other terms of its
 * topics, so MaxSim separates the documents that share the query's terms from those that only share a
 * topic. Every vector is unit length, as late-interaction models emit them.
 */
import { Prng } from '../../src/core/lib/prng.js';
import { gaussian } from './data.js';

export interface TokenSetData {
  tokens: Float32Array;
  count: number;
}

export interface MultivectorSet {
  dimension: number;
  documents: TokenSetData[];
  queries: TokenSetData[];
}

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const s = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] *= s;
  return v;
}

export function topicMixtureSet(options: {
  documents: number;
  queries: number;
  dimension: number;
  docTokens: [number, number];
  queryTokens: [number, number];
  seed: number;
  topics?: number;
  termsPerTopic?: number;
}): MultivectorSet {
  const { dimension: d, seed } = options;
  const rng = new Prng(seed);
  const topicCount = options.topics ?? 48;
  const termCount = options.termsPerTopic ?? 64;
  const centres = Array.from({ length: topicCount }, () => unit(Float32Array.from({ length: d }, () => gaussian(rng))));
  const terms = centres.map((c) => Array.from({ length: termCount }, () => unit(Float32Array.from(c, (x) => x + (0.9 / Math.sqrt(d)) * gaussian(rng) * 1.0))));
  const noisy = (v: Float32Array, noise: number) => unit(Float32Array.from(v, (x) => x + (noise / Math.sqrt(d)) * gaussian(rng)));
  const between = ([lo, hi]: [number, number]) => lo + rng.int(hi - lo + 1);
  const docTopics: number[][] = [];
  const docTerms: [number, number][][] = [];
  const documents = Array.from({ length: options.documents }, () => {
    const mix = Array.from({ length: 1 + rng.int(3) }, () => rng.int(topicCount));
    const count = between(options.docTokens);
    const tokens = new Float32Array(count * d);
    const used: [number, number][] = [];
    for (let t = 0; t < count; t++) {
      const topic = mix[rng.int(mix.length)];
      // Zipf-like: low term numbers are common words of the topic
      const term = Math.min(termCount - 1, Math.floor(termCount * rng.next() ** 2));
      used.push([topic, term]);
      tokens.set(noisy(terms[topic][term], 0.3), t * d);
    }
    docTopics.push(mix);
    docTerms.push(used);
    return { tokens, count };
  });
  const queries = Array.from({ length: options.queries }, () => {
    const source = rng.int(options.documents);
    const count = between(options.queryTokens);
    const tokens = new Float32Array(count * d);
    for (let t = 0; t < count; t++) {
      let topic: number;
      let term: number;
      if (rng.next() < 0.6) [topic, term] = docTerms[source][rng.int(docTerms[source].length)];
      else {
        topic = docTopics[source][rng.int(docTopics[source].length)];
        term = rng.int(termCount);
      }
      tokens.set(noisy(terms[topic][term], 0.3), t * d);
    }
    return { tokens, count };
  });
  return { dimension: d, documents, queries };
}
