// Distances between the two piecewise CDFs of two t-digests: sup |F_ref − F_cur| (KS) and
// ∫ |F_ref − F_cur| dx (Wasserstein-1), read through the digest's own cdfAt.
import { cdfAt, flushTDigest } from "../sketch/tdigest.ts";
import type { TDigest } from "../sketch/tdigest.ts";

export interface CdfDistances {
  /** sup_x |F_ref(x) − F_cur(x)|, in [0, 1] */
  ks: number;
  /** ∫ |F_ref(x) − F_cur(x)| dx = Wasserstein-1 distance, in data units */
  wasserstein1: number;
}

/**
 * cdfAt is right-continuous and affine between consecutive breakpoints (centroid means, min, max) of its
 * digest, so D = F_ref − F_cur is affine on every open interval between consecutive points of the union
 * of both digests' breakpoints. D is evaluated at each point (the right limit) and at each interval's
 * midpoint, which fixes the line on the interval and with it the left limit at the next point (where a
 * jump — a point mass — may sit). KS is the largest |D| over all those limits, W1 the exact integral of
 * |line| over every interval. Both digests empty-checked by the caller; empty digests give 0.
 * Flushes the digests' buffers (via cdfAt); their contents are otherwise unchanged.
 */
export function cdfDistances(reference: TDigest, current: TDigest): CdfDistances {
  if (reference.count === 0 || current.count === 0) return { ks: 0, wasserstein1: 0 };
  const points = breakpoints(reference, current);
  const diffAt = (x: number): number => cdfAt(reference, x) - cdfAt(current, x);
  let ks = 0;
  let area = 0;
  let left = diffAt(points[0]);
  ks = Math.abs(left);
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k];
    const b = points[k + 1];
    const mid = a + (b - a) / 2;
    const next = diffAt(b);
    if (mid > a && mid < b) {
      const rightLimit = clampUnit(2 * diffAt(mid) - left);
      ks = Math.max(ks, Math.abs(rightLimit));
      area += (b - a) * meanAbsOfLine(left, rightLimit);
    }
    ks = Math.max(ks, Math.abs(next));
    left = next;
  }
  return { ks: Math.min(ks, 1), wasserstein1: area };
}

/** Mean of |y| over a segment where y runs linearly from y0 to y1. */
function meanAbsOfLine(y0: number, y1: number): number {
  if ((y0 >= 0 && y1 >= 0) || (y0 <= 0 && y1 <= 0)) return (Math.abs(y0) + Math.abs(y1)) / 2;
  // sign change: two triangles
  return (y0 * y0 + y1 * y1) / (2 * (Math.abs(y0) + Math.abs(y1)));
}

/** Sorted, deduplicated union of both digests' centroid means, mins and maxes. */
function breakpoints(a: TDigest, b: TDigest): Float64Array {
  // so that `size`/`means` describe every value, buffered ones included
  flushTDigest(a);
  flushTDigest(b);
  const all = new Float64Array(a.size + b.size + 4);
  all.set(a.means.subarray(0, a.size), 0);
  all.set(b.means.subarray(0, b.size), a.size);
  let n = a.size + b.size;
  all[n++] = a.min;
  all[n++] = a.max;
  all[n++] = b.min;
  all[n++] = b.max;
  const sorted = all.subarray(0, n).sort();
  let unique = 0;
  for (let i = 0; i < n; i++) {
    if (unique === 0 || sorted[i] !== sorted[unique - 1]) sorted[unique++] = sorted[i];
  }
  return sorted.subarray(0, unique);
}

function clampUnit(v: number): number {
  return v < -1 ? -1 : v > 1 ? 1 : v;
}
