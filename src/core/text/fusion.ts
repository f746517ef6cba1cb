/**
 * Fusing a vector ranking with a keyword ranking into one (hybrid search).
 *
 * - Reciprocal Rank Fusion (Cormack et al. 2009): score(d) = sum over lists of 1 / (RRF_K + rank(d)),
 *   rank counted from 1; a list that does not hold d adds nothing. Only ranks matter, so the two
 *   scales (cosine vs BM25) need no calibration.
 * - Weighted sum of normalised scores: each list's scores are min-max normalised to [0, 1] (a list
 *   whose scores are all equal maps them to 1), then score(d) = w_vector * v(d) + w_keyword * k(d),
 *   with 0 for a list that does not hold d.
 *
 * Ties are broken by id (ascending), so the order is deterministic.
 */
export const RRF_K = 60;

export interface Ranked {
  /** The caller's id of the item (a record location). */
  id: number;
  /** Higher is better. */
  score: number;
}

export type Fusion = { method: 'rrf' } | { method: 'weighted'; vector: number; keyword: number };

/**
 * What a hybrid query without `fusion` uses in a collection embedded by the built-in model: the weighted
 * sum of min-max normalised scores with the keyword side weighted up. Plain RRF gives that weak
 * embedder's ranking as much say as BM25's, and on the Quiver Papers benchmark it loses to BM25 alone on
 * both query sets; these weights are the ones selected there (docs/benchmarks.md#quiver-papers-search-quality,
 * `npm run bench -- papers`): never below BM25 on title -> abstract, above it on paraphrased questions.
 */
export const BUILTIN_MODEL_FUSION: Fusion = Object.freeze({ method: 'weighted', vector: 0.13, keyword: 0.87 });

/**
 * The default fusion of a hybrid query. The tuned weights belong to the built-in model; any other
 * embedder (or vectors the caller brings) gets RRF, which needs no calibration and assumes nothing
 * about the embedder's quality — weights tuned for a weak model would mute a strong one.
 */
export function defaultFusion(embeddedByBuiltinModel: boolean): Fusion {
  return embeddedByBuiltinModel ? BUILTIN_MODEL_FUSION : { method: 'rrf' };
}

export interface Fused {
  id: number;
  score: number;
  /** 1-based ranks in each list, when the item is in it. */
  vectorRank?: number;
  keywordRank?: number;
}

/** `vector` and `keyword` are sorted best first. Returns every item of either list, best first. */
export function fuse(vector: readonly Ranked[], keyword: readonly Ranked[], fusion: Fusion): Fused[] {
  const byId = new Map<number, Fused>();
  const entry = (id: number): Fused => {
    let f = byId.get(id);
    if (f === undefined) {
      f = { id, score: 0 };
      byId.set(id, f);
    }
    return f;
  };
  if (fusion.method === 'rrf') {
    vector.forEach((r, i) => {
      const f = entry(r.id);
      f.vectorRank = i + 1;
      f.score += 1 / (RRF_K + i + 1);
    });
    keyword.forEach((r, i) => {
      const f = entry(r.id);
      f.keywordRank = i + 1;
      f.score += 1 / (RRF_K + i + 1);
    });
  } else {
    const v = normalised(vector);
    const k = normalised(keyword);
    vector.forEach((r, i) => {
      const f = entry(r.id);
      f.vectorRank = i + 1;
      f.score += fusion.vector * v[i];
    });
    keyword.forEach((r, i) => {
      const f = entry(r.id);
      f.keywordRank = i + 1;
      f.score += fusion.keyword * k[i];
    });
  }
  return [...byId.values()].sort((a, b) => b.score - a.score || a.id - b.id);
}

function normalised(list: readonly Ranked[]): number[] {
  if (list.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const r of list) {
    if (r.score < min) min = r.score;
    if (r.score > max) max = r.score;
  }
  const span = max - min;
  return list.map((r) => (span > 0 ? (r.score - min) / span : 1));
}
