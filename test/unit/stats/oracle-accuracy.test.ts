import { describe, expect, it } from "vitest";
import { numericStatistics, PSI_EPSILON } from "../../../src/stats/index.ts";
import { loadOracle, loadSample } from "./oracle-fixtures.ts";
import { numericSketchOf } from "./sketch-builders.ts";

// Exact values come from test/fixtures/oracle/make_stats_fixtures.py (numpy/scipy on the raw samples).
// Tolerances: KS 0.005 and W1/σ 0.01 everywhere. PSI/JS/Hellinger: 0.002 (+1.5 % of PSI, whose derivative
// ln(c/p) + 1 − p/c is large in bins where the current share is far below the reference one) / 0.005 when
// both samples have ≥ 10^4 values. With a 1 000-value sample the digest (compression 100) is no longer
// exact and an edge moved by a fraction of a centroid flips whole values between bins (1 % of mass each
// for a window of 100), so there the bin statistics are only held to 0.02 / 0.01.
const oracle = loadOracle();

describe("numeric statistics agree with the exact numpy/scipy oracle", () => {
  it("uses the oracle's epsilon for empty PSI bins", () => {
    expect(PSI_EPSILON).toBe(oracle.psiEpsilon);
  });

  for (const c of oracle.numeric) {
    it(`${c.name}: ${c.description}`, () => {
      const reference = numericSketchOf(loadSample(c.reference.file));
      const current = numericSketchOf(loadSample(c.current.file));
      const got = numericStatistics(reference, current);
      const exact = c.exact;
      const large = Math.min(c.reference.count, c.current.count) >= 10_000;

      expect(Math.abs(got.ks - exact.ks)).toBeLessThanOrEqual(0.005);
      expect(Math.abs(got.wasserstein - exact.wasserstein)).toBeLessThanOrEqual(0.01);
      expect(Math.abs(got.psi - exact.psi)).toBeLessThanOrEqual(large ? 0.002 + 0.015 * exact.psi : 0.02);
      expect(Math.abs(got.jsDistance - exact.jsDistance)).toBeLessThanOrEqual(large ? 0.005 : 0.01);
      expect(Math.abs(got.hellinger - exact.hellinger)).toBeLessThanOrEqual(large ? 0.005 : 0.01);
      // moments are exact (Welford): only rounding differs
      expect(got.meanShiftSigma).toBeCloseTo(exact.meanShiftSigma, 9);
      expect(got.meanSigmaScore).toBeCloseTo(exact.meanSigmaScore, 9);
      expect(got.psiBins).toBe(exact.psiBins);
      expect(got.referenceCount).toBe(c.reference.count);
      expect(got.currentCount).toBe(c.current.count);

      // p-values follow D through the Kolmogorov distribution; compared on a log10 scale (they span 1 … 1e-300):
      // against the asymptotic Stephens-corrected value on the exact D, and against scipy's (exact
      // distribution for small samples), both within 0.1 + 10 % of |log10 p|
      expect(logDistance(got.ksPValue, exact.ksPValueStephens)).toBeLessThanOrEqual(0.1 + 0.1 * -log10p(exact.ksPValueStephens));
      expect(logDistance(got.ksPValue, exact.ksPValueScipy)).toBeLessThanOrEqual(0.1 + 0.1 * -log10p(exact.ksPValueScipy));
    });
  }

  it("is exact on tied data held in exact mode (integers, 2-decimal confidence scores)", () => {
    for (const c of oracle.numeric.filter((x) => x.name.startsWith("poisson") || x.name.startsWith("confidence"))) {
      const got = numericStatistics(numericSketchOf(loadSample(c.reference.file)), numericSketchOf(loadSample(c.current.file)));
      expect(got.ks).toBeCloseTo(c.exact.ks, 12);
      expect(got.psi).toBeCloseTo(c.exact.psi, 12);
      expect(got.jsDistance).toBeCloseTo(c.exact.jsDistance, 12);
      expect(got.wasserstein).toBeCloseTo(c.exact.wasserstein, 9);
      expect(got.ksPValue).toBeCloseTo(c.exact.ksPValueStephens, 9);
    }
  });
});

function log10p(p: number): number {
  return Math.log10(Math.max(p, 1e-300));
}
function logDistance(a: number, b: number): number {
  return Math.abs(log10p(a) - log10p(b));
}
