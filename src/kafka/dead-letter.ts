// Dead-letter entries: a rejected message becomes an outbox entry of kind "dead-letter" (id
// `dlq:<topic>:<partition>:<offset>`), written to Redis in the same atomic step as the partition's offset,
// then relayed to the DLQ topic with the original key and value bytes and headers `reason`, `source-topic`,
// `source-partition`, `source-offset`, `error`, `dlq-id` (plus `schema-id`, `field`, `source-timestamp`
// when known, and `source-value-schema-id`: the base64 of the message's own `__value_schema_id` header, which
// names the schema of a bare body and goes back with it on redrive; Apicurio's `apicurio.value.globalId`,
// `apicurio.value.contentId` and `apicurio.value.encoding` likewise, as `source-header-<name>`). Values over `maxValueBytes` are
// truncated (headers `value-truncated: true`, `original-size`).
// At publish time the value is cut again to whatever the DLQ topic's `max.message.bytes` leaves, and a dead
// letter that cannot be delivered at all becomes a fallback record naming its source (see the relay), so
// an oversize message can never make the DLQ write itself fail and stall the partition.
import { VALUE_SCHEMA_ID_HEADER, type MessageHeaders, type SchemaKey } from "../events/confluent-framing.ts";
import { headerBytes, SCHEMA_NAMING_HEADERS } from "../events/schema-id-headers.ts";
import type { OutboxEntry } from "../state/port.ts";
import { recordBytes, type SizedMessage } from "./record-size.ts";

/** the `error` header is a human hint, not a payload */
const MAX_ERROR_CHARS = 1_000;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** producer timestamp of the original message (ms, decimal string) */
  timestamp?: string;
  /** its headers: only the ones naming the schema are kept (deadLetterHeaderFor) */
  headers?: MessageHeaders;
}

export interface DeadLetterReason {
  reason: string;
  message: string;
  field?: string;
  schemaId?: SchemaKey;
}

/**
 * The header a dead letter keeps a source header naming the schema in, base64 (outbox headers are text):
 * `source-value-schema-id` for Confluent's (the name its dead letters had first), `source-header-<name>` for the others.
 */
function deadLetterHeaderFor(sourceHeader: string): string {
  return sourceHeader === VALUE_SCHEMA_ID_HEADER ? "source-value-schema-id" : `source-header-${sourceHeader}`;
}

export function deadLetterId(topic: string, partition: number, offset: string): string {
  return `dlq:${topic}:${partition}:${offset}`;
}

export function deadLetterEntry(dlqTopic: string, source: DeadLetterSource, why: DeadLetterReason, maxValueBytes: number): OutboxEntry {
  const value = source.value ?? new Uint8Array(0);
  const truncated = value.length > maxValueBytes;
  const id = deadLetterId(source.topic, source.partition, source.offset);
  const headers: Record<string, string> = {
    reason: why.reason,
    "source-topic": source.topic,
    "source-partition": String(source.partition),
    "source-offset": source.offset,
    error: why.message.slice(0, MAX_ERROR_CHARS),
    "dlq-id": id,
  };
  if (why.field !== undefined) headers.field = why.field;
  if (why.schemaId !== undefined) headers["schema-id"] = String(why.schemaId);
  if (source.timestamp !== undefined) headers["source-timestamp"] = source.timestamp;
  for (const name of SCHEMA_NAMING_HEADERS) {
    const bytes = headerBytes(source.headers, name);
    if (bytes !== undefined) headers[deadLetterHeaderFor(name)] = bufferOf(bytes).toString("base64");
  }
  if (truncated) {
    headers["value-truncated"] = "true";
    headers["original-size"] = String(value.length);
  }
  return {
    id,
    kind: "dead-letter",
    topic: dlqTopic,
    key: source.key,
    value: truncated ? value.subarray(0, maxValueBytes) : value,
    headers,
  };
}

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The Kafka message of a dead-letter entry within `maxRecordBytes` (the topic's record budget, see
 * record-size.ts): whole when it fits, else with its value cut to fit (value-truncated, original-size);
 * null when not even an empty value fits (the relay then sends deadLetterFallback).
 */
export function fitDeadLetter(entry: OutboxEntry, maxRecordBytes = Number.POSITIVE_INFINITY): DeadLetterMessage | null {
  const key = entry.key === null ? null : bufferOf(entry.key);
  const value = bufferOf(entry.value);
  const whole: DeadLetterMessage = { key, value, headers: { ...entry.headers } };
  if (recordBytes(whole) <= maxRecordBytes) return whole;
  const headers = { ...entry.headers, "value-truncated": "true", "original-size": entry.headers["original-size"] ?? String(value.length) };
  const room = maxRecordBytes - recordBytes({ key, value: null, headers } satisfies SizedMessage);
  if (room < 0) return null;
  return { key, value: value.subarray(0, room), headers };
}

export interface FallbackCause {
  /** why the original record could not be delivered, e.g. MESSAGE_TOO_LARGE or too_large_for_topic */
  cause: string;
  detail: string;
}

/** the broker's own limit can be tiny; a fallback record keeps only what names the message */
const MAX_FALLBACK_DETAIL_CHARS = 200;
const SOURCE_HEADERS = ["reason", "source-topic", "source-partition", "source-offset", "dlq-id"] as const;

/**
 * The small record sent to the DLQ topic when a dead letter cannot be delivered even truncated: no key or
 * value, only what names the source message (topic, partition, offset, reason) and why it fell back.
 */
export function deadLetterFallback(entry: OutboxEntry, why: FallbackCause): DeadLetterMessage {
  const named: Record<string, string> = {};
  for (const h of SOURCE_HEADERS) {
    const v = entry.headers[h];
    if (v !== undefined) named[h] = v;
  }
  return {
    key: null,
    value: Buffer.alloc(0),
    headers: {
      ...named,
      "dlq-id": entry.id,
      "original-size": entry.headers["original-size"] ?? String(entry.value.byteLength),
      "value-truncated": "true",
      "delivery-fallback": why.cause,
      error: why.detail.slice(0, MAX_FALLBACK_DETAIL_CHARS),
    },
  };
}

/**
 * The record sent to the DLQ topic in place of a drift event or retrain request that its topic rejects
 * (or that cannot be encoded): it names the output by id and topic, the partition it came from, and why.
 */
export function outputFallback(entry: OutboxEntry, source: { topic: string; partition: number }, why: FallbackCause): DeadLetterMessage {
  return {
    key: entry.key === null ? null : bufferOf(entry.key).subarray(0, 256),
    value: Buffer.alloc(0),
    headers: {
      reason: "output_undeliverable",
      "source-topic": source.topic,
      "source-partition": String(source.partition),
      "output-topic": entry.topic,
      "output-id": entry.id,
      "output-kind": entry.kind,
      "original-size": String(entry.value.byteLength),
      "dlq-id": `undeliverable:${entry.id}`,
      "delivery-fallback": why.cause,
      error: why.detail.slice(0, MAX_FALLBACK_DETAIL_CHARS),
    },
  };
}

/** What `dead-letters redrive` does with one record of the DLQ topic. */
export type RedriveDecision =
  | {
      readonly kind: "redrive";
      readonly topic: string;
      /** the source partition, which the record goes back to */
      readonly partition: number;
      readonly key: Buffer | null;
      readonly value: Buffer;
      /** `redriven-from`: the dead letter's id, so the copy can be traced; the message's own schema-id header */
      readonly headers: Record<string, string | Buffer>;
    }
  /** a dead letter of the reason asked for that cannot go back whole */
  | { readonly kind: "not-redrivable"; readonly why: string }
  /** another reason or source topic: left for another run */
  | { readonly kind: "other" };

export interface RedriveFilter {
  readonly reason: string;
  /** the source topics a dead letter may go back to (the predictions and outcomes topics) */
  readonly sourceTopics: readonly string[];
}

/**
 * Whether a DLQ record goes back to its source topic: its `reason` header is the one asked for and its
 * `source-topic` one of the detector's inputs, with the whole original value (not truncated, not a
 * delivery fallback, not an output that could not be delivered).
 */
export function redriveDecision(
  message: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> },
  filter: RedriveFilter,
): RedriveDecision {
  const { headers } = message;
  if (headers.reason !== filter.reason) return { kind: "other" };
  const topic = headers["source-topic"];
  if (topic === undefined || !filter.sourceTopics.includes(topic)) return { kind: "other" };
  if (headers["delivery-fallback"] !== undefined) return { kind: "not-redrivable", why: "a delivery fallback: the DLQ holds no value" };
  if (headers["value-truncated"] === "true")
    return { kind: "not-redrivable", why: `its value was truncated (${headers["original-size"] ?? "?"} bytes)` };
  const partition = Number(headers["source-partition"]);
  if (!Number.isInteger(partition) || partition < 0) return { kind: "not-redrivable", why: "no source-partition header" };
  return {
    kind: "redrive",
    topic,
    partition,
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: {
      "redriven-from": headers["dlq-id"] ?? `${topic}:${partition}:${headers["source-offset"] ?? "?"}`,
      ...schemaHeadersKeptIn(headers),
    },
  };
}

/** The source headers naming the schema that a dead letter kept, as they were. */
function schemaHeadersKeptIn(headers: Readonly<Record<string, string | undefined>>): Record<string, Buffer> {
  const restored: Record<string, Buffer> = {};
  for (const name of SCHEMA_NAMING_HEADERS) {
    const kept = headers[deadLetterHeaderFor(name)];
    if (kept !== undefined) restored[name] = Buffer.from(kept, "base64");
  }
  return restored;
}
