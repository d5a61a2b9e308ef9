// The outbox relay against a fake broker that enforces `max.message.bytes` the way Kafka does: it encodes
// each send as a real v2 record batch with kafkajs' own protocol encoder (independent of the relay's size
// estimate) and rejects batches larger than the topic's limit with MESSAGE_TOO_LARGE.
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import type { Producer, ProducerRecord } from "kafkajs";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { deadLetterEntry } from "../../../src/kafka/dead-letter.ts";
import { drainOutbox, type OutboxRelayDeps } from "../../../src/kafka/outbox-relay.ts";
import { createOutputEncoder } from "../../../src/kafka/producer.ts";
import { classifySendError } from "../../../src/kafka/send-errors.ts";
import { fixedMessageSizeLimits, type MessageSizeLimits } from "../../../src/kafka/topic-admin.ts";
import { createLogger } from "../../../src/logging/logger.ts";
import { createDetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import { InMemoryStateStore } from "../../../src/state/memory-store.ts";
import type { OutboxEntry, PartitionRef } from "../../../src/state/port.ts";

const require = createRequire(import.meta.url);
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch: (args: { records: unknown[]; lastOffsetDelta: number }) => Promise<{ size(): number }>;
};
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (args: Record<string, unknown>) => unknown;
const { createErrorFromCode } = require("kafkajs/src/protocol/error") as { createErrorFromCode(code: number): Error };
const { KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = require("kafkajs/src/errors") as Record<
  string,
  new (...args: unknown[]) => Error
>;

const MESSAGE_TOO_LARGE = 10;
const INVALID_RECORD = 87;

const config = resolveConfig({}, {}, "test");
const topics = config.kafka.topics;
const ref: PartitionRef = { group: "g", topic: topics.predictions, partition: 0 };

interface Sent {
  topic: string;
  batchBytes: number;
  messages: { key: Buffer | null; value: Buffer; headers: Record<string, string> }[];
}

/** Size of the record batch Kafka would check against max.message.bytes (offset + length + batch). */
async function batchBytes(record: ProducerRecord): Promise<number> {
  const toBuffer = (v: unknown) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
  const records = record.messages.map((m, i) =>
    Record({ offsetDelta: i, timestampDelta: 0, key: toBuffer(m.key), value: toBuffer(m.value), headers: m.headers ?? {} }),
  );
  return (await RecordBatch({ records, lastOffsetDelta: records.length - 1 })).size();
}

function fakeBroker(limits: Record<string, number>, reject?: (topic: string, m: Sent["messages"][number]) => number | undefined) {
  const sent: Sent[] = [];
  let attempts = 0;
  const producer = {
    async send(record: ProducerRecord) {
      attempts++;
      const size = await batchBytes(record);
      const messages = record.messages.map((m) => ({
        key: m.key === null || m.key === undefined ? null : Buffer.from(m.key),
        value: Buffer.from(m.value ?? ""),
        headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
      }));
      if (size > (limits[record.topic] ?? 1_048_588)) throw new KafkaJSProtocolError(createErrorFromCode(MESSAGE_TOO_LARGE));
      for (const m of messages) {
        const code = reject?.(record.topic, m);
        if (code !== undefined) throw new KafkaJSProtocolError(createErrorFromCode(code));
      }
      sent.push({ topic: record.topic, batchBytes: size, messages });
      return [];
    },
  };
  return { producer: producer as unknown as Producer, sent, attempts: () => attempts };
}

function setup(producer: Producer, limits: MessageSizeLimits) {
  const store = new InMemoryStateStore();
  const lines: string[] = [];
  const log = createLogger({
    level: "info",
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const metrics = createDetectorMetrics({ defaultMetrics: false });
  const deps: OutboxRelayDeps = { store, producer, encoder: createOutputEncoder(), config, metrics, log, limits };
  return { store, deps, metrics, lines };
}

function deadLetters(count: number, valueBytes: number, errorText = "field features.f0: expected number"): OutboxEntry[] {
  return Array.from({ length: count }, (_, i) =>
    deadLetterEntry(
      topics.deadLetter,
      {
        topic: topics.predictions,
        partition: 0,
        offset: String(i),
        key: Buffer.from(`k${i}`),
        value: Buffer.alloc(valueBytes, 97 + (i % 26)),
      },
      { reason: "schema_violation", message: errorText },
      512 * 1024,
    ),
  );
}

async function put(store: InMemoryStateStore, entries: OutboxEntry[]): Promise<void> {
  await store.commitPartition(ref, {
    expectedOffset: null,
    offset: String(entries.length),
    meta: new Uint8Array(0),
    models: new Map(),
    outbox: entries,
  });
}

async function counter(metrics: ReturnType<typeof createDetectorMetrics>, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe("outbox relay under the topic's message size limit", () => {
  it("500 dead letters of 3 KB under a 16 KiB limit go out in sends that each fit, whole and in order", async () => {
    const broker = fakeBroker({ [topics.deadLetter]: 16_384 });
    const { store, deps } = setup(broker.producer, fixedMessageSizeLimits({ [topics.deadLetter]: 16_384 }));
    const entries = deadLetters(500, 3_000);
    await put(store, entries);

    const result = await drainOutbox(ref, deps);

    expect(result).toEqual({ published: 500, suppressed: 0, fallbacks: 0, dropped: 0 });
    expect(broker.attempts()).toBe(broker.sent.length); // no send was rejected
    expect(Math.max(...broker.sent.map((s) => s.batchBytes))).toBeLessThanOrEqual(16_384);
    // 3 000-byte values plus ~150 bytes of headers: 5 fit in 16 KiB, so 100 sends
    expect(broker.sent).toHaveLength(100);
    const delivered = broker.sent.flatMap((s) => s.messages);
    expect(delivered.map((m) => m.headers["source-offset"])).toEqual(entries.map((_, i) => String(i)));
    expect(delivered.every((m) => m.value.length === 3_000 && m.headers["value-truncated"] === undefined)).toBe(true);
    expect(await store.pendingOutbox(ref, 10)).toEqual([]);
  });

  it("a dead letter larger than the limit is cut to fit, with value-truncated and its original size", async () => {
    const broker = fakeBroker({ [topics.deadLetter]: 4_096 });
    const { store, deps } = setup(broker.producer, fixedMessageSizeLimits({ [topics.deadLetter]: 4_096 }));
    await put(store, deadLetters(3, 10_000));

    await drainOutbox(ref, deps);

    const delivered = broker.sent.flatMap((s) => s.messages);
    expect(delivered).toHaveLength(3);
    for (const m of delivered) {
      expect(m.headers["value-truncated"]).toBe("true");
      expect(m.headers["original-size"]).toBe("10000");
      expect(m.value.length).toBeGreaterThan(3_000);
      expect(m.value.length).toBeLessThan(4_096);
    }
    expect(Math.max(...broker.sent.map((s) => s.batchBytes))).toBeLessThanOrEqual(4_096);
  });

  it("a dead letter whose headers alone exceed the limit becomes a fallback record naming source and reason", async () => {
    const broker = fakeBroker({ [topics.deadLetter]: 700 });
    const { store, deps, metrics } = setup(broker.producer, fixedMessageSizeLimits({ [topics.deadLetter]: 700 }));
    await put(store, deadLetters(2, 3_000, "x".repeat(1_000)));

    const result = await drainOutbox(ref, deps);

    expect(result.fallbacks).toBe(2);
    const delivered = broker.sent.flatMap((s) => s.messages);
    expect(delivered.map((m) => m.headers)).toEqual(
      [0, 1].map((i) => ({
        reason: "schema_violation",
        "source-topic": topics.predictions,
        "source-partition": "0",
        "source-offset": String(i),
        "dlq-id": `dlq:${topics.predictions}:0:${i}`,
        "original-size": "3000",
        "value-truncated": "true",
        "delivery-fallback": "too_large_for_topic",
        error: expect.stringContaining("bytes") as unknown as string,
      })),
    );
    expect(delivered.every((m) => m.value.length === 0 && m.key === null)).toBe(true);
    expect(await counter(metrics, "drift_output_fallbacks_total", { kind: "dead-letter", cause: "too_large_for_topic" })).toBe(2);
  });

  it("a limit lowered after it was read: the broker's rejection makes the relay re-read it and deliver everything", async () => {
    const broker = fakeBroker({ [topics.deadLetter]: 4_096 });
    let limit = 1_048_588;
    let refreshes = 0;
    const limits: MessageSizeLimits = {
      limitFor: () => limit,
      async refresh() {
        refreshes++;
        limit = 4_096;
      },
    };
    const { store, deps, metrics } = setup(broker.producer, limits);
    await put(store, deadLetters(40, 3_000));

    const result = await drainOutbox(ref, deps);

    expect(result).toEqual({ published: 40, suppressed: 0, fallbacks: 0, dropped: 0 });
    expect(refreshes).toBeGreaterThanOrEqual(1);
    const delivered = broker.sent.flatMap((s) => s.messages);
    expect(delivered.map((m) => m.headers["source-offset"]).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 40 }, (_, i) => String(i)),
    );
    expect(delivered.every((m) => m.value.length === 3_000)).toBe(true);
    expect(await counter(metrics, "drift_output_failures_total", { reason: "MESSAGE_TOO_LARGE" })).toBeGreaterThanOrEqual(1);
  });

  it("a record the broker rejects as INVALID_RECORD is isolated and replaced by its fallback; the rest of its send is delivered", async () => {
    const broker = fakeBroker({}, (topic, m) =>
      topic === topics.deadLetter && m.headers["source-offset"] === "7" && m.value.length > 0 ? INVALID_RECORD : undefined,
    );
    const { store, deps } = setup(broker.producer, fixedMessageSizeLimits({}));
    await put(store, deadLetters(10, 100));

    const result = await drainOutbox(ref, deps);

    expect(result).toEqual({ published: 9, suppressed: 0, fallbacks: 1, dropped: 0 });
    const delivered = broker.sent.flatMap((s) => s.messages);
    const fallback = delivered.filter((m) => m.headers["delivery-fallback"] !== undefined);
    expect(fallback.map((m) => [m.headers["source-offset"], m.headers["delivery-fallback"], m.headers.reason])).toEqual([
      ["7", "INVALID_RECORD", "schema_violation"],
    ]);
    expect(delivered.filter((m) => m.headers["delivery-fallback"] === undefined).map((m) => m.headers["source-offset"])).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "8",
      "9",
    ]);
  });

  it("when the topic rejects even the fallback records they are dropped with an error log, after a bounded number of sends", async () => {
    const broker = fakeBroker({}, (topic) => (topic === topics.deadLetter ? INVALID_RECORD : undefined));
    const { store, deps, metrics, lines } = setup(broker.producer, fixedMessageSizeLimits({}));
    await put(store, deadLetters(8, 100));

    const result = await drainOutbox(ref, deps);

    expect(result).toEqual({ published: 0, suppressed: 0, fallbacks: 0, dropped: 8 });
    // halving 8 → 4 → 2 → 1 is 15 sends, plus one fallback per record
    expect(broker.attempts()).toBe(15 + 8);
    expect(await store.pendingOutbox(ref, 10)).toEqual([]);
    const dropped = lines
      .map((l) => JSON.parse(l) as { msg: string; id?: string })
      .filter((l) => l.msg.includes("rejected even the fallback record"));
    expect(dropped.map((l) => l.id)).toEqual(Array.from({ length: 8 }, (_, i) => `dlq:${topics.predictions}:0:${i}`));
    expect(await counter(metrics, "drift_output_dropped_total", { kind: "dead-letter" })).toBe(8);
  });

  it("a drift event too large for its topic goes to the DLQ topic as a fallback naming its id and topic", async () => {
    const broker = fakeBroker({ [topics.drift]: 300 });
    const { store, deps, metrics } = setup(broker.producer, fixedMessageSizeLimits({ [topics.drift]: 300 }));
    const value = Buffer.from(JSON.stringify({ modelId: "m", modelVersion: "v1", status: "critical", padding: "p".repeat(500) }));
    const headers = { "event-id": "drift-m-v1-w3", "model-id": "m", "model-version": "v1", status: "critical" };
    await put(store, [{ id: "drift-m-v1-w3", kind: "drift", topic: topics.drift, key: Buffer.from("m"), value, headers }]);

    const result = await drainOutbox(ref, deps);

    expect(result.fallbacks).toBe(1);
    expect(broker.sent).toHaveLength(1);
    expect(broker.sent[0].topic).toBe(topics.deadLetter);
    expect(broker.sent[0].messages[0].headers).toMatchObject({
      reason: "output_undeliverable",
      "output-topic": topics.drift,
      "output-id": "drift-m-v1-w3",
      "output-kind": "drift",
      "source-topic": topics.predictions,
      "source-partition": "0",
      "delivery-fallback": "too_large_for_topic",
      "original-size": String(value.length),
    });
    expect(await counter(metrics, "drift_drift_events_emitted_total", {})).toBe(0);
    expect(await counter(metrics, "drift_output_fallbacks_total", { kind: "drift" })).toBe(1);
  });

  it("a connection error is thrown for the pipeline's backoff and nothing is acked", async () => {
    const producer = {
      send: () =>
        Promise.reject(
          new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("Connection error: ECONNREFUSED"), {
            retryCount: 5,
            retryTime: 100,
          }),
        ),
    } as unknown as Producer;
    const { store, deps, metrics } = setup(producer, fixedMessageSizeLimits({}));
    await put(store, deadLetters(3, 100));

    await expect(drainOutbox(ref, deps)).rejects.toThrow("ECONNREFUSED");
    expect(await store.pendingOutbox(ref, 10)).toHaveLength(3);
    expect(await counter(metrics, "drift_output_failures_total", { reason: "KafkaJSConnectionError" })).toBe(1);
  });
});

describe("classifySendError", () => {
  it("record-level protocol errors are rejections; connection and other errors are not, through retry wrappers", () => {
    const tooLarge = new KafkaJSProtocolError(createErrorFromCode(MESSAGE_TOO_LARGE));
    expect(classifySendError(tooLarge)).toEqual({ recordsRejected: true, retriable: false, reason: "MESSAGE_TOO_LARGE" });
    expect(classifySendError(new KafkaJSProtocolError(createErrorFromCode(18)))).toEqual({
      recordsRejected: true,
      retriable: false,
      reason: "RECORD_LIST_TOO_LARGE",
    });
    expect(classifySendError(new KafkaJSProtocolError(createErrorFromCode(INVALID_RECORD))).recordsRejected).toBe(true);
    // TOPIC_AUTHORIZATION_FAILED is not retriable for kafkajs, but not the records' fault: the outbox waits
    expect(classifySendError(new KafkaJSProtocolError(createErrorFromCode(29)))).toEqual({
      recordsRejected: false,
      retriable: false,
      reason: "TOPIC_AUTHORIZATION_FAILED",
    });
    const wrapped = new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(createErrorFromCode(6)), { retryCount: 5, retryTime: 1 });
    expect(classifySendError(wrapped)).toEqual({ recordsRejected: false, retriable: true, reason: "NOT_LEADER_FOR_PARTITION" });
    expect(classifySendError(new Error("boom"))).toEqual({ recordsRejected: false, retriable: true, reason: "Error" });
  });
});
