import { describe, expect, it } from "vitest";
import { addValue, compactTDigest, createTDigest, mergeTDigests, type TDigest } from "../../../src/sketch/tdigest.ts";
import { cdfModelMemo, cdfModelOf, lastingCdfModelOf } from "../../../src/sketch/cdf-model.ts";
import { referenceDecileBins } from "../../../src/stats/binned.ts";
import { sample } from "../../support/distributions.ts";

function digestOf(values: ArrayLike<number>): TDigest {
  const d = createTDigest(100);
  for (let i = 0; i < values.length; i++) addValue(d, values[i]);
  return d;
}

describe("CDF models kept across evaluations", () => {
  it("a digest that has not changed keeps the model it had, equal to a freshly built one", () => {
    const d = mergeTDigests([digestOf(sample("normal", 3000, 1)), digestOf(sample("lognormal", 3000, 2))]);
    const first = lastingCdfModelOf(d);
    expect(lastingCdfModelOf(d)).toBe(first);
    expect(first).toEqual(cdfModelOf(d));
  });

  it("a digest that took values since gets a new model with them", () => {
    const d = digestOf(sample("normal", 5000, 3));
    const before = lastingCdfModelOf(d);
    for (let i = 0; i < 10; i++) addValue(d, 100 + i);
    const after = lastingCdfModelOf(d);
    expect(after).not.toBe(before);
    expect(after.max).toBe(109);
    expect(after).toEqual(cdfModelOf(d));
  });

  it("a digest compressed since (a closed window compacted) gets the model of its compressed centroids", () => {
    const d = digestOf(sample("normal", 900, 4));
    const exact = lastingCdfModelOf(d);
    expect(exact.length).toBe(900);
    compactTDigest(d);
    const compacted = lastingCdfModelOf(d);
    expect(compacted).not.toBe(exact);
    expect(compacted.length).toBeLessThan(300);
    expect(compacted).toEqual(cdfModelOf(d));
  });

  it("a memo keeps the models of the digests it is told are lasting, and rebuilds the others per memo", () => {
    const reference = mergeTDigests([digestOf(sample("normal", 3000, 5))]);
    const window = digestOf(sample("normal", 1000, 6));
    const lasting = new Set([reference]);
    const one = cdfModelMemo(lasting);
    const two = cdfModelMemo(lasting);
    expect(two.of(reference)).toBe(one.of(reference));
    expect(one.of(window)).toBe(one.of(window));
    expect(two.of(window)).not.toBe(one.of(window));
    expect(two.of(window)).toEqual(one.of(window));
  });

  it("a released memo's arrays build the next memo's models, each equal to a freshly built one", () => {
    const first = digestOf(sample("normal", 600, 9));
    const second = digestOf(sample("lognormal", 600, 10));
    const one = cdfModelMemo();
    const lent = one.of(first).x.buffer;
    one.release();
    const two = cdfModelMemo();
    const model = two.of(second);
    expect(model.x.buffer).toBe(lent);
    expect(model).toEqual(cdfModelOf(second));
  });

  it("a lasting model stays whole after its memo is released and the pool builds other models", () => {
    const reference = mergeTDigests([digestOf(sample("normal", 3000, 11))]);
    const expected = cdfModelOf(reference);
    const one = cdfModelMemo(new Set([reference]));
    const kept = one.of(reference);
    one.of(digestOf(sample("uniform", 800, 12)));
    one.release();
    const two = cdfModelMemo();
    for (let seed = 13; seed < 20; seed++) two.of(digestOf(sample("lognormal", 800, seed)));
    expect(kept).toEqual(expected);
    expect(lastingCdfModelOf(reference)).toBe(kept);
  });

  it("decile bins read from a kept model equal the bins from fresh models", () => {
    const reference = mergeTDigests([digestOf(sample("normal", 5000, 7))]);
    const current = digestOf(sample("normal", 1000, 8));
    const memo = cdfModelMemo(new Set([reference]));
    const first = referenceDecileBins(reference, current, memo);
    const again = referenceDecileBins(reference, current, cdfModelMemo(new Set([reference])));
    const fresh = referenceDecileBins(reference, current);
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
    expect(first.edges).toHaveLength(9);
    expect(first.reference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
