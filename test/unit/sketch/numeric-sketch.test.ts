import { flushTDigest } from "../../../src/sketch/tdigest.ts";
import { describe, expect, it } from "vitest";
import {
  addNumeric,
  addNumericMissing,
  createNumericSketch,
  decodeNumericSketch,
  encodeNumericSketch,
  mergeNumericSketches,
} from "../../../src/sketch/numeric-sketch.ts";
import { quantileAt } from "../../../src/sketch/cdf-model.ts";
import { varianceOf } from "../../../src/sketch/moments.ts";
import { SketchDecodeError } from "../../../src/sketch/errors.ts";
import { sample } from "../../support/distributions.ts";

describe("numeric sketch", () => {
  it("feeds digest and moments; missing values touch moments.missing only", () => {
    const s = createNumericSketch();
    for (const x of [1, 2, 3, 4]) addNumeric(s, x);
    addNumericMissing(s);
    expect(s.digest.count).toBe(4);
    expect(s.moments).toMatchObject({ count: 4, missing: 1, mean: 2.5, min: 1, max: 4 });
    expect(varianceOf(s.moments)).toBeCloseTo(1.25, 12);
  });

  it("merges digests and moments", () => {
    const a = createNumericSketch();
    const b = createNumericSketch();
    for (const x of sample("normal", 20_000, 1)) addNumeric(a, x);
    for (const x of sample("normal", 20_000, 2)) addNumeric(b, x + 1);
    addNumericMissing(b);
    const m = mergeNumericSketches([a, b]);
    expect(m.digest.count).toBe(40_000);
    expect(m.moments.count).toBe(40_000);
    expect(m.moments.missing).toBe(1);
    expect(m.moments.mean).toBeCloseTo(10.5, 1);
    expect(quantileAt(m.digest, 0.5)).toBeCloseTo(10.5, 1);
  });

  it("round-trips through the versioned binary format; same input ⇒ same bytes", () => {
    const build = () => {
      const s = createNumericSketch();
      for (const x of sample("lognormal", 50_000, 3)) addNumeric(s, x);
      addNumericMissing(s);
      flushTDigest(s.digest); // the size target is for a merged digest (an unflushed buffer is stored verbatim)
      return s;
    };
    const bytes = encodeNumericSketch(build());
    expect(bytes[0]).toBe(1);
    expect(encodeNumericSketch(build())).toEqual(bytes);
    expect(bytes.length).toBeLessThan(2048 + 64);
    const back = decodeNumericSketch(bytes);
    const original = build();
    expect(back.moments).toEqual(original.moments);
    expect(quantileAt(back.digest, 0.9)).toBeCloseTo(quantileAt(original.digest, 0.9), 5);
  });

  it("an empty sketch round-trips", () => {
    const back = decodeNumericSketch(encodeNumericSketch(createNumericSketch()));
    expect(back.digest.count).toBe(0);
    expect(back.moments.count).toBe(0);
  });

  it("rejects truncated and unknown-version input with SketchDecodeError", () => {
    const s = createNumericSketch();
    addNumeric(s, 1);
    const good = encodeNumericSketch(s);
    expect(() => decodeNumericSketch(good.subarray(0, 10))).toThrow(SketchDecodeError);
    const unknown = good.slice();
    unknown[0] = 0;
    expect(() => decodeNumericSketch(unknown)).toThrow(/unknown format version 0/);
  });
});
