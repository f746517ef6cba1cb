/**
 * Topics of a set of records, for the map: k-means over their vectors, each cluster labelled by the
 * terms that set its documents apart (frequent in this cluster, rare elsewhere; see `labels`).
 *
 * Clustering runs in the original space, not on the 2-D layout, so topics reflect the embeddings
 * rather than the projection's distortions; the layout then shows how well they separate.
 */
import { Analyzer } from '../text/analyzer.js';
import { CodebookSearch, kmeans } from '../quant/kmeans.js';
import { Prng } from '../lib/prng.js';
import { sampleIndices } from '../layout/pca.js';

export interface Topic {
  /** The cluster's number: the value in `assignments`. */
  id: number;
  /** Points in the cluster. */
  size: number;
  /** Up to TERMS_PER_TOPIC terms, most distinctive first (empty when its records have no documents). */
  terms: string[];
}

export interface Topics {
  /** The cluster of each point. */
  assignments: Int32Array;
  /** Largest first. */
  topics: Topic[];
}

export interface TopicRows {
  /** Row r's vector is data[r * stride, r * stride + dimension). */
  data: Float32Array;
  stride: number;
  count: number;
  dimension: number;
}

export const TERMS_PER_TOPIC = 4;
/**
 * k-means is fitted on at most this many points, then every point is assigned: the fit is one step the
 * map cannot pause inside (~0.3 s at 2,000 x 512 x 16 clusters), and topics need no more points than this.
 */
const FIT_POINTS_MAX = 2_000;
const ASSIGNMENTS_PER_STEP = 2_048;
const KMEANS_ITERATIONS = 25;
/** Terms shorter than this, and numbers, say little about a topic. */
const TERM_LENGTH_MIN = 3;
const NUMBER = /^\p{N}+$/u;

const analyzer = new Analyzer({ stemming: 'none', stopWords: 'english' });

/**
 * `clusters` topics (fewer when there are fewer points) of the rows, labelled from `documents` (aligned
 * with the rows; undefined for records without one). Deterministic given the seed.
 */
export function* topicsOf(rows: TopicRows, documents: readonly (string | undefined)[], clusters: number, seed: number): Generator<void, Topics> {
  const { count, dimension } = rows;
  const k = Math.max(1, Math.min(clusters, count));
  const assignments = new Int32Array(count);
  if (count === 0) return { assignments, topics: [] };

  const fitRows = sampleIndices(count, Math.min(count, FIT_POINTS_MAX), new Prng(seed));
  const fit = new Float32Array(fitRows.length * dimension);
  fitRows.forEach((r, i) => fit.set(rows.data.subarray(r * rows.stride, r * rows.stride + dimension), i * dimension));
  const centroids = kmeans({ data: fit, rows: fitRows.length, stride: dimension, offset: 0, dim: dimension }, k, KMEANS_ITERATIONS, new Prng(seed + 1));
  const nearest = new CodebookSearch(centroids, k, dimension);
  const sizes = new Int32Array(k);
  for (let r = 0; r < count; r++) {
    const row = rows.data.subarray(r * rows.stride, r * rows.stride + dimension);
    assignments[r] = nearest.nearest(row, 0);
    sizes[assignments[r]]++;
    if (r % ASSIGNMENTS_PER_STEP === ASSIGNMENTS_PER_STEP - 1) yield;
  }
  yield;

  // Renumber by size, so topic 0 is the largest and empty clusters drop out.
  const order = Array.from({ length: k }, (_, c) => c).filter((c) => sizes[c] > 0).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const renumber = new Int32Array(k).fill(-1);
  order.forEach((c, i) => (renumber[c] = i));
  for (let r = 0; r < count; r++) assignments[r] = renumber[assignments[r]];
  const terms = labels(assignments, documents, order.length);
  return { assignments, topics: order.map((c, i) => ({ id: i, size: sizes[c], terms: terms[i] })) };
}

/**
 * Labels of each cluster: a term scores its coverage of the cluster (the share of the cluster's
 * documents that contain it) times the log of its lift (that coverage over its coverage of all
 * documents), so "training" — in most abstracts — loses to "svg", in most of one cluster's and few
 * others', and boilerplate ("paper", "new") that is as common everywhere scores near zero.
 */
function labels(assignments: Int32Array, documents: readonly (string | undefined)[], clusters: number): string[][] {
  const inCluster = Array.from({ length: clusters }, () => new Map<string, number>());
  const documentsIn = new Int32Array(clusters);
  const frequency = new Map<string, number>();
  let documentCount = 0;
  assignments.forEach((c, r) => {
    const document = documents[r];
    if (document === undefined) return;
    documentCount++;
    documentsIn[c]++;
    const terms = new Set(analyzer.terms(document).filter((t) => t.length >= TERM_LENGTH_MIN && !NUMBER.test(t)));
    for (const term of terms) {
      inCluster[c].set(term, (inCluster[c].get(term) ?? 0) + 1);
      frequency.set(term, (frequency.get(term) ?? 0) + 1);
    }
  });
  return inCluster.map((terms, c) => {
    // a term from a single document of a larger cluster names that document, not the topic
    const minDocuments = documentsIn[c] >= 3 ? 2 : 1;
    return [...terms.entries()]
      .filter(([, n]) => n >= minDocuments)
      .map(([term, n]) => ({ term, weight: lift(n / documentsIn[c], frequency.get(term)! / documentCount) }))
      .filter((t) => t.weight > 0)
      .sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : 1))
      .slice(0, TERMS_PER_TOPIC)
      .map((t) => t.term);
  });
}

function lift(coverage: number, overall: number): number {
  return coverage * Math.log(coverage / overall);
}
