// Space-Saving heavy hitters (src/sketch/heavy-hitters.ts) against exact counts of seeded streams: the
// guarantees of Metwally et al. (every value more frequent than n / capacity kept; count − error ≤ true ≤
// count), a top k equal to the exact one on a skewed stream, and determinism under a persist/restore.
import { describe, expect, it } from "vitest";
import { addHeavyHitter, createHeavyHitters, topHeavyHitters, type HeavyHitters } from "../../../src/sketch/heavy-hitters.ts";
import { seededRandom } from "../../support/random.ts";

/** Zipf(1.1) over 500 values, seeded: a few frequent values, a long tail of rare ones, in random order. */
function zipfStream(seed: number, n: number): string[] {
  const r = seededRandom(seed);
  const weights = Array.from({ length: 500 }, (_, i) => 1 / Math.pow(i + 1, 1.1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  return Array.from({ length: n }, () => {
    const u = r.uniform();
    let i = 0;
    while (i < cdf.length - 1 && cdf[i] < u) i++;
    return `v${i}`;
  });
}

function exactCounts(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe("Space-Saving heavy hitters", () => {
  const values = zipfStream(3, 20_000);
  const exact = exactCounts(values);
  const h = createHeavyHitters(40);
  for (const v of values) addHeavyHitter(h, v);

  it("keeps at most capacity counters and counts every value", () => {
    expect(h.entries).toHaveLength(40);
    expect(h.total).toBe(values.length);
    expect(h.entries.reduce((n, e) => n + e.count, 0)).toBe(values.length);
  });

  it("keeps every value more frequent than n / capacity, each count within its error of the true count", () => {
    const kept = new Map(h.entries.map((e) => [e.value, e]));
    for (const [value, n] of exact) if (n > values.length / 40) expect(kept.has(value), value).toBe(true);
    for (const e of h.entries) {
      const truth = exact.get(e.value) ?? 0;
      expect(e.count).toBeGreaterThanOrEqual(truth);
      expect(e.count - e.error).toBeLessThanOrEqual(truth);
      expect(e.error).toBeLessThanOrEqual(values.length / 40);
    }
  });

  it("its top 10 is the exact top 10 of a skewed stream, most frequent first (first-seen order would not be)", () => {
    const exactTop = [...exact].sort(([a, n], [b, m]) => m - n || (a < b ? -1 : 1)).slice(0, 10);
    expect(topHeavyHitters(h, 10).map((e) => e.value)).toEqual(exactTop.map(([v]) => v));
    const firstSeen = [...new Set(values)].slice(0, 10);
    expect(firstSeen).not.toEqual(exactTop.map(([v]) => v));
  });

  it("is deterministic: a JSON round trip every 997 values gives the same entries as an uninterrupted run", () => {
    let restored: HeavyHitters = createHeavyHitters(40);
    values.forEach((v, i) => {
      addHeavyHitter(restored, v);
      if (i % 997 === 0) restored = JSON.parse(JSON.stringify(restored)) as HeavyHitters;
    });
    expect(JSON.stringify(restored)).toBe(JSON.stringify(h));
  });

  it("breaks ties by the smallest count, then the smallest value", () => {
    const t = createHeavyHitters(2);
    for (const v of ["b", "a", "c"]) addHeavyHitter(t, v);
    // a and b both at 1: a (smaller) is replaced by c, which starts at 2 with error 1
    expect(t.entries).toEqual([
      { value: "b", count: 1, error: 0 },
      { value: "c", count: 2, error: 1 },
    ]);
    expect(topHeavyHitters(t, 1)).toEqual([{ value: "c", count: 2, error: 1 }]);
  });
});
