import { describe, expect, it } from "vitest";
import {
  addValue,
  cloneTDigest,
  compactTDigest,
  createTDigest,
  flushTDigest,
  MAX_ATOMS,
  mergeTDigests,
} from "../../../src/sketch/tdigest.ts";
import { cdfAt, cdfModelOf, modelCdf, modelCdfBelow, modelQuantile, quantileAt } from "../../../src/sketch/cdf-model.ts";
import { decodeTDigest, encodeTDigest, TDIGEST_FORMAT_VERSION } from "../../../src/sketch/tdigest-format.ts";
import type { TDigest } from "../../../src/sketch/tdigest.ts";
import { SketchDecodeError } from "../../../src/sketch/errors.ts";
import { DISTRIBUTIONS, empiricalCdf, sample, seededRandom } from "../../support/distributions.ts";
// @ts-expect-error tdigest 0.1.3 ships no types (test oracle only)
import tdigestNpm from "tdigest";

const { TDigest: NpmTDigest } = tdigestNpm as { TDigest: new () => { push(x: number): void; percentile(q: number): number } };

function digestOf(values: ArrayLike<number>, compression = 100): TDigest {
  const d = createTDigest(compression);
  for (let i = 0; i < values.length; i++) addValue(d, values[i]);
  return d;
}

/** max |F̂ − F| checked on both sides of each (sub-sampled) data point, where a step CDF jumps. */
function maxCdfError(d: TDigest, sorted: Float64Array, points = 20_000): number {
  const n = sorted.length;
  const step = Math.max(1, Math.floor(n / points));
  let worst = 0;
  for (let i = 0; i < n; i += step) {
    const x = sorted[i];
    worst = Math.max(worst, Math.abs(cdfAt(d, x) - empiricalCdf(sorted, x)));
    const below = x - Math.max(Math.abs(x) * 1e-12, 1e-300);
    worst = Math.max(worst, Math.abs(cdfAt(d, below) - empiricalCdf(sorted, below)));
  }
  return worst;
}

function rankError(d: TDigest, sorted: Float64Array, q: number): number {
  return Math.abs(empiricalCdf(sorted, quantileAt(d, q)) - q);
}

describe("t-digest accuracy at compression 100", () => {
  for (const n of [10_000, 100_000, 1_000_000]) {
    for (const dist of DISTRIBUTIONS) {
      it(`${dist}, n=${n}: max CDF error ≤ 3e-3, rank error at q=0.001/0.999 ≤ 3e-4, ≤ 2 KiB`, () => {
        const data = sample(dist, n, 1234 + n);
        const d = digestOf(data);
        const sorted = data.slice().sort();
        expect(maxCdfError(d, sorted)).toBeLessThanOrEqual(3e-3);
        expect(rankError(d, sorted, 0.001)).toBeLessThanOrEqual(3e-4);
        expect(rankError(d, sorted, 0.999)).toBeLessThanOrEqual(3e-4);
        expect(encodeTDigest(d).length).toBeLessThanOrEqual(2048);
        expect(d.count).toBe(n);
        expect(d.min).toBe(sorted[0]);
        expect(d.max).toBe(sorted[n - 1]);
      });
    }
  }

  it("agrees with the tdigest npm package on the quantiles of a lognormal sample", () => {
    const data = sample("lognormal", 100_000, 99);
    const ours = digestOf(data);
    const npm = new NpmTDigest();
    for (const x of data) npm.push(x);
    const sorted = data.slice().sort();
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
      const theirs = npm.percentile(q);
      // both estimate the same sample quantile: compare in rank space
      expect(Math.abs(empiricalCdf(sorted, quantileAt(ours, q)) - empiricalCdf(sorted, theirs))).toBeLessThan(3e-3);
      expect(rankError(ours, sorted, q)).toBeLessThan(1e-3);
    }
  });
});

describe("t-digest exact mode", () => {
  it("keeps ≤ compression distinct integers exactly: CDF error 0 at and between values, quantiles are data values", () => {
    const rand = seededRandom(5);
    const data = new Float64Array(200_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * rand() * 100); // 100 distinct, skewed
    const d = digestOf(data);
    flushTDigest(d);
    expect(d.exact).toBe(true);
    const sorted = data.slice().sort();
    const distinct = new Set(data);
    for (let v = -1; v <= 100; v += 0.5) expect(Math.abs(cdfAt(d, v) - empiricalCdf(sorted, v))).toBeLessThan(1e-12);
    for (const q of [0.001, 0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999]) {
      const x = quantileAt(d, q);
      expect(distinct.has(x)).toBe(true);
      // lower quantile: the smallest value whose CDF reaches q
      const rank = Math.ceil(q * data.length) - 1;
      expect(x).toBe(sorted[rank]);
    }
  });

  it("confidence scores rounded to 2 decimals (101 values) at compression 101 are exact", () => {
    const rand = seededRandom(8);
    const data = new Float64Array(50_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.sqrt(rand()) * 100) / 100; // skewed towards 1, like confidences
    const d = digestOf(data, 101);
    const sorted = data.slice().sort();
    expect(new Set(data).size).toBe(101);
    for (let k = 0; k <= 100; k++) {
      const v = k / 100;
      expect(Math.abs(cdfAt(d, v) - empiricalCdf(sorted, v))).toBeLessThan(1e-12);
      expect(Math.abs(cdfAt(d, v + 0.004) - empiricalCdf(sorted, v + 0.004))).toBeLessThan(1e-12);
    }
    expect(d.exact).toBe(true);
  });

  it("leaves exact mode once the distinct values outgrow compression, and stays accurate", () => {
    const rand = seededRandom(9);
    const data = new Float64Array(100_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 1000);
    const d = digestOf(data);
    flushTDigest(d);
    expect(d.exact).toBe(false);
    expect(maxCdfError(d, data.slice().sort())).toBeLessThan(3e-3);
  });

  it("merging exact digests stays exact while the union has ≤ compression distinct values", () => {
    const a = digestOf([1, 1, 2, 5]);
    const b = digestOf([2, 3, 3, 3]);
    const m = mergeTDigests([a, b]);
    expect(m.exact).toBe(true);
    expect(Array.from(m.means.subarray(0, m.size))).toEqual([1, 2, 3, 5]);
    expect(Array.from(m.weights.subarray(0, m.size))).toEqual([2, 2, 3, 1]);
    expect(cdfAt(m, 2)).toBe(4 / 8);
    expect(cdfAt(m, 2.5)).toBe(4 / 8);
    expect(cdfAt(m, 3)).toBe(7 / 8);
    expect(quantileAt(m, 0.5)).toBe(2);
    expect(quantileAt(m, 0.51)).toBe(3);
  });
});

describe("t-digest edge semantics", () => {
  it("an empty digest answers 0 for cdfAt and quantileAt, never NaN", () => {
    const d = createTDigest();
    expect(cdfAt(d, 3)).toBe(0);
    expect(quantileAt(d, 0.5)).toBe(0);
    expect(d.min).toBe(0);
    expect(d.max).toBe(0);
    const merged = mergeTDigests([createTDigest(), createTDigest()]);
    expect(merged.count).toBe(0);
    expect(quantileAt(merged, 0.9)).toBe(0);
  });

  it("cdfAt is 0 below min and 1 at and above max; quantileAt clamps q to [0, 1]", () => {
    const d = digestOf(sample("normal", 50_000, 3));
    expect(cdfAt(d, d.min - 1)).toBe(0);
    expect(cdfAt(d, d.max)).toBe(1);
    expect(cdfAt(d, d.max + 1)).toBe(1);
    expect(quantileAt(d, -0.5)).toBe(d.min);
    expect(quantileAt(d, 0)).toBe(d.min);
    expect(quantileAt(d, 1)).toBe(d.max);
    expect(quantileAt(d, 7)).toBe(d.max);
  });

  it("cdfAt is monotone and quantileAt inverts it on a continuous sample", () => {
    const d = digestOf(sample("exponential", 100_000, 4));
    let previous = 0;
    for (let x = d.min; x <= d.max; x += (d.max - d.min) / 5000) {
      const f = cdfAt(d, x);
      expect(f).toBeGreaterThanOrEqual(previous);
      previous = f;
    }
    for (const q of [0.0005, 0.01, 0.3, 0.5, 0.8, 0.99, 0.9995]) expect(cdfAt(d, quantileAt(d, q))).toBeCloseTo(q, 9);
  });

  it("a single value is a point mass", () => {
    const d = digestOf([4.2]);
    expect(cdfAt(d, 4.1)).toBe(0);
    expect(cdfAt(d, 4.2)).toBe(1);
    expect(quantileAt(d, 0.3)).toBe(4.2);
  });

  it("a heavy point mass at the minimum (zero-inflated data) keeps its exact share", () => {
    const rand = seededRandom(11);
    const data = new Float64Array(100_000);
    for (let i = 0; i < data.length; i++) data[i] = rand() < 0.3 ? 0 : 1 + rand() * 100;
    const d = digestOf(data);
    expect(d.exact).toBe(false);
    expect(Math.abs(cdfAt(d, 0) - empiricalCdf(data.slice().sort(), 0))).toBeLessThan(1e-12);
  });
});

describe("t-digest atoms (point masses kept exactly)", () => {
  it("keeps a 28 % fill value inside the range as an exact step through compaction, merge and the stored format", () => {
    const rand = seededRandom(12);
    const windows: TDigest[] = [];
    let fills = 0;
    for (let w = 0; w < 20; w++) {
      const d = createTDigest(100);
      for (let i = 0; i < 1000; i++) {
        const fill = rand() < 0.28;
        fills += fill ? 1 : 0;
        addValue(d, fill ? 50 : 50 + 10 * Math.tan(Math.PI * (rand() - 0.5)));
      }
      compactTDigest(d);
      expect(d.exact).toBe(false);
      windows.push(d);
    }
    const merged = decodeTDigest(encodeTDigest(mergeTDigests(windows)));
    expect(Array.from(merged.atomValues.subarray(0, merged.atomCount))).toEqual([50]);
    expect(merged.atomWeights[0]).toBe(fills);
    const model = cdfModelOf(merged);
    expect((modelCdf(model, 50) - modelCdfBelow(model, 50)) * merged.count).toBeCloseTo(fills, 6);
  });

  it("holds at most MAX_ATOMS atoms, the heaviest, when merges bring more", () => {
    const parts = [0, 1].map((offset) => {
      const d = createTDigest(100);
      for (let i = 0; i < 20_000; i++) addValue(d, i % 2 === 0 ? offset + 2 * (i % 100) : Math.sin(i) * 1000);
      return d;
    });
    const merged = mergeTDigests(parts);
    expect(merged.atomCount).toBeLessThanOrEqual(MAX_ATOMS);
    expect(merged.count).toBe(40_000);
  });
});

describe("t-digest merge", () => {
  it("merging 4 parts in any order matches the digest of the union within the accuracy bounds", () => {
    const parts = [
      sample("normal", 40_000, 21),
      sample("lognormal", 25_000, 22),
      sample("bimodal", 30_000, 23),
      sample("uniform", 5_000, 24),
    ];
    const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    const sorted = all.slice().sort();
    const whole = digestOf(all);
    const orders = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
    ];
    for (const order of orders) {
      const merged = mergeTDigests(order.map((i) => digestOf(parts[i])));
      expect(merged.count).toBe(all.length);
      expect(maxCdfError(merged, sorted)).toBeLessThanOrEqual(3e-3);
      expect(rankError(merged, sorted, 0.001)).toBeLessThanOrEqual(3e-4);
      expect(rankError(merged, sorted, 0.999)).toBeLessThanOrEqual(3e-4);
      for (const q of [0.01, 0.5, 0.99]) expect(Math.abs(cdfAt(merged, quantileAt(whole, q)) - q)).toBeLessThan(3e-3);
    }
    // nested merges (tree order) stay within bounds too
    const tree = mergeTDigests([
      mergeTDigests([digestOf(parts[0]), digestOf(parts[3])]),
      mergeTDigests([digestOf(parts[2]), digestOf(parts[1])]),
    ]);
    expect(maxCdfError(tree, sorted)).toBeLessThanOrEqual(3e-3);
  });

  it("does not change the observable contents of its inputs", () => {
    const a = digestOf(sample("normal", 30_000, 31));
    const b = digestOf(sample("uniform", 7_000, 32));
    const probes = [-3, 0, 4, 9, 12, 20];
    const before = [a, b].map((d) => ({
      count: d.count,
      min: d.min,
      max: d.max,
      cdf: probes.map((x) => cdfAt(d, x)),
      bytes: encodeTDigest(d),
    }));
    mergeTDigests([a, b]);
    mergeTDigests([b, a, b]);
    const after = [a, b].map((d) => ({
      count: d.count,
      min: d.min,
      max: d.max,
      cdf: probes.map((x) => cdfAt(d, x)),
      bytes: encodeTDigest(d),
    }));
    expect(after).toEqual(before);
  });

  it("cloneTDigest is independent of the original", () => {
    const a = digestOf([1, 2, 3]);
    const c = cloneTDigest(a);
    addValue(a, 10);
    expect(c.count).toBe(3);
    expect(cdfAt(c, 3)).toBe(1);
  });
});

describe("t-digest serialisation", () => {
  it("same input gives the same bytes, and the decoded digest answers like the original", () => {
    const data = sample("lognormal", 200_000, 41);
    const bytes1 = encodeTDigest(digestOf(data));
    const bytes2 = encodeTDigest(digestOf(data));
    expect(bytes1).toEqual(bytes2);
    expect(bytes1[0]).toBe(TDIGEST_FORMAT_VERSION);
    const original = digestOf(data);
    const decoded = decodeTDigest(bytes1);
    expect(decoded.count).toBe(data.length);
    for (const q of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      expect(Math.abs(quantileAt(decoded, q) - quantileAt(original, q))).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(quantileAt(original, q))),
      );
    }
    // decoded digests keep accepting values
    addValue(decoded, 1);
    expect(decoded.count).toBe(data.length + 1);
  });

  it("round-trips exact mode bit for bit", () => {
    const d = digestOf([0.1, 0.1, 0.37, 2.5e-9, -7]);
    flushTDigest(d);
    const back = decodeTDigest(encodeTDigest(d));
    expect(back.exact).toBe(true);
    expect(Array.from(back.means.subarray(0, back.size))).toEqual([-7, 2.5e-9, 0.1, 0.37]);
    expect(encodeTDigest(back)).toEqual(encodeTDigest(d));
  });

  it("is lossless: a digest encoded and decoded at any point (buffer included) continues bit for bit like the original", () => {
    const data = sample("lognormal", 30_000, 43);
    const original = createTDigest();
    for (let i = 0; i < 12_345; i++) addValue(original, data[i]);
    let restored = decodeTDigest(encodeTDigest(original));
    expect(restored.buffered).toBe(original.buffered);
    expect(restored.buffered).toBeGreaterThan(0);
    for (let i = 12_345; i < data.length; i++) {
      addValue(original, data[i]);
      addValue(restored, data[i]);
      if (i % 4_999 === 0) restored = decodeTDigest(encodeTDigest(restored));
    }
    flushTDigest(original);
    flushTDigest(restored);
    expect(Buffer.from(encodeTDigest(restored)).equals(Buffer.from(encodeTDigest(original)))).toBe(true);
    expect(Array.from(restored.means.subarray(0, restored.size))).toEqual(Array.from(original.means.subarray(0, original.size)));
  });

  it("stores nearly every compressed mean as a 3-byte short step", () => {
    const d = digestOf(sample("normal", 1_000_000, 44));
    flushTDigest(d);
    const bytes = encodeTDigest(d);
    // header 26 + varint size (2) + 2-bit tags + 8 (first mean) + 3 per mean + 8 (last) + weights (varints) + 1 (empty
    // buffer) + 1 (no atoms)
    let weightBytes = 0;
    for (let i = 0; i < d.size; i++) weightBytes += d.weights[i] < 128 ? 1 : d.weights[i] < 16_384 ? 2 : 3;
    const meansBytes = bytes.length - 26 - 2 - Math.ceil((d.size - 1) / 4) - weightBytes - 2;
    expect(meansBytes).toBeLessThanOrEqual(8 + 3 * (d.size - 2) + 8);
    expect(bytes.length).toBeLessThanOrEqual(2048);
  });

  it("rejects truncated, garbage and unknown-version input with SketchDecodeError and context", () => {
    const good = encodeTDigest(digestOf(sample("normal", 10_000, 51)));
    const truncated = good.subarray(0, good.length - 3);
    expect(() => decodeTDigest(truncated)).toThrow(SketchDecodeError);
    try {
      decodeTDigest(truncated);
    } catch (e) {
      expect(e).toBeInstanceOf(SketchDecodeError);
      expect((e as SketchDecodeError).context).toEqual({ kind: "tdigest", version: TDIGEST_FORMAT_VERSION, byteLength: truncated.length });
    }
    const unknown = good.slice();
    unknown[0] = 9;
    expect(() => decodeTDigest(unknown)).toThrow(/unknown format version 9/);
    try {
      decodeTDigest(unknown);
    } catch (e) {
      expect((e as SketchDecodeError).context.version).toBe(9);
    }
    expect(() => decodeTDigest(new Uint8Array(0))).toThrow(SketchDecodeError);
    const rand = seededRandom(52);
    for (let t = 0; t < 200; t++) {
      const garbage = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      garbage[0] = 3 + (t % 2);
      expect(() => decodeTDigest(garbage)).toThrow(SketchDecodeError);
    }
    expect(() => decodeTDigest(Uint8Array.from([...good, 0]))).toThrow(/trailing/);
  });
});

describe("t-digest throughput", () => {
  it("ingests a value in < 400 ns on a noisy CI machine (the bench reports the real number)", () => {
    const data = sample("normal", 1 << 19, 61);
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const d = createTDigest();
      const t0 = performance.now();
      for (let i = 0; i < data.length; i++) addValue(d, data[i]);
      flushTDigest(d);
      best = Math.min(best, ((performance.now() - t0) * 1e6) / data.length);
    }
    expect(best).toBeLessThan(400);
  });
});

describe("one CDF model behind every query", () => {
  it("quantileAt is the smallest x with cdfAt(x) ≥ q (F(Q(q)) ≥ q ≥ F(Q(q)−)), compressed and exact", () => {
    let seed = 5;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const approx = createTDigest(100);
    for (let i = 0; i < 50_000; i++) addValue(approx, Math.exp(rand() * 3) * (rand() < 0.5 ? -1 : 1));
    const exact = createTDigest(100);
    for (let i = 0; i < 5_000; i++) addValue(exact, Math.floor(rand() * 40));
    for (const d of [approx, exact]) {
      const model = cdfModelOf(d);
      for (let k = 1; k < 1000; k++) {
        const q = k / 1000;
        const x = modelQuantile(model, q);
        expect(quantileAt(d, q)).toBe(x);
        expect(modelCdf(model, x)).toBeGreaterThanOrEqual(q - 1e-12);
        expect(modelCdfBelow(model, x)).toBeLessThanOrEqual(q + 1e-12);
        expect(cdfAt(d, x)).toBe(modelCdf(model, x));
      }
    }
  });
});
