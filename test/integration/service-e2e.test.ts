// The service end to end on a real broker, Redis and schema registry: a stationary stream (JSON, every
// fifth event Confluent-framed Avro) followed by a 1σ shift of one feature produces valid DriftEvents,
// exactly one RetrainRequest, and the signal's critical status on /metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema, retrainRequestSchema } from "../../src/events/schemas.ts";
import {
  driftingStream,
  DRIFTING_MODEL as MODEL,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  registerPredictionSchema,
  SHIFTED,
  STATIONARY,
  driftingServiceConfig,
  startServiceInProcess,
  type InProcessService,
  createPredictionsTopic,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

describe("service end to end", () => {
  const config = driftingServiceConfig("e2e");
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const schemaId = await registerPredictionSchema(topics.predictions);
    const all = driftingStream();
    // every fifth event as Confluent-framed Avro, the rest JSON, interleaved in one ordered stream
    const messages = all.map((e, i) => predictionMessages([e], i % 5 === 4 ? schemaId : undefined)[0]);
    await produceRaw(kafka, topics.predictions, messages);
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("a 1σ shift of one feature yields valid drift events, exactly one retrain request and signal status 2 on /metrics", async () => {
    const total = STATIONARY + SHIFTED;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, total);

    const drift = await readAllMessages(kafka, topics.drift);
    expect(drift.length).toBeGreaterThan(0);
    const driftEvents = drift.map((m) => driftEventSchema.parse(JSON.parse(m.value?.toString("utf8") ?? "")));
    for (const [i, m] of drift.entries()) {
      expect(m.key?.toString("utf8")).toBe(MODEL);
      expect(m.headers["event-id"]).toBe(driftEvents[i].eventId);
    }
    expect(new Set(driftEvents.map((e) => e.eventId)).size).toBe(driftEvents.length);
    // nothing drifts while the stream is stationary: every drift event is about a shifted window
    for (const e of driftEvents) expect(Number(e.window.firstOffset)).toBeGreaterThanOrEqual(STATIONARY);
    const critical = driftEvents.filter((e) => e.status === "critical");
    expect(critical.length).toBeGreaterThan(0);
    const amount = critical[0].signals.find((s) => s.signal === "feature:amount");
    expect(amount?.status).toBe("critical");
    expect(amount?.statistics.meanShiftSigma).toBeGreaterThan(0.7);

    const retrain = await readAllMessages(kafka, topics.retrain);
    expect(retrain).toHaveLength(1);
    const request = retrainRequestSchema.parse(JSON.parse(retrain[0].value?.toString("utf8") ?? ""));
    expect(request.modelId).toBe(MODEL);
    expect(request.reason).toBe("drift");
    expect(retrain[0].headers["request-id"]).toBe(request.requestId);
    expect(request.evidence.signals).toContain("feature:amount");

    const dlq = await readAllMessages(kafka, topics.deadLetter);
    expect(dlq).toHaveLength(0);

    const text = await service.metricsText();
    const line = text
      .split("\n")
      .find((l) => l.startsWith("drift_signal_status{") && l.includes('signal="feature:amount"') && l.includes(`model="${MODEL}"`));
    expect(line).toBeDefined();
    expect(line?.endsWith(" 2")).toBe(true);
    const consumed = text.split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
    expect(consumed?.endsWith(` ${total}`)).toBe(true);
  });
});
