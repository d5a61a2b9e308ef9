// Are the predictions and outcomes topics keyed alike? The outcome join needs an outcome on the partition its
// prediction was on, and the start-up check can only compare partition counts: producers with different
// default partitioners (kcat or confluent-kafka beside the Java client, say) put the same modelId key on
// different partitions, and those outcomes then never join. Seen from the records: a key on partition p of one
// topic and q ≠ p of the other is a conflict, whatever placed it. Which known partitioner (key-partitioners.ts)
// every keyed record of a topic fits is kept too, to say which producer to change. Plain data, no I/O.
import { KEY_PARTITIONER_USERS, KEY_PARTITIONERS, partitionForKey, type KeyPartitioner } from "./key-partitioners.ts";

/** A key seen on one partition of the predictions topic and another of the outcomes topic. */
export interface KeyPartitionConflict {
  /** the key as UTF-8 text, cut to 120 characters */
  key: string;
  predictionsPartition: number;
  outcomesPartition: number;
}

/** a key seen on two partitions of the same topic (its producer changed, or partitions were added) */
const MOVED = -1;
/** distinct keys of a batch compared byte by byte before a lookup */
const RECENT_KEYS = 8;

/** records of a batch looked at once a topic's keys fill the bound */
const FULL_SAMPLE = 32;

function seenIn(recent: readonly Uint8Array[], key: Uint8Array): boolean {
  next: for (const r of recent) {
    if (r.length !== key.length) continue;
    for (let i = 0; i < key.length; i++) if (r[i] !== key[i]) continue next;
    return true;
  }
  return false;
}

class TopicKeys {
  /** key bytes as latin1 text (one char per byte) → the partition it was first seen on, or MOVED */
  readonly partitionOf = new Map<string, number>();
  readonly fits = new Set<KeyPartitioner>(KEY_PARTITIONERS);
}

export class KeyPlacementCheck {
  private readonly predictions = new TopicKeys();
  private readonly outcomes = new TopicKeys();
  private readonly conflicting = new Set<string>();
  /** grows whenever a conflict is found or a partitioner stops fitting: what /metrics shows is then stale */
  private changeCount = 0;

  /**
   * `partitionCount`: both topics' (checked equal at start), used only to say which partitioner fits. Keys are
   * remembered up to `maxKeys` per topic. Cost: 36–52 ns a record, 5–8 % of decoding its JSON
   * (test/bench/key-placement.bench.ts): a byte comparison with the batch's recent keys, a lookup for a new one.
   */
  constructor(
    readonly topics: { predictions: string; outcomes: string },
    private readonly partitionCount: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Looks at one fetched batch's keys; returns the conflicts first seen in it. */
  observe(topic: string, partition: number, messages: readonly { key: Uint8Array | null }[]): KeyPartitionConflict[] {
    const own = this.keysOf(topic);
    if (own === undefined || this.topics.predictions === this.topics.outcomes) return [];
    const other = own === this.predictions ? this.outcomes : this.predictions;
    const found: KeyPartitionConflict[] = [];
    // both topics' keys remembered up to the bound: nothing more can be learned (keys unique per record, such
    // as eventIds), so the records are no longer looked at
    if (own.partitionOf.size >= this.maxKeys && other.partitionOf.size >= this.maxKeys) return found;
    // keys already looked at in this batch: a few models interleaved cost a byte comparison each, not a lookup
    const recent: Uint8Array[] = [];
    // this topic's keys remembered up to the bound: only a batch's first records are still compared
    const end = own.partitionOf.size >= this.maxKeys ? Math.min(messages.length, FULL_SAMPLE) : messages.length;
    for (let m = 0; m < end; m++) {
      const key = messages[m].key;
      // an empty or null key is placed at random by librdkafka's default and kafkajs' alike: no evidence
      if (key === null || key.length === 0 || seenIn(recent, key)) continue;
      if (recent.length < RECENT_KEYS) recent.push(key);
      else recent[recent.length - 1] = key;
      const text = Buffer.from(key.buffer, key.byteOffset, key.length).toString("latin1");
      const seen = own.partitionOf.get(text);
      if (seen === partition || seen === MOVED) continue;
      // past the bound a new key is not remembered, but still compared with the other topic's
      if (seen !== undefined || own.partitionOf.size < this.maxKeys) {
        own.partitionOf.set(text, seen === undefined ? partition : MOVED);
        this.narrow(own, key, partition);
      }
      // a key that moved within its topic is no evidence about the other
      if (seen !== undefined) continue;
      const there = other.partitionOf.get(text);
      if (there === undefined || there === MOVED || there === partition || this.conflicting.has(text)) continue;
      this.conflicting.add(text);
      this.changeCount++;
      const printable = Buffer.from(text, "latin1").toString("utf8").slice(0, 120);
      found.push(
        own === this.predictions
          ? { key: printable, predictionsPartition: partition, outcomesPartition: there }
          : { key: printable, predictionsPartition: there, outcomesPartition: partition },
      );
    }
    return found;
  }

  /** grows with every new conflict and every partitioner that stops fitting */
  get changes(): number {
    return this.changeCount;
  }

  /** distinct keys seen on different partitions of the two topics so far */
  get conflicts(): number {
    return this.conflicting.size;
  }

  /** The known partitioners that placed every keyed record of `topic` seen so far (all three before any). */
  fitting(topic: string): KeyPartitioner[] {
    const keys = this.keysOf(topic);
    return keys === undefined ? [] : KEY_PARTITIONERS.filter((p) => keys.fits.has(p));
  }

  /** fitting(topic) as one flag per known partitioner (drift_key_partitioner_fit) */
  fitFlags(topic: string): Record<KeyPartitioner, boolean> {
    const fits = this.fitting(topic);
    return { murmur2: fits.includes("murmur2"), crc32: fits.includes("crc32"), fnv1a: fits.includes("fnv1a") };
  }

  /** distinct keys remembered of `topic` */
  keysSeen(topic: string): number {
    return this.keysOf(topic)?.partitionOf.size ?? 0;
  }

  private keysOf(topic: string): TopicKeys | undefined {
    return topic === this.topics.predictions ? this.predictions : topic === this.topics.outcomes ? this.outcomes : undefined;
  }

  private narrow(keys: TopicKeys, key: Uint8Array, partition: number): void {
    // a partition past the count read at start: partitions were added, and placements by the old count
    // cannot be told from the new
    if (partition >= this.partitionCount) return;
    for (const p of keys.fits)
      if (partitionForKey(p, key, this.partitionCount) !== partition) {
        keys.fits.delete(p);
        this.changeCount++;
      }
  }
}

function describeFit(topic: string, fits: readonly KeyPartitioner[]): string {
  if (fits.length === KEY_PARTITIONERS.length) return `keys on ${topic} fit any of the known partitioners (too few keys seen to tell)`;
  if (fits.length === 0) return `keys on ${topic} fit no known partitioner (a custom partitioner, or partitions chosen by the producer)`;
  return `keys on ${topic} fit ${fits.map((p) => KEY_PARTITIONER_USERS[p]).join(" or ")}`;
}

/** One log line's text for a conflict: what happens to the key's outcomes, which producers to change. */
export function describeConflict(
  conflict: KeyPartitionConflict,
  topics: { predictions: string; outcomes: string },
  fits: { predictions: readonly KeyPartitioner[]; outcomes: readonly KeyPartitioner[] },
): string {
  return (
    `key ${JSON.stringify(conflict.key)} is on partition ${conflict.predictionsPartition} of ${topics.predictions} and on partition ` +
    `${conflict.outcomesPartition} of ${topics.outcomes}: the two topics' producers place keys differently, so these outcomes ` +
    `cannot join their predictions (the join of partition p sees only partition p's predictions). ` +
    `${describeFit(topics.predictions, fits.predictions)}; ${describeFit(topics.outcomes, fits.outcomes)}. ` +
    "Make every producer of both topics place keys alike, e.g. as the Java client does: partitioner=murmur2_random for " +
    "librdkafka clients (kcat, confluent-kafka), a murmur2 partitioner for sarama (or franz-go, whose default it is)"
  );
}
