// Distances between the two piecewise CDFs of two t-digests: sup |F_ref − F_cur| (KS) and
// ∫ |F_ref − F_cur| dx (Wasserstein-1), read from the digests' CDF models (KS with a resolution correction).
import { cdfModelOf, modelSpreadWeight, type CdfModel } from "../sketch/cdf-model.ts";
import type { TDigest } from "../sketch/tdigest.ts";

export interface CdfDistances {
  /** sup_x |F_ref(x) − F_cur(x)| with the resolution correction below, in [0, 1] */
  ks: number;
  /** ∫ |F_ref(x) − F_cur(x)| dx = Wasserstein-1 distance, in data units */
  wasserstein1: number;
}

/**
 * E[sup_t B(t)] for a standard Brownian bridge B on [0, 1]: √(π/8) ≈ 0.627 (the one-sided maximum of the
 * bridge is Rayleigh-distributed with P(sup > b) = exp(−2b²)).
 */
export const BRIDGE_MEAN_SUP = Math.sqrt(Math.PI / 8);

/**
 * A digest's CDF (cdf-model.ts) is right-continuous and affine between consecutive knots (centroid means,
 * min, max), so D = F_ref − F_cur is affine on every open interval between consecutive points of the union
 * of both digests' breakpoints. D is evaluated at each point (the right limit) and at each interval's
 * midpoint, which fixes the line on the interval and with it the left limit at the next point (where a
 * jump — a point mass — may sit). W1 is the exact integral of |line| over every interval.
 *
 * KS: the largest |D| over all those limits, plus a resolution correction. Inside an interpolation
 * segment over which a digest spreads g samples of its N, the real empirical CDF is not the straight
 * line but the line plus a random walk pinned at the segment's ends: a Brownian bridge of scale √g/N.
 * The straight line therefore misses the bridge's excursion, and the sup of the real |F_ref − F_cur|
 * exceeds the sup of the interpolated one by about the expected bridge maximum there. So, at the
 * location x* of the interpolated sup,
 *   KS = |D(x*)| + √(π/8)·√(g_ref(x*)/m² + g_cur(x*)/n²)
 * (g from modelSpreadWeight: 0 in exact mode, so exact digests give the exact ECDF statistic; the two
 * digests' deviations are independent, so their variances add). The constant is derived, not fitted;
 * verified by simulation against the exact two-sample D on the raw data (N(0,1), 600–3 000 repetitions):
 * mean bias of the uncorrected D −0.0028 / −0.0023 / −0.0022 / −0.0010 at (n, m) = (1 000, 1 000),
 * (1 000, 5 000), (1 000, 24 000), (10 000, 10 000); corrected −0.0002 / −0.0003 / −0.0003 / −0.0002, and
 * the false-alarm rate of ksPValue at alpha = 0.01 follows the exact statistic's (see
 * test/unit/stats/false-alarm-rate.test.ts). With one side exact (n ≤ compression) the sup sits at that
 * side's jumps and the correction over-reads by ≈ 0.002 (n = 100, m = 500), still within the oracle
 * tolerance. D ≡ 0 (identical inputs) stays 0. Both digests empty-checked by the caller; empty digests
 * give 0. Flushes the digests' buffers; their contents are otherwise unchanged.
 */
export function cdfDistances(reference: TDigest, current: TDigest, modelOf: (d: TDigest) => CdfModel = cdfModelOf): CdfDistances {
  if (reference.count === 0 || current.count === 0) return { ks: 0, wasserstein1: 0 };
  // One linear sweep over both digests' CDF knots: at every knot of either side, the left limit and the
  // value of D = F_ref − F_cur; D is affine between consecutive points.
  const a = modelOf(reference);
  const b = modelOf(current);
  let ia = 0;
  let ib = 0;
  let sup = 0;
  let supAt = Math.min(a.x[0], b.x[0]);
  let area = 0;
  let prevX = 0;
  let prevD = 0;
  let started = false;
  while (ia < a.length || ib < b.length) {
    const x = ib >= b.length || (ia < a.length && a.x[ia] <= b.x[ib]) ? a.x[ia] : b.x[ib];
    const fa = sideAt(a, ia, x, sideA);
    const fb = sideAt(b, ib, x, sideB);
    const dLeft = fa.left - fb.left;
    const dValue = fa.value - fb.value;
    if (started) {
      area += (x - prevX) * meanAbsOfLine(prevD, dLeft);
      if (Math.abs(dLeft) > sup) {
        sup = Math.abs(dLeft);
        supAt = prevX + (x - prevX) / 2; // the left limit at x lies on the segment before it
      }
    }
    if (Math.abs(dValue) > sup) {
      sup = Math.abs(dValue);
      supAt = x;
    }
    prevX = x;
    prevD = dValue;
    started = true;
    if (ia < a.length && a.x[ia] === x) ia++;
    if (ib < b.length && b.x[ib] === x) ib++;
  }
  if (sup === 0) return { ks: 0, wasserstein1: area };
  const m = reference.count;
  const n = current.count;
  const gRef = modelSpreadWeight(a, supAt);
  const gCur = modelSpreadWeight(b, supAt);
  const resolution = BRIDGE_MEAN_SUP * Math.sqrt(gRef / (m * m) + gCur / (n * n));
  return { ks: Math.min(sup + resolution, 1), wasserstein1: area };
}

interface SideValue {
  left: number;
  value: number;
}
// reused by every sweep (synchronous, so never shared between two at once): no allocation per knot
const sideA: SideValue = { left: 0, value: 0 };
const sideB: SideValue = { left: 0, value: 0 };

/** F(x−) and F(x) of one side at x into `out`, where `i` is its next unconsumed knot (x ≤ x[i] when i < length). */
function sideAt(k: CdfModel, i: number, x: number, out: SideValue): SideValue {
  if (i < k.length && k.x[i] === x) {
    out.left = clamp01(k.below[i] / k.total);
    out.value = i === k.length - 1 ? 1 : clamp01(k.atOrBelow[i] / k.total);
  } else if (i === 0) {
    out.left = out.value = 0;
  } else if (i >= k.length) {
    out.left = out.value = 1;
  } else {
    // strictly inside the segment (x[i−1], x[i]): linear from atOrBelow[i−1] to below[i]
    const x0 = k.x[i - 1];
    const w = k.atOrBelow[i - 1] + ((k.below[i] - k.atOrBelow[i - 1]) * (x - x0)) / (k.x[i] - x0);
    out.left = out.value = clamp01(w / k.total);
  }
  return out;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Mean of |y| over a segment where y runs linearly from y0 to y1. */
function meanAbsOfLine(y0: number, y1: number): number {
  if ((y0 >= 0 && y1 >= 0) || (y0 <= 0 && y1 <= 0)) return (Math.abs(y0) + Math.abs(y1)) / 2;
  // sign change: two triangles
  return (y0 * y0 + y1 * y1) / (2 * (Math.abs(y0) + Math.abs(y1)));
}
