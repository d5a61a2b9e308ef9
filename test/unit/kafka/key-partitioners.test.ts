// Placements made by the clients themselves (test/fixtures/key-partitioners/make_fixtures.sh): the Java
// client's BuiltInPartitioner, librdkafka's partitioner functions, and the defaults of sarama, franz-go,
// kafka-python and aiokafka, for 247
// keys (model ids, the empty key, non-ASCII UTF-8, random bytes of every length 1..40) and ten partition counts.
import { readFileSync } from "node:fs";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { crc32, partitionForKey, type KeyPartitioner } from "../../../src/kafka/key-partitioners.ts";

interface Placements {
  partitionCounts: number[];
  keysHex: string[];
  javaBuiltInPartitioner: number[][];
  librdkafkaConsistent: number[][];
  librdkafkaMurmur2: number[][];
  librdkafkaFnv1a: number[][];
  saramaHashPartitioner: number[][];
  franzGoDefault: number[][];
  kafkaPythonDefault: number[][];
  aiokafkaDefault: number[][];
}

const fixtures = JSON.parse(
  readFileSync(new URL("../../fixtures/key-partitioners/placements.json", import.meta.url), "utf8"),
) as Placements;
const keys = fixtures.keysHex.map((hex) => Buffer.from(hex, "hex"));

function placements(partitioner: KeyPartitioner): number[][] {
  return keys.map((key) => fixtures.partitionCounts.map((n) => partitionForKey(partitioner, key, n)));
}

describe("key partitioners against the clients' own placements", () => {
  it("the fixtures cover 247 keys, among them the empty key and keys of every length 1..40, at 10 partition counts", () => {
    expect(keys).toHaveLength(247);
    expect(keys.some((k) => k.length === 0)).toBe(true);
    for (let length = 1; length <= 40; length++) expect(keys.some((k) => k.length === length)).toBe(true);
    expect(fixtures.partitionCounts).toEqual([1, 2, 3, 5, 6, 7, 12, 32, 100, 1000]);
  });

  it("murmur2 places every key where the Java client, franz-go, kafka-python, aiokafka and librdkafka's murmur2 do", () => {
    expect(placements("murmur2")).toEqual(fixtures.javaBuiltInPartitioner);
    expect(placements("murmur2")).toEqual(fixtures.franzGoDefault);
    expect(placements("murmur2")).toEqual(fixtures.kafkaPythonDefault);
    expect(placements("murmur2")).toEqual(fixtures.aiokafkaDefault);
    expect(placements("murmur2")).toEqual(fixtures.librdkafkaMurmur2);
  });

  it("murmur2 places every key where kafkajs' DefaultPartitioner does", () => {
    const partitionMetadata = (n: number) =>
      Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    const kafkajs = keys.map((key) =>
      fixtures.partitionCounts.map((n) =>
        Partitioners.DefaultPartitioner()({ topic: "t", partitionMetadata: partitionMetadata(n), message: { key, value: null } }),
      ),
    );
    expect(placements("murmur2")).toEqual(kafkajs);
  });

  it("crc32 places every key where librdkafka's consistent partitioner (kcat's and confluent-kafka's default) does", () => {
    expect(placements("crc32")).toEqual(fixtures.librdkafkaConsistent);
  });

  it("fnv1a places every key where sarama's default partitioner and librdkafka's fnv1a do", () => {
    expect(placements("fnv1a")).toEqual(fixtures.saramaHashPartitioner);
    expect(placements("fnv1a")).toEqual(fixtures.librdkafkaFnv1a);
  });

  it("crc32 of '123456789' is the standard check value 0xcbf43926", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("the three disagree on real model ids: fraud-scorer on 2 partitions is 0 for murmur2 and fnv1a, 1 for crc32", () => {
    const key = Buffer.from("fraud-scorer");
    expect([partitionForKey("murmur2", key, 2), partitionForKey("crc32", key, 2), partitionForKey("fnv1a", key, 2)]).toEqual([0, 1, 0]);
  });
});
