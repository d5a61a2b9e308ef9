// Commit and load latency of RedisStateStore against plain SET/MSET/MGET of the same bytes, same Redis,
// same run. Uses REDIS_URL, else starts a throwaway redis-server on a free loopback port.
// Run: npx tsx test/bench/redis-state.bench.ts     Output: one JSON object per line.
import { startOwnRedis } from "../support/own-redis.ts";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { PartitionRef, PartitionWrite, StoredModel } from "../../src/state/port.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const WARMUP = 5;
const HOT_BYTES = 30 * 1024;
const COLD_BYTES = 600 * 1024;
const MODELS = ["fraud", "churn", "ranker"];

/** REDIS_URL when set, else a throwaway redis-server of this run (test/support/own-redis.ts). */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  return process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: async () => {} } : startOwnRedis();
}

interface Sample {
  bench: string;
  iterations: number;
  bytes: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
}

async function measure(bench: string, bytes: number, op: (i: number) => Promise<unknown>): Promise<Sample> {
  for (let i = 0; i < WARMUP; i++) await op(i);
  const times: number[] = [];
  for (let i = WARMUP; i < WARMUP + ITERATIONS; i++) {
    const start = process.hrtime.bigint();
    await op(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bench,
    iterations: ITERATIONS,
    bytes,
    meanMs: round(times.reduce((s, t) => s + t, 0) / times.length),
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    minMs: round(times[0]),
  };
}

function report(sample: Sample, baseline?: Sample): void {
  const line = baseline
    ? { ...sample, baseline: baseline.bench, p50RatioToBaseline: Math.round((sample.p50Ms / baseline.p50Ms) * 100) / 100 }
    : sample;
  console.log(JSON.stringify(line));
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const keyPrefix = `ddbench-${randomBytes(4).toString("hex")}`;
  const store = new RedisStateStore(redis.url, { keyPrefix });
  const raw = new Redis(redis.url);
  const p: PartitionRef = { group: "bench", topic: "predictions", partition: 0 };
  const hot = MODELS.map(() => randomBytes(HOT_BYTES));
  const cold = MODELS.map(() => randomBytes(COLD_BYTES));
  const meta = randomBytes(256);
  let offset: string | null = null;

  const commit = async (i: number, models: Map<string, Partial<StoredModel>>) => {
    const w: PartitionWrite = {
      expectedOffset: offset,
      offset: String(i * 1000),
      meta,
      models,
      outbox: [
        {
          id: `ev-${i}`,
          kind: "drift",
          topic: "drift-events",
          key: Buffer.from("fraud"),
          value: Buffer.from(`{"i":${i}}`),
          headers: { "event-id": `ev-${i}` },
        },
      ],
    };
    await store.commitPartition(p, w);
    offset = w.offset;
  };
  const full = new Map(MODELS.map((m, k) => [m, { hot: hot[k], cold: cold[k] }]));
  const hotOnly = new Map(MODELS.map((m, k) => [m, { hot: hot[k] }]));
  const fullBytes = MODELS.length * (HOT_BYTES + COLD_BYTES);
  const hotBytes = MODELS.length * HOT_BYTES;

  try {
    const msetFull = await measure("baseline MSET 3x(30KB+600KB)", fullBytes, () =>
      raw.mset(...MODELS.flatMap((m, k) => [`${keyPrefix}:raw:{b}:${m}:hot`, hot[k], `${keyPrefix}:raw:{b}:${m}:cold`, cold[k]])),
    );
    const setFull = await measure("baseline SET one 1.85MB value", fullBytes, () =>
      raw.set(`${keyPrefix}:raw:one`, Buffer.concat([...hot, ...cold])),
    );
    report(msetFull);
    report(setFull);
    report(await measure("commitPartition 3x(hot 30KB + cold 600KB) + 1 outbox entry", fullBytes, (i) => commit(i, full)), msetFull);

    const msetHot = await measure("baseline MSET 3x30KB", hotBytes, () =>
      raw.mset(...MODELS.flatMap((m, k) => [`${keyPrefix}:raw:{b}:${m}:hot`, hot[k]])),
    );
    report(msetHot);
    report(await measure("commitPartition hot-only 3x30KB + 1 outbox entry", hotBytes, (i) => commit(i + 10_000, hotOnly)), msetHot);

    const mgetFull = await measure("baseline MGET 3x(30KB+600KB)", fullBytes, () =>
      raw.mgetBuffer(...MODELS.flatMap((m) => [`${keyPrefix}:raw:{b}:${m}:hot`, `${keyPrefix}:raw:{b}:${m}:cold`])),
    );
    report(mgetFull);
    report(await measure("loadPartition 3x(30KB+600KB)", fullBytes, () => store.loadPartition(p)), mgetFull);
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `${keyPrefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== "0");
    await raw.quit();
    await store.close();
    await redis.stop();
  }
}

await main();
