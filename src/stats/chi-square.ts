// Chi-square distribution via the regularized incomplete gamma function (series / Lentz continued
// fraction, as in Numerical Recipes §6.2), plus its inverse by bracketing and bisection. Written here
// because simple-statistics only ships a fixed table of chi-square quantiles.

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, relative error ~1e-15). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const MAX_ITERATIONS = 1000;
const RELATIVE_EPS = 1e-15;
const TINY = 1e-300;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a), for a > 0, x ≥ 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(x > 0)) return 1;
  if (!Number.isFinite(x)) return 0;
  const logPrefactor = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // series for P(a, x); Q = 1 − P
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * RELATIVE_EPS) break;
    }
    return clamp01(1 - sum * Math.exp(logPrefactor));
  }
  // continued fraction for Q(a, x) (modified Lentz)
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < RELATIVE_EPS) break;
  }
  return clamp01(Math.exp(logPrefactor) * h);
}

/** P(χ²_dof > x): the chi-square test p-value. dof ≤ 0 or x ≤ 0 ⇒ 1; non-finite x ⇒ 0 for +∞, 1 for NaN. */
export function chiSquarePValue(x: number, dof: number): number {
  if (Number.isNaN(x) || !(dof > 0) || x <= 0) return 1;
  return regularizedGammaQ(dof / 2, x / 2);
}

/**
 * The x with P(χ²_dof > x) = upperTail (the critical value at false-alarm rate upperTail).
 * upperTail ≥ 1 ⇒ 0; upperTail ≤ 0 ⇒ Number.MAX_VALUE (never exceeded, but finite).
 */
export function chiSquareQuantile(upperTail: number, dof: number): number {
  if (!(dof > 0) || upperTail >= 1) return 0;
  if (!(upperTail > 0)) return Number.MAX_VALUE;
  let lo = 0;
  let hi = Math.max(1, dof);
  while (chiSquarePValue(hi, dof) > upperTail) {
    lo = hi;
    hi *= 2;
  }
  // bisection to the last representable bit: the survival function is monotone, so this cannot fail
  for (let i = 0; i < 200 && hi - lo > Math.abs(hi) * 4e-16; i++) {
    const mid = lo + (hi - lo) / 2;
    if (chiSquarePValue(mid, dof) > upperTail) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
