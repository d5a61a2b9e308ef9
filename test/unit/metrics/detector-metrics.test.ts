import { describe, expect, it } from "vitest";
import type { WindowClosed } from "../../../src/detect/engine.ts";
import type { SignalEvaluation } from "../../../src/detect/evaluate.ts";
import type { Baseline } from "../../../src/baseline/baseline.ts";
import type { NumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import type { CategoryCounts } from "../../../src/sketch/categories.ts";
import type { Moments } from "../../../src/sketch/moments.ts";
import { addValue, createTDigest } from "../../../src/sketch/tdigest.ts";
import { createDetectorMetrics, type DetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import { windowGauges } from "../../../src/metrics/window-gauges.ts";
import { parseExposition, seriesId, seriesOf, type Exposition } from "./exposition.ts";

// Fixtures are built from runs of repeated values, so every quantile falls strictly inside one run and the
// expected values follow from counting, independently of the t-digest's interpolation.
function numeric(runs: Array<[value: number, times: number]>, missing = 0): NumericSketch {
  const digest = createTDigest();
  let count = 0;
  let sum = 0;
  for (const [value, times] of runs) {
    for (let i = 0; i < times; i++) addValue(digest, value);
    count += times;
    sum += value * times;
  }
  const mean = count > 0 ? sum / count : 0;
  let m2 = 0;
  for (const [value, times] of runs) m2 += times * (value - mean) ** 2;
  const values = runs.map(([v]) => v);
  const moments: Moments = { count, mean, m2, min: Math.min(...values), max: Math.max(...values), missing };
  return { digest, moments };
}

function categories(counts: Record<string, number>, missing = 0, other = 0): CategoryCounts {
  const map = new Map(Object.entries(counts));
  const total = [...map.values()].reduce((a, b) => a + b, 0) + other;
  return { maxCategories: 50, counts: map, other, overflowValues: other > 0 ? 1 : 0, total, missing };
}

const HOUR = 3_600_000;
const WINDOW_END = 1_763_769_600_000;
const NOW = 1_763_770_000_000;

function reference(end: number): Baseline {
  return {
    kind: "reference",
    id: "fraud-scorer@v1/reference/w0-w4",
    count: 5000,
    start: end - HOUR,
    end,
    source: "warmup",
    signals: { numeric: new Map(), categorical: new Map(), typeMismatches: new Map() },
  };
}

const amountResult: SignalEvaluation = {
  signal: "feature:amount",
  kind: "numeric",
  status: "critical",
  statistics: {
    psi: 0.31,
    ks: 0.21,
    ksPValue: 1e-9,
    wasserstein: 0.4,
    jsDistance: 0.2,
    hellinger: 0.15,
    meanShiftSigma: 0.9,
    meanSigmaScore: 0.5,
    missingShare: 0.1,
  },
  threshold: { statistic: "wasserstein", value: 0.2 },
  baseline: { kind: "reference", id: "m@v1/reference/w0-w4", count: 5000 },
  effect: 0.4,
};
const classResult: SignalEvaluation = {
  signal: "predictedClass",
  kind: "categorical",
  status: "warning",
  statistics: { lInf: 0.06, chiSquare: 12.5, chiSquarePValue: 0.0004, degreesOfFreedom: 1 },
  threshold: { statistic: "lInf", value: 0.05 },
  baseline: { kind: "rolling", id: "m@v1/rolling/w5-w28", count: 24000 },
  effect: 0.06,
};

function windowClosed(overrides: Partial<WindowClosed> = {}, signals?: Partial<WindowClosed["window"]["signals"]>): WindowClosed {
  const ref = reference(WINDOW_END - 2 * HOUR);
  return {
    kind: "window",
    modelId: "fraud-scorer",
    modelVersion: "v1",
    window: {
      id: "fraud-scorer@v1/p0/w7",
      seq: 7,
      start: WINDOW_END - 60_000,
      end: WINDOW_END,
      count: 1000,
      partition: 0,
      firstOffset: "7000",
      lastOffset: "7999",
      firstEventId: "e-7000",
      lastEventId: "e-7999",
      late: 0,
      signals: {
        numeric: new Map([
          // p50 in the 10 ms run (ranks 0–900), p95 in the 50 ms run (900–980), p99 in the 200 ms run (980–1000)
          [
            "latency",
            numeric([
              [10, 900],
              [50, 80],
              [200, 20],
            ]),
          ],
          // q05 in 0.2 (0–100), q25 in 0.6 (100–300), q50 in 0.9 (300–1000); mean = (20 + 120 + 630) / 1000
          [
            "confidence",
            numeric([
              [0.2, 100],
              [0.6, 200],
              [0.9, 700],
            ]),
          ],
          // q05 in 1, q25 and q50 in 2, q75 and q95 in 3 (runs 0–200, 200–600, 600–1000)
          [
            "prediction",
            numeric([
              [1, 200],
              [2, 400],
              [3, 400],
            ]),
          ],
          ["feature:amount", numeric([[120.5, 900]], 100)],
        ]),
        categorical: new Map([
          ["predictedClass", categories({ fraud: 250, legit: 750 })],
          ["feature:country", categories({ NL: 500, DE: 250 }, 250)],
        ]),
        typeMismatches: new Map(),
        ...signals,
      },
    },
    evaluation: {
      level: "critical",
      signals: [amountResult, classResult],
      drivingBaseline: ref,
      tests: 3,
      alphaPerTest: 0.001 / 3,
      dataQuality: "warning",
    },
    status: "critical",
    previousStatus: "warning",
    reference: ref,
    featureValuesDropped: 0,
    ...overrides,
  };
}

async function scrape(m: DetectorMetrics): Promise<Exposition> {
  return parseExposition(await m.registry.metrics());
}

const v1 = { model: "fraud-scorer", version: "v1" };

describe("onWindowClosed", () => {
  it("exports statuses, statistics, quantiles, shares, missing ratios, window size and baseline age of the window", async () => {
    const m = createDetectorMetrics({ now: () => NOW, defaultMetrics: false });
    m.onWindowClosed(windowClosed());
    const e = await scrape(m);

    expect(e.get(seriesId("drift_model_status", v1))).toBe(2);
    expect(e.get(seriesId("drift_signal_status", { ...v1, signal: "feature:amount" }))).toBe(2);
    expect(e.get(seriesId("drift_signal_status", { ...v1, signal: "predictedClass" }))).toBe(1);

    const stat = (signal: string, statistic: string) => e.get(seriesId("drift_signal_statistic", { ...v1, signal, statistic }));
    expect(stat("feature:amount", "psi")).toBe(0.31);
    expect(stat("feature:amount", "ks")).toBe(0.21);
    expect(stat("feature:amount", "ks_p_value")).toBe(1e-9);
    expect(stat("feature:amount", "wasserstein")).toBe(0.4);
    expect(stat("feature:amount", "js_distance")).toBe(0.2);
    expect(stat("feature:amount", "hellinger")).toBe(0.15);
    expect(stat("feature:amount", "mean_shift_sigma")).toBe(0.9);
    expect(stat("predictedClass", "l_inf")).toBe(0.06);
    expect(stat("predictedClass", "chi_square")).toBe(12.5);
    expect(stat("predictedClass", "chi_square_p_value")).toBe(0.0004);
    // keys outside the exported set (here degreesOfFreedom) never become label values
    expect([...seriesOf(e, "drift_signal_statistic").keys()].filter((k) => k.includes("degrees"))).toEqual([]);
    expect(seriesOf(e, "drift_signal_statistic").size).toBe(9 + 3);

    const q = (name: string, quantile: string) => e.get(seriesId(name, { ...v1, quantile }));
    expect(q("drift_latency_seconds", "0.5")).toBeCloseTo(0.01, 12);
    expect(q("drift_latency_seconds", "0.95")).toBeCloseTo(0.05, 12);
    expect(q("drift_latency_seconds", "0.99")).toBeCloseTo(0.2, 12);
    expect(q("drift_confidence_quantile", "0.05")).toBeCloseTo(0.2, 12);
    expect(q("drift_confidence_quantile", "0.25")).toBeCloseTo(0.6, 12);
    expect(q("drift_confidence_quantile", "0.5")).toBeCloseTo(0.9, 12);
    expect(e.get(seriesId("drift_confidence_mean", v1))).toBeCloseTo(0.77, 12);
    expect(q("drift_prediction_quantile", "0.05")).toBeCloseTo(1, 12);
    expect(q("drift_prediction_quantile", "0.25")).toBeCloseTo(2, 12);
    expect(q("drift_prediction_quantile", "0.5")).toBeCloseTo(2, 12);
    expect(q("drift_prediction_quantile", "0.75")).toBeCloseTo(3, 12);
    expect(q("drift_prediction_quantile", "0.95")).toBeCloseTo(3, 12);

    expect(e.get(seriesId("drift_prediction_class_share", { ...v1, class: "fraud" }))).toBe(0.25);
    expect(e.get(seriesId("drift_prediction_class_share", { ...v1, class: "legit" }))).toBe(0.75);
    expect(e.get(seriesId("drift_feature_missing_ratio", { ...v1, feature: "amount" }))).toBe(0.1);
    expect(e.get(seriesId("drift_feature_missing_ratio", { ...v1, feature: "country" }))).toBe(0.25);

    expect(e.get(seriesId("drift_window_events", v1))).toBe(1000);
    expect(e.get(seriesId("drift_window_close_timestamp_seconds", v1))).toBe(NOW / 1000);
    expect(e.get(seriesId("drift_window_end_timestamp_seconds", v1))).toBe(WINDOW_END / 1000);
    expect(e.get(seriesId("drift_baseline_age_seconds", v1))).toBe(7200);
    expect(e.get(seriesId("drift_baseline_events", v1))).toBe(5000);
  });

  it("folded categories appear as the __other__ class share", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onWindowClosed(windowClosed({}, { categorical: new Map([["predictedClass", categories({ a: 600, b: 300 }, 0, 100)]]) }));
    const e = await scrape(m);
    expect(e.get(seriesId("drift_prediction_class_share", { ...v1, class: "__other__" }))).toBeCloseTo(0.1, 12);
    expect(e.get(seriesId("drift_prediction_class_share", { ...v1, class: "a" }))).toBeCloseTo(0.6, 12);
  });

  it("a warmup window (no evaluation, no reference) exports status ok and window size but no statistics or baseline age", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onWindowClosed(windowClosed({ evaluation: null, reference: null, status: "ok", previousStatus: "ok" }));
    const e = await scrape(m);
    expect(e.get(seriesId("drift_model_status", v1))).toBe(0);
    expect(e.get(seriesId("drift_window_events", v1))).toBe(1000);
    expect(seriesOf(e, "drift_signal_statistic").size).toBe(0);
    expect(seriesOf(e, "drift_signal_status").size).toBe(0);
    expect(seriesOf(e, "drift_baseline_age_seconds").size).toBe(0);
  });

  it("the next window replaces the version's per-window series: a signal or class it lacks disappears", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onWindowClosed(windowClosed());
    m.onWindowClosed(
      windowClosed(
        {
          status: "ok",
          evaluation: {
            level: "ok",
            signals: [{ ...amountResult, status: "ok" }],
            drivingBaseline: reference(0),
            tests: 1,
            alphaPerTest: 0.001,
            dataQuality: "ok",
          },
        },
        { categorical: new Map([["predictedClass", categories({ legit: 1000 })]]) },
      ),
    );
    const e = await scrape(m);
    expect(e.get(seriesId("drift_model_status", v1))).toBe(0);
    expect([...seriesOf(e, "drift_signal_status").entries()]).toEqual([
      [seriesId("drift_signal_status", { ...v1, signal: "feature:amount" }), 0],
    ]);
    expect(e.has(seriesId("drift_feature_missing_ratio", { ...v1, feature: "country" }))).toBe(false);
    expect(e.has(seriesId("drift_prediction_class_share", { ...v1, class: "fraud" }))).toBe(false);
    expect(e.get(seriesId("drift_prediction_class_share", { ...v1, class: "legit" }))).toBe(1);
    expect(seriesOf(e, "drift_signal_statistic").size).toBe(9);
  });

  it("versions of one model are exported side by side", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onWindowClosed(windowClosed());
    m.onWindowClosed(windowClosed({ modelVersion: "v2", status: "ok" }));
    const e = await scrape(m);
    expect(e.get(seriesId("drift_model_status", v1))).toBe(2);
    expect(e.get(seriesId("drift_model_status", { ...v1, version: "v2" }))).toBe(0);
  });
});

describe("data quality and the engine's cardinality drops", () => {
  it("exports the window's data-quality status and counts dropped feature values and folded categories", async () => {
    const m = createDetectorMetrics({ now: () => NOW, defaultMetrics: false });
    const folded = categories({ NL: 10 });
    folded.other = 7;
    // seq 7 is not the version's first window: its cumulative 5 is the starting point, not an increase
    m.onWindowClosed(windowClosed({ featureValuesDropped: 5 }, { categorical: new Map([["feature:country", folded]]) }));
    m.onWindowClosed(windowClosed({ featureValuesDropped: 9 }));
    const e = await scrape(m);
    expect(e.get(seriesId("drift_data_quality_status", v1))).toBe(1);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "feature" }))).toBe(4);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "category" }))).toBe(7);
  });
});

describe("cardinality guard", () => {
  it("exports at most maxModels models and counts the windows of further models as dropped", async () => {
    const m = createDetectorMetrics({ maxModels: 2, defaultMetrics: false });
    for (const id of ["a", "b", "c", "c"]) m.onWindowClosed(windowClosed({ modelId: id }));
    m.onLate("d", 5);
    const e = await scrape(m);
    const modelsSeen = new Set([...e.keys()].map((k) => /model="([^"]*)"/.exec(k)?.[1]).filter((x) => x !== undefined));
    expect([...modelsSeen].sort()).toEqual(["a", "b"]);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "model_series" }))).toBe(3);
  });

  it("exports at most maxSignalsPerModel signals per model, core signals first", async () => {
    const m = createDetectorMetrics({ maxSignalsPerModel: 5, defaultMetrics: false });
    // signals in the window: prediction, predictedClass, confidence, latency (core) + feature:amount, feature:country
    m.onWindowClosed(windowClosed());
    const e = await scrape(m);
    // features sort as feature:amount < feature:country: amount gets the fifth slot, country is dropped
    expect(e.has(seriesId("drift_feature_missing_ratio", { ...v1, feature: "amount" }))).toBe(true);
    expect(e.has(seriesId("drift_feature_missing_ratio", { ...v1, feature: "country" }))).toBe(false);
    expect(e.has(seriesId("drift_latency_seconds", { ...v1, quantile: "0.99" }))).toBe(true);
    expect(e.get(seriesId("drift_signal_status", { ...v1, signal: "predictedClass" }))).toBe(1);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "signal_series" }))).toBe(1);
  });

  it("keeps at most maxVersionsPerModel versions, removing the least recently updated one", async () => {
    const m = createDetectorMetrics({ maxVersionsPerModel: 2, defaultMetrics: false });
    m.onWindowClosed(windowClosed({ modelVersion: "v1" }));
    m.onWindowClosed(windowClosed({ modelVersion: "v2" }));
    m.onDriftEventEmitted("fraud-scorer", "v2", "critical");
    m.onWindowClosed(windowClosed({ modelVersion: "v1" }));
    m.onWindowClosed(windowClosed({ modelVersion: "v3" }));
    const e = await scrape(m);
    expect([...seriesOf(e, "drift_model_status").keys()].sort()).toEqual([
      seriesId("drift_model_status", { ...v1, version: "v1" }),
      seriesId("drift_model_status", { ...v1, version: "v3" }),
    ]);
    expect(seriesOf(e, "drift_drift_events_emitted_total").size).toBe(0);
  });

  it("free-text labels (reasons) collapse into 'other' beyond maxLabelValues", async () => {
    const m = createDetectorMetrics({ maxLabelValues: 2, defaultMetrics: false });
    m.onRejected("schema_violation", "ml.predictions", 3);
    m.onRejected("undecodable", "ml.predictions");
    m.onRejected("something-new", "ml.predictions", 2);
    const e = await scrape(m);
    expect(e.get(seriesId("drift_events_rejected_total", { reason: "schema_violation", topic: "ml.predictions" }))).toBe(3);
    expect(e.get(seriesId("drift_events_rejected_total", { reason: "undecodable", topic: "ml.predictions" }))).toBe(1);
    expect(e.get(seriesId("drift_events_rejected_total", { reason: "other", topic: "ml.predictions" }))).toBe(2);
  });
});

describe("counters and shell gauges", () => {
  it("count batched events, emitted outputs, errors, lag, partitions, batch durations and outbox size", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    m.onConsumed("ml.predictions", 0, 500);
    m.onConsumed("ml.predictions", 0, 250);
    m.onConsumed("ml.predictions", 1, 10);
    m.onConsumed("ml.predictions", 2, 0);
    m.onLate("fraud-scorer", 4);
    m.onDriftEventEmitted("fraud-scorer", "v1", "critical");
    m.onDriftEventEmitted("fraud-scorer", "v1", "critical");
    m.onRetrainRequestEmitted("fraud-scorer", "v1", "drift");
    m.onRetrainSuppressed("fraud-scorer");
    m.onRedisError("persist");
    m.onRedisError("persist");
    m.onKafkaError("commit");
    m.setPartitionsAssigned("ml.predictions", [0, 1, 2]);
    m.setConsumerLag("ml.predictions", 0, 42);
    m.setConsumerLag("ml.predictions", 2, 7);
    m.setPartitionStalled("ml.predictions", 1, 75.5);
    m.setPartitionStalled("ml.predictions", 2, 300);
    m.setPartitionsAssigned("ml.predictions", [0, 1]);
    m.observeBatch(0.003, 500);
    m.observeBatch(0.2, 250);
    m.setOutboxPending(3);
    m.onCardinalityDropped("feature", "fraud-scorer", 12);
    const e = await scrape(m);
    expect(e.get(seriesId("drift_events_consumed_total", { topic: "ml.predictions", partition: "0" }))).toBe(750);
    expect(e.get(seriesId("drift_events_consumed_total", { topic: "ml.predictions", partition: "1" }))).toBe(10);
    expect(e.has(seriesId("drift_events_consumed_total", { topic: "ml.predictions", partition: "2" }))).toBe(false);
    expect(e.get(seriesId("drift_events_late_total", { model: "fraud-scorer" }))).toBe(4);
    expect(e.get(seriesId("drift_drift_events_emitted_total", { ...v1, status: "critical" }))).toBe(2);
    expect(e.get(seriesId("drift_retrain_requests_emitted_total", { ...v1, reason: "drift" }))).toBe(1);
    expect(e.get(seriesId("drift_retrain_requests_suppressed_total", { model: "fraud-scorer" }))).toBe(1);
    expect(e.get(seriesId("drift_redis_errors_total", { operation: "persist" }))).toBe(2);
    expect(e.get(seriesId("drift_kafka_errors_total", { operation: "commit" }))).toBe(1);
    expect(e.get(seriesId("drift_partitions_assigned", { topic: "ml.predictions" }))).toBe(2);
    expect(e.get(seriesId("drift_consumer_lag_messages", { topic: "ml.predictions", partition: "0" }))).toBe(42);
    expect(e.has(seriesId("drift_consumer_lag_messages", { topic: "ml.predictions", partition: "2" }))).toBe(false);
    expect(e.get(seriesId("drift_partition_stalled_seconds", { topic: "ml.predictions", partition: "1" }))).toBe(75.5);
    // a revoked partition's stall is another replica's to report: a series left behind would alert for ever
    expect(e.has(seriesId("drift_partition_stalled_seconds", { topic: "ml.predictions", partition: "2" }))).toBe(false);
    expect(e.get(seriesId("drift_batch_duration_seconds_count"))).toBe(2);
    expect(e.get(seriesId("drift_batch_duration_seconds_sum"))).toBeCloseTo(0.203, 12);
    expect(e.get(seriesId("drift_batch_duration_seconds_bucket", { le: "0.005" }))).toBe(1);
    expect(e.get(seriesId("drift_batch_duration_seconds_bucket", { le: "0.25" }))).toBe(2);
    expect(e.get(seriesId("drift_batch_events_sum"))).toBe(750);
    expect(e.get(seriesId("drift_outbox_pending"))).toBe(3);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "feature" }))).toBe(12);
  });

  it("removeModel drops every series of the model and frees its slot", async () => {
    const m = createDetectorMetrics({ maxModels: 1, defaultMetrics: false });
    m.onWindowClosed(windowClosed());
    m.onLate("fraud-scorer", 1);
    m.onDriftEventEmitted("fraud-scorer", "v1", "critical");
    m.removeModel("fraud-scorer");
    let e = await scrape(m);
    expect([...e.keys()].filter((k) => k.includes('model="fraud-scorer"'))).toEqual([]);
    m.onWindowClosed(windowClosed({ modelId: "churn" }));
    e = await scrape(m);
    expect(e.get(seriesId("drift_model_status", { model: "churn", version: "v1" }))).toBe(2);
    expect(e.get(seriesId("drift_cardinality_dropped_total", { kind: "model_series" }))).toBe(0);
  });

  it("counters with label values known in advance start at 0, so rate() sees their first increment", async () => {
    const m = createDetectorMetrics({ defaultMetrics: false });
    let e = await scrape(m);
    for (const operation of ["loadPartition", "getReferenceBaseline", "outboxRelay"])
      expect(e.get(seriesId("drift_redis_errors_total", { operation }))).toBe(0);
    for (const operation of ["commitOffsets", "outboxRelay"]) expect(e.get(seriesId("drift_kafka_errors_total", { operation }))).toBe(0);
    for (const kind of ["model", "feature", "category", "model_series", "signal_series"])
      expect(e.get(seriesId("drift_cardinality_dropped_total", { kind }))).toBe(0);
    expect([...e.keys()].filter((k) => k.startsWith("drift_events_rejected_total"))).toEqual([]);
    // a consumed topic: every rejection reason at 0; a model seen: its late and suppressed counters at 0
    m.setPartitionsAssigned("ml.predictions", [0]);
    m.onWindowClosed(windowClosed());
    e = await scrape(m);
    const reasons = [...e.keys()].filter((k) => k.startsWith("drift_events_rejected_total"));
    expect(reasons).toHaveLength(11);
    expect(e.get(seriesId("drift_events_rejected_total", { reason: "invalid_json", topic: "ml.predictions" }))).toBe(0);
    expect(e.get(seriesId("drift_events_late_total", { model: "fraud-scorer" }))).toBe(0);
    expect(e.get(seriesId("drift_retrain_requests_suppressed_total", { model: "fraud-scorer" }))).toBe(0);
    m.removeModel("fraud-scorer");
    e = await scrape(m);
    expect(e.has(seriesId("drift_events_late_total", { model: "fraud-scorer" }))).toBe(false);
  });

  it("default process metrics are registered unless disabled", async () => {
    const m = createDetectorMetrics();
    const text = await m.registry.metrics();
    expect(text).toContain("process_cpu_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });
});

describe("windowGauges (pure)", () => {
  it("lists the window's values with the signal each belongs to, core signals first, and no series state", () => {
    const out = windowClosed();
    const first = windowGauges(out, NOW);
    expect(windowGauges(out, NOW)).toEqual(first); // same input, same output: nothing is remembered
    expect(first.signals).toEqual(["prediction", "predictedClass", "confidence", "latency", "feature:amount", "feature:country"]);
    const find = (gauge: string, labels: Record<string, string>) =>
      first.values.find((v) => v.gauge === gauge && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    expect(find("modelStatus", {})).toEqual({ gauge: "modelStatus", labels: { model: "fraud-scorer", version: "v1" }, value: 2 });
    expect(find("windowCloseTimestamp", {})?.value).toBe(NOW / 1000);
    expect(find("latencySeconds", { quantile: "0.95" })).toMatchObject({ value: 0.05, signal: "latency" });
    expect(find("featureMissingRatio", { feature: "amount" })).toMatchObject({ value: 0.1, signal: "feature:amount" });
    expect(find("signalStatistic", { signal: "feature:amount", statistic: "wasserstein" })).toMatchObject({
      value: 0.4,
      signal: "feature:amount",
    });
    expect(first.values.every((v) => Number.isFinite(v.value))).toBe(true);
    expect(
      first.values
        .filter((v) => v.signal === undefined)
        .map((v) => v.gauge)
        .sort(),
    ).toEqual([
      "baselineAge",
      "baselineEvents",
      "dataQualityStatus",
      "modelStatus",
      "windowCloseTimestamp",
      "windowEndTimestamp",
      "windowEvents",
    ]);
  });
});
