// What the detector does with the parts of a Kafka record other than the value (README "Producers in any
// language"): record headers are ignored, the key is not read (null keys and keys other than the model id
// are counted like any event of the model in the value), and a tombstone (null value) is dead-lettered as
// `empty` with its key kept, while the stream goes on.
import { afterAll, describe, expect, it } from "vitest";
import type { PredictionEvent } from "../../src/events/types.ts";
import {
  createPredictionsTopic,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  registerPredictionSchema,
  serviceConfig,
  startedResources,
  startServiceInProcess,
  waitForCommittedEnd,
  type RawMessage,
} from "../support/service-harness.ts";

const MODEL = "shapes-model";

function event(i: number): PredictionEvent {
  return {
    eventId: `shape-${i}`,
    modelId: MODEL,
    modelVersion: "v1",
    timestamp: 1_763_769_600_000 + i,
    prediction: (i % 10) / 10,
    features: { amount: 10 + (i % 7) },
  };
}

describe("record shapes", () => {
  const resources = startedResources();
  afterAll(() => resources.release());

  it("counts events with headers, null keys and foreign keys; dead-letters a tombstone as empty with its key", async () => {
    const config = serviceConfig("shapes", { defaults: { window: { maxEvents: 50, minEvents: 10 } } });
    const topics = config.kafka.topics;
    const kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const schemaId = await registerPredictionSchema(topics.predictions);
    const json = (i: number) => predictionMessages([event(i)])[0];
    const avro = (i: number) => predictionMessages([event(i)], schemaId)[0];
    const messages: RawMessage[] = [
      { ...json(0), headers: { "content-type": "application/json", "trace-id": "4bf92f3577b34da6" } },
      { ...avro(1), headers: { "schema-id": "999999", "content-type": "application/vnd.kafka.avro.v2+json" } },
      { ...json(2), key: null },
      { ...avro(3), key: null },
      { ...json(4), key: "tenant-17/request-81" },
      { ...json(5), key: Buffer.from([0xff, 0xfe, 0x00]) },
      { key: MODEL, value: null, headers: { reason: "deleted" } },
      json(6),
    ];
    await produceRaw(kafka, topics.predictions, messages);
    const service = await startServiceInProcess(config);
    resources.clients.push({ close: () => service.stop() });
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, messages.length);

    const text = await service.metricsText();
    expect(text).toContain(`drift_events_consumed_total{topic="${topics.predictions}",partition="0"} 7`);
    expect(text).toContain(`drift_events_rejected_total{reason="empty",topic="${topics.predictions}"} 1`);
    const dlq = await readAllMessages(kafka, topics.deadLetter);
    expect(dlq).toHaveLength(1);
    expect(dlq[0].key?.toString("utf8")).toBe(MODEL);
    expect(dlq[0].value === null || dlq[0].value.length === 0).toBe(true);
    expect(dlq[0].headers.reason).toBe("empty");
    expect(dlq[0].headers["source-offset"]).toBe("6");
  });
});
