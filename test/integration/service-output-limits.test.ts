// Dead letters and outputs are sized to the output topic's real `max.message.bytes` (issue 8, item 1): the
// reproduction is one producer sending schema-invalid ~3 KB events (80 features). Before the relay sized its
// sends, 500 of them went out as one ~1.6 MB send, the broker answered MESSAGE_TOO_LARGE, and the partition
// stalled for good after 336 events. Here the dead-letter topic takes 16 KiB: every message ends up
// dead-lettered (whole, cut to fit, or as a fallback record naming its source), offsets advance, and the
// valid events after them are applied. Then the topic's limit is lowered under the running service: the
// broker's rejection makes the relay re-read it and cut further instead of retrying forever.
import type { ConfigResourceTypes, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PredictionEvent } from "../../src/events/types.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import {
  createPredictionsTopic,
  harnessKafka,
  produceRaw,
  readAllMessages,
  serviceConfig,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
  type RawMessage,
} from "../support/service-harness.ts";

const DLQ_LIMIT = 16_384;
const LOWERED_LIMIT = 1_200;
const INVALID = 400; // > 336, the count at which the unsized relay stalled on a 1 MiB topic
const VALID = 200;

function event(i: number, features: number, confidence: number): PredictionEvent {
  const f: Record<string, number> = {};
  for (let k = 0; k < features; k++) f[`sensor_${String(k).padStart(2, "0")}_reading`] = 1000 + ((i * 7919 + k * 104729) % 100000) / 7;
  return {
    eventId: `limits-${i}`,
    modelId: "scorer",
    modelVersion: "v1",
    timestamp: 1_763_769_600_000 + i,
    prediction: (i % 10) / 10,
    confidence,
    latencyMs: 5 + (i % 7),
    features: f,
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
/** schema-invalid (confidence > 1), ~3 KB with 80 features */
const invalid = (i: number): RawMessage => ({ key: "scorer", value: json(event(i, 80, 1.5)) });
const valid = (i: number): RawMessage => ({ key: "scorer", value: json(event(i, 3, 0.7)) });

async function setTopicLimit(kafka: Kafka, topic: string, bytes: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: 2 as ConfigResourceTypes /* TOPIC */, name: topic, configEntries: [{ name: "max.message.bytes", value: String(bytes) }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** an upper bound of the record's size in a batch (record-size.ts counts the same way, independently of kafkajs) */
function recordSize(m: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }): number {
  let n = 36 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of Object.entries(m.headers)) n += 10 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text
    .split("\n")
    .find(
      (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

describe("service with dead letters larger than the dead-letter topic takes", () => {
  const config = serviceConfig("output-limits", {
    limits: { maxMessageBytes: 65_536 },
    defaults: { window: { maxEvents: 100, minEvents: 20 } },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  const phase1: RawMessage[] = [];

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: topics.deadLetter,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: "max.message.bytes", value: String(DLQ_LIMIT) }],
        },
      ],
    });
    await admin.disconnect();
    for (let i = 0; i < INVALID; i++) phase1.push(invalid(i));
    // five schema-invalid events larger than the DLQ topic takes (but under limits.maxMessageBytes)
    for (let i = 0; i < 5; i++) phase1.push({ key: "scorer", value: json({ ...event(INVALID + i, 80, 1.5), note: "n".repeat(30_000) }) });
    for (let i = 0; i < VALID; i++) phase1.push(valid(INVALID + 5 + i));
    await produceRaw(kafka, topics.predictions, phase1);
    service = await startServiceInProcess(config, { backoff: { initialMs: 50, maxMs: 500, jitter: 0 } });
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("every invalid message is dead-lettered within the topic's limit, offsets advance and the valid events after them are applied", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, phase1.length);

    const dlq = await readAllMessages(kafka, topics.deadLetter);
    expect(dlq.map((m) => m.headers["source-offset"])).toEqual(Array.from({ length: INVALID + 5 }, (_, i) => String(i)));
    for (const [i, m] of dlq.entries()) {
      const original = phase1[i].value as Buffer;
      expect(m.headers.reason).toBe("schema_violation");
      expect(recordSize(m)).toBeLessThanOrEqual(DLQ_LIMIT);
      if (i < INVALID) {
        expect(original.length).toBeGreaterThan(2_800);
        expect(m.value).toEqual(original);
      } else {
        expect(m.headers["value-truncated"]).toBe("true");
        expect(m.headers["original-size"]).toBe(String(original.length));
        expect(m.value).toEqual(original.subarray(0, m.value?.length));
        expect(m.value?.length).toBeGreaterThan(DLQ_LIMIT - 1_000);
      }
    }
    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters.accepted).toBe(VALID);
    const text = await service.metricsText();
    expect(metricValue(text, "drift_events_rejected_total", { reason: "schema_violation" })).toBe(INVALID + 5);
    expect(metricValue(text, "drift_output_failures_total")).toBe(0);
    expect(metricValue(text, "drift_outbox_pending")).toBe(0);
    expect(metricValue(text, "drift_outbox_oldest_age_seconds")).toBe(0);
  });

  it("a limit lowered under the running service: rejected sends are re-read, cut to fit or sent as fallbacks, and the stream goes on", async () => {
    await setTopicLimit(kafka, topics.deadLetter, LOWERED_LIMIT);
    // limits are re-read at most every 5 s after a rejection; let that interval pass since the read at
    // start, so the first rejection re-reads the lowered limit (otherwise records fall back instead of
    // being cut, depending on how fast the first test ran)
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const phase2: RawMessage[] = [];
    const base = phase1.length;
    for (let i = 0; i < 30; i++) phase2.push(invalid(base + i));
    // a 2 KB key cannot fit 1 200 bytes even with an empty value: only a fallback record (no key) can
    for (let i = 0; i < 5; i++) phase2.push({ key: "k".repeat(2_000), value: json(event(base + 30 + i, 80, 1.5)) });
    for (let i = 0; i < 100; i++) phase2.push(valid(base + 35 + i));
    await produceRaw(kafka, topics.predictions, phase2);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, base + phase2.length);

    const dlq = (await readAllMessages(kafka, topics.deadLetter)).slice(INVALID + 5);
    expect(dlq.map((m) => m.headers["source-offset"]).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 35 }, (_, i) => String(base + i)),
    );
    const cut = dlq.filter((m) => m.headers["delivery-fallback"] === undefined);
    const fallbacks = dlq.filter((m) => m.headers["delivery-fallback"] !== undefined);
    expect(cut).toHaveLength(30);
    for (const m of cut) {
      const original = phase2[Number(m.headers["source-offset"]) - base].value as Buffer;
      expect(m.headers["value-truncated"]).toBe("true");
      expect(m.headers["original-size"]).toBe(String(original.length));
      expect(m.value).toEqual(original.subarray(0, m.value?.length));
      expect(recordSize(m)).toBeLessThanOrEqual(LOWERED_LIMIT);
    }
    expect(
      fallbacks.map((m) => [m.headers.reason, m.headers["source-topic"], m.headers["source-partition"], m.headers["delivery-fallback"]]),
    ).toEqual(Array.from({ length: 5 }, () => ["schema_violation", topics.predictions, "0", "too_large_for_topic"]));
    expect(fallbacks.every((m) => m.key === null && (m.value?.length ?? 0) === 0)).toBe(true);

    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    expect(decodePartitionState(0, stored.meta, stored.models).counters.accepted).toBe(VALID + 100);
    const text = await waitFor("the outbox gauges to read drained", async () => {
      const t = await service.metricsText();
      return metricValue(t, "drift_outbox_pending") === 0 ? t : undefined;
    });
    // the first send after the change used the limit read at start: the broker said no, once per send
    expect(metricValue(text, "drift_output_failures_total", { reason: "MESSAGE_TOO_LARGE" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "drift_output_fallbacks_total", { kind: "dead-letter", cause: "too_large_for_topic" })).toBe(5);
    expect(metricValue(text, "drift_output_dropped_total")).toBe(0);
    const ready = await fetch(`http://127.0.0.1:${service.server.port}/readyz`);
    expect(ready.status).toBe(200);
  });
});
