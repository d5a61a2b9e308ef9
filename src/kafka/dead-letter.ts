// Dead-letter entries: a rejected message becomes an outbox entry of kind "dead-letter" (id
// `dlq:<topic>:<partition>:<offset>`), written to Redis in the same atomic step as the partition's offset,
// then relayed to the DLQ topic with the original key and value bytes and headers `reason`, `source-topic`,
// `source-partition`, `source-offset`, `error`, `dlq-id` (plus `schema-id`, `field`, `source-timestamp`
// when known). Values over `maxValueBytes` are truncated (headers `value-truncated: true`, `original-size`),
// so an oversize message can never make the DLQ write itself fail and stall the partition.
import type { OutboxEntry } from "../state/port.ts";

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
}

export interface DeadLetterReason {
  reason: string;
  message: string;
  field?: string;
  schemaId?: number;
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
  if (truncated) {
    headers["value-truncated"] = "true";
    headers["original-size"] = String(value.length);
  }
  return { id, kind: "dead-letter", topic: dlqTopic, key: source.key, value: truncated ? value.subarray(0, maxValueBytes) : value, headers };
}
