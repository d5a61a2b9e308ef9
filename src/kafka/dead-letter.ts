// Dead-letter entries: a rejected message becomes an outbox entry (id `dlq:<topic>:<partition>:<offset>`),
// written to Redis in the same atomic step as the partition's offset, then relayed to the DLQ topic with
// headers `reason`, `source-topic`, `source-partition`, `source-offset` (plus `error`, and `schema-id`
// / `field` when known) and the original key and value bytes. The outbox holds JSON for outputs, so a DLQ
// entry carries its own small binary frame inside OutboxEntry.value:
//   [u8 version=1][u32 BE envelope length][envelope JSON][i32 BE key length, -1 = null][key][value]
// Values over `maxValueBytes` are truncated (header `value-truncated: true`, `original-size`), so an
// oversize message can never make the DLQ write itself fail and stall the partition.
import type { OutboxEntry } from "../state/port.ts";

const FRAME_VERSION = 1;
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

interface Envelope {
  reason: string;
  error: string;
  field?: string;
  schemaId?: number;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  sourceTimestamp?: string;
  originalSize: number;
  truncated: boolean;
}

export class DeadLetterFrameError extends Error {
  override readonly name = "DeadLetterFrameError";
  constructor(
    message: string,
    readonly context: { id: string },
  ) {
    super(message);
  }
}

export function deadLetterId(topic: string, partition: number, offset: string): string {
  return `dlq:${topic}:${partition}:${offset}`;
}

export function isDeadLetterEntry(entry: OutboxEntry): boolean {
  return entry.id.startsWith("dlq:");
}

export function deadLetterEntry(dlqTopic: string, source: DeadLetterSource, why: DeadLetterReason, maxValueBytes: number): OutboxEntry {
  const value = source.value ?? new Uint8Array(0);
  const truncated = value.length > maxValueBytes;
  const envelope: Envelope = {
    reason: why.reason,
    error: why.message.slice(0, MAX_ERROR_CHARS),
    ...(why.field === undefined ? {} : { field: why.field }),
    ...(why.schemaId === undefined ? {} : { schemaId: why.schemaId }),
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    ...(source.timestamp === undefined ? {} : { sourceTimestamp: source.timestamp }),
    originalSize: value.length,
    truncated,
  };
  const json = Buffer.from(JSON.stringify(envelope), "utf8");
  const key = source.key;
  const body = truncated ? value.subarray(0, maxValueBytes) : value;
  const frame = Buffer.alloc(1 + 4 + json.length + 4 + (key?.length ?? 0) + body.length);
  let pos = frame.writeUInt8(FRAME_VERSION, 0);
  pos = frame.writeUInt32BE(json.length, pos);
  pos += json.copy(frame, pos);
  pos = frame.writeInt32BE(key === null ? -1 : key.length, pos);
  if (key !== null) {
    frame.set(key, pos);
    pos += key.length;
  }
  frame.set(body, pos);
  return { id: deadLetterId(source.topic, source.partition, source.offset), topic: dlqTopic, key: "", value: frame };
}

export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** The Kafka message for a DLQ outbox entry. */
export function deadLetterMessage(entry: OutboxEntry): DeadLetterMessage {
  const frame = Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength);
  const fail = (why: string) => new DeadLetterFrameError(`dead-letter entry ${entry.id}: ${why}`, { id: entry.id });
  if (frame.length < 9 || frame.readUInt8(0) !== FRAME_VERSION) throw fail("unknown frame version");
  const jsonLength = frame.readUInt32BE(1);
  if (5 + jsonLength + 4 > frame.length) throw fail("truncated frame");
  const envelope = JSON.parse(frame.subarray(5, 5 + jsonLength).toString("utf8")) as Envelope;
  let pos = 5 + jsonLength;
  const keyLength = frame.readInt32BE(pos);
  pos += 4;
  if (keyLength > 0 && pos + keyLength > frame.length) throw fail("truncated key");
  const key = keyLength < 0 ? null : Buffer.from(frame.subarray(pos, pos + keyLength));
  pos += Math.max(0, keyLength);
  const headers: Record<string, string> = {
    reason: envelope.reason,
    "source-topic": envelope.sourceTopic,
    "source-partition": String(envelope.sourcePartition),
    "source-offset": envelope.sourceOffset,
    error: envelope.error,
    "dlq-id": entry.id,
  };
  if (envelope.field !== undefined) headers.field = envelope.field;
  if (envelope.schemaId !== undefined) headers["schema-id"] = String(envelope.schemaId);
  if (envelope.sourceTimestamp !== undefined) headers["source-timestamp"] = envelope.sourceTimestamp;
  if (envelope.truncated) {
    headers["value-truncated"] = "true";
    headers["original-size"] = String(envelope.originalSize);
  }
  return { key, value: Buffer.from(frame.subarray(pos)), headers };
}
