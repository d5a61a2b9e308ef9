// Publishing one output from an operator command (`drift-detector retrain`): the service's encoding
// (JSON, or Avro under `<topic>-value` when kafka.outputFormat is avro) and its idempotent producer, for
// one message, then disconnect. kafkajs logs go to stderr at warn, so stdout stays the command's answer.
import type { ResolvedConfig } from "../config/load.ts";
import { createLogger } from "../logging/logger.ts";
import type { OutboxEntry } from "../state/port.ts";
import { createKafkaClient } from "./clients.ts";
import { PublishError } from "./publish-error.ts";
import { createOutputEncoder, createOutputProducer, registerOutputSchemas } from "./producer.ts";

export async function publishOutput(config: ResolvedConfig, entry: OutboxEntry): Promise<void> {
  const fail = (detail: string, cause?: unknown) =>
    new PublishError(`cannot publish ${entry.id} to ${entry.topic}: ${detail}`, { id: entry.id, topic: entry.topic }, { cause });
  const log = createLogger({ level: "warn", destination: process.stderr });
  let encoder;
  try {
    encoder = createOutputEncoder(config.kafka.outputFormat === "avro" ? await registerOutputSchemas(config) : undefined);
  } catch (cause) {
    throw fail(`schema registry: ${(cause as Error).message}`, cause);
  }
  const encoded = encoder.encode(entry);
  if (!encoded.ok) throw fail(encoded.detail);
  const producer = createOutputProducer(createKafkaClient(config, log));
  try {
    await producer.connect();
    await producer.send({ topic: entry.topic, messages: [encoded.message] });
  } catch (cause) {
    throw fail((cause as Error).message, cause);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
