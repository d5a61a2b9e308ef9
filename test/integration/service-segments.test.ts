// Segments on the real broker and Redis (issue 11): a burst of one segment (latam from 10 % to 60 % of the
// events for 5 windows, every segment's distribution unchanged) reads as a change of segment mix — the drift
// events name only segment_mix:region, no retrain request — and /metrics shows the segment shares.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema } from "../../src/events/schemas.ts";
import {
  createPredictionsTopic,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceConfig,
  startServiceInProcess,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";
import { burstMix, regionStream } from "../support/segment-streams.ts";

const MODEL = "segmented";
const PER_WINDOW = 500;
const WINDOWS = 25;

describe("service: a segment burst", () => {
  const config = serviceConfig("segments", {
    models: { [MODEL]: { window: { maxEvents: PER_WINDOW, minEvents: 100 }, segments: { keys: ["region"] } } },
  });
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const events = [...regionStream({ seed: 21, windows: WINDOWS, perWindow: PER_WINDOW, modelId: MODEL, mix: burstMix })];
    await produceRaw(kafka, topics.predictions, predictionMessages(events));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("emits drift events that name the segment mix as the only drifting signal, and no retrain request", async () => {
    const drift = (await readAllMessages(kafka, topics.drift)).map((m) =>
      driftEventSchema.parse(JSON.parse(m.value?.toString("utf8") ?? "")),
    );
    // raised in the burst's second window (hysteresis 2); the first window after the burst has no drifting
    // signal while the status holds (an event: the drifting signals changed); recovered in the second
    expect(drift.map((e) => [e.status, Number(e.window.firstOffset) / PER_WINDOW])).toEqual([
      ["critical", 16],
      ["critical", 20],
      ["ok", 21],
    ]);
    for (const e of drift) for (const s of e.signals) expect(s.signal).toBe("segment_mix:region");
    const raised = drift[0];
    expect(raised.signals.map((s) => [s.signal, s.status])).toEqual([["segment_mix:region", "critical"]]);
    expect(raised.signals[0].statistics.lInf).toBeGreaterThan(0.4);
    expect(raised.incident?.peakSignal).toBe("segment_mix:region");
    expect(await readAllMessages(kafka, topics.retrain)).toEqual([]);
  });

  it("exports the segment shares and statuses, and the mix signal's status, on /metrics", async () => {
    const lines = (await service.metricsText()).split("\n").filter((l) => l.includes(`model="${MODEL}"`));
    const value = (prefix: string, label: string) =>
      Number(
        lines
          .find((l) => l.startsWith(prefix) && l.includes(label))
          ?.split(" ")
          .at(-1),
      );
    expect(value("drift_segment_share{", 'segment="region=latam"')).toBeCloseTo(0.1, 1);
    expect(value("drift_segment_status{", 'segment="region=eu"')).toBe(0);
    expect(value("drift_signal_status{", 'signal="segment_mix:region"')).toBe(0);
    expect(lines.filter((l) => l.includes('signal="segment:'))).toEqual([]);
  });
});
