// A Redis outage pauses the partition and retries with backoff; nothing is committed that was not applied,
// and a write that landed although its reply was lost is recognised on retry (not taken for another
// replica's write). The result equals an uninterrupted run: every event counted exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { StateStoreUnavailableError } from "../../src/state/errors.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import type { PartitionRef, PartitionWrite, StateStore } from "../../src/state/port.ts";
import {
  driftingStream,
  harnessKafka,
  predictionMessages,
  produceRaw,
  serviceConfig,
  startServiceInProcess,
  type InProcessService,
  createPredictionsTopic,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

/** commitPartition: call 2 and 3 fail before reaching Redis, call 5 reaches Redis but its reply is "lost". */
function flakyStore(inner: StateStore, log: string[]): StateStore {
  let calls = 0;
  const unavailable = (op: string) => new StateStoreUnavailableError("injected outage", { operation: op });
  return {
    loadPartition: (p) => inner.loadPartition(p),
    async commitPartition(p: PartitionRef, w: PartitionWrite) {
      calls++;
      if (calls === 2 || calls === 3) {
        log.push(`fail-before:${w.offset}`);
        throw unavailable("commitPartition");
      }
      await inner.commitPartition(p, w);
      if (calls === 5) {
        log.push(`fail-after:${w.offset}`);
        throw unavailable("commitPartition");
      }
      log.push(`ok:${w.offset}`);
    },
    pendingOutbox: (p, n) => inner.pendingOutbox(p, n),
    ackOutbox: (p, ids) => inner.ackOutbox(p, ids),
    acquireRetrainLock: (m, r, t) => inner.acquireRetrainLock(m, r, t),
    putReferenceBaseline: (m, v, b) => inner.putReferenceBaseline(m, v, b),
    getReferenceBaseline: (m, v) => inner.getReferenceBaseline(m, v),
    close: () => inner.close(),
  };
}

describe("service during a Redis outage", () => {
  const config = serviceConfig("redis-outage", { defaults: { window: { maxEvents: 200, minEvents: 50 } } });
  const topics = config.kafka.topics;
  const events = driftingStream().slice(0, 1500);
  const calls: string[] = [];
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(events));
    service = await startServiceInProcess(config, {
      chunkSize: 200,
      backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
      wrapStore: (store) => flakyStore(store, calls),
    });
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("failed and reply-lost commits are retried, and every event is counted exactly once", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
    expect(calls.filter((c) => c.startsWith("fail-before"))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith("fail-after"))).toHaveLength(1);

    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    expect(stored.offset).toBe(String(events.length - 1));
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters.accepted).toBe(events.length);
    expect(state.counters.windowsClosed).toBe(Math.floor(events.length / 200));

    const text = await service.metricsText();
    const redisErrors = text
      .split("\n")
      .find((l) => l.startsWith("drift_redis_errors_total{") && l.includes('operation="commitPartition"'));
    expect(Number(redisErrors?.split(" ").pop())).toBe(3);
  });
});
