// Where the consumer group stands in a partition, as Kafka knows it: the committed offset (the durable
// witness that Redis held state up to there, src/pipeline/state-loss.ts), the first retained offset (where a
// rebuild of lost state can start at the earliest) and a seek (to re-read from there). The admin client is
// connected on first use: it is needed only when a partition's state is loaded.
import type { Admin, Consumer, Kafka } from "kafkajs";

export interface PartitionPositions {
  /** the group's committed offset (the next offset to read), null when it has none */
  committed(topic: string, partition: number): Promise<string | null>;
  /** the partition's first retained offset */
  logStart(topic: string, partition: number): Promise<string>;
  /** every partition's first retained offset and log end (high watermark), and the group's committed offset (undefined: none) */
  progress(topic: string): Promise<{ partition: number; logStart: bigint; logEnd: bigint; committed: bigint | undefined }[]>;
  /** the consumer reads the partition from `offset` on; the batch in progress is abandoned (isStale) */
  seek(topic: string, partition: number, offset: string): void;
  close(): Promise<void>;
}

export function createPartitionPositions(kafka: Kafka, consumer: Consumer, groupId: string): PartitionPositions {
  let admin: Promise<Admin> | undefined;
  const connected = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      admin = undefined; // connect again on the next call
      throw err;
    });
    return admin;
  };
  return {
    async committed(topic, partition) {
      const [entry] = await (await connected()).fetchOffsets({ groupId, topics: [topic] });
      const offset = entry?.partitions.find((p) => p.partition === partition)?.offset;
      return offset === undefined || BigInt(offset) < 0n ? null : offset;
    },
    async logStart(topic, partition) {
      const offsets = await (await connected()).fetchTopicOffsets(topic);
      const found = offsets.find((p) => p.partition === partition);
      if (found === undefined) throw new Error(`topic ${topic} has no partition ${partition}`);
      return found.low;
    },
    async progress(topic) {
      const a = await connected();
      const [ends, [entry]] = await Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets({ groupId, topics: [topic] })]);
      const committed = new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends.map((p) => {
        const c = committed.get(p.partition);
        return {
          partition: p.partition,
          logStart: BigInt(p.low),
          logEnd: BigInt(p.high),
          committed: c === undefined || c < 0n ? undefined : c,
        };
      });
    },
    seek(topic, partition, offset) {
      consumer.seek({ topic, partition, offset });
    },
    async close() {
      const a = admin;
      admin = undefined;
      if (a !== undefined) await (await a.catch(() => undefined))?.disconnect();
    },
  };
}
