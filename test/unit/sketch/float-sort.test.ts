import { describe, expect, it } from "vitest";
import { sortFloat64 } from "../../../src/sketch/float-sort.ts";
import { sample, seededRandom } from "../../support/distributions.ts";

/** Same order, bit for bit (Object.is tells −0 from +0), as the built-in typed-array sort. */
function expectSortedLikeBuiltin(values: Float64Array): void {
  const ours = values.slice();
  sortFloat64(ours);
  const builtin = values.slice().sort();
  for (let i = 0; i < values.length; i++) {
    if (!Object.is(ours[i], builtin[i])) expect.fail(`index ${i}: ${ours[i]} vs ${builtin[i]}`);
  }
}

describe("sortFloat64 orders like Float64Array.prototype.sort", () => {
  it("on 2 000-value buffers of every test distribution, sorted and reversed input included", () => {
    for (const name of ["normal", "lognormal", "uniform", "bimodal", "exponential", "sorted"] as const) {
      const data = sample(name, 2000, 7);
      expectSortedLikeBuiltin(data);
      expectSortedLikeBuiltin(data.slice().sort().reverse());
    }
  });

  it("with signs, ±0, subnormals, infinities and extremes mixed in", () => {
    const rand = seededRandom(3);
    const specials = [0, -0, 5e-324, -5e-324, 2.2e-308, -2.2e-308, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
    const data = Float64Array.from({ length: 3000 }, (_, i) =>
      i % 7 === 0 ? specials[i % specials.length] : (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20),
    );
    expectSortedLikeBuiltin(data);
  });

  it("with heavy ties (integers) and values that share their upper 32 bits (the insertion pass)", () => {
    const rand = seededRandom(4);
    expectSortedLikeBuiltin(Float64Array.from({ length: 2000 }, () => Math.floor(rand() * 5)));
    // 1 + k·2^-40 all share sign, exponent and the top 20 mantissa bits
    expectSortedLikeBuiltin(Float64Array.from({ length: 2000 }, () => 1 + Math.floor(rand() * 1000) * 2 ** -40));
  });

  it("on 1 000-value buffers (a closing window's flush) of every test distribution", () => {
    for (const name of ["normal", "lognormal", "uniform", "bimodal", "exponential", "sorted"] as const) {
      expectSortedLikeBuiltin(sample(name, 1000, 8));
    }
  });

  it("with values that share their upper 24 bits but not their upper 32 (the second, 32-bit try)", () => {
    const rand = seededRandom(6);
    // 1 + k·2^-20: sign, exponent and the top 12 mantissa bits are shared, the next 8 bits are not
    expectSortedLikeBuiltin(Float64Array.from({ length: 2000 }, () => 1 + Math.floor(rand() * 256) * 2 ** -20));
    // epoch milliseconds over about a day: the upper 24 bits hold them to ~4.6 days
    expectSortedLikeBuiltin(Float64Array.from({ length: 1000 }, () => 1.7e12 + Math.floor(rand() * 86_400_000)));
  });

  it("falls back to the built-in sort instead of going quadratic on epoch-millisecond timestamps", () => {
    const rand = seededRandom(5);
    const data = Float64Array.from({ length: 20_000 }, () => 1.7e12 + Math.floor(rand() * 100_000));
    const t0 = performance.now();
    expectSortedLikeBuiltin(data);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("below the radix threshold and on empty or single-value arrays", () => {
    for (const n of [0, 1, 2, 255, 256, 257]) expectSortedLikeBuiltin(sample("normal", n, n));
  });
});
