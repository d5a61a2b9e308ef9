// Redis faults the detector must make visible (issue 8, items 5 and 7), each against its own redis-server
// started here (so it can be paused or locked without touching the shared test Redis):
// - a hung Redis (SIGSTOP for ~10 s): commands time out instead of waiting forever, the outage is counted
//   and logged, /readyz is 503 naming it, heartbeats go on (no rebalance with a 6 s session timeout), and
//   after SIGCONT every event is applied exactly once, with the drift events of an uninterrupted run;
// - wrong credentials (requirepass): /readyz names the cause, drift_dependency_up is 0 and
//   drift_dependency_errors_total{reason="auth"} counts; fixing the password on the server recovers.
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState } from "../../src/detect/engine.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
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
} from "../support/service-harness.ts";

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text
    .split("\n")
    .find(
      (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

async function readyz(service: InProcessService): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${service.server.port}/readyz`);
  return { status: res.status, body: await res.text() };
}

const logged = (service: InProcessService, msg: string) => service.logLines.filter((l) => l.includes(msg)).length;

describe("service while Redis hangs (SIGSTOP)", () => {
  const config = driftingServiceConfig("redis-hang", { sessionTimeoutMs: 6_000 });
  const topics = config.kafka.topics;
  const events = driftingStream();
  const firstHalf = events.slice(0, 1000);
  const secondHalf = events.slice(1000);
  let redis: OwnRedis;
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    redis = await startOwnRedis();
    (config.redis as { url: string }).url = redis.url;
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(firstHalf));
    service = await startServiceInProcess(config, {
      chunkSize: 200,
      backoff: { initialMs: 100, maxMs: 1_000, jitter: 0 },
      redisOptions: { commandTimeout: 1_000 },
      probeIntervalMs: 500,
    });
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
    await redis?.stop();
  });

  it("is not ready, counts and logs the timeout, keeps its group membership, and applies everything exactly once after SIGCONT", async () => {
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, firstHalf.length);
    expect((await readyz(service)).status).toBe(200);

    redis.child.kill("SIGSTOP");
    const pausedAt = Date.now();
    await produceRaw(kafka, topics.predictions, predictionMessages(secondHalf));
    const during = await waitFor(
      "readiness to report the hung Redis",
      async () => {
        const r = await readyz(service);
        return r.status === 503 && r.body.includes("redis unavailable") ? r : undefined;
      },
      8_000,
      200,
    );
    expect(during.body).toContain("timeout");
    const text = await service.metricsText();
    expect(metricValue(text, "drift_dependency_up", { dependency: "redis" })).toBe(0);
    expect(metricValue(text, "drift_dependency_errors_total", { dependency: "redis", reason: "timeout" })).toBeGreaterThan(0);
    expect(logged(service, "redis unavailable (timeout)")).toBe(1);
    // hold the pause for ~10 s: longer than the 6 s session timeout, so only heartbeats keep the membership
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - pausedAt))));
    expect((await readyz(service)).status).toBe(503);
    redis.child.kill("SIGCONT");

    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
    await waitFor("readiness after Redis answers", async () => ((await readyz(service)).status === 200 ? true : undefined), 15_000, 200);
    expect(logged(service, "redis answers again")).toBe(1);
    expect(logged(service, "joined consumer group")).toBe(1);
    const after = await service.metricsText();
    expect(metricValue(after, "drift_dependency_up", { dependency: "redis" })).toBe(1);

    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters.accepted).toBe(events.length);

    // the drift events of an uninterrupted run: the same events through the engine alone
    const reference = createPartitionState(0);
    const ctx = engineContextFrom(config, Date.now);
    const expected: string[] = [];
    events.forEach((e: PredictionEvent, i) => {
      for (const out of applyPrediction(reference, e, String(i), ctx, Date.now()).outputs)
        if (out.kind === "drift") expected.push(out.event.eventId);
    });
    expect(expected.length).toBeGreaterThan(0);
    const published = await readAllMessages(kafka, topics.drift);
    expect([...new Set(published.map((m) => m.headers["event-id"]))]).toEqual(expected);
  });
});

describe("service with a wrong Redis password", () => {
  const config = driftingServiceConfig("redis-auth");
  const topics = config.kafka.topics;
  const events = driftingStream().slice(0, 400);
  let redis: OwnRedis;
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    redis = await startOwnRedis(["--requirepass", "right-password"]);
    (config.redis as { url: string }).url = redis.url.replace("redis://", "redis://:wrong-password@");
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(events));
    service = await startServiceInProcess(config, { backoff: { initialMs: 100, maxMs: 1_000, jitter: 0 }, probeIntervalMs: 500 });
  });

  afterAll(async () => {
    await service?.stop();
    await redis?.stop();
  });

  it("says why in /readyz, the metrics and the log, and recovers once the server takes the password", async () => {
    const down = await waitFor(
      "readiness to name the auth failure",
      async () => {
        const r = await readyz(service);
        return r.status === 503 && r.body.includes("redis unavailable") ? r : undefined;
      },
      15_000,
      200,
    );
    expect(down.body).toContain("auth");
    expect(down.body).toMatch(/WRONGPASS|NOAUTH/);
    expect(down.body).not.toContain("wrong-password");
    const text = await service.metricsText();
    expect(metricValue(text, "drift_dependency_up", { dependency: "redis" })).toBe(0);
    expect(metricValue(text, "drift_dependency_errors_total", { dependency: "redis", reason: "auth" })).toBeGreaterThan(0);
    expect(logged(service, "redis unavailable (auth)")).toBe(1);
    expect(service.logLines.some((l) => l.includes("wrong-password"))).toBe(false);

    // the operator fixes the secret on the server side; the service reconnects and authenticates
    redis.cli("CONFIG", "SET", "requirepass", "wrong-password");
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
    await waitFor(
      "readiness after the password is accepted",
      async () => ((await readyz(service)).status === 200 ? true : undefined),
      15_000,
      200,
    );
    expect(metricValue(await service.metricsText(), "drift_dependency_up", { dependency: "redis" })).toBe(1);
  });
});
