// Where the producers in use put a keyed record: the partition each client's default key partitioner picks.
// They do not agree, and the outcome join depends on it (outcomes of a key must land on the partition its
// predictions did). Pinned by test/fixtures/key-partitioners/placements.json, made by the clients themselves.
//   murmur2  the Java client (BuiltInPartitioner), kafkajs' DefaultPartitioner, kafka-python, aiokafka,
//            franz-go, and librdkafka's murmur2 / murmur2_random
//   crc32    librdkafka's consistent / consistent_random: the default of kcat and the confluent-kafka clients
//            (Python, Go, .NET)
//   fnv1a    sarama's default (NewHashPartitioner), and librdkafka's fnv1a / fnv1a_random

export const KEY_PARTITIONERS = ["murmur2", "crc32", "fnv1a"] as const;
export type KeyPartitioner = (typeof KEY_PARTITIONERS)[number];

/** Who places keys this way by default, for messages to operators. */
export const KEY_PARTITIONER_USERS: Record<KeyPartitioner, string> = {
  murmur2: "murmur2 (the Java client, kafkajs, kafka-python, aiokafka, franz-go; librdkafka with partitioner=murmur2_random)",
  crc32: "CRC32 (librdkafka's default consistent_random: kcat, confluent-kafka for Python, Go and .NET)",
  fnv1a: "FNV-1a (sarama's default hash partitioner; librdkafka with partitioner=fnv1a_random)",
};

/** Kafka's Utils.murmur2: a signed 32-bit hash of the key's bytes. */
export function murmur2(key: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = key.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= key[whole + 2] << 16;
  if (tail >= 2) h ^= key[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ key[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, zlib's), unsigned: librdkafka's rd_crc32. */
export function crc32(key: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < key.length; i++) c = CRC32_TABLE[(c ^ key[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 32-bit FNV-1a, unsigned. */
export function fnv1a(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h >>> 0;
}

/** The partition of `partitions` that `partitioner` gives a record with this (non-null) key. */
export function partitionForKey(partitioner: KeyPartitioner, key: Uint8Array, partitions: number): number {
  switch (partitioner) {
    case "murmur2":
      return (murmur2(key) & 0x7fffffff) % partitions;
    case "crc32":
      return crc32(key) % partitions;
    case "fnv1a":
      // sarama: the hash as a signed int32, remainder, then its absolute value (Math.abs: never -0)
      return Math.abs((fnv1a(key) | 0) % partitions);
  }
}
