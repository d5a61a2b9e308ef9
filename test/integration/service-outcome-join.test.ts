// The outcome join's edges on the real broker and Redis (issue 11): each kind of outcome is counted on
// /metrics exactly, malformed outcomes go to the dead-letter topic with the same headers as bad predictions,
// a restarted service counts its first chunk, and topics that are not co-partitioned stop the service with
// exit code 3 and an error line that says what to do.
//
// Event time (t0 = first prediction, 100 ms between predictions, label delay 60 s), in three phases the test
// waits out one by one, so that the consumer reads them in this order:
//   1. predictions P0..P99 (t0 .. t0+9.9 s), and one undecodable prediction
//   2. outcomes: P0..P79 (P10's as Confluent-framed Avro) → 80 matched; P0..P4 again → 5 duplicate;
//      Q0..Q19, not yet predicted → 20 early; never-0..2, never predicted → 3 early; far, never predicted and
//      stamped 10 days ahead → 1 early and 1 unconfirmed_jump: it does not move the outcome watermark, so it
//      expires nothing (it would have expired all 20 waiting predictions); malformed: bad JSON, bad
//      Avro, no eventId → 3 dead letters; last, P80's label 61 s after it → too_late (P80 expired), and the
//      outcome watermark it sets (t0+69 s) expires P81..P89 (older than t0+9 s) → 10 expired in all
//   3. predictions Q0..Q19 (t0+20 s ..) → 20 more matched; R (t0+100 s): the prediction watermark expires the
//      3 never-predicted outcomes → 3 unknown. Waiting: P90..P99 and R (11 predictions), the far outcome.
// Then the service restarts and one more chunk of outcomes (P90..P94) is read: the new process exports 5
// matched (the first chunk after a restart counts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { frameConfluent } from "../../src/events/confluent-framing.ts";
import { loadAvroType, readAvroSchemaText } from "../../src/events/schema-files.ts";
import type { OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";
import { CO_PARTITIONING_EXIT_CODE } from "../../src/kafka/topic-admin.ts";
import { createTopics, infra } from "../support/infra.ts";
import {
  createServiceTopics,
  freePort,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceConfig,
  serviceRawConfig,
  startedResources,
  startServiceInProcess,
  startServiceProcess,
  waitForCommittedEnd,
  type InProcessService,
  type RawMessage,
  type ReadMessage,
} from "../support/service-harness.ts";

const MODEL = "clf";
const T0 = 1_763_769_600_000;
const LABEL_DELAY_MS = 60_000;

function prediction(id: string, timestamp: number): PredictionEvent {
  return {
    eventId: id,
    modelId: MODEL,
    modelVersion: "v1",
    timestamp,
    prediction: 0.8,
    predictedClass: "pos",
    confidence: 0.8,
    features: { x: (timestamp / 100) % 7 },
  };
}
const P = [...Array(100).keys()].map((i) => prediction(`P${i}`, T0 + i * 100));
const Q = [...Array(20).keys()].map((j) => prediction(`Q${j}`, T0 + 20_000 + j * 100));
const R = prediction("R", T0 + 100_000);
const outcome = (p: PredictionEvent, delayMs = 1000): OutcomeEvent => ({
  eventId: p.eventId,
  modelId: MODEL,
  timestamp: p.timestamp + delayMs,
  actualClass: p.eventId.endsWith("3") ? "neg" : "pos",
});
const json = (v: unknown): RawMessage => ({ key: MODEL, value: JSON.stringify(v) });

/** One exported series' value (undefined when absent). */
function valueOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("service: the outcome join's edges on /metrics and the dead-letter topic", () => {
  const config = serviceConfig("outcome-join", {
    models: { [MODEL]: { window: { maxEvents: 100, minEvents: 20 }, performance: { enabled: true, labelDelayMs: LABEL_DELAY_MS } } },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  let dlq: ReadMessage[];
  let outcomeSchemaId: number;
  /** outcomes-topic offsets of the malformed outcomes, by expected reason */
  const malformed = new Map<string, string>();

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    const registry = new SchemaRegistry({ host: infra().schemaRegistryUrl });
    outcomeSchemaId = (
      await registry.register(
        { type: SchemaType.AVRO, schema: readAvroSchemaText("outcome-event") },
        { subject: `${topics.outcomes}-value` },
      )
    ).id;
    const avro = loadAvroType("outcome-event");
    const avroOutcome = (o: OutcomeEvent) => Buffer.from(frameConfluent(outcomeSchemaId, avro.toBuffer({ actual: null, ...o })));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;

    // 1. predictions P, and one undecodable prediction (its dead letter's headers are the reference)
    await produceRaw(kafka, topics.predictions, [...predictionMessages(P), { key: MODEL, value: '{"eventId": ' }]);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, P.length + 1);

    // 2. outcomes
    const outcomes: RawMessage[] = [];
    P.slice(0, 80).forEach((p, i) => outcomes.push(i === 10 ? { key: MODEL, value: avroOutcome(outcome(p)) } : json(outcome(p))));
    P.slice(0, 5).forEach((p) => outcomes.push(json(outcome(p))));
    Q.forEach((q) => outcomes.push(json(outcome(q))));
    for (let u = 0; u < 3; u++) outcomes.push(json({ eventId: `never-${u}`, modelId: MODEL, timestamp: T0 + 10_000, actualClass: "pos" }));
    // after the never-* ones: the early scan stops at the first live entry, and this one lives 10 days
    outcomes.push(json({ eventId: "far", modelId: MODEL, timestamp: T0 + 10 * 86_400_000, actualClass: "pos" }));
    const bad: [string, RawMessage][] = [
      ["invalid_json", { key: MODEL, value: "{not json" }],
      ["avro_decode_error", { key: MODEL, value: avroOutcome(outcome(P[90])).subarray(0, 9) }],
      ["schema_violation", json({ modelId: MODEL, timestamp: T0, actualClass: "pos" })], // no eventId
    ];
    for (const [reason, message] of bad) {
      malformed.set(reason, String(outcomes.length));
      outcomes.push(message);
    }
    outcomes.push(json(outcome(P[80], LABEL_DELAY_MS + 1000)));
    await produceRaw(kafka, topics.outcomes, outcomes);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.outcomes, outcomes.length);

    // 3. predictions Q and R
    await produceRaw(kafka, topics.predictions, predictionMessages([...Q, R]));
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, P.length + 1 + Q.length + 1);
    dlq = await readAllMessages(kafka, topics.deadLetter);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it("counts 100 matched, 24 early, 5 duplicate, 3 unknown, 1 too late, 10 expired, 1 unconfirmed jump; 11 predictions wait", async () => {
    const text = await service.metricsText();
    const joins = (result: string) => valueOf(text, "drift_outcome_joins_total", { model: MODEL, result });
    expect({
      matched: joins("matched"),
      early: joins("early"),
      duplicate: joins("duplicate"),
      unknown: joins("unknown"),
      too_late: joins("too_late"),
      expired: joins("expired"),
      unconfirmed_jump: joins("unconfirmed_jump"),
    }).toEqual({ matched: 100, early: 24, duplicate: 5, unknown: 3, too_late: 1, expired: 10, unconfirmed_jump: 1 });
    expect(valueOf(text, "drift_outcome_join_waiting", { model: MODEL, side: "prediction" })).toBe(11);
    expect(valueOf(text, "drift_outcome_join_waiting", { model: MODEL, side: "outcome" })).toBe(1);
    // every outcome that was not a dead letter is consumed: 80 + 5 + 20 + 1 + 3 + 1
    expect(valueOf(text, "drift_events_consumed_total", { topic: topics.outcomes })).toBe(110);
  });

  it("dead-letters bad JSON, bad Avro and an outcome without eventId with a bad prediction's headers, and counts them", async () => {
    const fromOutcomes = dlq.filter((m) => m.headers["source-topic"] === topics.outcomes);
    const badPrediction = dlq.find((m) => m.headers["source-topic"] === topics.predictions);
    expect(badPrediction?.headers.reason).toBe("invalid_json");
    expect(fromOutcomes.map((m) => [m.headers.reason, m.headers["source-offset"]])).toEqual([...malformed]);
    for (const m of fromOutcomes) {
      const offset = m.headers["source-offset"];
      expect(m.headers["source-partition"]).toBe("0");
      expect(m.headers["dlq-id"]).toBe(`dlq:${topics.outcomes}:0:${offset}`);
      expect(m.headers.error.length).toBeGreaterThan(0);
      // the same header names as a bad prediction's dead letter (plus schema-id for the Avro one)
      const names = Object.keys(m.headers).filter((h) => h !== "schema-id" && h !== "field");
      expect(names.sort()).toEqual(
        Object.keys(badPrediction!.headers)
          .filter((h) => h !== "field")
          .sort(),
      );
    }
    expect(fromOutcomes.find((m) => m.headers.reason === "avro_decode_error")?.headers["schema-id"]).toBe(String(outcomeSchemaId));
    const text = await service.metricsText();
    for (const reason of malformed.keys())
      expect(valueOf(text, "drift_events_rejected_total", { reason, topic: topics.outcomes }), reason).toBe(1);
  });

  it("a restarted service counts the outcomes of its first chunk", async () => {
    await service.stop();
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
    await produceRaw(
      kafka,
      topics.outcomes,
      P.slice(90, 95).map((p) => json(outcome(p))),
    );
    const end = (await readAllMessages(kafka, topics.outcomes)).length;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.outcomes, end);
    const text = await service.metricsText();
    expect(valueOf(text, "drift_outcome_joins_total", { model: MODEL, result: "matched" })).toBe(5);
    expect(valueOf(text, "drift_outcome_join_waiting", { model: MODEL, side: "prediction" })).toBe(6);
  }, 60_000);
});

describe("service: predictions and outcomes topics that are not co-partitioned", () => {
  const { children, release } = startedResources();
  afterAll(release);

  it("exits with code 3 and an error line naming both topics, their partition counts and the fix", async () => {
    const raw = serviceRawConfig("not-copartitioned");
    const topics = (raw.kafka as { topics: { predictions: string; outcomes: string } }).topics;
    const admin = harnessKafka().admin();
    await admin.connect();
    try {
      await createTopics(admin, [topics.predictions], 2);
      await createTopics(admin, [topics.outcomes], 1);
    } finally {
      await admin.disconnect();
    }
    const service = startServiceProcess(raw, { metricsPort: await freePort() });
    children.push(service);
    expect(await service.exited).toBe(CO_PARTITIONING_EXIT_CODE);
    const line = await service.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("cannot start: "), 1000);
    expect(line.level).toBe("error");
    expect(line.msg).toContain("are not co-partitioned");
    const err = line.err as { type: string; message: string };
    expect(err.type).toBe("CoPartitioningError");
    expect(err.message).toContain(`${topics.predictions} (2 partitions) and ${topics.outcomes} (1 partitions) are not co-partitioned`);
    expect(err.message).toContain("--alter --partitions 2");
  }, 60_000);
});
