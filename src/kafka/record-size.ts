// How many bytes a message takes in a Kafka record batch (format v2, uncompressed), and packing messages
// into sends whose batches stay under the topic's `max.message.bytes`. The estimate is an upper bound:
// every varint is counted at its maximum width, so a packed send is never rejected for size because the
// estimate was low.

/** record batch header (61) plus the log entry's offset and length (12), which the broker counts too */
export const BATCH_OVERHEAD_BYTES = 73;
/** per record: length, attributes, timestamp delta, offset delta, key/value lengths, header count */
const RECORD_OVERHEAD_BYTES = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** per header: key and value length varints */
const HEADER_OVERHEAD_BYTES = 10;

export interface SizedMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function headerBytes(headers: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) n += HEADER_OVERHEAD_BYTES + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

export function recordBytes(message: SizedMessage): number {
  const key = message.key === null ? 0 : typeof message.key === "string" ? Buffer.byteLength(message.key) : message.key.length;
  return RECORD_OVERHEAD_BYTES + key + (message.value?.length ?? 0) + headerBytes(message.headers);
}

/** Bytes of records one batch may hold under a topic limit of `maxMessageBytes`. */
export function recordBudget(maxMessageBytes: number): number {
  return maxMessageBytes - BATCH_OVERHEAD_BYTES;
}

/**
 * Splits items, in order, into groups whose records fit `budget` bytes together. An item larger than the
 * budget on its own gets a group of its own (the caller has already shrunk what it can).
 */
export function packBySize<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && used + size > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
