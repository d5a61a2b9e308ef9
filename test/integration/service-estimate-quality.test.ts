// Two of issue 11's "Done when" checks on the real broker and Redis, in one service:
// - the label-free estimate tracks a covariate shift before its labels arrive: a calibrated classifier whose
//   inputs move towards the decision boundary from window 8 on; outcomes are published only for windows 0-7,
//   so every later window's accuracy is known from confidence alone. DriftEvents carry `estimatedAccuracy`
//   and /metrics `drift_estimated_performance`; the joined accuracy still shows the time before the shift.
// - a null explosion in one feature raises a data-quality event: a quarter of `x1` missing from window 8.
// Windows of 1 000 events, 14 per model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema } from "../../src/events/schemas.ts";
import type { DriftEvent, OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";
import {
  createServiceTopics,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceConfig,
  startServiceInProcess,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";
import { classifierStream } from "../support/outcome-streams.ts";
import { predictionStream } from "../support/engine-streams.ts";

const WINDOW = 1000;
const WINDOWS = 14;
const SHIFT_AT = 8;
const SHIFTED = "shifted-clf";
const NULLS = "null-features";

describe("service: the estimate before labels, and a null explosion", () => {
  const config = serviceConfig("estimate-quality", {
    models: {
      [SHIFTED]: { window: { maxEvents: WINDOW }, performance: { enabled: true, maxOutcomes: WINDOW, maxEarlyOutcomes: 20_000 } },
      [NULLS]: { window: { maxEvents: WINDOW } },
    },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  let drift: DriftEvent[];

  // a quarter of the traffic near the boundary before the shift, 60 % after (P(y | x) unchanged)
  const inputs = classifierStream({
    seed: 21,
    count: WINDOWS * WINDOW,
    modelId: SHIFTED,
    lowConfidenceShare: (i) => (i < SHIFT_AT * WINDOW ? 0.25 : 0.6),
  });
  const shifted = inputs.filter((x) => x.kind === "prediction").map((x) => x.event as PredictionEvent);
  const labelled = new Set(shifted.slice(0, SHIFT_AT * WINDOW).map((e) => e.eventId));
  const outcomes = inputs.filter((x) => x.kind === "outcome" && labelled.has(x.event.eventId)).map((x) => x.event as OutcomeEvent);
  // under calibrated labels P(correct | confidence) = confidence: a window's expected accuracy is its mean confidence
  const lastWindow = shifted.slice((WINDOWS - 1) * WINDOW);
  const expectedLast = lastWindow.reduce((s, e) => s + (e.confidence ?? 0), 0) / WINDOW;
  const expectedBefore = shifted.slice(0, SHIFT_AT * WINDOW).reduce((s, e) => s + (e.confidence ?? 0), 0) / (SHIFT_AT * WINDOW);
  const nulls = [...predictionStream(WINDOWS * WINDOW, { seed: 5 })].map((e, i) => ({
    ...e,
    modelId: NULLS,
    features: i >= SHIFT_AT * WINDOW && i % 4 === 0 ? { ...e.features, x1: null } : e.features,
  }));

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    await produceRaw(kafka, topics.predictions, predictionMessages([...shifted, ...nulls]));
    await produceRaw(
      kafka,
      topics.outcomes,
      outcomes.map((o) => ({ key: o.modelId, value: JSON.stringify(o) })),
    );
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, shifted.length + nulls.length, 120_000);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.outcomes, outcomes.length);
    drift = (await readAllMessages(kafka, topics.drift)).map((m) => driftEventSchema.parse(JSON.parse(m.value?.toString() ?? "")));
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
  });

  const metric = async (name: string, model: string, label = "") => {
    const line = (await service.metricsText())
      .split("\n")
      .find((l) => l.startsWith(`${name}{`) && l.includes(`model="${model}"`) && l.includes(label));
    return Number(line?.split(" ").at(-1));
  };

  it("the covariate shift's DriftEvents carry an accuracy estimate that has fallen with it, before any of their labels", async () => {
    expect(expectedBefore - expectedLast).toBeGreaterThan(0.08);
    const after = drift.filter(
      (e) =>
        e.modelId === SHIFTED && !e.window.id.includes("/performance/") && e.window.start >= lastWindow[0].timestamp - 6 * WINDOW * 100,
    );
    expect(after.length).toBeGreaterThan(0);
    for (const e of after) {
      expect(e.status).not.toBe("ok");
      expect(e.estimatedAccuracy).toBeLessThan(expectedBefore - 0.05);
    }
    // the last window's estimate against its expected accuracy: the estimator's own error
    const estimate = await metric("drift_estimated_performance", SHIFTED, 'metric="accuracy"');
    expect(Math.abs(estimate - expectedLast)).toBeLessThan(0.02);
    // the joined accuracy is the time before the shift: no label of the shifted windows was published
    const joined = await metric("drift_performance", SHIFTED, 'metric="accuracy"');
    expect(Math.abs(joined - expectedBefore)).toBeLessThan(0.03);
    expect(await metric("drift_outcome_joins_total", SHIFTED, 'result="matched"')).toBe(outcomes.length);
  });

  it("a quarter of one feature missing raises a data-quality DriftEvent naming it, and drift_data_quality_status 2", async () => {
    const events = drift.filter((e) => e.modelId === NULLS);
    const raised = events.find((e) => e.dataQuality === "critical");
    expect(raised).toBeDefined();
    expect(raised!.window.start).toBeGreaterThanOrEqual(nulls[SHIFT_AT * WINDOW].timestamp);
    expect(raised!.window.start).toBeLessThan(nulls[(SHIFT_AT + 2) * WINDOW].timestamp);
    const x1 = raised!.signals.find((s) => s.signal === "feature:x1");
    expect(x1?.threshold).toEqual({ statistic: "missingShare", value: 0.1 });
    expect(x1?.statistics.missingShare).toBeCloseTo(0.25, 2);
    // before the explosion, nothing about data quality
    expect(
      events.filter((e) => e.window.start < nulls[SHIFT_AT * WINDOW].timestamp && e.dataQuality !== "ok" && e.dataQuality != null),
    ).toEqual([]);
    expect(await metric("drift_data_quality_status", NULLS)).toBe(2);
  });
});
