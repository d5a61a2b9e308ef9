// The linear sweep over CDF knots (cdfDistances) against the straightforward definition: D = F_ref − F_cur
// read through cdfAt at every breakpoint, just left of it and in between.
import { describe, expect, it } from "vitest";
import { addValue, createTDigest, flushTDigest, type TDigest } from "../../../src/sketch/tdigest.ts";
import { cdfAt, cdfModelOf, modelCdf } from "../../../src/sketch/cdf-model.ts";
import { cdfDistances } from "../../../src/stats/cdf-distance.ts";
import { mulberry32 } from "../../support/random.ts";

/** sup |D| over points, left limits (approached from just below) and midpoints; ∫|D| by dense midpoint rule (D read pointwise). */
function bruteForce(a: TDigest, b: TDigest): { sup: number; area: number } {
  flushTDigest(a);
  flushTDigest(b);
  const pts = [...a.means.subarray(0, a.size), ...b.means.subarray(0, b.size), a.min, a.max, b.min, b.max].sort((x, y) => x - y);
  const uniq = pts.filter((x, i) => i === 0 || x !== pts[i - 1]);
  const fa = cdfModelOf(a);
  const fb = cdfModelOf(b);
  const D = (x: number) => modelCdf(fa, x) - modelCdf(fb, x);
  let sup = 0;
  let area = 0;
  for (let i = 0; i < uniq.length; i++) {
    sup = Math.max(sup, Math.abs(D(uniq[i])));
    if (i + 1 < uniq.length) {
      const lo = uniq[i];
      const hi = uniq[i + 1];
      const justBelow = hi - (hi - lo) * 1e-9;
      sup = Math.max(sup, Math.abs(D(justBelow)));
      const steps = 16;
      for (let s = 0; s < steps; s++) area += (Math.abs(D(lo + ((s + 0.5) * (hi - lo)) / steps)) * (hi - lo)) / steps;
    }
  }
  return { sup, area };
}

function digest(values: number[]): TDigest {
  const d = createTDigest(100);
  for (const v of values) addValue(d, v);
  return d;
}

describe("cdfDistances sweep", () => {
  const r = mulberry32(77);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const cases: [string, () => number[]][] = [
    ["approximate normal", () => Array.from({ length: 20_000 }, normal)],
    ["approximate lognormal", () => Array.from({ length: 5_000 }, () => Math.exp(normal()))],
    ["exact by count", () => Array.from({ length: 700 }, () => normal() + 0.2)],
    ["exact few values", () => Array.from({ length: 5_000 }, () => Math.floor(r() * 12))],
    ["point masses at the ends", () => Array.from({ length: 8_000 }, () => Math.max(0, Math.min(3, normal() * 2)))],
    ["single value", () => [4.2]],
  ];
  for (const [nameA, makeA] of cases) {
    for (const [nameB, makeB] of cases) {
      it(`${nameA} vs ${nameB}: sup and area agree with the definition`, () => {
        const a = digest(makeA());
        const b = digest(makeB());
        const got = cdfDistances(a, b);
        const want = bruteForce(a, b);
        // ks adds the resolution correction on top of the sup; it is ≥ sup and within the correction
        expect(got.ks).toBeGreaterThanOrEqual(want.sup - 1e-9);
        expect(got.ks - want.sup).toBeLessThan(0.01);
        expect(Math.abs(got.wasserstein1 - want.area)).toBeLessThanOrEqual(1e-3 * Math.max(1, want.area));
      });
    }
  }

  it("the model's knots reproduce cdfAt at every knot and just below it", () => {
    for (const [, make] of cases) {
      const d = digest(make());
      const k = cdfModelOf(d);
      for (let i = 0; i < k.length; i++) {
        expect(k.atOrBelow[i] / k.total).toBeCloseTo(cdfAt(d, k.x[i]), 12);
        const below = k.x[i] - Math.max(1e-9, Math.abs(k.x[i]) * 1e-12);
        if (i > 0 && below > k.x[i - 1]) expect(Math.abs(k.below[i] / k.total - cdfAt(d, below))).toBeLessThan(1e-6);
      }
    }
  });
});
