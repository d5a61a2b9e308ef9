import { describe, expect, it } from "vitest";
import { categoricalStatistics } from "../../../src/stats/index.ts";
import { createCategoryCounts, addCategory, addMissingCategory, OTHER_CATEGORY } from "../../../src/sketch/categories.ts";
import type { CategoryCounts } from "../../../src/sketch/categories.ts";
import { loadOracle } from "./oracle-fixtures.ts";
import { categoryCountsOf } from "../../support/sketch-builders.ts";

const oracle = loadOracle();

describe("categorical statistics agree with scipy.stats.chi2_contingency", () => {
  for (const c of oracle.categorical) {
    it(`${c.name}: ${c.description}`, () => {
      const got = categoricalStatistics(categoryCountsOf(c.reference), categoryCountsOf(c.current));
      expect(got.degreesOfFreedom).toBe(c.exact.degreesOfFreedom);
      expect(got.chiSquare).toBeCloseTo(c.exact.chiSquare, 9);
      expect(Math.abs(got.chiSquarePValue - c.exact.chiSquarePValue)).toBeLessThanOrEqual(1e-9 * c.exact.chiSquarePValue + 1e-15);
      expect(got.jsDistance).toBeCloseTo(c.exact.jsDistance, 12);
      expect(got.lInf).toBeCloseTo(c.exact.lInf, 12);
    });
  }
});

describe("categorical degenerate inputs", () => {
  const counts = (values: Record<string, number>, missing = 0): CategoryCounts => {
    const c = categoryCountsOf(values);
    for (let i = 0; i < missing; i++) addMissingCategory(c);
    return c;
  };
  it("identical counts give exactly 0 and p-value 1", () => {
    const got = categoricalStatistics(counts({ a: 30, b: 20, [OTHER_CATEGORY]: 5 }), counts({ a: 30, b: 20, [OTHER_CATEGORY]: 5 }));
    expect(got).toEqual({ chiSquare: 0, chiSquarePValue: 1, degreesOfFreedom: 2, jsDistance: 0, lInf: 0 });
  });
  it("an empty or all-missing side gives 0 and p-value 1", () => {
    const empty = createCategoryCounts();
    const allMissing = counts({}, 40);
    const some = counts({ a: 3, b: 1 });
    for (const [r, c] of [
      [empty, some],
      [some, empty],
      [allMissing, some],
      [empty, empty],
    ] as const) {
      expect(categoricalStatistics(r, c)).toEqual({ chiSquare: 0, chiSquarePValue: 1, degreesOfFreedom: 0, jsDistance: 0, lInf: 0 });
    }
  });
  it("missing values are not a category: shares are over counted values", () => {
    const got = categoricalStatistics(counts({ a: 50, b: 50 }, 100), counts({ a: 50, b: 50 }));
    expect(got.lInf).toBe(0);
    expect(got.chiSquare).toBe(0);
  });
  it("a single shared category has no test (dof 0) and no distance", () => {
    expect(categoricalStatistics(counts({ a: 10 }), counts({ a: 99 }))).toEqual({
      chiSquare: 0,
      chiSquarePValue: 1,
      degreesOfFreedom: 0,
      jsDistance: 0,
      lInf: 0,
    });
  });
  it("disjoint categories have JS distance 1 and L∞ 1", () => {
    const got = categoricalStatistics(counts({ a: 10 }), counts({ b: 10 }));
    expect(got.jsDistance).toBe(1);
    expect(got.lInf).toBe(1);
    expect(got.chiSquare).toBeCloseTo(20, 12);
    expect(got.degreesOfFreedom).toBe(1);
  });
  it("values past the category cap count under __other__", () => {
    const r = createCategoryCounts(2);
    const c = createCategoryCounts(2);
    for (const v of ["a", "b", "x", "y", "z", "a"]) addCategory(r, v);
    for (const v of ["a", "b", "a", "b", "a", "b"]) addCategory(c, v);
    const got = categoricalStatistics(r, c);
    expect(got.degreesOfFreedom).toBe(2); // a, b, __other__
    expect(got.lInf).toBeCloseTo(0.5, 12); // __other__: 3/6 vs 0
  });
});
