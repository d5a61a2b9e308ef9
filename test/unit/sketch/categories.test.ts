import { describe, expect, it } from "vitest";
import {
  OTHER_CATEGORY,
  addCategory,
  addMissingCategory,
  createCategoryCounts,
  decodeCategoryCounts,
  encodeCategoryCounts,
  mergeCategoryCounts,
} from "../../../src/sketch/categories.ts";
import type { CategoryCounts } from "../../../src/sketch/categories.ts";
import { SketchDecodeError } from "../../../src/sketch/errors.ts";

function countsOf(values: string[], cap: number): CategoryCounts {
  const c = createCategoryCounts(cap);
  for (const v of values) addCategory(c, v);
  return c;
}

describe("category counts", () => {
  it("counts the first maxCategories distinct values and folds later new values into other", () => {
    const c = countsOf(["a", "b", "a", "c", "d", "a", "d", "b"], 2);
    expect(OTHER_CATEGORY).toBe("__other__");
    expect(Object.fromEntries(c.counts)).toEqual({ a: 3, b: 2 });
    expect(c.other).toBe(3);
    expect(c.total).toBe(8);
    expect(c.overflowValues).toBe(2); // c and d
  });

  it("estimates the number of distinct overflow values approximately", () => {
    const c = createCategoryCounts(1);
    addCategory(c, "kept");
    for (let i = 0; i < 100; i++) for (let rep = 0; rep < 3; rep++) addCategory(c, `v${i}`);
    expect(c.other).toBe(300);
    expect(c.overflowValues).toBeGreaterThan(85);
    expect(c.overflowValues).toBeLessThan(115);
  });

  it("missing values count separately", () => {
    const c = countsOf(["x"], 5);
    addMissingCategory(c);
    expect(c.missing).toBe(1);
    expect(c.total).toBe(1);
  });

  it("merge keeps the most frequent up to the cap, ties broken by name, the rest folded into other", () => {
    const a = countsOf(["x", "x", "y", "z"], 3); // x2 y1 z1
    const b = countsOf(["y", "w", "w", "v"], 3); // y1 w2 v1
    addMissingCategory(a);
    for (const [first, second] of [
      [a, b],
      [b, a],
    ]) {
      const m = mergeCategoryCounts([first, second], 3);
      // totals: x2 y2 w2 z1 v1 → keep w, x, y (tie at 2 broken by name); fold z, v
      expect(Object.fromEntries(m.counts)).toEqual({ w: 2, x: 2, y: 2 });
      expect(m.other).toBe(2);
      expect(m.total).toBe(8);
      expect(m.missing).toBe(1);
      expect(m.overflowValues).toBe(2);
    }
    expect(encodeCategoryCounts(mergeCategoryCounts([a, b], 3))).toEqual(encodeCategoryCounts(mergeCategoryCounts([b, a], 3)));
  });

  it("a merge with nothing folded into other estimates +0 overflow values, not −0", () => {
    const a = createCategoryCounts(5);
    addCategory(a, "x");
    const m = mergeCategoryCounts([a, createCategoryCounts(5)]);
    expect(Object.is(m.overflowValues, 0)).toBe(true);
  });

  it("merge keeps the inputs' other counts and defaults the cap to the largest input cap", () => {
    const a = countsOf(["a", "b", "c"], 2); // a1 b1 other1
    const b = countsOf(["a"], 4);
    const m = mergeCategoryCounts([a, b]);
    expect(m.maxCategories).toBe(4);
    expect(Object.fromEntries(m.counts)).toEqual({ a: 2, b: 1 });
    expect(m.other).toBe(1);
    expect(m.total).toBe(4);
  });

  it("round-trips through the versioned binary format, independent of insertion order", () => {
    const a = countsOf(["β", "alpha", "alpha", "gamma", "overflow!"], 3);
    addMissingCategory(a);
    const b = countsOf(["alpha", "gamma", "β", "alpha", "overflow!"], 3);
    addMissingCategory(b);
    const bytes = encodeCategoryCounts(a);
    expect(bytes[0]).toBe(1);
    expect(encodeCategoryCounts(b)).toEqual(bytes);
    const back = decodeCategoryCounts(bytes);
    expect(Object.fromEntries(back.counts)).toEqual(Object.fromEntries(a.counts));
    expect(back).toMatchObject({ maxCategories: 3, other: 1, total: 5, missing: 1, overflowValues: 1 });
  });

  it("decodes a hand-written v1 byte string", () => {
    // v1, cap 2, total 3, missing 0, other 0, empty overflow set, 1 category "ok" × 3
    const bytes = Uint8Array.from([1, 2, 3, 0, 0, ...new Array(32).fill(0), 1, 2, 0x6f, 0x6b, 3]);
    const c = decodeCategoryCounts(bytes);
    expect(Object.fromEntries(c.counts)).toEqual({ ok: 3 });
    expect(c.total).toBe(3);
  });

  it("rejects truncated, inconsistent and unknown-version input with SketchDecodeError", () => {
    const good = encodeCategoryCounts(countsOf(["a", "b", "a"], 5));
    expect(() => decodeCategoryCounts(good.subarray(0, good.length - 1))).toThrow(SketchDecodeError);
    const unknown = good.slice();
    unknown[0] = 2;
    expect(() => decodeCategoryCounts(unknown)).toThrow(/unknown format version 2/);
    const wrongTotal = good.slice();
    wrongTotal[2] = 9;
    expect(() => decodeCategoryCounts(wrongTotal)).toThrow(/total/);
    try {
      decodeCategoryCounts(new Uint8Array([1]));
    } catch (e) {
      expect((e as SketchDecodeError).context).toEqual({ kind: "category-counts", version: 1, byteLength: 1 });
    }
  });
});
