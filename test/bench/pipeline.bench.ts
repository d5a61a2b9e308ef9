// End-to-end service throughput on a real broker and Redis: the full pipeline (decode, validate, engine,
// atomic Redis commit per chunk, Kafka offset commit, outbox) against a raw kafkajs consumer that only
// counts the same messages (the baseline), in the same run, on the same topic.
// Uses KAFKA_BROKERS + REDIS_URL when set, else starts deploy/local/stack.sh on bench ports.
// Run: npx tsx test/bench/pipeline.bench.ts     Output: one JSON object per line.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import { resolveConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createDetectorMetrics } from "../../src/metrics/detector-metrics.ts";
import { startPipeline } from "../../src/pipeline/pipeline.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { predictionStream } from "../support/engine-streams.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 150_000);
const PARTITIONS = 3;

function infrastructure(): { brokers: string; redisUrl: string; stop: () => void } {
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL)
    return { brokers: process.env.KAFKA_BROKERS, redisUrl: process.env.REDIS_URL, stop: () => {} };
  const env = {
    ...process.env,
    STACK_DIR: resolve(".stack/bench"),
    // BENCH_*_PORT: other ports when several checkouts benchmark on one machine
    KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? "39092",
    KAFKA_CONTROLLER_PORT: process.env.BENCH_KAFKA_CONTROLLER_PORT ?? "39093",
    REDIS_PORT: process.env.BENCH_REDIS_PORT ?? "36379",
    SCHEMA_REGISTRY_PORT: process.env.BENCH_SCHEMA_REGISTRY_PORT ?? "38081",
  };
  const out = execFileSync("bash", ["deploy/local/stack.sh", "start"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const value = (name: string) => new RegExp(`export ${name}=(\\S+)`).exec(out)?.[1] ?? "";
  return {
    brokers: value("KAFKA_BROKERS"),
    redisUrl: value("REDIS_URL"),
    stop: () => execFileSync("bash", ["deploy/local/stack.sh", "stop"], { env, stdio: "inherit" }),
  };
}

async function main(): Promise<void> {
  const infra = infrastructure();
  const run = randomBytes(4).toString("hex");
  const topic = `bench.predictions.${run}`;
  const kafka = new Kafka({ clientId: `bench-${run}`, brokers: infra.brokers.split(","), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();

  // 3 models (one per partition by key), 3 core signals + 10 features each
  const producer = kafka.producer();
  await producer.connect();
  const models = ["fraud-scorer", "churn-model", "eta-regressor"];
  const streams = models.map((modelId, k) => predictionStream(Math.ceil(EVENTS / models.length), { seed: 100 + k, modelId }));
  let produced = 0;
  for (;;) {
    const batch: { key: string; value: string }[] = [];
    for (const s of streams) {
      for (let i = 0; i < 500; i++) {
        const next = s.next();
        if (next.done) break;
        batch.push({ key: next.value.modelId, value: JSON.stringify(next.value) });
      }
    }
    if (batch.length === 0) break;
    await producer.send({ topic, messages: batch });
    produced += batch.length;
  }
  await producer.disconnect();

  // baseline: a raw consumer that only counts messages
  {
    const consumer = kafka.consumer({ groupId: `bench-raw-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const t0 = performance.now();
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          if (seen >= produced) resolve();
        },
      });
    });
    const seconds = (performance.now() - t0) / 1000;
    await consumer.disconnect();
    console.log(
      JSON.stringify({
        bench: "baseline: raw kafkajs consumer (eachBatch, count only)",
        events: produced,
        seconds: +seconds.toFixed(2),
        eventsPerSec: Math.round(produced / seconds),
      }),
    );
  }

  // the service pipeline
  {
    const config = resolveConfig({
      kafka: {
        brokers: infra.brokers.split(","),
        groupId: `bench-service-${run}`,
        partitions: PARTITIONS,
        topics: {
          predictions: topic,
          outcomes: `${topic}.outcomes`,
          drift: `${topic}.drift`,
          retrain: `${topic}.retrain`,
          deadLetter: `${topic}.dlq`,
        },
      },
      redis: { url: infra.redisUrl, keyPrefix: `bench-${run}` },
    });
    const store = new RedisStateStore(config.redis.url, { keyPrefix: config.redis.keyPrefix });
    const metrics = createDetectorMetrics({ defaultMetrics: false });
    // CPU and bytes as well as wall time: on a shared machine they vary much less between runs
    const redisInfo = new Redis(infra.redisUrl);
    const redisCounters = async () => {
      const info = await redisInfo.info();
      const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, "m").exec(info)?.[1] ?? NaN);
      return { cpuMs: (field("used_cpu_user") + field("used_cpu_sys")) * 1000, inputBytes: field("total_net_input_bytes") };
    };
    const redisBefore = await redisCounters();
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    const pipeline = await startPipeline(config, { store, metrics, log: createLogger({ level: "warn" }) });
    await pipeline.ready;
    const tReady = performance.now();
    const admin2 = kafka.admin();
    await admin2.connect();
    for (;;) {
      const offsets = await admin2.fetchOffsets({ groupId: config.kafka.groupId, topics: [topic] });
      const committed = offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      if (committed >= produced) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const afterReady = (performance.now() - tReady) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const redisAfter = await redisCounters();
    redisInfo.disconnect();
    await admin2.disconnect();
    await pipeline.stop();
    await store.close();
    const registry = await metrics.registry.getMetricsAsJSON();
    const consumed = registry.find((m) => m.name === "drift_events_consumed_total")?.values.reduce((n, v) => n + v.value, 0);
    console.log(
      JSON.stringify({
        bench: "service pipeline (decode + engine + Redis commit + offsets + outbox)",
        events: produced,
        consumed,
        seconds: +seconds.toFixed(2),
        eventsPerSec: Math.round(produced / seconds),
        eventsPerSecAfterGroupJoin: Math.round(produced / afterReady),
        vsBaseline: "same topic, same run",
      }),
    );
    const perThousand = (x: number) => +((x * 1000) / produced).toFixed(2);
    console.log(
      JSON.stringify({
        bench: "service pipeline: resources per 1 000 events",
        events: produced,
        serviceCpuMs: perThousand((cpu.user + cpu.system) / 1000),
        redisCpuMs: perThousand(redisAfter.cpuMs - redisBefore.cpuMs),
        bytesToRedis: Math.round(perThousand(redisAfter.inputBytes - redisBefore.inputBytes)),
      }),
    );
  }
  infra.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
