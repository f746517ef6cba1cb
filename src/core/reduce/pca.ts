/**
 * PCA and LeanVec-ID: the top-d eigenvectors of a D × D moment matrix of the sample.
 *
 * - PCA: the covariance (mean-centred): the d directions of largest variance, the best rank-d fit of the
 *   sample about its mean (Eckart–Young). The map is applied to vectors as they are, not centred: l2
 *   distances are differences and do not see a shift, and for dot / cosine the part of ⟨q, x⟩ the mean
 *   contributes is the same for every x, so a query's ranking does not depend on it either.
 * - LeanVec-ID (Tepper et al., "LeanVec: Searching vectors faster by making them fit"): the uncentred
 *   second moment E[xxᵀ], the minimiser of the inner-product error E(qᵀx − qᵀPᵀPx)² when queries come
 *   from the database's distribution (LeanVec-OOD's objective with queries = database).
 *
 * Cost: count · D² / 2 multiply-adds for the moment matrix, then ~9 D³ flops for the eigensolver (the
 * whole spectrum; it also gives the variance kept, docs/reduction.md has measured times).
 */
import { meanOf, type Rows, secondMoment, symmetricEigen, trace } from './linalg.js';
import type { LeanVecParts, PcaParts } from './fitted.js';
import type { ReduceMetric } from './reducer.js';

function topRows(vectors: Float64Array, d: number, D: number): Float32Array {
  return Float32Array.from(vectors.subarray(0, d * D));
}

export function fitPca(sample: Rows, d: number, metric: ReduceMetric): Omit<PcaParts, 'renormalize'> {
  const D = sample.dimension;
  const mean = meanOf(sample);
  const covariance = secondMoment(sample, mean);
  const totalVariance = trace(covariance, D);
  const { values, vectors } = symmetricEigen(covariance, D);
  const variances = Float64Array.from(values.subarray(0, d), (v) => Math.max(v, 0));
  const kept = variances.reduce((s, v) => s + v, 0);
  return {
    method: 'pca',
    metric,
    inputDimension: D,
    dimension: d,
    fit: { sampleCount: sample.count, queryCount: 0, retained: totalVariance > 0 ? Math.min(1, kept / totalVariance) : Number.NaN },
    mean: Float32Array.from(mean),
    components: topRows(vectors, d, D),
    variances,
    totalVariance,
  };
}

export function fitLeanVecId(sample: Rows, d: number, metric: ReduceMetric): Omit<LeanVecParts, 'renormalize'> {
  const D = sample.dimension;
  const moment = secondMoment(sample, null);
  const totalMoment = trace(moment, D);
  const { values, vectors } = symmetricEigen(moment, D);
  const moments = Float64Array.from(values.subarray(0, d), (v) => Math.max(v, 0));
  const kept = moments.reduce((s, v) => s + v, 0);
  return {
    method: 'leanvec',
    metric,
    inputDimension: D,
    dimension: d,
    fit: { sampleCount: sample.count, queryCount: 0, retained: totalMoment > 0 ? Math.min(1, kept / totalMoment) : Number.NaN },
    components: topRows(vectors, d, D),
    moments,
    totalMoment,
  };
}
