// Producers with different default partitioners on the predictions and outcomes topics, on the real broker:
// kcat (librdkafka) writes predictions at its default, consistent_random (CRC32), and outcomes with
// partitioner=murmur2_random, where the Java client and kafkajs put a key. At 3 partitions (placements from
// test/fixtures/key-partitioners/placements.json, made by librdkafka and the Java client themselves):
//   fraud-scorer   CRC32 → 0, murmur2 → 1: its outcomes land beside no prediction and never join
//   eta-regressor  CRC32 → 0, murmur2 → 0: placed alike by both, joins
// The service says which key, which partitions and which partitioners, and counts it on /metrics; with both
// topics written the murmur2 way, nothing is reported and both models join.
import { spawnSync } from "node:child_process";
import type { Kafka } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureExampleTool } from "../support/producer-example.ts";
import { infra } from "../support/infra.ts";
import { createServiceTopics, harnessKafka, serviceConfig, startServiceInProcess, waitFor } from "../support/service-harness.ts";

const MODELS = ["fraud-scorer", "eta-regressor"];
const PER_MODEL = 150;
const T0 = 1_763_769_600_000;

function kcatProduce(topic: string, lines: string[], partitioner?: string): void {
  const args = ["-P", "-b", infra().kafkaBrokers.join(","), "-t", topic, "-K", "|", "-X", "linger.ms=5"];
  if (partitioner !== undefined) args.push("-X", `partitioner=${partitioner}`);
  const res = spawnSync("kcat", args, { input: lines.join("\n") + "\n", encoding: "utf8", timeout: 60_000 });
  if (res.status !== 0) throw new Error(`kcat ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
}

function predictionLines(): string[] {
  return MODELS.flatMap((modelId, m) =>
    Array.from({ length: PER_MODEL }, (_, i) => {
      const event = {
        eventId: `${modelId}-${i}`,
        modelId,
        modelVersion: "v1",
        timestamp: T0 + (i * MODELS.length + m) * 100,
        prediction: 0.7,
        predictedClass: "pos",
        confidence: 0.7,
        features: { x: i % 7 },
      };
      return `${modelId}|${JSON.stringify(event)}`;
    }),
  );
}

function outcomeLines(): string[] {
  return MODELS.flatMap((modelId, m) =>
    Array.from({ length: PER_MODEL }, (_, i) => {
      const outcome = { eventId: `${modelId}-${i}`, modelId, timestamp: T0 + (i * MODELS.length + m) * 100 + 1000, actualClass: "pos" };
      return `${modelId}|${JSON.stringify(outcome)}`;
    }),
  );
}

/** One exported series' value (undefined when absent). */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = text
    .split("\n")
    .find(
      (l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

async function runWithPartitioners(label: string, kafka: Kafka, predictionsPartitioner: string | undefined) {
  const config = serviceConfig(label, {
    kafka: { partitions: 3 },
    models: Object.fromEntries(MODELS.map((m) => [m, { performance: { enabled: true, labelDelayMs: 600_000 } }])),
  });
  const topics = config.kafka.topics;
  await createServiceTopics(kafka, config, 3);
  const service = await startServiceInProcess(config);
  try {
    await service.pipeline.ready;
    kcatProduce(topics.predictions, predictionLines(), predictionsPartitioner);
    kcatProduce(topics.outcomes, outcomeLines(), "murmur2_random");
    // every outcome read: matched, or waiting for a prediction that is on another partition
    const text = await waitFor(
      `${label}: all ${MODELS.length * PER_MODEL} outcomes consumed`,
      async () => {
        const t = await service.metricsText();
        const consumed = t
          .split("\n")
          .filter((l) => l.startsWith("drift_events_consumed_total{") && l.includes(`topic="${topics.outcomes}"`))
          .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
        return consumed === MODELS.length * PER_MODEL ? t : undefined;
      },
      60_000,
    );
    const matched = (model: string) => valueOf(text, "drift_outcome_joins_total", { model, result: "matched" }) ?? 0;
    const fit = (topic: string, partitioner: string) => valueOf(text, "drift_key_partitioner_fit", { topic, partitioner });
    // the conflict lines (kafkajs may log a retried InitProducerId at error level on a fresh broker too)
    const errors = service.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === "error" && String(l.msg).includes(" is on partition "));
    return { topics, text, matched, fit, errors };
  } finally {
    await service.stop();
  }
}

describe("service: predictions and outcomes topics whose producers place keys differently", () => {
  let kafka: Kafka;
  beforeAll(() => {
    ensureExampleTool("kcat");
    kafka = harnessKafka();
  });

  it("kcat's default (CRC32) for predictions, murmur2 for outcomes: the split key is logged and counted, its outcomes do not join", async () => {
    const { topics, text, matched, fit, errors } = await runWithPartitioners("key-placement-split", kafka, undefined);
    expect(valueOf(text, "drift_key_partition_conflicts")).toBe(1);
    expect(matched("eta-regressor")).toBe(PER_MODEL);
    expect(matched("fraud-scorer")).toBe(0);
    expect([fit(topics.predictions, "crc32"), fit(topics.predictions, "murmur2"), fit(topics.predictions, "fnv1a")]).toEqual([1, 0, 0]);
    expect([fit(topics.outcomes, "crc32"), fit(topics.outcomes, "murmur2"), fit(topics.outcomes, "fnv1a")]).toEqual([0, 1, 0]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ key: "fraud-scorer", predictionsPartition: 0, outcomesPartition: 1 });
    expect(errors[0].msg).toContain(
      `key "fraud-scorer" is on partition 0 of ${topics.predictions} and on partition 1 of ${topics.outcomes}`,
    );
    expect(errors[0].msg).toContain(`keys on ${topics.predictions} fit CRC32 (librdkafka's default consistent_random`);
    expect(errors[0].msg).toContain(`keys on ${topics.outcomes} fit murmur2 (the Java client`);
    expect(errors[0].msg).toContain("partitioner=murmur2_random for librdkafka clients");
  });

  it("both topics written with partitioner=murmur2_random: no conflict, no conflict line, both models join", async () => {
    const { topics, text, matched, fit, errors } = await runWithPartitioners("key-placement-alike", kafka, "murmur2_random");
    expect(valueOf(text, "drift_key_partition_conflicts")).toBe(0);
    expect(matched("eta-regressor")).toBe(PER_MODEL);
    expect(matched("fraud-scorer")).toBe(PER_MODEL);
    expect(fit(topics.predictions, "murmur2")).toBe(1);
    expect(fit(topics.outcomes, "murmur2")).toBe(1);
    expect(errors).toEqual([]);
  });
});
