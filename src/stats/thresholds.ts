// Calibrated critical values and p-values: each statistic is compared with its null distribution for the
// actual window size n, baseline size m and false-alarm rate alpha. n or m ≤ 0 (nothing to test) gives a
// critical value that cannot be exceeded (1 for statistics bounded by 1, Number.MAX_VALUE otherwise) and
// p-value 1. Verified by simulation in test/unit/stats/false-alarm-rate.test.ts.
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

/**
 * Scale of the PSI null: PSI ≈ Σ (c−p)²/p ~ (1/n + 1/m)·χ²(B−1) for large samples (p has the sampling
 * noise of the reference decile bins, c of the window). At small windows the log in PSI inflates the
 * upper tail (a bin with 1–2 values out of an expected 10 adds ~0.2), so the scale carries a small-sample
 * factor 1 + 10/n, fitted by simulating the null (10 bins, n = 100 … 10 000, m = 5n): observed false-alarm
 * rates are then 0.95–1.2·alpha for alpha in [0.01, 0.05] at n ≥ 100 and within 1.1·alpha from n ≥ 200;
 * at alpha = 0.001 and n = 100 it is ≈ 2·alpha (PSI is not a good test for windows of 100 values; KS is).
 */
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

/**
 * JS distance (base 2): to second order JSD_nats ≈ Σ (c−p)²/(8p) ≈ PSI/8 (both are f-divergences), so
 * JS = √(JSD_nats / ln 2) has the critical value √(PSI critical / (8 ln 2)) over the same bins.
 */
export function jsCriticalValue(n: number, m: number, alpha: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return 1;
  return Math.min(1, Math.sqrt(psiCriticalValue(n, m, alpha, bins) / (8 * Math.LN2)));
}

/** Hellinger: H² = ½ Σ (√c − √p)² ≈ Σ (c−p)²/(8p) ≈ PSI/8, so the critical value is √(PSI critical / 8). */
export function hellingerCriticalValue(n: number, m: number, alpha: number, bins: number = PSI_BIN_COUNT): number {
  if (!(n > 0 && m > 0)) return 1;
  return Math.min(1, Math.sqrt(psiCriticalValue(n, m, alpha, bins) / 8));
}

/**
 * Upper quantiles of ∫|B(Φ(z))| dz (B a Brownian bridge): the limit of √ne·W1/σ under H0 for a normal
 * feature (del Barrio, Giné & Matrán 1999). Monte Carlo, 10^6 bridges on a 1301-point grid:
 * test/fixtures/oracle/w1_null_table.py. Pairs are [alpha, quantile].
 */
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
 * W1/σ_ref: c_alpha/√ne with c_alpha from the table above, interpolated linearly in √(−ln alpha) (the
 * Gaussian-tail shape) and extrapolated the same way beyond it. The null of W1 is not distribution-free:
 * this is exact (asymptotically) for normal features; heavy-tailed features have a larger null W1/σ, so
 * gate W1 on its effect-size floor and use KS/PSI for significance.
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
