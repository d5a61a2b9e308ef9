// Data quality of a feature as gated tests (design §2 "data quality per feature"): values outside the
// reference range, categories the reference never saw, values of the wrong type. The missing share is
// tested in evaluate.ts with the other shares. Pure.
// The null of each test (exact or conservative without a model of the feature's distribution):
// deploy/docs/statistics.md, "Data quality". Each is material only past its floors
// (detection.outOfRangeFloors / unseenShareFloors / typeChangeFloors).
import { lnGamma, regularizedGammaQ } from "../stats/chi-square.ts";
import type { CategoryCounts } from "../sketch/categories.ts";

/** Expected share of new values outside the [min, max] of m exchangeable reference values. */
export function outOfRangeNullShare(referenceCount: number): number {
  return referenceCount > 0 ? Math.min(1, 2 / (referenceCount + 1)) : 1;
}

/** Good–Turing estimate of the probability that a new value is a category the reference did not count. */
export function unseenNullShare(reference: CategoryCounts): number {
  const m = reference.total;
  if (m <= 0) return 1;
  let singletons = 0;
  for (const n of reference.counts.values()) if (n === 1) singletons++;
  return Math.min(1, Math.max(singletons, 1) / (m + 1) + reference.other / m);
}

/** Regularized lower incomplete gamma P(a, x) by its series (accurate where P is small, x < a + 1). */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 1000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
  }
  return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - lnGamma(a)));
}

/**
 * P(K ≥ k) for K ~ Poisson(λ): the one-sided p-value of observing k or more rare events (k ≤ 0 ⇒ 1).
 * Uses P(K ≥ k) = P(k, λ) (regularized lower gamma), by its series when small so tiny p-values keep precision.
 */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (!(lambda > 0)) return 0;
  if (lambda < k + 1) return lowerGammaSeries(k, lambda);
  // not small here: Q(k, λ) = P(K ≤ k − 1)
  return 1 - regularizedGammaQ(k, lambda);
}

/** One-sided p-value of `observed` rare values out of `n` when each is rare with probability `nullShare`. */
export function excessShareP(observed: number, n: number, nullShare: number): number {
  if (n <= 0 || observed <= 0) return 1;
  if (nullShare >= 1) return 1;
  return poissonUpperTail(observed, n * nullShare);
}
