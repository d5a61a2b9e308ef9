// STUB — API contract for drift statistics. Implementation owned by the stats work.
// All functions are pure, never return NaN/Infinity (degenerate inputs give defined values, documented per function).
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import type { CategoryCounts } from "../sketch/categories.ts";

export interface NumericStatistics {
  /** PSI over 10 bins at reference deciles, epsilon for empty bins */
  psi: number;
  /** two-sample KS statistic sup|F_ref − F_cur| */
  ks: number;
  /** KS p-value with effective n = nm/(n+m) (Kolmogorov distribution, Stephens' correction) */
  ksPValue: number;
  /** Jensen–Shannon distance (base 2, in [0,1]) over the same bins as PSI */
  jsDistance: number;
  /** Wasserstein-1 divided by the reference standard deviation */
  wasserstein: number;
  /** Hellinger distance over the PSI bins, in [0,1] */
  hellinger: number;
  /** (mean_cur − mean_ref) / σ_ref (signed) */
  meanShiftSigma: number;
  /** (|Δmean|/σ_ref + |ln σ_cur/σ_ref|)/2 */
  meanSigmaScore: number;
}

export interface CategoricalStatistics {
  chiSquare: number;
  chiSquarePValue: number;
  degreesOfFreedom: number;
  /** Jensen–Shannon distance (base 2) between category shares */
  jsDistance: number;
  /** max over categories of |share_cur − share_ref| */
  lInf: number;
}

export function numericStatistics(_reference: NumericSketch, _current: NumericSketch): NumericStatistics {
  throw new Error("not implemented");
}
export function categoricalStatistics(_reference: CategoryCounts, _current: CategoryCounts): CategoricalStatistics {
  throw new Error("not implemented");
}

/** Calibrated critical values for window size n, baseline size m, false-alarm rate alpha. */
export function ksCriticalValue(_n: number, _m: number, _alpha: number): number {
  throw new Error("not implemented");
}
export function psiCriticalValue(_n: number, _m: number, _alpha: number, _bins?: number): number {
  throw new Error("not implemented");
}
/** Bonferroni-corrected per-test alpha. */
export function bonferroniAlpha(_alpha: number, _tests: number): number {
  throw new Error("not implemented");
}
/** Benjamini–Hochberg: which of the p-values are rejected at FDR alpha. */
export function benjaminiHochberg(_pValues: readonly number[], _alpha: number): boolean[] {
  throw new Error("not implemented");
}
