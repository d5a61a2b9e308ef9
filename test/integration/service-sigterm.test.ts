// `drift-detector run` as a child process: SIGTERM after the stream was processed finishes the work,
// leaves the group and exits 0 well within the 10 s limit; /readyz and /healthz answered while it ran.
import { afterAll, describe, expect, it } from "vitest";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { createTopics, infra } from "../support/infra.ts";
import {
  driftingStream,
  freePort,
  harnessKafka,
  predictionMessages,
  produceRaw,
  serviceRawConfig,
  startServiceProcess,
  type ServiceProcess,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

describe("service process shutdown", () => {
  let service: ServiceProcess | undefined;

  afterAll(() => {
    if (service && service.child.exitCode === null) service.kill("SIGKILL");
  });

  it("SIGTERM makes the process persist, leave the group and exit 0 within 10 s", async () => {
    const raw = serviceRawConfig("sigterm", { defaults: { window: { maxEvents: 200, minEvents: 50 } } });
    const kafkaConfig = raw.kafka as { groupId: string; topics: { predictions: string } };
    const redisConfig = raw.redis as { keyPrefix: string };
    const topic = kafkaConfig.topics.predictions;
    const kafka = harnessKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [topic], 1);
    await admin.disconnect();
    const events = driftingStream().slice(0, 600);
    await produceRaw(kafka, topic, predictionMessages(events));

    const metricsPort = await freePort();
    // the group id comes through the DRIFT_DETECTOR__ override, proving the env path of the config
    const groupId = `${kafkaConfig.groupId}-env`;
    service = startServiceProcess(raw, { metricsPort, env: { DRIFT_DETECTOR__kafka__groupId: groupId } });
    await service.waitForLog((l) => l.msg === "ready", 60_000);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    await waitForCommittedEnd(kafka, groupId, topic, events.length);

    const started = Date.now();
    service.kill("SIGTERM");
    const code = await service.exited;
    const elapsed = Date.now() - started;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(10_000);
    await service.waitForLog((l) => l.msg === "stopped" && l.code === 0, 1_000);

    const store = new RedisStateStore(infra().redisUrl, { keyPrefix: redisConfig.keyPrefix });
    try {
      const stored = await store.loadPartition({ group: groupId, topic, partition: 0 });
      expect(stored.offset).toBe(String(events.length - 1));
      expect(decodePartitionState(0, stored.meta, stored.models).counters.accepted).toBe(events.length);
    } finally {
      await store.close();
    }
  });
});
