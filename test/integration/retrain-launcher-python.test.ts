// The other direction of the contract: deploy/examples/python/retrain_launcher.py, a training launcher on
// confluent-kafka (librdkafka, fastavro through AvroDeserializer), reads the detector's retrain requests and
// drift events — JSON, and Confluent-framed Avro with the registry — and gets exactly what the detector published.
import { spawnSync } from "node:child_process";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import type { Kafka } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { infra, uniqueName } from "../support/infra.ts";
import { ensureExampleTool, REPO_ROOT } from "../support/producer-example.ts";
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
} from "../support/service-harness.ts";

interface LauncherLine {
  kind: "retrain" | "drift";
  headers: Record<string, string>;
  record: Record<string, unknown>;
}

describe("a Python training launcher reads the detector's outputs", () => {
  let python = "";
  let kafka: Kafka;
  beforeAll(() => {
    python = ensureExampleTool("python");
    kafka = harnessKafka();
  }, 600_000);

  for (const outputFormat of ["json", "avro"] as const) {
    it(`${outputFormat} outputs: every retrain request and drift event, field for field as the detector published them`, async () => {
      const config = driftingServiceConfig(`launcher-${outputFormat}`, { outputFormat });
      const topics = config.kafka.topics;
      await createPredictionsTopic(kafka, config);
      const events = driftingStream();
      await produceRaw(kafka, topics.predictions, predictionMessages(events));
      const service = await startServiceInProcess(config);
      try {
        await service.pipeline.ready;
        await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
      } finally {
        await service.stop();
      }
      // what the detector published, decoded here (the registry client of the detector's own stack)
      const registry = new SchemaRegistry({ host: infra().schemaRegistryUrl });
      const decode = async (value: Buffer | null) =>
        outputFormat === "avro"
          ? ((await registry.decode(value ?? Buffer.alloc(0))) as unknown)
          : (JSON.parse(value?.toString("utf8") ?? "") as unknown);
      const published = async (topic: string) => Promise.all((await readAllMessages(kafka, topic)).map((m) => decode(m.value)));
      const retrain = await published(topics.retrain);
      const drift = await published(topics.drift);
      expect(retrain).toHaveLength(1);
      expect(drift.length).toBeGreaterThan(0);

      const res = spawnSync(python, [`${REPO_ROOT}deploy/examples/python/retrain_launcher.py`], {
        encoding: "utf8",
        timeout: 120_000,
        env: {
          ...process.env,
          KAFKA_BROKERS: infra().kafkaBrokers.join(","),
          SCHEMA_REGISTRY_URL: infra().schemaRegistryUrl,
          RETRAIN_TOPIC: topics.retrain,
          DRIFT_TOPIC: topics.drift,
          GROUP_ID: uniqueName("launcher"),
          STOP_AFTER_IDLE_SECONDS: "5",
        },
      });
      expect(res.status, res.stderr).toBe(0);
      const lines = res.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as LauncherLine);
      const of = (kind: string) => lines.filter((l) => l.kind === kind);
      // JSON round trips drop undefined fields; compare as JSON values
      const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
      expect(of("retrain").map((l) => l.record)).toEqual(retrain.map(asJson));
      expect(of("retrain")[0].headers["request-id"]).toBe((retrain[0] as { requestId: string }).requestId);
      expect(of("drift").map((l) => l.record)).toEqual(drift.map(asJson));
    }, 240_000);
  }
});
