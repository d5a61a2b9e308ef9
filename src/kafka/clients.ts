// Kafka setup of the service: the client, its topics (created when missing), the output schemas (Avro
// output), the idempotent producer and the group consumer. `drift-detector run` calls this once at start.
// Brokers, TLS and SASL come from the config; secrets are read from the environment or files only here,
// when the client is created (src/config/secrets.ts).
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type SASLOptions } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { readSecret, tlsOptions, type Env } from "../config/secrets.ts";
import { kafkajsLogCreator } from "../logging/kafkajs-log.ts";
import type { Logger } from "../logging/logger.ts";
import { createServiceConsumer } from "./consumer.ts";
import { createPartitionPositions, type PartitionPositions } from "./partition-positions.ts";
import { createOutputEncoder, createOutputProducer, registerOutputSchemas, type OutputEncoder, type OutputProducer } from "./producer.ts";
import {
  checkCoPartitioned,
  clusterMessageSizeLimits,
  ensureTopics,
  readReplication,
  replicationWarnings,
  type MessageSizeLimits,
} from "./topic-admin.ts";

export interface ServiceClients {
  consumer: Consumer;
  /** connected */
  producer: OutputProducer;
  encoder: OutputEncoder;
  /** the output topics' max.message.bytes, which the relay sizes its sends to */
  limits: MessageSizeLimits;
  /** the group's committed offsets, the first retained offsets and the consumer's seek (lost-state rebuilds) */
  positions: PartitionPositions;
  /** the partition count the predictions and outcomes topics share, read at start; undefined: one topic serves both */
  sharedPartitionCount: number | undefined;
}

/** brokers, ssl and sasl of every Kafka client (service, demo, tests) */
export function kafkaConnectionOptions(config: ResolvedConfig, env: Env = process.env): Pick<KafkaConfig, "brokers" | "ssl" | "sasl"> {
  const { ssl, sasl } = config.kafka;
  const out: Pick<KafkaConfig, "brokers" | "ssl" | "sasl"> = { brokers: config.kafka.brokers };
  if (ssl !== undefined) out.ssl = tlsOptions(ssl, "kafka.ssl", env);
  if (sasl !== undefined) {
    const password = readSecret(sasl.password, "kafka.sasl.password", env);
    // kafkajs types SASL options per mechanism; ours are one of its three
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password } as SASLOptions;
  }
  return out;
}

export function createKafkaClient(config: ResolvedConfig, log: Logger): Kafka {
  return new Kafka({
    clientId: config.kafka.clientId,
    ...kafkaConnectionOptions(config),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(log),
  });
}

/** Logs how the outputs are replicated, and a warning for each that a broker failure could lose; never throws. */
async function reportReplication(admin: Admin, config: ResolvedConfig, log: Logger): Promise<void> {
  const t = config.kafka.topics;
  try {
    const { brokers, topics } = await readReplication(admin, [...new Set([t.drift, t.retrain, t.deadLetter, t.baseline])]);
    log.info({ brokers, topics }, "output topics' replication");
    for (const warning of replicationWarnings(brokers, topics)) log.warn({ brokers }, warning);
  } catch (err) {
    log.warn({ err }, "cannot read the output topics' replication");
  }
}

export async function connectServiceClients(
  config: ResolvedConfig,
  log: Logger,
  kafka: Kafka = createKafkaClient(config, log),
): Promise<ServiceClients> {
  const admin = kafka.admin();
  await admin.connect();
  let sharedPartitionCount: number | undefined;
  try {
    const created = await ensureTopics(admin, config);
    if (created.length > 0) log.info({ topics: created }, "created topics");
    sharedPartitionCount = await checkCoPartitioned(admin, config);
    await reportReplication(admin, config, log);
  } finally {
    await admin.disconnect();
  }
  const t = config.kafka.topics;
  const limits = await clusterMessageSizeLimits(kafka, [t.drift, t.retrain, t.deadLetter, t.baseline], (read) => {
    const detail = { limits: Object.fromEntries(read.limits), sources: Object.fromEntries(read.sources) };
    if (read.problems.length > 0)
      log.warn(
        { ...detail, problems: read.problems },
        "cannot read every output topic's max.message.bytes; using the broker's or Kafka's default",
      );
    else log.info(detail, "output topic message size limits");
  });
  const avroIds = config.kafka.outputFormat === "avro" ? await registerOutputSchemas(config) : undefined;
  const producer = createOutputProducer(kafka, (cause) =>
    log.warn(
      { err: cause },
      "a send failed: the producer is replaced (a new producer id), so no later batch reuses a sequence the failed one may hold",
    ),
  );
  await producer.connect();
  const consumer = createServiceConsumer(kafka, config);
  const positions = createPartitionPositions(kafka, consumer, config.kafka.groupId);
  return { consumer, producer, encoder: createOutputEncoder(avroIds), limits, positions, sharedPartitionCount };
}
