// Performance-first retraining on the real broker and Redis (issue 11, "Done when"): a classifier whose
// accuracy drops from 0.90 to 0.75 with unchanged inputs (pure concept drift). Predictions go to the
// predictions topic, their outcomes (10 minutes of event time later) to the outcomes topic, both keyed by
// modelId with one partition; the service joins them and raises a performance incident and exactly one
// RetrainRequest, reason `performance`, on the retrain topic. 500 predictions / outcomes per window, 24
// windows, the drop at window 12.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema, retrainRequestSchema } from "../../src/events/schemas.ts";
import {
  createServiceTopics,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceConfig,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";
import { classifierStream } from "../support/outcome-streams.ts";
import type { OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";

const MODEL = "clf";
const PER_WINDOW = 500;
const WINDOWS = 24;

describe("service: accuracy 0.90 → 0.75 with unchanged inputs", () => {
  const config = serviceConfig("performance", {
    models: {
      [MODEL]: {
        window: { maxEvents: PER_WINDOW, minEvents: 100 },
        // room for every outcome to wait, whichever topic the consumer reads first
        performance: { enabled: true, maxOutcomes: PER_WINDOW, minOutcomes: 100, referenceWindows: 3, maxEarlyOutcomes: 50_000 },
      },
    },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  const inputs = classifierStream({
    seed: 5,
    count: WINDOWS * PER_WINDOW,
    modelId: MODEL,
    accuracy: (i) => (i < (WINDOWS / 2) * PER_WINDOW ? 0.9 : 0.75),
  });
  const predictions = inputs.filter((x) => x.kind === "prediction").map((x) => x.event as PredictionEvent);
  const outcomes = inputs.filter((x) => x.kind === "outcome").map((x) => x.event as OutcomeEvent);

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    await produceRaw(kafka, topics.predictions, predictionMessages(predictions));
    await produceRaw(
      kafka,
      topics.outcomes,
      outcomes.map((o) => ({ key: o.modelId, value: JSON.stringify(o) })),
    );
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, predictions.length);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.outcomes, outcomes.length);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it("publishes exactly one RetrainRequest, reason performance, with the accuracy and its reference as evidence", async () => {
    const requests = await waitFor("the retrain request", async () => {
      const r = (await readAllMessages(kafka, topics.retrain)).map((m) =>
        retrainRequestSchema.parse(JSON.parse(m.value?.toString() ?? "")),
      );
      return r.length > 0 ? r : undefined;
    });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.reason).toBe("performance");
    expect(request.modelId).toBe(MODEL);
    expect(request.evidence.signals).toEqual(["performance"]);
    expect(request.evidence.statistics.performance.accuracy).toBeLessThan(0.8);
    expect(request.evidence.statistics.performance.referenceAccuracy).toBeGreaterThan(0.87);
    expect(request.evidence.windows).toHaveLength(3);
  });

  it("the performance incident is on the drift topic: critical, naming the performance signal", async () => {
    const drift = (await readAllMessages(kafka, topics.drift)).map((m) => driftEventSchema.parse(JSON.parse(m.value?.toString() ?? "")));
    const performance = drift.filter((e) => e.window.id.includes("/performance/"));
    expect(performance[0]?.status).toBe("critical");
    expect(performance[0]?.signals.map((s) => s.signal)).toEqual(["performance"]);
    expect(performance[0]?.incident?.peakSignal).toBe("performance");
  });

  it("exports the realised accuracy, the status and the join counters on /metrics", async () => {
    const lines = (await service.metricsText()).split("\n").filter((l) => l.includes(`model="${MODEL}"`));
    const value = (prefix: string, label = "") =>
      Number(
        lines
          .find((l) => l.startsWith(prefix) && l.includes(label))
          ?.split(" ")
          .at(-1),
      );
    expect(value("drift_performance{", 'metric="accuracy"')).toBeLessThan(0.8);
    expect(value("drift_performance_status{")).toBe(2);
    expect(value("drift_model_status{")).toBe(2);
    expect(value("drift_outcome_joins_total{", 'result="matched"')).toBeGreaterThan(0);
  });
});
