// redis.cluster against a real Redis Cluster (three redis-server masters, test/support/redis-cluster.ts): the
// StateStore conformance suite, partitions stored across the masters, the service end to end, and the two
// misconfigurations refused with a message instead of retried for ever (before redis.cluster existed, a
// Cluster node's URL gave every partition load `EXECABORT Transaction discarded` — MOVED inside MULTI — and the
// service paused and retried without end).
import { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { StateStoreMisconfiguredError } from "../../src/state/errors.ts";
import { partitionKeys } from "../../src/state/keys.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { InfraNotProvidedError, uniqueName } from "../support/infra.ts";
import { freePort } from "../support/ports.ts";
import { startRedisCluster, type RedisClusterHandle } from "../support/redis-cluster.ts";
import { runStateStoreConformance, sharedBackendFixture } from "../support/state-store-conformance.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  expectAmountShiftDetected,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceRawConfig,
  SHIFTED,
  startServiceInProcess,
  startServiceProcess,
  STATIONARY,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

let cluster: Promise<RedisClusterHandle> | undefined;
const clusterOnce = () => (cluster ??= startRedisCluster(3));
afterAll(async () => (await cluster)?.stop());

function standaloneRedisUrl(): string {
  const provided = process.env.REDIS_URL ?? inject("redisUrl"); // the test stack's Redis (not a cluster)
  if (!provided) throw new InfraNotProvidedError();
  return provided;
}

runStateStoreConformance("RedisStateStore on a Redis Cluster", async () => {
  const { url } = await clusterOnce();
  return sharedBackendFixture((keyPrefix) => new RedisStateStore(url, { keyPrefix, cluster: true }), uniqueName("cluster-store"));
});

describe("redis.cluster on a real Redis Cluster", () => {
  it("partitions' state lands on different masters, each partition's keys on one, and every partition is found again", async () => {
    const { url, ports } = await clusterOnce();
    const keyPrefix = uniqueName("cluster-spread");
    const store = new RedisStateStore(url, { keyPrefix, cluster: true });
    try {
      const partitions = Array.from({ length: 12 }, (_, partition) => ({ group: "g", topic: "t", partition }));
      for (const p of partitions) {
        await store.commitPartition(p, {
          expectedOffset: null,
          offset: "1",
          meta: Uint8Array.of(p.partition),
          models: new Map(),
          outbox: [],
        });
      }
      expect(await store.storedPartitions("g", "t")).toEqual(partitions.map((p) => p.partition));
      // which master serves each slot (CLUSTER SLOTS: [from, to, [host, port, id], …] per range)
      const admin = new Redis(ports[0], "127.0.0.1");
      const ranges = (await admin.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      const ownerOf = (slot: number) => ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const holders = new Set<number>();
      for (const p of partitions) {
        const keys = partitionKeys(keyPrefix, p);
        const slots = await Promise.all([keys.meta, keys.offset].map((k) => admin.call("CLUSTER", "KEYSLOT", k) as Promise<number>));
        expect(slots[1]).toBe(slots[0]);
        const owner = ownerOf(slots[0]);
        expect(owner).toBeDefined();
        const node = new Redis(owner as number, "127.0.0.1");
        expect(await node.exists(keys.meta, keys.offset)).toBe(2);
        await node.quit();
        holders.add(owner as number);
      }
      await admin.quit();
      expect(holders.size).toBeGreaterThan(1);
    } finally {
      await store.close();
    }
  });

  it("a Cluster node's URL without redis.cluster is refused once, naming the fix, and not retried", async () => {
    const { url, ports } = await clusterOnce();
    const told: StateStoreMisconfiguredError[] = [];
    const store = new RedisStateStore(url, { keyPrefix: uniqueName("no-cluster-flag"), onMisconfigured: (e) => told.push(e) });
    try {
      await expect
        .poll(async () =>
          store.ping().then(
            () => "answered",
            (e: unknown) => (e instanceof StateStoreMisconfiguredError ? e.message : String(e)),
          ),
        )
        .toBe(
          `Redis at 127.0.0.1:${ports[0]} has cluster mode enabled: set redis.cluster: true (REDIS_CLUSTER=true) to use it as a Redis Cluster`,
        );
      await expect(store.loadPartition({ group: "g", topic: "t", partition: 0 })).rejects.toBeInstanceOf(StateStoreMisconfiguredError);
      expect(told).toHaveLength(1);
      expect(told[0].retriable).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("redis.cluster against a Redis without cluster mode is refused, naming the fix", async () => {
    const told: StateStoreMisconfiguredError[] = [];
    const store = new RedisStateStore(standaloneRedisUrl(), {
      keyPrefix: uniqueName("cluster-flag-standalone"),
      cluster: true,
      onMisconfigured: (e) => told.push(e),
    });
    try {
      const err = await store.ping().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StateStoreMisconfiguredError);
      expect((err as Error).message).toMatch(
        /^redis\.cluster is true but the Redis at 127\.0\.0\.1:\d+ is not a Redis Cluster \(cluster mode disabled\): set redis\.cluster: false$/,
      );
      expect(told).toHaveLength(1);
    } finally {
      await store.close();
    }
  }, 30_000);
});

describe("drift-detector run against a Redis Cluster node without redis.cluster", () => {
  it("logs `cannot run:` with the fix and exits 3, instead of retrying for ever", async () => {
    const { url, ports } = await clusterOnce();
    const service = startServiceProcess(serviceRawConfig("cluster-flag-missing"), {
      metricsPort: await freePort(),
      env: { REDIS_URL: url },
    });
    const code = await Promise.race([service.exited, new Promise((r) => setTimeout(() => r("still running after 60 s"), 60_000))]);
    if (code !== 3) service.kill("SIGKILL");
    expect(code).toBe(3);
    const refusal = service.output.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.startsWith("cannot run:"));
    expect(refusal?.msg).toBe(
      `cannot run: Redis at 127.0.0.1:${ports[0]} has cluster mode enabled: set redis.cluster: true (REDIS_CLUSTER=true) to use it as a Redis Cluster`,
    );
  }, 90_000);
});

describe("the service on a Redis Cluster", () => {
  let kafka: Kafka;
  beforeAll(() => {
    kafka = harnessKafka();
  });

  it("a 1σ shift of one feature is detected with the state in the cluster, and every event is counted", async () => {
    const { url } = await clusterOnce();
    const base = driftingServiceConfig("redis-cluster");
    const config = { ...base, redis: { ...base.redis, url, cluster: true, keyPrefix: uniqueName("svc") } };
    const topics = config.kafka.topics;
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(driftingStream()));
    const service = await startServiceInProcess(config);
    try {
      await service.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, STATIONARY + SHIFTED);
      await expectAmountShiftDetected(kafka, topics.drift);
      expect(await readAllMessages(kafka, topics.deadLetter)).toHaveLength(0);
      expect(await service.store.storedPartitions(config.kafka.groupId, topics.predictions)).toEqual([0]);
    } finally {
      await service.stop();
    }
  }, 120_000);
});
