// Performance metrics (issue 11): what a closed performance window, a prediction window's label-free estimate
// and the join's counters export.
import { describe, expect, it } from "vitest";
import { createDetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import type { PerformanceReference } from "../../../src/outcomes/performance-signal.ts";
import type { PerformanceWindowClosed } from "../../../src/outcomes/tracker.ts";
import type { Status } from "../../../src/events/types.ts";
import type { WindowClosed } from "../../../src/detect/engine.ts";
import { createNumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import { parseExposition, seriesId, seriesOf } from "./exposition.ts";

const v1 = { model: "clf", version: "v1" };

function performanceWindow(status: Status, accuracy: number): PerformanceWindowClosed {
  return {
    kind: "performance",
    modelId: "clf",
    modelVersion: "v1",
    windowId: "clf/v1/performance/7",
    start: 0,
    end: 1000,
    predictionWindows: ["clf@v1/p0/w3"],
    firstEventId: "a",
    lastEventId: "b",
    firstOffset: "10",
    lastOffset: "1009",
    summary: {
      outcomes: 1000,
      classified: 1000,
      regressed: 0,
      accuracy,
      errorRate: 1 - accuracy,
      ece: 0.04,
      recall: { neg: 0.8, pos: 0.7 },
      labelDelayMs: { p50: 600_000, p90: 900_000, p99: 1_200_000 },
    },
    evaluation: null,
    status,
    previousStatus: "ok",
    reference: {
      summary: { accuracy: 0.9, recall: {}, outcomes: 5000, classified: 5000, regressed: 0, labelDelayMs: null },
    } as PerformanceReference,
  };
}

function predictionWindow(status: Status, estimatedAccuracy?: number): WindowClosed {
  const signals = { numeric: new Map([["confidence", createNumericSketch()]]), categorical: new Map(), typeMismatches: new Map() };
  const window = {
    id: "clf@v1/p0/w3",
    seq: 3,
    start: 0,
    end: 1000,
    count: 1000,
    partition: 0,
    firstOffset: "0",
    lastOffset: "999",
    firstEventId: "a",
    lastEventId: "b",
    late: 0,
    signals,
  };
  const out: WindowClosed = {
    kind: "window",
    modelId: "clf",
    modelVersion: "v1",
    window,
    evaluation: null,
    status,
    previousStatus: "ok",
    reference: null,
    featureValuesDropped: 0,
  };
  if (estimatedAccuracy !== undefined) out.estimatedAccuracy = estimatedAccuracy;
  return out;
}

describe("performance metrics", () => {
  it("a closed performance window exports its metrics, the reference's, the status, recall and label-delay quantiles", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onPerformanceWindowClosed(performanceWindow("critical", 0.75));
    const e = parseExposition(await m.registry.metrics());
    expect(e.get(seriesId("drift_performance", { ...v1, metric: "accuracy" }))).toBe(0.75);
    expect(e.get(seriesId("drift_performance", { ...v1, metric: "error_rate" }))).toBe(0.25);
    expect(e.get(seriesId("drift_performance", { ...v1, metric: "ece" }))).toBe(0.04);
    expect(e.get(seriesId("drift_performance_reference", { ...v1, metric: "accuracy" }))).toBe(0.9);
    expect(e.get(seriesId("drift_performance_status", v1))).toBe(2);
    expect(e.get(seriesId("drift_performance_class_recall", { ...v1, class: "pos" }))).toBe(0.7);
    expect(e.get(seriesId("drift_performance_window_outcomes", v1))).toBe(1000);
    expect(e.get(seriesId("drift_label_delay_seconds", { ...v1, quantile: "0.9" }))).toBe(900);
    // no regressor metrics for a classifier
    expect(e.has(seriesId("drift_performance", { ...v1, metric: "mae" }))).toBe(false);
  });

  it("drift_model_status is the worse of the drift status and the performance status", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    const status = async () => parseExposition(await m.registry.metrics()).get(seriesId("drift_model_status", v1));
    m.onWindowClosed(predictionWindow("warning"));
    expect(await status()).toBe(1);
    m.onPerformanceWindowClosed(performanceWindow("critical", 0.75));
    expect(await status()).toBe(2);
    // the next prediction window keeps the performance status in the model status
    m.onWindowClosed(predictionWindow("ok"));
    expect(await status()).toBe(2);
    m.onPerformanceWindowClosed(performanceWindow("ok", 0.9));
    expect(await status()).toBe(0);
  });

  it("a prediction window's label-free estimate is drift_estimated_performance{metric=accuracy}", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onWindowClosed(predictionWindow("ok", 0.83));
    const e = parseExposition(await m.registry.metrics());
    expect(e.get(seriesId("drift_estimated_performance", { ...v1, metric: "accuracy" }))).toBe(0.83);
    m.onWindowClosed(predictionWindow("ok"));
    const after = parseExposition(await m.registry.metrics());
    expect(seriesOf(after, "drift_estimated_performance").size).toBe(0);
  });

  it("join counters start at 0 per model and grow by what each committed chunk moved the join's counters by", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onJoinCounted("clf", {}, { predictions: 40, outcomes: 2 }); // at load: nothing counted yet
    let e = parseExposition(await m.registry.metrics());
    for (const result of ["matched", "expired", "early", "unknown", "duplicate", "too_late", "unconfirmed_jump"])
      expect(e.get(seriesId("drift_outcome_joins_total", { model: "clf", result }))).toBe(0);
    expect(e.get(seriesId("drift_outcome_join_waiting", { model: "clf", side: "prediction" }))).toBe(40);
    m.onJoinCounted("clf", { matched: 500, expired: 3 }, { predictions: 30, outcomes: 1 });
    m.onJoinCounted("clf", { matched: 120, duplicateOutcomes: 4, tooLate: 1, predictions: 99 }, { predictions: 10, outcomes: 0 });
    e = parseExposition(await m.registry.metrics());
    expect(e.get(seriesId("drift_outcome_joins_total", { model: "clf", result: "matched" }))).toBe(620);
    expect(e.get(seriesId("drift_outcome_joins_total", { model: "clf", result: "duplicate" }))).toBe(4);
    expect(e.get(seriesId("drift_outcome_joins_total", { model: "clf", result: "too_late" }))).toBe(1);
    expect(e.get(seriesId("drift_outcome_joins_total", { model: "clf", result: "expired" }))).toBe(3);
    expect(e.get(seriesId("drift_outcome_join_waiting", { model: "clf", side: "outcome" }))).toBe(0);
    m.removeModel("clf");
    e = parseExposition(await m.registry.metrics());
    expect(seriesOf(e, "drift_outcome_joins_total").size).toBe(0);
    expect(seriesOf(e, "drift_outcome_join_waiting").size).toBe(0);
  });
});
