// Placements below are the clients' own (test/fixtures/key-partitioners/placements.json), at 3 partitions:
//   key            crc32 (kcat, confluent-kafka)   murmur2 (Java, kafkajs)   fnv1a (sarama)
//   fraud-scorer   0                               1                         0
//   eta-regressor  0                               0                         2
//   a              0                               1                         0
import { describe, expect, it } from "vitest";
import { describeConflict, KeyPlacementCheck } from "../../../src/kafka/key-placement.ts";

const topics = { predictions: "ml.predictions", outcomes: "ml.outcomes" };
const keyed = (...keys: (string | null)[]) => keys.map((k) => ({ key: k === null ? null : Buffer.from(k) }));

/** the three keys where librdkafka's default (crc32) and the Java client (murmur2) put them */
function crc32Predictions(check: KeyPlacementCheck) {
  return check.observe(topics.predictions, 0, keyed("fraud-scorer", "eta-regressor", "a"));
}
function murmur2Outcomes(check: KeyPlacementCheck) {
  return [...check.observe(topics.outcomes, 1, keyed("fraud-scorer", "a")), ...check.observe(topics.outcomes, 0, keyed("eta-regressor"))];
}

describe("key placement across the predictions and outcomes topics", () => {
  it("predictions placed by crc32 and outcomes by murmur2: the two keys they put apart are conflicts, the one they agree on is not", () => {
    const check = new KeyPlacementCheck(topics, 3);
    expect(crc32Predictions(check)).toEqual([]);
    expect(murmur2Outcomes(check)).toEqual([
      { key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 },
      { key: "a", predictionsPartition: 0, outcomesPartition: 1 },
    ]);
    expect(check.conflicts).toBe(2);
    expect(check.fitting(topics.predictions)).toEqual(["crc32"]);
    expect(check.fitting(topics.outcomes)).toEqual(["murmur2"]);
    expect(check.fitFlags(topics.predictions)).toEqual({ murmur2: false, crc32: true, fnv1a: false });
  });

  it("finds the same conflicts when the outcomes come first", () => {
    const check = new KeyPlacementCheck(topics, 3);
    expect(murmur2Outcomes(check)).toEqual([]);
    expect(crc32Predictions(check)).toEqual([
      { key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 },
      { key: "a", predictionsPartition: 0, outcomesPartition: 1 },
    ]);
  });

  it("reports a conflict once, however often its records come again, and counts no change for them", () => {
    const check = new KeyPlacementCheck(topics, 3);
    crc32Predictions(check);
    murmur2Outcomes(check);
    const changes = check.changes;
    expect(changes).toBeGreaterThan(0);
    expect(crc32Predictions(check)).toEqual([]);
    expect(murmur2Outcomes(check)).toEqual([]);
    expect(check.conflicts).toBe(2);
    expect(check.changes).toBe(changes);
  });

  it("both topics placed by murmur2: no conflict, and both fit murmur2 only", () => {
    const check = new KeyPlacementCheck(topics, 3);
    check.observe(topics.predictions, 1, keyed("fraud-scorer", "fraud-scorer", "a"));
    check.observe(topics.predictions, 0, keyed("eta-regressor"));
    murmur2Outcomes(check);
    expect(check.conflicts).toBe(0);
    expect(check.fitting(topics.predictions)).toEqual(["murmur2"]);
    expect(check.fitting(topics.outcomes)).toEqual(["murmur2"]);
  });

  it("null and empty keys are no evidence: nothing narrows, nothing conflicts", () => {
    const check = new KeyPlacementCheck(topics, 3);
    check.observe(topics.predictions, 2, keyed(null, "", null));
    check.observe(topics.outcomes, 1, keyed(null, ""));
    expect(check.conflicts).toBe(0);
    expect(check.keysSeen(topics.predictions)).toBe(0);
    expect(check.fitting(topics.predictions)).toEqual(["murmur2", "crc32", "fnv1a"]);
  });

  it("a partition at or past the count read at start (partitions added) narrows nothing but still conflicts", () => {
    const check = new KeyPlacementCheck(topics, 3);
    check.observe(topics.predictions, 4, keyed("fraud-scorer"));
    expect(check.fitting(topics.predictions)).toEqual(["murmur2", "crc32", "fnv1a"]);
    expect(check.observe(topics.outcomes, 1, keyed("fraud-scorer"))).toEqual([
      { key: "fraud-scorer", predictionsPartition: 4, outcomesPartition: 1 },
    ]);
  });

  it("a key seen on two partitions of one topic is not held against the other topic afterwards", () => {
    const check = new KeyPlacementCheck(topics, 3);
    check.observe(topics.predictions, 0, keyed("fraud-scorer"));
    check.observe(topics.predictions, 1, keyed("fraud-scorer"));
    expect(check.fitting(topics.predictions)).toEqual([]);
    expect(check.observe(topics.outcomes, 2, keyed("fraud-scorer"))).toEqual([]);
  });

  it("remembers at most maxKeys keys per topic: the outcomes of a prediction key past the bound find nothing to conflict with", () => {
    const check = new KeyPlacementCheck(topics, 3, 2);
    crc32Predictions(check);
    expect(check.keysSeen(topics.predictions)).toBe(2);
    expect(murmur2Outcomes(check)).toEqual([{ key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 }]);
  });

  it("past the bound, a new key is not remembered but still compared with the other topic's keys", () => {
    const check = new KeyPlacementCheck(topics, 3, 2);
    check.observe(topics.outcomes, 1, keyed("fraud-scorer"));
    check.observe(topics.predictions, 0, keyed("eta-regressor", "x"));
    expect(check.observe(topics.predictions, 0, keyed("fraud-scorer"))).toEqual([
      { key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 },
    ]);
    expect(check.keysSeen(topics.predictions)).toBe(2);
  });

  it("once a topic's keys fill the bound, only the first 32 records of its batches are looked at", () => {
    const check = new KeyPlacementCheck(topics, 3, 2);
    check.observe(topics.outcomes, 1, keyed("fraud-scorer"));
    check.observe(topics.predictions, 0, keyed("x", "y"));
    const filler = Array.from({ length: 32 }, (_, i) => `k${i}`);
    expect(check.observe(topics.predictions, 0, keyed(...filler, "fraud-scorer"))).toEqual([]);
    expect(check.observe(topics.predictions, 0, keyed(...filler.slice(1), "fraud-scorer"))).toEqual([
      { key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 },
    ]);
  });

  it("once both topics' keys fill the bound, records are no longer looked at", () => {
    const check = new KeyPlacementCheck(topics, 3, 1);
    check.observe(topics.outcomes, 1, keyed("fraud-scorer"));
    check.observe(topics.predictions, 0, keyed("eta-regressor"));
    // the key is on 1 of the outcomes topic: a conflict, no longer seen
    expect(check.observe(topics.predictions, 0, keyed("fraud-scorer"))).toEqual([]);
    expect(check.conflicts).toBe(0);
  });

  it("one topic serving as both sees no conflicts", () => {
    const check = new KeyPlacementCheck({ predictions: "ml.events", outcomes: "ml.events" }, 3);
    check.observe("ml.events", 0, keyed("fraud-scorer"));
    expect(check.observe("ml.events", 1, keyed("fraud-scorer"))).toEqual([]);
    expect(check.conflicts).toBe(0);
  });

  it("records of other topics are ignored", () => {
    const check = new KeyPlacementCheck(topics, 3);
    expect(check.observe("ml.other", 0, keyed("fraud-scorer"))).toEqual([]);
    expect(check.fitting("ml.other")).toEqual([]);
  });

  it("a non-ASCII key is reported as its UTF-8 text", () => {
    const check = new KeyPlacementCheck(topics, 3);
    check.observe(topics.predictions, 0, keyed("modèle-é"));
    expect(check.observe(topics.outcomes, 2, keyed("modèle-é"))).toEqual([
      { key: "modèle-é", predictionsPartition: 0, outcomesPartition: 2 },
    ]);
  });

  it("the log line names the key, both partitions and topics, what each topic's keys fit, and the fix", () => {
    const text = describeConflict({ key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 }, topics, {
      predictions: ["crc32"],
      outcomes: ["murmur2"],
    });
    expect(text).toBe(
      'key "fraud-scorer" is on partition 0 of ml.predictions and on partition 1 of ml.outcomes: the two topics\' producers place keys ' +
        "differently, so these outcomes cannot join their predictions (the join of partition p sees only partition p's predictions). " +
        "keys on ml.predictions fit CRC32 (librdkafka's default consistent_random: kcat, confluent-kafka for Python, Go and .NET); " +
        "keys on ml.outcomes fit murmur2 (the Java client, kafkajs, kafka-python, aiokafka, franz-go; librdkafka with partitioner=murmur2_random). " +
        "Make every producer of both topics place keys alike, e.g. as the Java client does: partitioner=murmur2_random for librdkafka " +
        "clients (kcat, confluent-kafka), a murmur2 partitioner for sarama (or franz-go, whose default it is)",
    );
    expect(
      describeConflict({ key: "k", predictionsPartition: 0, outcomesPartition: 1 }, topics, {
        predictions: [],
        outcomes: ["murmur2", "crc32", "fnv1a"],
      }),
    ).toContain(
      "keys on ml.predictions fit no known partitioner (a custom partitioner, or partitions chosen by the producer); " +
        "keys on ml.outcomes fit any of the known partitioners (too few keys seen to tell)",
    );
  });
});
