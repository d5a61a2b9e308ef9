// Calibrated critical values and p-values for window size n, baseline size m and false-alarm rate alpha;
// the null distribution of each statistic is derived in deploy/docs/statistics.md, "Null distributions".
// n or m ≤ 0 (nothing to test) gives a critical value that cannot be exceeded (1 for statistics bounded by
// 1, Number.MAX_VALUE otherwise) and p-value 1. Verified by simulation in test/unit/stats/false-alarm-rate.test.ts.
import { chiSquarePValue, chiSquareQuantile } from "./chi-square.ts";
import { effectiveSampleSize, kolmogorovInverse, ksPValue, stephensFactor } from "./kolmogorov.ts";
import { PSI_BIN_COUNT } from "./binned.ts";

export { chiSquarePValue, ksPValue };

/** KS: the D with ksPValue(D, n, m) = alpha (inverse Kolmogorov distribution, Stephens' correction). */
export function ksCriticalValue(n: number, m: number, alpha: number): number {
  const ne = effectiveSampleSize(n, m);
  if (ne <= 0) return 1;
  return Math.min(1, kolmogorovInverse(alpha) / stephensFactor(ne));
}

/** Scale of the PSI null, (1 + 10/n)·(1/n + 1/m): the χ² approximation with a fitted small-sample factor (statistics.md, PSI). */
function psiNullScale(n: number, m: number): number {
  return (1 + 10 / n) * (1 / n + 1 / m);
}

/** PSI: the critical value (1 + 10/n)·(1/n + 1/m)·χ²_{1−alpha}(bins − 1); bins = psiBins of the statistics. */
export function psiCriticalValue(n: number, m: number, alpha: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return Number.MAX_VALUE;
  return psiNullScale(n, m) * chiSquareQuantile(alpha, Math.max(bins - 1, 1));
}

/** PSI p-value under the same null as psiCriticalValue: P(χ²(bins−1) > psi / scale). */
export function psiPValue(psi: number, n: number, m: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return 1;
  return chiSquarePValue(psi / psiNullScale(n, m), Math.max(bins - 1, 1));
}

/** JS distance (base 2): √(PSI critical / (8 ln 2)) over the same bins (JSD ≈ PSI/8 to second order; statistics.md). */
export function jsCriticalValue(n: number, m: number, alpha: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return 1;
  return Math.min(1, Math.sqrt(psiCriticalValue(n, m, alpha, bins) / (8 * Math.LN2)));
}

/** Hellinger: √(PSI critical / 8) (H² ≈ PSI/8 to second order; statistics.md). */
export function hellingerCriticalValue(n: number, m: number, alpha: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return 1;
  return Math.min(1, Math.sqrt(psiCriticalValue(n, m, alpha, bins) / 8));
}

/** Upper quantiles [alpha, quantile] of the normal-feature null of √ne·W1/σ (statistics.md; test/fixtures/oracle/w1_null_table.py). */
const W1_NORMAL_NULL_QUANTILES: readonly (readonly [number, number])[] = [
  [0.5, 1.1986],
  [0.2, 1.6102],
  [0.1, 1.8878],
  [0.05, 2.1477],
  [0.02, 2.4701],
  [0.01, 2.6947],
  [0.005, 2.9085],
  [0.002, 3.1784],
  [0.001, 3.3715],
  [0.0005, 3.5483],
  [0.0002, 3.7698],
  [0.0001, 3.929],
];

/**
 * W1/σ_ref: c_alpha/√ne, c_alpha interpolated linearly in √(−ln alpha) in the table above (extrapolated the
 * same way). Exact only for normal features, so W1 gates as an effect-size floor (statistics.md).
 */
export function wassersteinCriticalValue(n: number, m: number, alpha: number): number {
  const ne = effectiveSampleSize(n, m);
  if (ne <= 0) return Number.MAX_VALUE;
  if (alpha >= W1_NORMAL_NULL_QUANTILES[0][0]) return W1_NORMAL_NULL_QUANTILES[0][1] / Math.sqrt(ne);
  const a = Math.max(alpha, Number.MIN_VALUE);
  const t = Math.sqrt(-Math.log(a));
  let i = 1;
  while (i < W1_NORMAL_NULL_QUANTILES.length - 1 && W1_NORMAL_NULL_QUANTILES[i][0] > a) i++;
  const [a0, q0] = W1_NORMAL_NULL_QUANTILES[i - 1];
  const [a1, q1] = W1_NORMAL_NULL_QUANTILES[i];
  const t0 = Math.sqrt(-Math.log(a0));
  const t1 = Math.sqrt(-Math.log(a1));
  return (q0 + ((q1 - q0) * (t - t0)) / (t1 - t0)) / Math.sqrt(ne);
}

/** Bonferroni: the per-test alpha when `tests` signals are tested together (tests < 1 counts as 1). */
export function bonferroniAlpha(alpha: number, tests: number): number {
  return alpha / Math.max(1, Math.floor(tests));
}

/**
 * Benjamini–Hochberg step-up at FDR alpha: rejected[i] is true when p_i ≤ alpha·k/N for the largest rank
 * k whose sorted p-value passes. Order of the input is preserved; NaN p-values count as 1 (never rejected).
 */
export function benjaminiHochberg(pValues: readonly number[], alpha: number): boolean[] {
  const count = pValues.length;
  const cleaned = pValues.map((p) => (Number.isNaN(p) ? 1 : p));
  const order = cleaned.map((_, i) => i).sort((a, b) => cleaned[a] - cleaned[b] || a - b);
  let cutoffRank = 0;
  for (let k = 1; k <= count; k++) {
    if (cleaned[order[k - 1]] <= (alpha * k) / count) cutoffRank = k;
  }
  const rejected = new Array<boolean>(count).fill(false);
  for (let k = 0; k < cutoffRank; k++) rejected[order[k]] = true;
  return rejected;
}
