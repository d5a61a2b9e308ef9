import { describe, expect, it } from "vitest";
import { numericStatistics, sigmaScale } from "../../../src/stats/index.ts";
import type { NumericStatisticsDetail } from "../../../src/stats/index.ts";
import { createNumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import { numericSketchOf } from "../../support/sketch-builders.ts";
import { seededRandom } from "../../support/random.ts";

const NO_DRIFT = {
  psi: 0,
  ks: 0,
  ksPValue: 1,
  jsDistance: 0,
  wasserstein: 0,
  hellinger: 0,
  meanShiftSigma: 0,
  meanSigmaScore: 0,
};

function expectAllFinite(s: NumericStatisticsDetail): void {
  for (const [key, value] of Object.entries(s)) expect(Number.isFinite(value), key).toBe(true);
}

function normals(n: number, seed: number, mean = 0, sd = 1): number[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * rng.normal());
}

describe("numeric statistics on degenerate inputs", () => {
  it("an empty window on either side gives 0 everywhere and p-value 1", () => {
    const some = numericSketchOf(normals(500, 1));
    expect(numericStatistics(createNumericSketch(), some)).toMatchObject({ ...NO_DRIFT, referenceCount: 0, currentCount: 500 });
    expect(numericStatistics(some, createNumericSketch())).toMatchObject({ ...NO_DRIFT, referenceCount: 500, currentCount: 0 });
    expect(numericStatistics(createNumericSketch(), createNumericSketch())).toMatchObject(NO_DRIFT);
  });

  it("an all-missing window counts as empty", () => {
    const allMissing = numericSketchOf([], 250);
    expect(numericStatistics(numericSketchOf(normals(500, 2)), allMissing)).toMatchObject({ ...NO_DRIFT, currentCount: 0 });
  });

  it("identical sketches give exactly 0 and p-value 1, compressed or exact", () => {
    for (const values of [normals(50_000, 3), [1, 2, 2, 3, 3, 3], normals(100, 4)]) {
      const s = numericSketchOf(values);
      expect(numericStatistics(s, s)).toMatchObject(NO_DRIFT);
      expect(numericStatistics(numericSketchOf(values), numericSketchOf(values))).toMatchObject(NO_DRIFT);
    }
  });

  it("missing values do not change the statistics of the values present", () => {
    const ref = normals(2000, 5);
    const cur = normals(1000, 6, 0.3);
    const plain = numericStatistics(numericSketchOf(ref), numericSketchOf(cur));
    const withMissing = numericStatistics(numericSketchOf(ref, 100), numericSketchOf(cur, 700));
    expect(withMissing).toEqual(plain);
  });

  it("the same constant on both sides is no drift", () => {
    const got = numericStatistics(numericSketchOf(new Array(300).fill(7)), numericSketchOf(new Array(40).fill(7)));
    expect(got).toMatchObject(NO_DRIFT);
  });

  it("a constant that moves to another constant is a large, finite shift (σ floor 1e-3·max(1,|mean|))", () => {
    const got = numericStatistics(numericSketchOf(new Array(300).fill(5)), numericSketchOf(new Array(300).fill(6)));
    expectAllFinite(got);
    expect(got.ks).toBe(1);
    expect(got.meanShiftSigma).toBeCloseTo(1 / 0.006, 9);
    expect(got.wasserstein).toBeCloseTo(1 / 0.006, 9);
    expect(got.meanSigmaScore).toBeCloseTo(1 / 0.012, 9); // log term 0: both σ are 0
    expect(got.ksPValue).toBeLessThan(1e-50);
  });

  it("a constant reference with a varying window is scaled by the window's σ", () => {
    const cur = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // mean 0.1, σ 0.3
    const got = numericStatistics(numericSketchOf(new Array(100).fill(0)), numericSketchOf(cur));
    expectAllFinite(got);
    expect(got.meanShiftSigma).toBeCloseTo(0.1 / 0.3, 12);
    expect(got.wasserstein).toBeCloseTo(0.1 / 0.3, 12);
    expect(got.ks).toBeCloseTo(0.1, 12);
    expect(sigmaScale(0, 0.3, 0, 0.1)).toBe(0.3);
  });

  it("values moving below a constant reference (a fill value) read PSI, JS and Hellinger: the point mass has a bin of its own", () => {
    // bins (−∞, 0.5), [0.5, 0.5], (0.5, ∞): reference [0, 1, 0], window [0.4, 0.6, 0] (before the atom's own
    // bin, (−∞, 0.5] held both sides and all three read 0)
    const window = [...new Array<number>(600).fill(0.5), ...Array.from({ length: 400 }, (_, i) => 0.1 + i / 1000)];
    const got = numericStatistics(numericSketchOf(new Array<number>(1000).fill(0.5)), numericSketchOf(window));
    const psi = (0.4 - 1e-4) * Math.log(0.4 / 1e-4) + (0.6 - 1) * Math.log(0.6 / 1);
    const js = Math.sqrt((1 * Math.log2(1 / 0.8) + 0.4 * Math.log2(0.4 / 0.2) + 0.6 * Math.log2(0.6 / 0.8)) / 2);
    const hellinger = Math.sqrt(((0 - Math.sqrt(0.4)) ** 2 + (1 - Math.sqrt(0.6)) ** 2) / 2);
    expect(got.psi).toBeCloseTo(psi, 12);
    expect(got.jsDistance).toBeCloseTo(js, 12);
    expect(got.hellinger).toBeCloseTo(hellinger, 12);
    expect(got.psiBins).toBe(1);
    expect(got.ks).toBeCloseTo(0.4, 12);
  });

  it("a window collapsing to a constant gives a finite σ-ratio term", () => {
    const got = numericStatistics(numericSketchOf(normals(1000, 7)), numericSketchOf(new Array(200).fill(0)));
    expectAllFinite(got);
    expect(got.meanSigmaScore).toBeGreaterThan(5); // |ln(1e-9/σ_ref)|/2 ≈ 10
  });

  it("a single value on each side is well defined", () => {
    const same = numericStatistics(numericSketchOf([3]), numericSketchOf([3]));
    expect(same).toMatchObject(NO_DRIFT);
    const apart = numericStatistics(numericSketchOf([3]), numericSketchOf([4]));
    expectAllFinite(apart);
    expect(apart.ks).toBe(1);
    expect(apart.psiBins).toBe(1);
    expect(apart.ksPValue).toBeGreaterThan(0.05); // ne = 0.5: one value each proves nothing
  });

  it("a 0.25σ mean shift of a normal feature reads PSI ≈ 0.06, KS ≈ 0.10, W1/σ ≈ 0.25 at 10^5 values", () => {
    const got = numericStatistics(numericSketchOf(normals(100_000, 8)), numericSketchOf(normals(100_000, 9, 0.25)));
    expect(got.psi).toBeGreaterThan(0.05);
    expect(got.psi).toBeLessThan(0.07);
    expect(got.ks).toBeGreaterThan(0.09); // population value 0.0995; this sample gives 0.106
    expect(got.ks).toBeLessThan(0.11);
    expect(got.wasserstein).toBeCloseTo(0.25, 1);
    expect(got.meanShiftSigma).toBeCloseTo(0.25, 1);
    expect(got.psiBins).toBe(10);
  });
});
