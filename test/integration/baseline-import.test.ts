// An imported reference baseline (baseline import → Redis) replaces warmup: the service compares the very
// first windows of that model version with it, and the drift events name the imported baseline.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { importBaselines } from "../../src/cli/baseline-import.ts";
import { decodeBaseline } from "../../src/state/engine-state-codec.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import type { DriftEvent } from "../../src/events/types.ts";
import {
  driftingStream,
  DRIFTING_MODEL as MODEL,
  DRIFTING_VERSION as VERSION,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceConfig,
  STATIONARY,
  startServiceInProcess,
  waitFor,
  type InProcessService,
  createPredictionsTopic,
} from "../support/service-harness.ts";

describe("baseline import", () => {
  const config = serviceConfig("import", {
    defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 }, detection: { consecutiveWindows: 2 } },
  });
  let kafka: Kafka;
  let service: InProcessService | undefined;
  const stream = driftingStream();

  beforeAll(async () => {
    kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("stores one reference per model version, built from the file's events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baseline-import-"));
    const file = join(dir, "training.jsonl");
    writeFileSync(
      file,
      stream
        .slice(0, STATIONARY)
        .map((e) => JSON.stringify(e))
        .join("\n") + "\n{not json\n",
    );
    const store = new RedisStateStore(config.redis.url, { keyPrefix: config.redis.keyPrefix });
    try {
      const summary = await importBaselines({ input: file, config, store, stdin: process.stdin });
      expect(summary.used).toBe(STATIONARY);
      expect(summary.rejected).toEqual({ invalid_json: { count: 1, firstLines: [STATIONARY + 1] } });
      expect(summary.baselines).toEqual([
        { modelId: MODEL, modelVersion: VERSION, id: `${MODEL}@${VERSION}/reference/import:training.jsonl`, count: STATIONARY, signals: 6 },
      ]);
      const bytes = await store.getReferenceBaseline(MODEL, VERSION);
      expect(bytes).not.toBeNull();
      const stored = decodeBaseline(bytes!);
      expect(stored.baseline.signals.numeric.get("feature:amount")?.moments.count).toBe(STATIONARY);
    } finally {
      await store.close();
    }
  });

  it("the service evaluates the first windows of the version against the imported reference (no warmup)", async () => {
    await produceRaw(kafka, config.kafka.topics.predictions, predictionMessages(stream.slice(STATIONARY)));
    service = await startServiceInProcess(config);
    await service.pipeline.ready;
    const drift = await waitFor("drift events from the shifted windows", async () => {
      const messages = await readAllMessages(kafka, config.kafka.topics.drift, 5_000).catch(() => []);
      return messages.length >= 1 ? messages : undefined;
    });
    const events = drift.map((m) => JSON.parse(m.value!.toString("utf8")) as DriftEvent);
    // 6 windows of shifted data, no warmup: the incident opens at w1 after the 2-window hysteresis (drift
    // events are emitted on changes, so one event opens it)
    expect(events[0].window.id).toBe(`${MODEL}@${VERSION}/p0/w1`);
    expect(events[0].baseline).toMatchObject({
      kind: "reference",
      id: `${MODEL}@${VERSION}/reference/import:training.jsonl`,
      count: STATIONARY,
    });
    expect(events[0].signals.map((s) => s.signal)).toContain("feature:amount");
  });
});
