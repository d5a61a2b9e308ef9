import { describe, expect, it } from "vitest";
import { numericStatistics } from "../../../src/stats/index.ts";
import { sortFloat64 } from "../../../src/sketch/float-sort.ts";
import { driftedPair } from "../../support/distributions.ts";
import type { DistributionName } from "../../support/distributions.ts";
import { exactPsi, psiSamplingSd } from "../../support/exact-psi.ts";
import { numericSketchOf } from "../../support/sketch-builders.ts";

// The configuration the detector runs by default: a 1 000-event window (held exactly by its digest)
// against a large compressed reference. Exact PSI comes from sorting and counting the raw samples
// (test/support/exact-psi.ts); test/bench/psi-accuracy.bench.ts measures the same over more seeds and sizes.
const SHAPES: readonly DistributionName[] = ["normal", "lognormal", "uniform", "bimodal", "exponential"];
const DRIFTS = [
  { shift: 0, scale: 1 },
  { shift: 0.25, scale: 1 },
  { shift: 1, scale: 1 },
  { shift: 0, scale: 1.5 },
] as const;
const SEEDS = [1, 2, 3, 4];

interface PsiCase {
  exact: number;
  error: number;
  errorInSamplingSd: number;
}

function psiCases(): PsiCase[] {
  const cases: PsiCase[] = [];
  for (const shape of SHAPES) {
    for (const { shift, scale } of DRIFTS) {
      for (const seed of SEEDS) {
        const { reference, current } = driftedPair(shape, 100_000, 1_000, seed, shift, scale);
        const got = numericStatistics(numericSketchOf(reference), numericSketchOf(current)).psi;
        const sortedRef = reference.slice();
        const sortedCur = current.slice();
        sortFloat64(sortedRef);
        sortFloat64(sortedCur);
        const exact = exactPsi(sortedRef, sortedCur);
        cases.push({ exact, error: Math.abs(got - exact), errorInSamplingSd: Math.abs(got - exact) / psiSamplingSd(sortedRef, sortedCur) });
      }
    }
  }
  return cases;
}

describe("PSI of a 1 000-event window against a 100 000-value reference digest (80 seeded pairs, 5 shapes × 4 drifts)", () => {
  const cases = psiCases();

  it("is within 0.002 of exact PSI whenever exact PSI is below the 0.25 band", () => {
    const belowBand = cases.filter((c) => c.exact < 0.25);
    expect(belowBand.length).toBeGreaterThanOrEqual(30);
    for (const c of belowBand) expect(c.error).toBeLessThanOrEqual(0.002);
  });

  it("errs by less than a quarter of exact PSI's own sampling standard deviation on every pair", () => {
    for (const c of cases) expect(c.errorInSamplingSd).toBeLessThan(0.25);
  });
});
