import { describe, expect, it } from "vitest";
import {
  benjaminiHochberg,
  bonferroniAlpha,
  chiSquarePValue,
  chiSquareQuantile,
  hellingerCriticalValue,
  jsCriticalValue,
  kolmogorovSurvival,
  ksCriticalValue,
  ksPValue,
  psiCriticalValue,
  psiPValue,
  wassersteinCriticalValue,
} from "../../../src/stats/index.ts";
import { loadOracle } from "./oracle-fixtures.ts";

// Reference values: scipy.special.kolmogorov/kolmogi and scipy.stats.chi2 (oracle script, thresholds()).
const t = loadOracle().thresholds;

describe("special functions match scipy", () => {
  it("the Kolmogorov survival function matches scipy.special.kolmogorov", () => {
    for (const r of t.kolmogorov) expect(kolmogorovSurvival(r.lambda)).toBeCloseTo(r.value, 12);
  });
  it("the chi-square survival function matches scipy.stats.chi2.sf to 1e-10 relative", () => {
    for (const r of t.chiSquareSurvival) {
      expect(Math.abs(chiSquarePValue(r.x, r.dof) - r.value)).toBeLessThanOrEqual(1e-10 * r.value + 1e-300);
    }
  });
  it("the chi-square quantile matches scipy.stats.chi2.isf to 1e-9 relative", () => {
    for (const r of t.chiSquareQuantile) {
      expect(Math.abs(chiSquareQuantile(r.upperTail, r.dof) - r.value)).toBeLessThanOrEqual(1e-9 * r.value);
    }
  });
});

describe("critical values", () => {
  it("KS critical values match kolmogi(alpha)/(√ne + 0.12 + 0.11/√ne)", () => {
    for (const r of t.ksCritical) expect(ksCriticalValue(r.n, r.m, r.alpha)).toBeCloseTo(r.value, 12);
  });
  it("KS critical value and p-value are inverses", () => {
    const d = ksCriticalValue(1000, 5000, 0.001);
    expect(ksPValue(d, 1000, 5000)).toBeCloseTo(0.001, 12);
    expect(d).toBeCloseTo(1.94947 / (Math.sqrt(5000 / 6) + 0.12 + 0.11 / Math.sqrt(5000 / 6)), 5);
  });
  it("PSI critical values are (1 + 10/n)(1/n + 1/m)·χ²(bins − 1) quantiles", () => {
    for (const r of t.psiCritical) {
      expect(Math.abs(psiCriticalValue(r.n, r.m, r.alpha, r.bins) - r.value)).toBeLessThanOrEqual(1e-9 * r.value);
      expect(psiPValue(r.value, r.n, r.m, r.bins)).toBeCloseTo(r.alpha, 10);
    }
  });
  it("a PSI of 0.1 is noise at 100 events but significant at 10 000", () => {
    expect(psiCriticalValue(100, 10_000, 0.01)).toBeGreaterThan(0.2);
    expect(psiCriticalValue(10_000, 10_000, 0.01)).toBeLessThan(0.005);
  });
  it("JS and Hellinger critical values follow from the PSI null (JSD ≈ PSI/8 nats, H² ≈ PSI/8)", () => {
    const psi = psiCriticalValue(1000, 5000, 0.01);
    expect(jsCriticalValue(1000, 5000, 0.01)).toBeCloseTo(Math.sqrt(psi / (8 * Math.LN2)), 12);
    expect(hellingerCriticalValue(1000, 5000, 0.01)).toBeCloseTo(Math.sqrt(psi / 8), 12);
  });
  it("the W1/σ critical value is the tabulated normal-null quantile over √ne and grows as alpha shrinks", () => {
    expect(wassersteinCriticalValue(1000, 1000, 0.01)).toBeCloseTo(2.6947 / Math.sqrt(500), 10);
    const alphas = [0.5, 0.1, 0.03, 0.01, 1e-3, 1e-4, 1e-6, 1e-12];
    const values = alphas.map((a) => wassersteinCriticalValue(1000, 1000, a));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(Number.isFinite(values[values.length - 1])).toBe(true);
  });
  it("nothing to compare gives thresholds that cannot be crossed and p-value 1", () => {
    expect(ksCriticalValue(0, 100, 0.01)).toBe(1);
    expect(psiCriticalValue(0, 100, 0.01)).toBe(Number.MAX_VALUE);
    expect(wassersteinCriticalValue(100, 0, 0.01)).toBe(Number.MAX_VALUE);
    expect(jsCriticalValue(0, 0, 0.01)).toBe(1);
    expect(ksPValue(0.5, 0, 100)).toBe(1);
    expect(psiPValue(3, 100, 0)).toBe(1);
    expect(chiSquarePValue(5, 0)).toBe(1);
  });
});

describe("multiple testing", () => {
  it("Bonferroni divides alpha by the number of tests", () => {
    expect(bonferroniAlpha(0.01, 20)).toBeCloseTo(0.0005, 15);
    expect(bonferroniAlpha(0.01, 0)).toBe(0.01);
  });
  it("Benjamini–Hochberg rejects up to the largest rank k with p(k) ≤ k·alpha/N, in input order", () => {
    // sorted: 0.001 (≤0.005), 0.008 (≤0.010), 0.039 (>0.015), 0.041 (>0.020), 0.042 (>0.025), 0.06, 0.074, 0.205, 0.212, 0.216
    const p = [0.042, 0.001, 0.06, 0.008, 0.039, 0.041, 0.074, 0.205, 0.212, 0.216];
    expect(benjaminiHochberg(p, 0.05)).toEqual([false, true, false, true, false, false, false, false, false, false]);
    // step-up: p(3) = 0.02 fails 0.015 alone, but p(4) = 0.019 ≤ 0.02 lets all four through
    expect(benjaminiHochberg([0.02, 0.001, 0.019, 0.002], 0.02)).toEqual([true, true, true, true]);
    expect(benjaminiHochberg([Number.NaN, 0.0001], 0.05)).toEqual([false, true]);
    expect(benjaminiHochberg([], 0.05)).toEqual([]);
  });
});
