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
 * KS (sup |D|, D = F_ref − F_cur, plus a resolution correction) and W1 (∫ |D| dx, exact for the piecewise
 * linear CDFs) in one sweep over both digests' knots. Why the sweep is exact and how the correction is
 * derived and verified: deploy/docs/statistics.md, "KS from two digests, with a resolution correction".
 * Identical inputs give 0; empty digests give 0 (callers check counts). Flushes the digests' buffers.
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
