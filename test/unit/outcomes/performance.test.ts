import { describe, expect, it } from "vitest";
import {
  addJoinedOutcome,
  confidenceBin,
  createPerformanceAccumulator,
  mergePerformanceAccumulators,
  summarizePerformance,
} from "../../../src/outcomes/performance.ts";
import type { JoinedOutcome } from "../../../src/outcomes/join.ts";
import { seededRandom } from "../../support/random.ts";

function joined(partial: Partial<JoinedOutcome>): JoinedOutcome {
  return {
    modelVersion: "v1",
    windowId: "w",
    timestamp: 0,
    predictedClass: null,
    prediction: null,
    confidence: null,
    eventId: "e",
    outcomeTime: 0,
    outcomeOffset: "0",
    actual: null,
    actualClass: null,
    labelDelayMs: 0,
    ...partial,
  };
}

describe("performance accumulator", () => {
  it("computes accuracy, error rate, per-class recall and ECE as the direct formulas over the raw pairs", () => {
    const rnd = seededRandom(11);
    const classes = ["cat", "dog", "fox"];
    const pairs: { p: string; a: string; c: number }[] = [];
    const acc = createPerformanceAccumulator(10);
    for (let i = 0; i < 2000; i++) {
      const a = classes[rnd.int(3)];
      const c = 0.34 + 0.66 * rnd.uniform();
      const p = rnd.uniform() < c ? a : classes[(classes.indexOf(a) + 1 + rnd.int(2)) % 3];
      pairs.push({ p, a, c });
      addJoinedOutcome(acc, joined({ predictedClass: p, actualClass: a, confidence: c, outcomeTime: i, labelDelayMs: i * 10 }), 50);
    }
    const s = summarizePerformance(acc);
    const correct = pairs.filter((x) => x.p === x.a).length;
    expect(s.accuracy).toBeCloseTo(correct / 2000, 12);
    expect(s.errorRate).toBeCloseTo(1 - correct / 2000, 12);
    for (const k of classes) {
      const of = pairs.filter((x) => x.a === k);
      expect(s.recall[k]).toBeCloseTo(of.filter((x) => x.p === k).length / of.length, 12);
    }
    // ECE with 10 bins (b/10, (b+1)/10]: Σ_b |Σ correct − Σ confidence| / N
    let ece = 0;
    for (let b = 0; b < 10; b++) {
      const inBin = pairs.filter((x) => x.c > b / 10 && x.c <= (b + 1) / 10);
      ece += Math.abs(inBin.filter((x) => x.p === x.a).length - inBin.reduce((t, x) => t + x.c, 0));
    }
    expect(s.ece).toBeCloseTo(ece / 2000, 12);
    // label delays 0, 10, …, 19 990 ms: the t-digest quantiles are within one step of the exact ones
    expect(s.labelDelayMs?.p50).toBeGreaterThanOrEqual(9_980);
    expect(s.labelDelayMs?.p50).toBeLessThanOrEqual(10_010);
    expect(s.labelDelayMs?.p99).toBeGreaterThanOrEqual(19_770);
    expect(s.labelDelayMs?.p99).toBeLessThanOrEqual(19_830);
  });

  it("computes MAE and RMSE of regressor pairs as the direct formulas", () => {
    const predictions = [1.5, 2, -3, 10, 0.25];
    const actuals = [1, 4, -2, 7, 0];
    const acc = createPerformanceAccumulator(10);
    predictions.forEach((p, i) => addJoinedOutcome(acc, joined({ prediction: p, actual: actuals[i] }), 50));
    const s = summarizePerformance(acc);
    // |e| = 0.5, 2, 1, 3, 0.25 → MAE 6.75 / 5; e² = 0.25, 4, 1, 9, 0.0625 → RMSE √(14.3125 / 5)
    expect(s.mae).toBeCloseTo(1.35, 12);
    expect(s.rmse).toBeCloseTo(Math.sqrt(14.3125 / 5), 12);
    expect(s.accuracy).toBeUndefined();
  });

  it("places a confidence on a bin edge in the lower bin, as a CDF read at the edges does", () => {
    expect(confidenceBin(0, 10)).toBe(0);
    expect(confidenceBin(0.1, 10)).toBe(0);
    expect(confidenceBin(0.3, 10)).toBe(2);
    expect(confidenceBin(0.30000001, 10)).toBe(3);
    expect(confidenceBin(1, 10)).toBe(9);
  });

  it("merges accumulators into the same totals as one accumulator over all outcomes", () => {
    const rnd = seededRandom(5);
    const all = createPerformanceAccumulator(10);
    const parts = [createPerformanceAccumulator(10), createPerformanceAccumulator(10), createPerformanceAccumulator(10)];
    for (let i = 0; i < 900; i++) {
      const o = joined({
        predictedClass: rnd.uniform() < 0.5 ? "x" : "y",
        actualClass: rnd.uniform() < 0.5 ? "x" : "y",
        confidence: rnd.uniform(),
        prediction: rnd.normal(),
        actual: rnd.normal(),
        outcomeTime: 1000 + i,
      });
      addJoinedOutcome(all, o, 50);
      addJoinedOutcome(parts[i % 3], o, 50);
    }
    const merged = summarizePerformance(mergePerformanceAccumulators(parts, 10, 50));
    const direct = summarizePerformance(all);
    expect(merged.accuracy).toBeCloseTo(direct.accuracy ?? NaN, 12);
    expect(merged.mae).toBeCloseTo(direct.mae ?? NaN, 12);
    expect(merged.ece).toBeCloseTo(direct.ece ?? NaN, 12);
    expect(merged.recall).toEqual(direct.recall);
    expect(mergePerformanceAccumulators(parts, 10, 50).start).toBe(1000);
  });

  it("bounds the classes tracked for recall, folding the rest into __other__", () => {
    const acc = createPerformanceAccumulator(10);
    for (const k of ["a", "b", "c", "d"]) addJoinedOutcome(acc, joined({ predictedClass: k, actualClass: k }), 2);
    expect([...acc.classes.keys()]).toEqual(["a", "b", "__other__"]);
    expect(acc.classes.get("__other__")).toEqual({ support: 2, hits: 2 });
  });
});
