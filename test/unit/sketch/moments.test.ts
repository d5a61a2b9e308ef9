import { describe, expect, it } from "vitest";
import { addMissingToMoments, addToMoments, createMoments, mergeMoments, stdOf, varianceOf } from "../../../src/sketch/moments.ts";
import type { Moments } from "../../../src/sketch/moments.ts";
import { sample } from "../../support/distributions.ts";

function momentsOf(values: ArrayLike<number>): Moments {
  const m = createMoments();
  for (let i = 0; i < values.length; i++) addToMoments(m, values[i]);
  return m;
}

/** two-pass reference, independent of Welford */
function reference(values: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
  return { mean, variance: ss / values.length };
}

describe("moments", () => {
  it("empty moments are all zeros (no Infinity), variance and std 0", () => {
    const m = createMoments();
    expect(m).toEqual({ count: 0, mean: 0, m2: 0, min: 0, max: 0, missing: 0 });
    expect(varianceOf(m)).toBe(0);
    expect(stdOf(m)).toBe(0);
    expect(JSON.parse(JSON.stringify(mergeMoments([m, createMoments()])))).toEqual(m);
  });

  it("a single value has variance 0 and min = max = value", () => {
    const m = momentsOf([-3.5]);
    expect(m).toMatchObject({ count: 1, mean: -3.5, min: -3.5, max: -3.5 });
    expect(varianceOf(m)).toBe(0);
  });

  it("population variance of 2, 4, 4, 4, 5, 5, 7, 9 is 4", () => {
    const m = momentsOf([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(m.mean).toBe(5);
    expect(varianceOf(m)).toBeCloseTo(4, 12);
    expect(stdOf(m)).toBeCloseTo(2, 12);
    expect(m.min).toBe(2);
    expect(m.max).toBe(9);
  });

  it("stays accurate with a large offset (1e9 + small noise), where the naive formula fails", () => {
    const data = sample("normal", 100_000, 3).map((x) => 1e9 + x);
    const m = momentsOf(data);
    const ref = reference(data);
    expect(m.mean).toBeCloseTo(ref.mean, 4);
    expect(varianceOf(m) / ref.variance).toBeCloseTo(1, 6); // float64 at 1e9 leaves ~1e-7 absolute per value
  });

  it("missing values count separately and do not touch the moments", () => {
    const m = momentsOf([1, 2]);
    addMissingToMoments(m);
    addMissingToMoments(m);
    expect(m).toMatchObject({ count: 2, missing: 2, mean: 1.5 });
  });

  it("merging parts (Chan) equals the moments of the union, in any order", () => {
    const parts = [sample("normal", 1000, 1), sample("lognormal", 5000, 2), new Float64Array(0), sample("uniform", 17, 3)];
    const all = parts.flatMap((p) => Array.from(p));
    const ref = reference(all);
    for (const order of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
    ]) {
      const ms = order.map((i) => momentsOf(parts[i]));
      ms[0].missing = 4;
      const merged = mergeMoments(ms);
      expect(merged.count).toBe(all.length);
      expect(merged.missing).toBe(4);
      expect(merged.mean).toBeCloseTo(ref.mean, 12);
      expect(varianceOf(merged)).toBeCloseTo(ref.variance, 10);
      expect(merged.min).toBe(Math.min(...all));
      expect(merged.max).toBe(Math.max(...all));
    }
  });
});
