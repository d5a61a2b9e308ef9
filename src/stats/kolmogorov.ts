// The Kolmogorov distribution and the two-sample KS p-value (asymptotic, with Stephens' correction).

/**
 * Q_KS(λ) = P(K > λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²). For small λ that alternating series converges
 * slowly, so the equivalent theta-function form 1 − (√(2π)/λ) Σ exp(−(2k−1)²π²/(8λ²)) is used there.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (!Number.isFinite(lambda)) return 0;
  if (lambda < 1.18) {
    const factor = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k <= 20; k++) {
      const term = Math.exp(factor * (2 * k - 1) * (2 * k - 1));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum);
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * sum) break;
  }
  return clamp01(2 * sum);
}

/** The λ with Q_KS(λ) = alpha, alpha in (0, 1); alpha ≥ 1 ⇒ 0, alpha ≤ 0 ⇒ +large finite (40). */
export function kolmogorovInverse(alpha: number): number {
  if (alpha >= 1) return 0;
  let lo = 0;
  let hi = 40; // Q_KS(40) = 2·exp(−3200) underflows to 0: every representable alpha lies below
  if (!(alpha > 0)) return hi;
  for (let i = 0; i < 200 && hi - lo > hi * 4e-16; i++) {
    const mid = lo + (hi - lo) / 2;
    if (kolmogorovSurvival(mid) > alpha) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/** Effective sample size of a two-sample test: nm/(n+m). */
export function effectiveSampleSize(n: number, m: number): number {
  return n > 0 && m > 0 ? (n * m) / (n + m) : 0;
}

/** Stephens (1970): λ = (√ne + 0.12 + 0.11/√ne)·D makes the asymptotic p-value accurate from ne ≈ 4. */
export function stephensFactor(ne: number): number {
  const root = Math.sqrt(ne);
  return root + 0.12 + 0.11 / root;
}

/**
 * Two-sample KS p-value for statistic d with sample sizes n and m: Q_KS(stephensFactor(nm/(n+m))·d).
 * n or m ≤ 0 (nothing to compare) ⇒ 1. With D from cdfDistances (resolution-corrected on compressed
 * digests) the measured false-alarm rate at alpha = 0.01 is 0.85–1.33·alpha for n = 100 … 10 000 and
 * m = n … 24n (test/unit/stats/false-alarm-rate.test.ts).
 */
export function ksPValue(d: number, n: number, m: number): number {
  const ne = effectiveSampleSize(n, m);
  if (ne <= 0 || !(d > 0)) return 1;
  return kolmogorovSurvival(stephensFactor(ne) * Math.min(d, 1));
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
