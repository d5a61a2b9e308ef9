// Fuzz run against the real broker and Redis (issue 8): random bytes, truncated and bit-flipped JSON and
// Avro, wrong types, huge and deeply nested JSON, 2 MB values, unknown schema ids, 10 000 features,
// junk model ids and 10 000 categories, mixed into a legitimate stream. Afterwards: the service is still
// running and ready, every message is accounted for (accepted + dead-lettered = produced, on the
// dead-letter topic and in the counters), Redis memory and /metrics series stay bounded, and a model that
// first appears after the attack is still monitored (its drift is detected).
//
// CI runs reduced counts; `DRIFT_FUZZ_FULL=1 npm run test:fuzz` runs the full counts
// (100 000 model ids, 10 000 categories, 1 000 of each malformed kind).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import { frameConfluent } from "../../src/events/confluent-framing.ts";
import { loadAvroType } from "../../src/events/schema-files.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import { infra } from "../support/infra.ts";
import {
  DRIFTING_VERSION,
  driftingStream,
  harnessKafka,
  mulberry32,
  produceRaw,
  readAllMessages,
  registerPredictionSchema,
  serviceConfig,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
  type RawMessage,
} from "../support/service-harness.ts";

const FULL = process.env.DRIFT_FUZZ_FULL === "1";
const COUNTS = FULL
  ? { malformedEach: 1_000, junkModels: 100_000, categories: 10_000, huge: 5, twoMegabyte: 5, wideEvents: 5 }
  : { malformedEach: 150, junkModels: 3_000, categories: 2_000, huge: 2, twoMegabyte: 2, wideEvents: 2 };
const MAX_MODELS = 50;
/** the full run consumes ~126 000 messages: allow for a loaded machine */
const WAIT_MS = FULL ? 1_200_000 : 120_000;
const NEW_MODEL = "after-attack";
const BASE_TIME = 1_763_769_600_000;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function legitimate(i: number, modelId: string, rand: () => number, extra: Record<string, string | number> = {}): PredictionEvent {
  return {
    eventId: `${modelId}-${i}`,
    modelId,
    modelVersion: "v1",
    timestamp: BASE_TIME + i * 10,
    prediction: rand(),
    confidence: 0.5 + rand() / 2,
    latencyMs: 5 + 10 * rand(),
    features: { amount: 50 + 20 * rand(), country: rand() < 0.5 ? "NL" : "DE", ...extra },
  };
}

function flipBit(bytes: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(bytes);
  const bit = Math.floor(rand() * out.length * 8);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

describe("fuzz run against the service", () => {
  const config = serviceConfig("fuzz", {
    limits: { maxModels: MAX_MODELS },
    models: { steady: {} },
    defaults: {
      window: { maxEvents: 200, minEvents: 50 },
      baseline: { warmupWindows: 3 },
      detection: { consecutiveWindows: 2 },
      retrain: { consecutiveWindows: 2 },
    },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  let redis: Redis;
  const stream: RawMessage[] = [];
  let newModelEvents = 0;

  beforeAll(async () => {
    kafka = harnessKafka();
    const admin = kafka.admin();
    await admin.connect();
    // the topic accepts 3 MiB records so that 2 MB values reach the detector (its own limit is 1 MiB)
    await admin.createTopics({
      topics: [
        {
          topic: topics.predictions,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: "max.message.bytes", value: "3145728" }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const schemaId = await registerPredictionSchema(topics.predictions);
    const avro = loadAvroType("prediction-event");
    const rand = mulberry32(8_2026_12);

    let seq = 0;
    const steady = (): RawMessage => ({ key: "steady", value: json(legitimate(seq++, "steady", rand)) });
    const attack: (() => RawMessage)[] = [
      () => ({ key: "junk", value: Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256))) }),
      () => {
        const bytes = json(legitimate(seq++, "steady", rand));
        return { key: "steady", value: bytes.subarray(0, 1 + Math.floor(rand() * (bytes.length - 1))) };
      },
      () => ({ key: "steady", value: flipBit(json(legitimate(seq++, "steady", rand)), rand) }),
      () => {
        const framed = Buffer.from(frameConfluent(schemaId, avro.toBuffer(legitimate(seq++, "steady", rand))));
        return { key: "steady", value: framed.subarray(0, 5 + Math.floor(rand() * (framed.length - 5))) };
      },
      () => ({
        key: "steady",
        value: flipBit(Buffer.from(frameConfluent(schemaId, avro.toBuffer(legitimate(seq++, "steady", rand)))), rand),
      }),
      () => {
        const e = legitimate(seq++, "steady", rand) as unknown as Record<string, unknown>;
        const wrong = [
          { timestamp: "yesterday" },
          { prediction: [1, 2] },
          { features: { amount: { x: 1 } } },
          { confidence: "high" },
          { features: 7 },
        ];
        return { key: "steady", value: json({ ...e, ...wrong[Math.floor(rand() * wrong.length)] }) };
      },
      () => ({
        key: "steady",
        value: Buffer.from(frameConfluent(100_000 + Math.floor(rand() * 1e6), avro.toBuffer(legitimate(seq++, "steady", rand)))),
      }),
    ];
    // malformed kinds interleaved with the legitimate stream
    for (let i = 0; i < COUNTS.malformedEach; i++) {
      for (const make of attack) {
        stream.push(make());
        stream.push(steady());
      }
    }
    for (let i = 0; i < COUNTS.huge; i++) {
      // ~900 KB of valid JSON: one category value far longer than the schema allows, and a huge unknown property
      stream.push({ key: "steady", value: json({ ...legitimate(seq++, "steady", rand), padding: "p".repeat(900_000) }) });
      stream.push({ key: "steady", value: json({ ...legitimate(seq++, "steady", rand, { country: "c".repeat(500_000) }) }) });
      stream.push({ key: "steady", value: Buffer.from(`{"eventId":"deep","features":{"a":${nested(200_000)}}}`) });
      stream.push({ key: "steady", value: Buffer.from(nested(400_000)) });
    }
    for (let i = 0; i < COUNTS.twoMegabyte; i++) {
      stream.push({ key: "steady", value: json({ ...legitimate(seq++, "steady", rand), padding: "x".repeat(2_000_000) }) });
    }
    for (let i = 0; i < COUNTS.wideEvents; i++) {
      const features: Record<string, number> = {};
      for (let f = 0; f < 10_000; f++) features[`f${f}`] = rand();
      stream.push({ key: "wide", value: json({ ...legitimate(seq++, "wide", rand), features }) });
    }
    // junk model ids: valid events, one model each, far over the model cap
    for (let i = 0; i < COUNTS.junkModels; i++) stream.push({ key: `junk-${i}`, value: json(legitimate(seq++, `junk-${i}`, rand)) });
    // 10 000 categories of one feature of the configured model
    for (let i = 0; i < COUNTS.categories; i++) {
      stream.push({ key: "steady", value: json(legitimate(seq++, "steady", rand, { merchant: `m-${i}` })) });
    }
    // a model first seen after the attack, with a 1σ shift after its reference: it must still be monitored
    for (const e of driftingStream()) {
      stream.push({
        key: NEW_MODEL,
        value: json({ ...e, modelId: NEW_MODEL, eventId: `new-${e.eventId}`, timestamp: BASE_TIME + seq++ * 10 }),
      });
      newModelEvents++;
    }

    await produceRaw(kafka, topics.predictions, stream);
    redis = new Redis(infra().redisUrl, { lazyConnect: true });
    await redis.connect();
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
    redis?.disconnect();
  });

  it(
    "consumes every message without crashing: accepted + dead-lettered = produced, on the DLQ and in the counters",
    { timeout: WAIT_MS * 2 },
    async () => {
      const started = Date.now();
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, stream.length, WAIT_MS);
      // machine-readable: how long the service took over the whole fuzz stream
      console.log(JSON.stringify({ fuzz: FULL ? "full" : "ci", messages: stream.length, consumeMs: Date.now() - started }));
      expect(service.pipeline.isHealthy()).toBe(true);
      expect(service.pipeline.isReady()).toBe(true);

      const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
      const state = decodePartitionState(0, stored.meta, stored.models);
      const dlq = await waitFor(
        "dead letters to be relayed",
        async () => {
          const messages = await readAllMessages(kafka, topics.deadLetter, 60_000);
          return messages.length + state.counters.accepted === stream.length ? messages : undefined;
        },
        WAIT_MS,
      );
      expect(dlq.length + state.counters.accepted).toBe(stream.length);
      // each dead letter names a distinct source offset, and none is a legitimate event
      expect(new Set(dlq.map((m) => m.headers["source-offset"])).size).toBe(dlq.length);
      const sane = Number(COUNTS.malformedEach) * 4; // random bytes, truncated JSON, truncated Avro, unknown ids at least
      expect(dlq.length).toBeGreaterThan(sane);

      const text = await service.metricsText();
      const sum = (name: string): number =>
        text
          .split("\n")
          .filter((l) => l.startsWith(`${name}{`) && l.includes(`topic="${topics.predictions}"`))
          .reduce((s, l) => s + Number(l.split(" ").pop()), 0);
      expect(sum("drift_events_consumed_total")).toBe(state.counters.accepted);
      expect(sum("drift_events_rejected_total")).toBe(dlq.length);
      const reasons = new Set(dlq.map((m) => m.headers.reason));
      for (const r of ["unknown_format", "invalid_json", "unknown_schema_id", "schema_violation", "oversize"])
        expect(reasons, r).toContain(r);

      // bit-flipped timestamps are refused one by one; none poisons the partition's watermark for the events after it
      expect(state.counters.timestampOutOfRange).toBeLessThan(COUNTS.malformedEach / 2);
      // the model cap held: configured model kept, junk evicted, no more than the cap tracked
      expect(state.models.size).toBeLessThanOrEqual(MAX_MODELS + 1);
      expect(state.models.has("steady")).toBe(true);
      expect(state.counters.modelsEvicted).toBeGreaterThanOrEqual(COUNTS.junkModels - MAX_MODELS);
    },
  );

  it("keeps Redis memory and /metrics series bounded", async () => {
    let keys = 0;
    let bytes = 0;
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${config.redis.keyPrefix}*`, "COUNT", 1000);
      cursor = next;
      for (const key of batch) {
        keys++;
        bytes += (await redis.memory("USAGE", key)) ?? 0;
      }
    } while (cursor !== "0");
    // state of at most maxModels + 1 models (hot + cold record each) plus partition meta and outbox keys
    expect(keys).toBeLessThanOrEqual(2 * (MAX_MODELS + 1) + 10);
    expect(bytes).toBeLessThan(16 * 1024 * 1024);

    const series = (await service.metricsText()).split("\n").filter((l) => l.length > 0 && !l.startsWith("#"));
    expect(series.length).toBeLessThan(5_000);
    const models = new Set(series.map((l) => /model="([^"]*)"/.exec(l)?.[1]).filter((m) => m !== undefined));
    expect(models.size).toBeLessThanOrEqual(MAX_MODELS + 2);
  });

  it("still monitors a model that first appears after the attack: its drift is detected", { timeout: WAIT_MS * 2 }, async () => {
    const drift = await waitFor(
      "a critical drift event of the new model",
      async () => {
        const events = (await readAllMessages(kafka, topics.drift)).map(
          (m) => JSON.parse(m.value?.toString() ?? "{}") as Record<string, unknown>,
        );
        return events.find((e) => e.modelId === NEW_MODEL && e.status === "critical");
      },
      WAIT_MS,
    );
    expect(drift.modelVersion).toBe(DRIFTING_VERSION);
    expect(newModelEvents).toBe(2_200);
  });
});
