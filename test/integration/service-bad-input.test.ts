// Bad input never stops the stream: a mixed stream of valid and invalid messages on a real broker. Every
// invalid message lands on the DLQ with its reason and source headers and its original bytes; every valid
// one is counted in the partition state in Redis; the group's committed offset reaches the end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { frameConfluent } from "../../src/events/confluent-framing.ts";
import { loadAvroType } from "../../src/events/schema-files.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import {
  harnessKafka,
  produceRaw,
  readAllMessages,
  registerPredictionSchema,
  serviceConfig,
  startServiceInProcess,
  type InProcessService,
  type RawMessage,
  createPredictionsTopic,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

const MAX_MESSAGE_BYTES = 4096;
const UNREGISTERED_SCHEMA_ID = 987_654;

function valid(i: number, modelId = "scorer-a"): PredictionEvent {
  return {
    eventId: `ok-${modelId}-${i}`,
    modelId,
    modelVersion: "v1",
    timestamp: 1_763_769_600_000 + i,
    prediction: (i % 10) / 10,
    confidence: 0.5 + (i % 5) / 10,
    latencyMs: 5 + (i % 7),
    features: { amount: 10 + (i % 13), country: i % 2 === 0 ? "NL" : "DE" },
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe("service with bad input", () => {
  const config = serviceConfig("bad-input", {
    limits: { maxMessageBytes: MAX_MESSAGE_BYTES, maxModels: 1 },
    // configured models are always admitted; scorer-c is the one unconfigured model under the cap of 1
    models: { "scorer-a": {}, "scorer-b": {} },
    defaults: { window: { maxEvents: 100, minEvents: 20 } },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  /** produced messages in offset order, with the reason expected on the DLQ (undefined = valid) */
  const stream: { message: RawMessage; reason?: string }[] = [];

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const schemaId = await registerPredictionSchema(topics.predictions);
    const avro = loadAvroType("prediction-event");

    const invalid: { message: RawMessage; reason: string }[] = [
      { reason: "unknown_format", message: { key: "scorer-a", value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) } },
      { reason: "invalid_json", message: { key: "scorer-a", value: Buffer.from('{"eventId": "x", "modelId": ') } },
      {
        reason: "unknown_schema_id",
        message: { key: "scorer-a", value: Buffer.from(frameConfluent(UNREGISTERED_SCHEMA_ID, avro.toBuffer(valid(0)))) },
      },
      { reason: "schema_violation", message: { key: "scorer-a", value: json({ ...valid(1), modelId: undefined }) } },
      { reason: "schema_violation", message: { key: "scorer-a", value: json({ ...valid(2), confidence: 1.5 }) } },
      { reason: "schema_violation", message: { key: "scorer-a", value: json({ ...valid(3), latencyMs: -3 }) } },
      {
        reason: "non_finite_number",
        message: { key: "scorer-a", value: Buffer.from(json(valid(4)).toString().replace('"prediction":0.4', '"prediction":1e400')) },
      },
      {
        reason: "non_finite_number",
        message: { key: "scorer-a", value: Buffer.from(frameConfluent(schemaId, avro.toBuffer({ ...valid(5), prediction: Number.NaN }))) },
      },
      {
        reason: "avro_decode_error",
        message: { key: "scorer-a", value: Buffer.from(frameConfluent(schemaId, avro.toBuffer(valid(6)).subarray(0, 12))) },
      },
      { reason: "oversize", message: { key: "scorer-a", value: json({ ...valid(7), predictedClass: "x".repeat(MAX_MESSAGE_BYTES) }) } },
      { reason: "empty", message: { key: "scorer-a", value: null } },
      { reason: "empty", message: { key: null, value: Buffer.alloc(0) } },
    ];
    // 300 valid events of two models, a third (unconfigured) model's events, and the invalid ones spread out
    let next = 0;
    for (let i = 0; i < 300; i++) {
      const modelId = i % 3 === 0 ? "scorer-b" : "scorer-a";
      stream.push({ message: { key: modelId, value: json(valid(i, modelId)) } });
      if (i % 25 === 10 && next < invalid.length) stream.push(invalid[next++]);
      if (i % 50 === 20) stream.push({ message: { key: "scorer-c", value: json(valid(i, "scorer-c")) } });
    }
    while (next < invalid.length) stream.push(invalid[next++]);
    expect(stream.filter((s) => s.message.value !== null && s.reason === "non_finite_number")[0].message.value?.toString()).toContain(
      "1e400",
    );

    await produceRaw(
      kafka,
      topics.predictions,
      stream.map((s) => s.message),
    );
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("every invalid message is dead-lettered with its reason, every valid one is counted, and the committed offset reaches the end", async () => {
    const total = stream.length;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, total);

    const expectedDead = stream.map((s, offset) => ({ ...s, offset: String(offset) })).filter((s) => s.reason !== undefined);
    const dlq = await readAllMessages(kafka, topics.deadLetter);
    expect(dlq.map((m) => m.headers["source-offset"])).toEqual(expectedDead.map((d) => d.offset));
    for (const [i, m] of dlq.entries()) {
      const expected = expectedDead[i];
      expect(m.headers.reason).toBe(expected.reason);
      expect(m.headers["source-topic"]).toBe(topics.predictions);
      expect(m.headers["source-partition"]).toBe("0");
      expect(m.headers["dlq-id"]).toBe(`dlq:${topics.predictions}:0:${expected.offset}`);
      const key = expected.message.key;
      expect(m.key === null ? null : m.key.toString()).toBe(key === undefined || key === null ? null : key.toString());
      const original = expected.message.value === null ? Buffer.alloc(0) : Buffer.from(expected.message.value);
      if (expected.reason === "oversize") {
        expect(m.headers["value-truncated"]).toBe("true");
        expect(m.headers["original-size"]).toBe(String(original.length));
        expect(m.value).toEqual(original.subarray(0, MAX_MESSAGE_BYTES));
      } else {
        expect(m.value ?? Buffer.alloc(0)).toEqual(original);
      }
    }

    // the partition state in Redis counted exactly the valid events
    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    expect(stored.offset).toBe(String(total - 1));
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters.accepted).toBe(306);
    expect(state.counters.modelsEvicted).toBe(0);
    expect([...state.models.keys()].sort()).toEqual(["scorer-a", "scorer-b", "scorer-c"]);

    // rejected counter by reason
    const text = await service.metricsText();
    const byReason = new Map<string, number>();
    for (const d of expectedDead) if (d.reason !== undefined) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
    for (const [reason, count] of byReason) {
      const line = text.split("\n").find((l) => l.startsWith("drift_events_rejected_total{") && l.includes(`reason="${reason}"`));
      expect(line, reason).toBeDefined();
      expect(Number(line?.split(" ").pop())).toBe(count);
    }
  });
});
