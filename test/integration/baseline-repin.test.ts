// `baseline repin` against the running service on the real broker and Redis: after a lasting 1σ shift the
// operator accepts the new normal; the control record reaches the partition in offset order, the service
// drops the reference, ends the incident and records it in a BaselineEvent; the shifted stream that follows
// is captured as the new reference and evaluated ok (no drift event, model status 0).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { baselineEventSchema, driftEventSchema } from "../../src/events/schemas.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { publishControlRecords } from "../../src/cli/control-records.ts";
import {
  driftingStream,
  DRIFTING_MODEL as MODEL,
  DRIFTING_VERSION as VERSION,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  SHIFTED,
  STATIONARY,
  driftingServiceConfig,
  startServiceInProcess,
  type InProcessService,
  createPredictionsTopic,
  waitForCommittedEnd,
  waitFor,
} from "../support/service-harness.ts";

describe("baseline repin against the running service", () => {
  const config = driftingServiceConfig("repin");
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  const first = driftingStream();
  // the new normal: the shifted part of the stream again, later in event time, with new ids
  const shifted = first.slice(STATIONARY);
  const span = shifted[shifted.length - 1].timestamp - first[0].timestamp + 10;
  const after: PredictionEvent[] = shifted.map((e, i) => ({ ...e, eventId: `after-${i}`, timestamp: e.timestamp + span }));

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(first));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("the repin is applied once in order, recorded in a BaselineEvent, and the shifted stream is then ok", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, first.length);
    const before = (await readAllMessages(kafka, topics.drift)).map((m) => driftEventSchema.parse(JSON.parse(m.value!.toString("utf8"))));
    const incident = before.find((e) => e.status === "critical")?.incident?.id;
    expect(incident).toBeDefined();

    const control = {
      type: "control",
      command: "baseline.repin",
      modelId: MODEL,
      modelVersion: VERSION,
      requestId: "repin-test-1",
      requestedAt: 1,
    } as const;
    const [result] = await publishControlRecords(config, [control]);
    expect([...result.offsets]).toEqual([[0, String(first.length)]]);
    await produceRaw(kafka, topics.predictions, predictionMessages(after));
    const end = first.length + 1 + after.length;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, end);

    const baseline = await waitFor("the BaselineEvent", async () => {
      const m = await readAllMessages(kafka, topics.baseline, 5_000);
      return m.length > 0 ? m : undefined;
    });
    expect(baseline).toHaveLength(1);
    const event = baselineEventSchema.parse(JSON.parse(baseline[0].value!.toString("utf8")));
    expect(baseline[0].key?.toString("utf8")).toBe(MODEL);
    expect(baseline[0].headers["event-id"]).toBe(event.eventId);
    expect(event).toMatchObject({
      kind: "reference_repinned",
      modelId: MODEL,
      modelVersion: VERSION,
      partition: 0,
      requestId: "repin-test-1",
      previousReference: { kind: "reference", id: `${MODEL}@${VERSION}/reference/w0-w2`, count: 600 },
      endedIncidentId: incident,
      capture: { warmupWindows: 3, referenceDurationMs: null, seasonality: "none" },
    });

    // nothing drifts after the repin: 6 windows of the new normal, 3 captured, 3 evaluated ok
    const drift = (await readAllMessages(kafka, topics.drift)).map((m) => driftEventSchema.parse(JSON.parse(m.value!.toString("utf8"))));
    expect(drift.filter((e) => Number(e.window.firstOffset) > first.length)).toEqual([]);
    expect(await readAllMessages(kafka, topics.deadLetter)).toHaveLength(0);
    const status = (await service.metricsText())
      .split("\n")
      .find((l) => l.startsWith("drift_model_status{") && l.includes(`model="${MODEL}"`));
    expect(status?.endsWith(" 0")).toBe(true);
    expect(service.logLines.some((l) => l.includes("control record applied"))).toBe(true);
    expect(SHIFTED).toBe(after.length);
  });
});
