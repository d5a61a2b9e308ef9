import { describe, expect, it } from "vitest";
import { modelSettingsSchema } from "../../../src/config/schema.ts";
import { modelSettingsFrom } from "../../../src/config/model-settings.ts";
import type { ModelSettings } from "../../../src/detect/settings.ts";
import {
  accuracyDropPValue,
  evaluatePerformance,
  maeRisePValue,
  performanceReferenceFrom,
} from "../../../src/outcomes/performance-signal.ts";
import { addJoinedOutcome, createPerformanceAccumulator, type PerformanceAccumulator } from "../../../src/outcomes/performance.ts";
import { createModelOutcomeState, trackOutcome, trackPrediction, type PerformanceWindowClosed } from "../../../src/outcomes/tracker.ts";
import { seededRandom, type Random } from "../../support/random.ts";

const defaults: ModelSettings = modelSettingsFrom(modelSettingsSchema.parse({}));

function withPerformance(p: Partial<ModelSettings["performance"]>): ModelSettings {
  return { ...defaults, performance: { ...defaults.performance, ...p } };
}

function classifierWindow(rnd: Random, n: number, accuracy: number): PerformanceAccumulator {
  const acc = createPerformanceAccumulator(10);
  for (let i = 0; i < n; i++) {
    const hit = rnd.uniform() < accuracy;
    addJoinedOutcome(acc, outcome({ predictedClass: "a", actualClass: hit ? "a" : "b", outcomeTime: i }), 50);
  }
  return acc;
}

function outcome(p: { predictedClass?: string; actualClass?: string; prediction?: number; actual?: number; outcomeTime: number }) {
  return {
    modelVersion: "v1",
    windowId: "w",
    timestamp: p.outcomeTime,
    predictedClass: p.predictedClass ?? null,
    prediction: p.prediction ?? null,
    confidence: null,
    eventId: "e",
    outcomeTime: p.outcomeTime,
    outcomeOffset: "0",
    actual: p.actual ?? null,
    actualClass: p.actualClass ?? null,
    labelDelayMs: 0,
  };
}

describe("performance tests", () => {
  // expected values: Python math.erfc over the same formulas (pooled z, one-sided upper tail)
  it("gives the one-sided pooled two-proportion p-value of an accuracy drop", () => {
    expect(accuracyDropPValue(750, 1000, 4500, 5000) / 1.803556269292741e-39).toBeCloseTo(1, 5);
    expect(accuracyDropPValue(880, 1000, 4500, 5000)).toBeCloseTo(0.028932331136492774, 6);
    // variance inflated ×2 by the reference's dispersion
    expect(accuracyDropPValue(880, 1000, 4500, 5000, 2)).toBeCloseTo(0.08993022016128391, 6);
    // a rise is no evidence of a drop
    expect(accuracyDropPValue(950, 1000, 4500, 5000)).toBeGreaterThan(0.5);
  });

  it("gives the one-sided Welch p-value of a rise of the mean absolute error", () => {
    const stats = (errors: number[]) => ({
      regressed: errors.length,
      absoluteErrorSum: errors.reduce((t, e) => t + Math.abs(e), 0),
      squaredErrorSum: errors.reduce((t, e) => t + e * e, 0),
    });
    const p = maeRisePValue(stats([1, -2, 3.5, 0.5, -4]), stats([1, 1.5, -0.5, 2, 1, 0.5]));
    expect(p).toBeCloseTo(0.04233805917430035, 6);
  });
});

describe("performance signal", () => {
  const rnd = seededRandom(42);
  const referenceWindows = Array.from({ length: 5 }, () => classifierWindow(rnd, 1000, 0.9));
  const reference = performanceReferenceFrom("ref", referenceWindows, 10, 50);

  it("is critical for an accuracy drop from 0.90 to 0.75, naming the metric and the reference value", () => {
    const window = classifierWindow(rnd, 1000, 0.75);
    const e = evaluatePerformance(window, reference, defaults.performance, 0.001);
    expect(e?.status).toBe("critical");
    expect(e?.signal).toBe("performance");
    expect(e?.threshold).toEqual({ statistic: "accuracyDrop", value: 0.05 });
    expect(e?.statistics.accuracy).toBeCloseTo(window.correct / 1000, 12);
    expect(e?.statistics.referenceAccuracy).toBeCloseTo(reference.total.correct / 5000, 12);
    expect(e?.statistics.accuracyPValue).toBeLessThan(1e-20);
  });

  it("is a warning for a significant drop between the warning and the critical floor", () => {
    const window = createPerformanceAccumulator(10);
    const refAccuracy = reference.total.correct / reference.total.classified;
    const correct = Math.round((refAccuracy - 0.035) * 5000);
    for (let i = 0; i < 5000; i++)
      addJoinedOutcome(window, outcome({ predictedClass: "a", actualClass: i < correct ? "a" : "b", outcomeTime: i }), 50);
    expect(evaluatePerformance(window, reference, defaults.performance, 0.001)?.status).toBe("warning");
  });

  it("is ok for a significant drop below the material floor", () => {
    const window = createPerformanceAccumulator(10);
    const refAccuracy = reference.total.correct / reference.total.classified;
    const n = 200_000;
    const correct = Math.round((refAccuracy - 0.015) * n);
    for (let i = 0; i < n; i++)
      addJoinedOutcome(window, outcome({ predictedClass: "a", actualClass: i < correct ? "a" : "b", outcomeTime: i }), 50);
    const e = evaluatePerformance(window, reference, defaults.performance, 0.001);
    expect(e?.statistics.accuracyPValue).toBeLessThan(0.001);
    expect(e?.status).toBe("ok");
  });

  it("raises no false alarm over 300 stationary windows at 0.90 accuracy", () => {
    const r = seededRandom(7);
    let alarms = 0;
    for (let i = 0; i < 300; i++)
      if (evaluatePerformance(classifierWindow(r, 1000, 0.9), reference, defaults.performance, 0.001)?.status !== "ok") alarms++;
    expect(alarms).toBe(0);
  });

  it("applies minAccuracy without a reference", () => {
    const window = classifierWindow(rnd, 1000, 0.75);
    const e = evaluatePerformance(window, null, withPerformance({ minAccuracy: 0.8 }).performance, 0.001);
    expect(e?.status).toBe("critical");
    expect(e?.threshold).toEqual({ statistic: "minAccuracy", value: 0.8 });
  });

  it("inflates the test by the reference's window-to-window dispersion of accuracy", () => {
    // reference windows alternating 0.85 / 0.95 exactly: far more spread than binomial noise at n = 1000
    const windows = [0.85, 0.95, 0.85, 0.95, 0.85].map((a) => {
      const w = createPerformanceAccumulator(10);
      for (let i = 0; i < 1000; i++)
        addJoinedOutcome(w, outcome({ predictedClass: "a", actualClass: i < a * 1000 ? "a" : "b", outcomeTime: i }), 50);
      return w;
    });
    const dispersed = performanceReferenceFrom("ref", windows, 10, 50);
    // mean 0.89, between-window variance of the accuracies over p(1−p)/n: Σ(x−x̄)²·n/(p(1−p))/(k−1)
    const mean = 0.89;
    const expected = ((3 * (0.85 - mean) ** 2 + 2 * (0.95 - mean) ** 2) * 1000) / (mean * (1 - mean)) / 4;
    expect(dispersed.accuracyDispersion).toBeCloseTo(expected, 9);
    // a window at 0.85 is a material, binomially "significant" drop but within the reference's own variation
    const w = windows[0];
    const e = evaluatePerformance(w, dispersed, defaults.performance, 0.001);
    expect(accuracyDropPValue(w.correct, w.classified, dispersed.total.correct, dispersed.total.classified)).toBeLessThan(0.001);
    expect(e?.status).toBe("ok");
  });

  it("is critical for a regressor whose MAE rises by half, and applies maxMae", () => {
    const r = seededRandom(3);
    const regressorWindow = (sd: number) => {
      const w = createPerformanceAccumulator(10);
      for (let i = 0; i < 1000; i++) addJoinedOutcome(w, outcome({ prediction: r.normal(0, sd), actual: 0, outcomeTime: i }), 50);
      return w;
    };
    const ref = performanceReferenceFrom(
      "ref",
      [1, 2, 3, 4, 5].map(() => regressorWindow(1)),
      10,
      50,
    );
    const e = evaluatePerformance(regressorWindow(1.5), ref, defaults.performance, 0.001);
    expect(e?.status).toBe("critical");
    expect(e?.threshold.statistic).toBe("maeRise");
    expect(e?.statistics.maeRise).toBeGreaterThan(0.4);
    expect(evaluatePerformance(regressorWindow(1), ref, defaults.performance, 0.001)?.status).toBe("ok");
    // N(0, 1) errors: MAE ≈ √(2/π) ≈ 0.80 > maxMae 0.7
    const capped = evaluatePerformance(regressorWindow(1), null, withPerformance({ maxMae: 0.7 }).performance, 0.001);
    expect(capped?.status).toBe("critical");
    expect(capped?.threshold).toEqual({ statistic: "maxMae", value: 0.7 });
  });
});

describe("performance tracker (join → windows → signal with hysteresis)", () => {
  it("raises the performance status to critical after two windows of pure concept drift from 0.90 to 0.75", () => {
    const settings = withPerformance({ maxOutcomes: 1000 });
    const limits = { maxVersionsPerModel: 5, maxCategories: 50 };
    const state = createModelOutcomeState("clf");
    const rnd = seededRandom(99);
    const closed: PerformanceWindowClosed[] = [];
    let t = 1_000_000;
    for (let i = 0; i < 9000; i++) {
      t += 1000;
      const accuracy = i < 7000 ? 0.9 : 0.75; // 5 reference windows, 2 ok windows, then 2 drifted windows
      const id = `e${i}`;
      const actualClass = rnd.uniform() < 0.5 ? "x" : "y";
      const predictedClass = rnd.uniform() < accuracy ? actualClass : actualClass === "x" ? "y" : "x";
      closed.push(
        ...trackPrediction(
          state,
          id,
          { modelVersion: "v1", windowId: `w${Math.floor(i / 1000)}`, timestamp: t, predictedClass, prediction: null, confidence: 0.9 },
          settings,
          limits,
        ),
      );
      closed.push(
        ...trackOutcome(state, { eventId: id, timestamp: t + 60_000, offset: String(i), actual: null, actualClass }, settings, limits),
      );
    }
    expect(closed.map((c) => c.windowId)).toEqual(Array.from({ length: 9 }, (_, i) => `clf/v1/performance/${i}`));
    expect(closed.slice(0, 5).every((c) => c.reference === null)).toBe(true);
    expect(closed.map((c) => c.evaluation?.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok", "ok", "critical", "critical"]);
    expect(closed.map((c) => c.status)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "critical"]);
    expect(closed[8].predictionWindows).toEqual(["w8"]);
    expect(closed[8].summary.labelDelayMs?.p50).toBe(60_000);
    expect(state.join.counters).toMatchObject({ predictions: 9000, matched: 9000, expired: 0 });
  });
});
