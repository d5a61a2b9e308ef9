// Redis loses the state while the service runs (issue 8 item 4): FLUSHALL on the service's own redis-server in
// the middle of a drifting stream, after the drift was detected and a retrain requested. The service must
// take it as an incident, not as "another replica owns the partition now": drift_state_lost_total counts it,
// the error is logged, /readyz is 503 naming the rebuild until the state is rebuilt from Kafka, then 200; the
// state in Redis, the drift events, retrain requests and dead letters then equal an uninterrupted run's
// (the engine fed the same Kafka messages in this process), with nothing published twice — in particular no
// second retrain request inside the cooldown, and the ongoing drift is not taken for the new normal.
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import type { ResolvedConfig } from "../../src/config/load.ts";
import { applyPrediction, createPartitionState, type PartitionState } from "../../src/detect/engine.ts";
import { decodePredictionMessage } from "../../src/events/codec.ts";
import { deadLetterId } from "../../src/kafka/dead-letter.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot } from "../../src/state/engine-state-codec.ts";
import type { StateStore } from "../../src/state/port.ts";
import { startOwnRedis, type OwnRedis } from "../support/own-redis.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
  type RawMessage,
  type ReadMessage,
} from "../support/service-harness.ts";
import { expectSameEncoding } from "../support/state-comparison.ts";

/** Each write takes a little longer, so the rebuild (a few thousand events) lasts long enough to be seen in /readyz. */
function slowCommits(store: StateStore): StateStore {
  return {
    loadPartition: (p) => store.loadPartition(p),
    commitPartition: async (p, w) => {
      await new Promise((r) => setTimeout(r, 40));
      return store.commitPartition(p, w);
    },
    pendingOutbox: (p, limit) => store.pendingOutbox(p, limit),
    ackOutbox: (p, ids) => store.ackOutbox(p, ids),
    acquireRetrainLock: (m, r, ttl) => store.acquireRetrainLock(m, r, ttl),
    putReferenceBaseline: (m, v, b) => store.putReferenceBaseline(m, v, b),
    getReferenceBaseline: (m, v) => store.getReferenceBaseline(m, v),
    close: () => store.close(),
  };
}

/** The drifting stream with an undecodable message every 250th offset (dead letters the rebuild derives again). */
function input(): RawMessage[] {
  const out: RawMessage[] = [];
  for (const m of predictionMessages(driftingStream())) {
    if (out.length % 250 === 249) out.push({ key: "bad", value: Buffer.from("{not json") });
    out.push(m);
  }
  return out;
}

interface Uninterrupted {
  state: PartitionState;
  lastOffset: string;
  drift: string[];
  retrain: string[];
  deadLetters: string[];
}

function uninterruptedRun(messages: ReadMessage[], config: ResolvedConfig): Uninterrupted {
  const ctx = engineContextFrom(config, () => 0);
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: config.limits.maxMessageBytes };
  const run: Uninterrupted = { state: createPartitionState(0), lastOffset: "-1", drift: [], retrain: [], deadLetters: [] };
  for (const m of messages) {
    run.lastOffset = m.offset;
    const decoded = decodePredictionMessage(m.value, decodeContext);
    if (!decoded.ok) {
      run.deadLetters.push(deadLetterId(config.kafka.topics.predictions, 0, m.offset));
      continue;
    }
    for (const o of applyPrediction(run.state, decoded.event, m.offset, ctx, Date.now()).outputs) {
      if (o.kind === "drift") run.drift.push(o.event.eventId);
      else if (o.kind === "retrain") run.retrain.push(o.request.requestId);
    }
  }
  return run;
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text
    .split("\n")
    .find(
      (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

describe("service when Redis loses its state mid-stream (FLUSHALL)", () => {
  const config = driftingServiceConfig("state-lost");
  const topics = config.kafka.topics;
  const messages = input();
  // 1 600 of 2 200 events before the flush: the drift started at 1 000, is critical and has its retrain request
  const beforeFlush = messages.slice(0, 1606);
  const afterFlush = messages.slice(1606);
  let redis: OwnRedis;
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    redis = await startOwnRedis();
    (config.redis as { url: string }).url = redis.url;
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, beforeFlush);
    service = await startServiceInProcess(config, {
      chunkSize: 100,
      backoff: { initialMs: 50, maxMs: 500, jitter: 0 },
      probeIntervalMs: 500,
      wrapStore: slowCommits,
    });
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
    await redis?.stop();
  });

  it("counts and logs the loss, is not ready while it rebuilds from Kafka, and ends in the state and outputs of an uninterrupted run", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, beforeFlush.length);
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${service.server.port}/readyz`);
      return { status: res.status, body: await res.text() };
    };
    expect((await readyz()).status).toBe(200);
    const before = await service.metricsText();
    expect(metricValue(before, "drift_state_lost_total", { partition: "0" })).toBe(0);
    const retrainBefore = await readAllMessages(kafka, topics.retrain);
    expect(retrainBefore).toHaveLength(1); // requested before the flush; its cooldown lock is flushed too

    // watch readiness from now on
    const seen: { status: number; body: string }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(await readyz());
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    expect(redis.cli("FLUSHALL")).toBe("OK");
    await produceRaw(kafka, topics.predictions, afterFlush);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, messages.length);
    await waitFor("ready after the rebuild", async () => ((await readyz()).status === 200 ? true : undefined), 30_000, 50);
    watching = false;
    await watcher;

    const notReady = seen.filter((r) => r.status === 503);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady[0].body).toContain("rebuilding the state of partition 0 from Kafka after Redis lost it (emptied)");
    expect(seen.findIndex((r) => r.status === 503)).toBeLessThan(seen.findLastIndex((r) => r.status === 200));
    const after = await service.metricsText();
    expect(metricValue(after, "drift_state_lost_total", { partition: "0" })).toBe(1);
    expect(metricValue(after, "drift_state_rebuilds_inexact_total", { partition: "0" })).toBe(0);
    expect(metricValue(after, "drift_state_rebuilding", { partition: "0" })).toBe(0);
    expect(service.logLines.filter((l) => l.includes("Redis lost this partition's state")).length).toBe(1);
    expect(service.logLines.filter((l) => l.includes('"level":"error"') && l.includes("Redis lost this partition's state")).length).toBe(1);
    expect(service.logLines.filter((l) => l.includes("partition state rebuilt from Kafka, as it was before the loss")).length).toBe(1);
    expect(service.logLines.filter((l) => l.includes("another replica owns it now")).length).toBe(0);

    // ---- state: equal to the uninterrupted run, byte for byte ----
    const expected = uninterruptedRun(await readAllMessages(kafka, topics.predictions), config);
    expect(expected.retrain).toHaveLength(1);
    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    expect(stored.offset).toBe(expected.lastOffset);
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters).toEqual(expected.state.counters);
    for (const [modelId, model] of expected.state.models) {
      const got = state.models.get(modelId);
      if (got === undefined) throw new Error(`model ${modelId} missing after the rebuild`);
      for (const [version, v] of model.versions) {
        // the drift is still an incident: status and hysteresis as in the uninterrupted run
        expect(got.versions.get(version)?.hysteresis, `${modelId}@${version} hysteresis`).toEqual(v.hysteresis);
        expect(got.versions.get(version)?.incident, `${modelId}@${version} incident`).toEqual(v.incident);
      }
      expect(got.retrain).toEqual(model.retrain);
      expectSameEncoding(encodeModelHot(got), encodeModelHot(model), `${modelId} hot state`);
      expectSameEncoding(encodeModelCold(got), encodeModelCold(model), `${modelId} cold state`);
    }

    // ---- outputs: the uninterrupted run's, each once ----
    const ids = (ms: ReadMessage[], header: string) => ms.map((m) => m.headers[header]);
    const drift = ids(await readAllMessages(kafka, topics.drift), "event-id");
    const retrain = ids(await readAllMessages(kafka, topics.retrain), "request-id");
    const dlq = ids(await readAllMessages(kafka, topics.deadLetter), "dlq-id");
    expect(drift).toEqual(expected.drift);
    expect(retrain).toEqual(expected.retrain); // one request: none again within the cooldown
    expect(dlq).toEqual(expected.deadLetters);
    expect(redis.cli("GET", `${config.redis.keyPrefix}:retrain-lock:{fraud-scorer}`)).toBe(expected.retrain[0]);
  }, 120_000);
});
