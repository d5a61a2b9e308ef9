// Input from producers that compress: a drifting stream produced in four parts — uncompressed, gzip,
// snappy and lz4 record batches — is counted in full and drifts like an uncompressed one. And a fetch the
// client cannot decode (the LZ4 codec made unavailable) is never a zombie: in process the pipeline reports
// the fatal crash and counts it; as `drift-detector run` the process exits 1, and a restarted one (with the
// codec) resumes from the stored offset and counts every event once.
import { afterAll, describe, expect, it } from "vitest";
import { CompressionCodecs, CompressionTypes, KafkaJSNonRetriableError, type Kafka } from "kafkajs";
import { registerCompressionCodecs } from "../../src/kafka/compression-codecs.ts";
import {
  committedOffsets,
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  DRIFTING_MODEL as MODEL,
  freePort,
  harnessKafka,
  predictionMessages,
  readAllMessages,
  serviceProcessSetup,
  startedResources,
  startServiceInProcess,
  startServiceProcess,
  waitFor,
  waitForCommittedEnd,
  type RawMessage,
} from "../support/service-harness.ts";

const PRELOAD_WITHOUT_LZ4 = new URL("../support/without-lz4-codec.mjs", import.meta.url).pathname;

async function produceCompressed(kafka: Kafka, topic: string, messages: RawMessage[], compression: CompressionTypes): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 200) {
      await producer.send({ topic, acks: -1, compression, messages: messages.slice(i, i + 200) });
    }
  } finally {
    await producer.disconnect();
  }
}

function counterValue(text: string, name: string, labels = ""): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("service input compression", () => {
  const resources = startedResources();
  afterAll(() => resources.release());

  it("counts every event of gzip, snappy and lz4 batches and detects the drift in them", async () => {
    registerCompressionCodecs(); // this test's producer compresses with the same codecs
    const config = driftingServiceConfig("codecs");
    const kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const messages = predictionMessages(driftingStream());
    const codecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4];
    const part = Math.ceil(messages.length / codecs.length);
    for (const [i, codec] of codecs.entries()) {
      await produceCompressed(kafka, config.kafka.topics.predictions, messages.slice(i * part, (i + 1) * part), codec);
    }
    const service = await startServiceInProcess(config);
    resources.clients.push({ close: () => service.stop() });
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.predictions, messages.length);

    const text = await service.metricsText();
    expect(counterValue(text, "drift_events_consumed_total")).toBe(messages.length);
    expect(await readAllMessages(kafka, config.kafka.topics.deadLetter)).toHaveLength(0);
    const drift = (await readAllMessages(kafka, config.kafka.topics.drift)).map((m) => JSON.parse(m.value?.toString("utf8") ?? "{}"));
    expect(drift.some((e) => e.modelId === MODEL && e.status === "critical")).toBe(true);
    expect(service.pipeline.isHealthy()).toBe(true);
  });

  it("in process, a fetch the client cannot decode is a fatal crash: reported, counted, unhealthy", async () => {
    registerCompressionCodecs();
    const config = driftingServiceConfig("codec-missing");
    const kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceCompressed(
      kafka,
      config.kafka.topics.predictions,
      predictionMessages(driftingStream().slice(0, 50)),
      CompressionTypes.LZ4,
    );
    // pinned like test/support/without-lz4-codec.mjs does in a process: the service's registration is ignored
    const table = CompressionCodecs as unknown as Record<number, () => unknown>;
    const lz4 = table[CompressionTypes.LZ4];
    const removed = () => {
      throw new KafkaJSNonRetriableError("LZ4 compression not implemented (removed by the test)");
    };
    Object.defineProperty(table, CompressionTypes.LZ4, { get: () => removed, set: () => {}, configurable: true });
    try {
      let fatal: Error | undefined;
      const service = await startServiceInProcess(config, { onFatalCrash: (err) => (fatal = err) });
      resources.clients.push({ close: () => service.stop() });
      const error = await waitFor("the fatal crash", () => fatal, 30_000);
      expect(error.message).toContain("LZ4 compression not implemented");
      expect(service.pipeline.isHealthy()).toBe(false);
      expect(counterValue(await service.metricsText(), "drift_consumer_crashes_total", 'restarted="false"')).toBe(1);
      expect(service.logLines.some((l) => l.includes("consumer crashed and does not restart"))).toBe(true);
    } finally {
      Object.defineProperty(table, CompressionTypes.LZ4, { value: lz4, writable: true, configurable: true, enumerable: true });
    }
  });

  it("as a process, exits 1 on a fetch it cannot decode; restarted with the codec it resumes and counts every event once", async () => {
    const { raw, config, kafka } = await serviceProcessSetup("codec-exit", {}, 1);
    const topic = config.kafka.topics.predictions;
    const events = driftingStream().slice(0, 400);
    await produceCompressed(kafka, topic, predictionMessages(events.slice(0, 300)), CompressionTypes.None);
    const withoutLz4 = startServiceProcess(raw, {
      metricsPort: await freePort(),
      env: { NODE_OPTIONS: `--import ${PRELOAD_WITHOUT_LZ4}` },
    });
    resources.children.push(withoutLz4);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topic, 300).catch((err: Error) => {
      throw new Error(`${err.message}; service output:\n${withoutLz4.output.slice(-20).join("\n")}`);
    });
    registerCompressionCodecs();
    await produceCompressed(kafka, topic, predictionMessages(events.slice(300)), CompressionTypes.LZ4);
    expect(await withoutLz4.exited).toBe(1);
    expect(withoutLz4.output.some((l) => l.includes("consumer crashed and does not restart"))).toBe(true);
    expect((await committedOffsets(kafka, config.kafka.groupId, topic)).get(0)).toBe("300");

    const port = await freePort();
    const restarted = startServiceProcess(raw, { metricsPort: port });
    resources.children.push(restarted);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topic, 400);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(counterValue(text, "drift_events_consumed_total")).toBe(100);
    restarted.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
  });
});
