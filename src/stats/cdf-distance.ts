// Distances between the two piecewise CDFs of two t-digests: sup |F_ref − F_cur| (KS) and
// ∫ |F_ref − F_cur| dx (Wasserstein-1), read from the digests' CDF models (KS with a resolution correction).
import { freshCdfModels, modelSpreadWeight, type CdfModels } from "../sketch/cdf-model.ts";
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
export function cdfDistances(reference: TDigest, current: TDigest, models: CdfModels = freshCdfModels): CdfDistances {
  if (reference.count === 0 || current.count === 0) return { ks: 0, wasserstein1: 0 };
  // One linear sweep over both digests' CDF knots: at every knot of either side, the left limit and the
  // value of D = F_ref − F_cur; D is affine between consecutive points.
  const a = models.of(reference);
  const b = models.of(current);
  // the two sides' arrays in locals and F(x−), F(x) of each side computed inline: this loop runs over
  // every knot of both digests, twice per numeric signal per closed window
  const ax = a.x;
  const aBelow = a.below;
  const aAtOrBelow = a.atOrBelow;
  const aLength = a.length;
  const aTotal = a.total;
  const bx = b.x;
  const bBelow = b.below;
  const bAtOrBelow = b.atOrBelow;
  const bLength = b.length;
  const bTotal = b.total;
  let ia = 0;
  let ib = 0;
  let sup = 0;
  let supAt = Math.min(ax[0], bx[0]);
  let area = 0;
  let prevX = 0;
  let prevD = 0;
  let started = false;
  while (ia < aLength || ib < bLength) {
    const x = ib >= bLength || (ia < aLength && ax[ia] <= bx[ib]) ? ax[ia] : bx[ib];
    let faLeft: number;
    let faValue: number;
    const atA = ia < aLength && ax[ia] === x;
    if (atA) {
      faLeft = clamp01(aBelow[ia] / aTotal);
      faValue = ia === aLength - 1 ? 1 : clamp01(aAtOrBelow[ia] / aTotal);
    } else if (ia === 0) {
      faLeft = faValue = 0;
    } else if (ia >= aLength) {
      faLeft = faValue = 1;
    } else {
      const x0 = ax[ia - 1];
      const w = aAtOrBelow[ia - 1] + ((aBelow[ia] - aAtOrBelow[ia - 1]) * (x - x0)) / (ax[ia] - x0);
      faLeft = faValue = clamp01(w / aTotal);
    }
    let fbLeft: number;
    let fbValue: number;
    const atB = ib < bLength && bx[ib] === x;
    if (atB) {
      fbLeft = clamp01(bBelow[ib] / bTotal);
      fbValue = ib === bLength - 1 ? 1 : clamp01(bAtOrBelow[ib] / bTotal);
    } else if (ib === 0) {
      fbLeft = fbValue = 0;
    } else if (ib >= bLength) {
      fbLeft = fbValue = 1;
    } else {
      const x0 = bx[ib - 1];
      const w = bAtOrBelow[ib - 1] + ((bBelow[ib] - bAtOrBelow[ib - 1]) * (x - x0)) / (bx[ib] - x0);
      fbLeft = fbValue = clamp01(w / bTotal);
    }
    const dLeft = faLeft - fbLeft;
    const dValue = faValue - fbValue;
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
    if (atA) ia++;
    if (atB) ib++;
  }
  if (sup === 0) return { ks: 0, wasserstein1: area };
  const m = reference.count;
  const n = current.count;
  const gRef = modelSpreadWeight(a, supAt);
  const gCur = modelSpreadWeight(b, supAt);
  const resolution = BRIDGE_MEAN_SUP * Math.sqrt(gRef / (m * m) + gCur / (n * n));
  return { ks: Math.min(sup + resolution, 1), wasserstein1: area };
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
