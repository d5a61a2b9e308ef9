// kafka.outputFormat: avro — drift events and retrain requests are Confluent-framed Avro, registered under
// `<topic>-value` in the schema registry, and decode (with the registry) to valid contract objects.
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema, retrainRequestSchema } from "../../src/events/schemas.ts";
import { infra } from "../support/infra.ts";
import {
  driftingStream,
  DRIFTING_MODEL,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  driftingServiceConfig,
  startServiceInProcess,
  type InProcessService,
  createPredictionsTopic,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

describe("service with Avro outputs", () => {
  const config = driftingServiceConfig("avro-out", { outputFormat: "avro" });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  const events = driftingStream();

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(events));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("drift events and the retrain request are registry-framed Avro under <topic>-value subjects", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
    const registry = new SchemaRegistry({ host: infra().schemaRegistryUrl });
    const driftSchemaId = await registry.getLatestSchemaId(`${topics.drift}-value`);
    const retrainSchemaId = await registry.getLatestSchemaId(`${topics.retrain}-value`);

    const drift = await readAllMessages(kafka, topics.drift);
    expect(drift.length).toBeGreaterThan(0);
    for (const m of drift) {
      const value = m.value ?? Buffer.alloc(0);
      expect(value[0]).toBe(0);
      expect(value.readUInt32BE(1)).toBe(driftSchemaId);
      const event = driftEventSchema.parse(await registry.decode(value));
      expect(m.headers["event-id"]).toBe(event.eventId);
      expect(event.modelId).toBe(DRIFTING_MODEL);
    }
    const retrain = await readAllMessages(kafka, topics.retrain);
    expect(retrain).toHaveLength(1);
    const value = retrain[0].value ?? Buffer.alloc(0);
    expect(value.readUInt32BE(1)).toBe(retrainSchemaId);
    const request = retrainRequestSchema.parse(await registry.decode(value));
    expect(retrain[0].headers["request-id"]).toBe(request.requestId);
  });
});
