// redis.sentinel against a real Sentinel deployment (a master, a replica and a Sentinel of redis-server
// processes, test/support/redis-sentinel.ts): the StateStore conformance suite through the Sentinel, a failover
// under a store and under the running service, and a Sentinel's URL without the setting refused with a
// message (before redis.sentinel existed, every command went to the Sentinel itself and failed as an outage).
import { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { StateStoreMisconfiguredError } from "../../src/state/errors.ts";
import type { PartitionRef } from "../../src/state/port.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { uniqueName } from "../support/infra.ts";
import { SENTINEL_MASTER_NAME, startRedisSentinel, type RedisSentinelHandle } from "../support/redis-sentinel.ts";
import { runStateStoreConformance, sharedBackendFixture } from "../support/state-store-conformance.ts";
import type { ResolvedConfig } from "../../src/config/load.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  expectAmountShiftDetected,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  SHIFTED,
  startServiceInProcess,
  STATIONARY,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

let deployment: Promise<RedisSentinelHandle> | undefined;
const sentinelOnce = () => (deployment ??= startRedisSentinel());
afterAll(async () => (await deployment)?.stop());

const viaSentinel = (url: string, keyPrefix: string) =>
  new RedisStateStore(url, { keyPrefix, sentinel: { masterName: SENTINEL_MASTER_NAME, sentinels: [] } });

/** Retries `op` while the store reports the switch as an outage (the pipeline does the same). */
async function throughFailover<T>(op: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

runStateStoreConformance("RedisStateStore through a Redis Sentinel", async () => {
  const { sentinelUrl } = await sentinelOnce();
  return sharedBackendFixture((keyPrefix) => viaSentinel(sentinelUrl, keyPrefix), uniqueName("sentinel-store"));
});

/** The drifting service config with its state kept through the test's Sentinel, under a fresh key prefix. */
async function throughSentinel(label: string, handle?: RedisSentinelHandle): Promise<ResolvedConfig> {
  const { sentinelUrl } = handle ?? (await sentinelOnce());
  const base = driftingServiceConfig(label);
  const sentinel = { masterName: SENTINEL_MASTER_NAME, sentinels: [] };
  return { ...base, redis: { ...base.redis, url: sentinelUrl, sentinel, keyPrefix: uniqueName(label) } };
}

describe("redis.sentinel on a real Sentinel deployment", () => {
  it("a store keeps its state across a failover: it finds the new master and the fenced commits go on from there", async () => {
    const handle = await sentinelOnce();
    const store = viaSentinel(handle.sentinelUrl, uniqueName("failover"));
    const p: PartitionRef = { group: "g", topic: "t", partition: 0 };
    const write = (expectedOffset: string | null, offset: string) => ({
      expectedOffset,
      offset,
      meta: new TextEncoder().encode(`meta@${offset}`),
      models: new Map(),
      outbox: [],
    });
    try {
      await store.commitPartition(p, write(null, "1"));
      const before = handle.masterPort();
      // the replica has the write before the switch (replication is asynchronous)
      const master = new Redis(before, "127.0.0.1");
      expect(await master.call("WAIT", "1", "5000")).toBe(1);
      await master.quit();
      const after = await handle.failover();
      expect(after).not.toBe(before);
      const loaded = await throughFailover(() => store.loadPartition(p));
      expect(loaded.offset).toBe("1");
      await throughFailover(() => store.commitPartition(p, write("1", "2")));
      const fresh = viaSentinel(handle.sentinelUrl, store.keyPrefix);
      expect((await fresh.loadPartition(p)).offset).toBe("2");
      await fresh.close();
      // the write landed on the new master
      const now = new Redis(after, "127.0.0.1");
      expect(await now.call("ROLE")).toContain("master");
      await now.quit();
    } finally {
      await store.close();
    }
  }, 90_000);

  it("a Sentinel's URL without redis.sentinel is refused once, naming the fix", async () => {
    const { sentinelUrl } = await sentinelOnce();
    const told: StateStoreMisconfiguredError[] = [];
    const store = new RedisStateStore(sentinelUrl, { keyPrefix: uniqueName("no-sentinel-flag"), onMisconfigured: (e) => told.push(e) });
    try {
      const port = new URL(sentinelUrl).port;
      await expect
        .poll(async () =>
          store.ping().then(
            () => "answered",
            (e: unknown) => (e instanceof StateStoreMisconfiguredError ? e.message : String(e)),
          ),
        )
        .toBe(
          `Redis at 127.0.0.1:${port} is a Sentinel: set redis.sentinel.masterName (REDIS_SENTINEL_MASTER) to the name of the master it monitors`,
        );
      expect(told).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

/** The same messages through an uninterrupted run (the test stack's Redis, its own group and outputs) published the same outputs. */
async function expectOutputsOfUninterruptedRun(
  kafka: Kafka,
  label: string,
  topics: ResolvedConfig["kafka"]["topics"],
  count: number,
): Promise<void> {
  const reference = driftingServiceConfig(label);
  const referenceConfig = {
    ...reference,
    kafka: { ...reference.kafka, topics: { ...reference.kafka.topics, predictions: topics.predictions } },
  };
  const uninterrupted = await startServiceInProcess(referenceConfig);
  try {
    await uninterrupted.pipeline.ready;
    await waitForCommittedEnd(kafka, referenceConfig.kafka.groupId, topics.predictions, count, 120_000);
  } finally {
    await uninterrupted.stop();
  }
  const got = await outputIds(kafka, topics);
  const want = await outputIds(kafka, referenceConfig.kafka.topics);
  expect(want.drift.length).toBeGreaterThan(0);
  expect(got).toEqual(want);
}

/** The outputs a run published: drift event ids and retrain request ids (deterministic, from the header). */
async function outputIds(kafka: Kafka, topics: { drift: string; retrain: string }): Promise<{ drift: string[]; retrain: string[] }> {
  const ids = async (topic: string, header: string) => (await readAllMessages(kafka, topic)).map((m) => String(m.headers[header])).sort();
  return { drift: await ids(topics.drift, "event-id"), retrain: await ids(topics.retrain, "request-id") };
}

describe("the service through a Redis Sentinel", () => {
  it("a failover while it processes (writes the old master took may be discarded) ends with the outputs of an uninterrupted run", async () => {
    const handle = await sentinelOnce();
    const kafka: Kafka = harnessKafka();
    const config = await throughSentinel("sentinel-lossy");
    const topics = config.kafka.topics;
    await createPredictionsTopic(kafka, config);
    const events = predictionMessages(driftingStream());
    const service = await startServiceInProcess(config);
    let failedOver = false;
    try {
      await service.pipeline.ready;
      // the stream arrives in batches while the master changes under the service: no WAIT, so a chunk's write
      // may reach the old master after the promotion and be discarded by its resync
      for (let from = 0; from < events.length; from += 100) {
        await produceRaw(kafka, topics.predictions, events.slice(from, from + 100));
        if (from === 800) void handle.failover().then(() => (failedOver = true));
        await new Promise((r) => setTimeout(r, 50));
      }
      await expect.poll(() => failedOver, { timeout: 60_000 }).toBe(true);
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length, 120_000);
      const lost = (await service.metricsText()).split("\n").find((l) => l.startsWith("drift_state_lost_total{"));
      console.info(JSON.stringify({ test: "sentinel-lossy-failover", stateLost: lost ?? "none" }));
    } finally {
      await service.stop();
    }
    await expectOutputsOfUninterruptedRun(kafka, "sentinel-lossy-reference", topics, events.length);
  }, 240_000);

  it("a master that dies with writes its replica never got: the lost state is detected and rebuilt from Kafka, the outputs those of an uninterrupted run", async () => {
    // a deployment of its own: the killed node stays down
    const handle = await startRedisSentinel();
    const kafka: Kafka = harnessKafka();
    try {
      const config = await throughSentinel("sentinel-crash", handle);
      const topics = config.kafka.topics;
      await createPredictionsTopic(kafka, config);
      const events = predictionMessages(driftingStream());
      const service = await startServiceInProcess(config);
      try {
        await service.pipeline.ready;
        await produceRaw(kafka, topics.predictions, events.slice(0, 800));
        await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, 800);
        const master = new Redis(handle.masterPort(), "127.0.0.1");
        expect(await master.call("WAIT", "1", "5000")).toBe(1);
        await master.quit();
        // 600 events applied, stored on the master alone and committed to Kafka, then the master dies
        await handle.crashMasterLosingWrites(async () => {
          await produceRaw(kafka, topics.predictions, events.slice(800, 1400));
          await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, 1400);
        });
        await produceRaw(kafka, topics.predictions, events.slice(1400));
        await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length, 120_000);
        await expect.poll(() => service.pipeline.isReady(), { timeout: 60_000 }).toBe(true);
        const text = await service.metricsText();
        const lost = text.split("\n").filter((l) => l.startsWith("drift_state_lost_total{"));
        expect(
          lost.some((l) => !l.endsWith(" 0")),
          lost.join("\n"),
        ).toBe(true);
        const consumed = text.split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
        expect(consumed?.endsWith(` ${events.length}`), consumed).toBe(true);
      } finally {
        await service.stop();
      }
      await expectOutputsOfUninterruptedRun(kafka, "sentinel-crash-reference", topics, events.length);
    } finally {
      handle.stop();
    }
  }, 240_000);

  it("goes on across a failover between the stationary and the shifted part: every event counted once, the shift detected", async () => {
    const handle = await sentinelOnce();
    const kafka: Kafka = harnessKafka();
    const config = await throughSentinel("redis-sentinel");
    const topics = config.kafka.topics;
    await createPredictionsTopic(kafka, config);
    const events = predictionMessages(driftingStream());
    await produceRaw(kafka, topics.predictions, events.slice(0, STATIONARY));
    const service = await startServiceInProcess(config);
    try {
      await service.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, STATIONARY);
      const master = new Redis(handle.masterPort(), "127.0.0.1");
      expect(await master.call("WAIT", "1", "5000")).toBe(1);
      await master.quit();
      await handle.failover();
      await produceRaw(kafka, topics.predictions, events.slice(STATIONARY));
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, STATIONARY + SHIFTED, 90_000);
      const consumed = (await service.metricsText()).split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
      expect(consumed?.endsWith(` ${STATIONARY + SHIFTED}`), consumed).toBe(true);
      await expectAmountShiftDetected(kafka, topics.drift, STATIONARY);
      expect(await readAllMessages(kafka, topics.deadLetter)).toHaveLength(0);
    } finally {
      await service.stop();
    }
  }, 180_000);
});
