// One valid event stamped 2^52 ms (year 144 683) among a normal stream on a real broker and Redis: it goes to
// the dead-letter topic as timestamp_out_of_range, the rest is applied in normal time, and the drift events
// are exactly those of the same stream without it (same ids, computed by the engine directly).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState } from "../../src/detect/engine.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { decodePartitionState } from "../../src/state/engine-state-codec.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  startServiceInProcess,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";

const ODD_AT = 500;

describe("service with an event stamped 2^52 ms", () => {
  const config = driftingServiceConfig("event-time");
  const topics = config.kafka.topics;
  const clean = driftingStream();
  const odd: PredictionEvent = { ...clean[ODD_AT], eventId: "from-the-far-future", timestamp: 2 ** 52 };
  const stream = [...clean.slice(0, ODD_AT), odd, ...clean.slice(ODD_AT)];
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(stream));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("dead-letters it as timestamp_out_of_range, applies the rest in normal time, and emits the drift events of the clean stream", async () => {
    const started = Date.now();
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, stream.length);
    // clean: ~5 s for this stream; the loop over deadlines took minutes and blocked every partition
    expect(Date.now() - started).toBeLessThan(30_000);

    const dlq = await readAllMessages(kafka, topics.deadLetter);
    expect(dlq.map((m) => [m.headers.reason, m.headers["source-offset"]])).toEqual([["timestamp_out_of_range", String(ODD_AT)]]);

    const stored = await service.store.loadPartition({ group: config.kafka.groupId, topic: topics.predictions, partition: 0 });
    const state = decodePartitionState(0, stored.meta, stored.models);
    expect(state.counters).toMatchObject({ accepted: clean.length, late: 0, timestampOutOfRange: 1 });
    expect(state.maxEventTime).toBe(clean[clean.length - 1].timestamp);

    // the engine over the clean stream (no service, no odd event) decides the same drift events
    const oracle = createPartitionState(0);
    const ctx = engineContextFrom(config, () => 0);
    const expected: string[] = [];
    clean.forEach((e, i) => {
      for (const o of applyPrediction(oracle, e, String(i), ctx, Date.now()).outputs)
        if (o.kind === "drift") expected.push(o.event.eventId);
    });
    expect(expected.length).toBeGreaterThan(0);
    const drift = await readAllMessages(kafka, topics.drift);
    expect(drift.map((m) => m.headers["event-id"])).toEqual(expected);

    const text = await service.metricsText();
    expect(text).toMatch(/^drift_events_rejected_total\{reason="timestamp_out_of_range",topic="[^"]+"\} 1$/m);
  });
});
