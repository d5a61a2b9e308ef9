// Smoke tests of the integration infrastructure itself: if these fail, every other integration
// test failure is about the environment, not the detector.
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Redis } from "ioredis";
import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopics, infra, testKafka, uniqueName, uniqueRedisPrefix, uniqueTopic } from "../support/infra.ts";

describe("kafka broker", () => {
  let admin: Admin;

  beforeAll(async () => {
    admin = testKafka("stack-test-admin").admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it("creates a topic with 3 partitions through the admin API", async () => {
    const topic = uniqueTopic("stack-admin");
    await createTopics(admin, [topic], 3);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
  });

  it("delivers 20 produced messages to a consumer group, in order per key, and commits its offsets", async () => {
    const topic = uniqueTopic("stack-roundtrip");
    const groupId = uniqueName("stack-group");
    await createTopics(admin, [topic], 2);

    const kafka = testKafka("stack-test-client");
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `model-${i % 2}`, value: `event-${i}` }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string }[] = [];
    // Done when every message arrived AND the group committed past it (auto-commit runs after eachMessage returns).
    const committedByPartition = new Map<number, number>();
    const allCommitted = new Promise<void>((resolve) => {
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const t of payload.topics) for (const p of t.partitions) committedByPartition.set(p.partition, Number(p.offset));
        const total = [...committedByPartition.values()].reduce((sum, offset) => sum + offset, 0);
        if (total === sent.length) resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key!.toString(), value: message.value!.toString() });
      },
    });
    await allCommitted;
    await consumer.disconnect();

    expect(received).toHaveLength(20);
    for (const key of ["model-0", "model-1"]) {
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    // A partition the group never committed reports offset -1.
    const committedTotal = committed[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committedTotal).toBe(20);
  });
});

describe("redis", () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(infra().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  });

  afterAll(async () => {
    await redis.quit();
  });

  it("stores and reads back a value", async () => {
    const key = `${uniqueRedisPrefix("stack")}greeting`;
    await redis.set(key, "hello", "EX", 60);
    expect(await redis.get(key)).toBe("hello");
  });

  it("runs a Lua script atomically over two keys", async () => {
    const prefix = uniqueRedisPrefix("stack-lua");
    // Sets the state and the offset in one step and returns the new offset: the shape the state store relies on.
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], ARGV[2])";
    const first = await redis.eval(script, 2, `${prefix}state`, `${prefix}offset`, "s1", 41);
    const second = await redis.eval(script, 2, `${prefix}state`, `${prefix}offset`, "s2", 1);
    expect([first, second]).toEqual([41, 42]);
    expect(await redis.get(`${prefix}state`)).toBe("s2");
  });
});

describe("schema registry", () => {
  const predictionSchema = {
    type: "record",
    name: "StackSmokePrediction",
    namespace: "test.stack",
    fields: [
      { name: "modelId", type: "string" },
      { name: "score", type: "double" },
    ],
  };

  it("gives the same id to the same schema and returns it by id over plain HTTP", async () => {
    const { schemaRegistryUrl } = infra();
    const subject = `${uniqueName("stack-http")}-value`;
    const post = (schema: string) =>
      fetch(`${schemaRegistryUrl}/subjects/${subject}/versions`, {
        method: "POST",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: JSON.stringify({ schema }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { id: number } }));

    const first = await post(JSON.stringify(predictionSchema));
    const again = await post(JSON.stringify(predictionSchema, null, 2)); // whitespace does not make a new schema
    expect(first.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const byId = await fetch(`${schemaRegistryUrl}/schemas/ids/${first.body.id}`);
    expect(byId.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
    expect(JSON.parse(((await byId.json()) as { schema: string }).schema)).toEqual(predictionSchema);

    const latest = (await (await fetch(`${schemaRegistryUrl}/subjects/${subject}/versions/latest`)).json()) as Record<string, unknown>;
    expect(latest).toMatchObject({ subject, version: 1, id: first.body.id });

    const missing = await fetch(`${schemaRegistryUrl}/subjects/${uniqueName("absent")}/versions`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: number }).error_code).toBe(40401);
  });

  it("round-trips a record through @kafkajs/confluent-schema-registry encode and decode", async () => {
    const registry = new SchemaRegistry({ host: infra().schemaRegistryUrl });
    const subject = `${uniqueName("stack-client")}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(predictionSchema) }, { subject });
    // A second registration goes through the subject-level compatibility config the first one set.
    const { id: idAgain } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(predictionSchema) }, { subject });
    expect(idAgain).toBe(id);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const encoded = await registry.encode(id, { modelId: "fraud-scorer", score: 0.87 });
    // Confluent framing: magic byte 0, then the 4-byte big-endian schema id.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    // A fresh client has no cache, so decode must fetch the schema by id from the registry.
    const freshClient = new SchemaRegistry({ host: infra().schemaRegistryUrl });
    expect(await freshClient.decode(encoded)).toEqual({ modelId: "fraud-scorer", score: 0.87 });
  });
});
