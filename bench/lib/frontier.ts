/**
 * Reading a recall/QPS sweep as ann-benchmarks does: keep the Pareto frontier (no other point has both
 * higher recall and higher QPS), then read the QPS at a target recall off the frontier, interpolating
 * between the two frontier points around it (log QPS linear in recall: a straight line on the plots'
 * log-scale QPS axis).
 */
export interface CurvePoint {
  recall: number;
  qps: number;
}

/** The frontier in increasing recall (so decreasing QPS). */
export function paretoFrontier<T extends CurvePoint>(points: T[]): T[] {
  const sorted = points.filter((p) => Number.isFinite(p.qps) && p.qps > 0).sort((a, b) => b.recall - a.recall || b.qps - a.qps);
  const out: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.qps > best) {
      out.push(p);
      best = p.qps;
    }
  }
  return out.reverse();
}

export interface Reading {
  /** NaN when not reached */
  qps: number;
  /**
   * 'interpolated' between two frontier points; 'measured' when a point sits on the target;
   * 'at least' when every point is above the target (the curve does not reach down to it: the QPS
   * there is at least that of the lowest-recall point); 'not reached' when no point gets there.
   */
  how: 'interpolated' | 'measured' | 'at least' | 'not reached';
  bestRecall: number;
}

export function qpsAtRecall(points: CurvePoint[], target: number): Reading {
  const f = paretoFrontier(points);
  const bestRecall = f.length ? f[f.length - 1].recall : NaN;
  if (!f.length || bestRecall < target) return { qps: NaN, how: 'not reached', bestRecall };
  const i = f.findIndex((p) => p.recall >= target);
  if (f[i].recall === target) return { qps: f[i].qps, how: 'measured', bestRecall };
  if (i === 0) return { qps: f[0].qps, how: 'at least', bestRecall };
  const lo = f[i - 1];
  const hi = f[i];
  const t = (target - lo.recall) / (hi.recall - lo.recall);
  return { qps: Math.exp(Math.log(lo.qps) + t * (Math.log(hi.qps) - Math.log(lo.qps))), how: 'interpolated', bestRecall };
}
