// Binary frame of one outbox entry as RedisStateStore stores it under the entry's id:
//   [u8 version=2][u8 kind][u32 BE topic length][topic][i32 BE key length, -1 = null][key]
//   [u32 BE headers length][headers JSON object][value: the rest]
// Version 1 (topic, string key, value; kind guessed from the id) was never released and is not read.
import { StateStoreCorruptError, type StateStoreErrorContext } from "./errors.ts";
import type { OutboxEntry, OutboxKind } from "./port.ts";

const FRAME_VERSION = 2;
// append only: the index is the stored kind byte
const KINDS: readonly OutboxKind[] = ["drift", "retrain", "dead-letter", "baseline"];

export function frameOutboxEntry(entry: OutboxEntry): Buffer {
  const topic = Buffer.from(entry.topic, "utf8");
  const headers = Buffer.from(JSON.stringify(entry.headers), "utf8");
  const keyLength = entry.key === null ? 0 : entry.key.byteLength;
  const frame = Buffer.allocUnsafe(2 + 4 + topic.length + 4 + keyLength + 4 + headers.length + entry.value.byteLength);
  let at = frame.writeUInt8(FRAME_VERSION, 0);
  at = frame.writeUInt8(KINDS.indexOf(entry.kind), at);
  at = frame.writeUInt32BE(topic.length, at);
  at += topic.copy(frame, at);
  at = frame.writeInt32BE(entry.key === null ? -1 : keyLength, at);
  if (entry.key !== null) {
    frame.set(entry.key, at);
    at += keyLength;
  }
  at = frame.writeUInt32BE(headers.length, at);
  at += headers.copy(frame, at);
  frame.set(entry.value, at);
  return frame;
}

export function unframeOutboxEntry(id: string, frame: Buffer, ctx: StateStoreErrorContext): OutboxEntry {
  const corrupt = (why: string) => new StateStoreCorruptError(`outbox entry ${id}: ${why}`, ctx);
  if (frame.length < 14) throw corrupt(`frame of ${frame.length} bytes is too short`);
  if (frame.readUInt8(0) !== FRAME_VERSION) throw corrupt(`unknown frame version ${frame.readUInt8(0)}`);
  const kind = KINDS[frame.readUInt8(1)];
  if (kind === undefined) throw corrupt(`unknown kind ${frame.readUInt8(1)}`);
  const topicEnd = 6 + frame.readUInt32BE(2);
  if (topicEnd + 4 > frame.length) throw corrupt("topic length runs past the frame");
  const keyLength = frame.readInt32BE(topicEnd);
  const keyEnd = topicEnd + 4 + Math.max(0, keyLength);
  if (keyEnd + 4 > frame.length) throw corrupt("key length runs past the frame");
  const headersEnd = keyEnd + 4 + frame.readUInt32BE(keyEnd);
  if (headersEnd > frame.length) throw corrupt("headers length runs past the frame");
  let headers: Record<string, string>;
  try {
    headers = JSON.parse(frame.toString("utf8", keyEnd + 4, headersEnd)) as Record<string, string>;
  } catch {
    throw corrupt("headers are not JSON");
  }
  return {
    id,
    kind,
    topic: frame.toString("utf8", 6, topicEnd),
    key: keyLength < 0 ? null : new Uint8Array(frame.subarray(topicEnd + 4, keyEnd)),
    value: new Uint8Array(frame.subarray(headersEnd)),
    headers,
  };
}
