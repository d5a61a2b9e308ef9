// Topics the service reads and writes are created at start when missing (configured partitions and
// replication), or the service refuses to start with an error naming the topics it needs. The output
// topics' real message size limits are read here too, so the relay sizes its sends to them.
import type { Admin, ConfigResourceTypes, Kafka } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { DetectorError } from "../errors/detector-error.ts";

export class TopicSetupError extends DetectorError<{ topics: string[] }> {
  constructor(message: string, context: { topics: string[] }, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

export function serviceTopics(config: ResolvedConfig): string[] {
  const t = config.kafka.topics;
  return [...new Set([t.predictions, t.outcomes, t.drift, t.retrain, t.deadLetter, t.baseline])];
}

/** Returns the topics it created. */
export async function ensureTopics(admin: Admin, config: ResolvedConfig): Promise<string[]> {
  const wanted = serviceTopics(config);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  if (!config.kafka.createTopics) {
    throw new TopicSetupError(`missing Kafka topics ${missing.join(", ")} (kafka.createTopics is false: create them, or enable it)`, {
      topics: missing,
    });
  }
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
      })),
    });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new TopicSetupError(
      `cannot create Kafka topics ${missing.join(", ")}: ${detail} — create them beforehand or grant CREATE on them`,
      { topics: missing },
      { cause },
    );
  }
  // Another replica may have won the race (createTopics answers false then): check they exist now.
  const after = new Set(await admin.listTopics());
  const stillMissing = missing.filter((t) => !after.has(t));
  if (stillMissing.length > 0)
    throw new TopicSetupError(`Kafka topics ${stillMissing.join(", ")} do not exist after creating them`, { topics: stillMissing });
  return missing;
}

/**
 * The partitioning contract of the join: the outcomes topic has as many partitions as the predictions
 * topic and both are keyed by modelId (the same producer partitioner then puts a model's predictions and
 * outcomes on partitions of the same number), as Kafka Streams requires of co-partitioned joins. A
 * mismatch would join outcomes against the wrong partition's state, so the service refuses to start.
 */
export class CoPartitioningError extends DetectorError<{ partitions: Record<string, number> }> {
  constructor(message: string, context: { partitions: Record<string, number> }) {
    super(message, context);
  }
}

/** Exit code of `run` when the predictions and outcomes topics are not co-partitioned. */
export const CO_PARTITIONING_EXIT_CODE = 3;

/** Refuses topics with different partition counts; returns the count they share (undefined: one topic serves both). */
export async function checkCoPartitioned(admin: Pick<Admin, "fetchTopicMetadata">, config: ResolvedConfig): Promise<number | undefined> {
  const { predictions, outcomes } = config.kafka.topics;
  if (predictions === outcomes) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: [predictions, outcomes] });
  const partitions: Record<string, number> = {};
  for (const t of topics) partitions[t.name] = t.partitions.length;
  if (partitions[predictions] === partitions[outcomes]) return partitions[predictions];
  throw new CoPartitioningError(
    `topics ${predictions} (${partitions[predictions]} partitions) and ${outcomes} (${partitions[outcomes]} partitions) are not ` +
      "co-partitioned: the outcomes topic must have as many partitions as the predictions topic, both keyed by modelId " +
      `(add partitions to the smaller one with kafka-topics.sh --alter --partitions ${Math.max(partitions[predictions], partitions[outcomes])}, ` +
      "then move its data, or recreate it)",
    { partitions },
  );
}

/** How an output topic is replicated: its fewest replicas over partitions, and its min.insync.replicas when readable. */
export interface TopicReplication {
  topic: string;
  replicas: number;
  minInsyncReplicas: number | undefined;
}

/**
 * What an operator should hear about where the outputs live: a topic on one broker of a cluster of several
 * (losing that broker loses its drift events, retrain requests or dead letters, the only copy of rejected
 * input), or replicated with min.insync.replicas 1 (acks=all is then acknowledged by the leader alone, and a
 * leader that dies before its followers copied a record loses it).
 */
export function replicationWarnings(brokers: number, topics: readonly TopicReplication[]): string[] {
  const out: string[] = [];
  for (const t of topics) {
    if (brokers > 1 && t.replicas < 2)
      out.push(
        `output topic ${t.topic} has ${t.replicas} replica on a cluster of ${brokers} brokers: losing that broker loses its records ` +
          "(raise its replication with kafka-reassign-partitions.sh; kafka.replicationFactor sets it for topics the detector creates)",
      );
    else if (t.replicas >= 2 && t.minInsyncReplicas === 1)
      out.push(
        `output topic ${t.topic} has ${t.replicas} replicas but min.insync.replicas 1: a write is acknowledged by the leader alone, ` +
          "and a leader that fails before its followers copy it loses it (set min.insync.replicas=2 on the topic)",
      );
  }
  return out;
}

/** The brokers in the cluster and each topic's replication; a config that cannot be read is left undefined. */
export async function readReplication(admin: Admin, topics: readonly string[]): Promise<{ brokers: number; topics: TopicReplication[] }> {
  const cluster = await admin.describeCluster();
  const { topics: described } = await admin.fetchTopicMetadata({ topics: [...topics] });
  const minInsync = new Map<string, number>();
  try {
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ["min.insync.replicas"] })),
    });
    for (const r of configs.resources) {
      const value = parseBytes(r.configEntries.find((e) => e.configName === "min.insync.replicas")?.configValue);
      if (r.errorCode === 0 && value !== undefined) minInsync.set(r.resourceName, value);
    }
  } catch {
    // without DESCRIBE_CONFIGS the replica counts still tell the most important part
  }
  return {
    brokers: cluster.brokers.length,
    topics: described.map((t) => ({
      topic: t.name,
      replicas: Math.min(...t.partitions.map((p) => p.replicas.length)),
      minInsyncReplicas: minInsync.get(t.name),
    })),
  };
}

// kafkajs' CommonJS exports after `logLevel` are invisible to Node's ESM named imports: the enum's values
// (Kafka's DescribeConfigs resource types) are spelled out.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const BROKER_RESOURCE = 4 as ConfigResourceTypes;

/** Kafka's default `message.max.bytes` (1 MiB + 12), used when neither topic nor broker config can be read. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** re-reading after a MESSAGE_TOO_LARGE is throttled: a burst of rejections asks the broker once */
const REFRESH_INTERVAL_MS = 5_000;

/** The largest record batch (bytes) each output topic accepts. */
export interface MessageSizeLimits {
  limitFor(topic: string): number;
  /** re-read the limits (a rejection says the topic's config may have changed); never throws */
  refresh(): Promise<void>;
}

/** Fixed limits (tests, and topics whose limits cannot be read). */
export function fixedMessageSizeLimits(limits: Record<string, number>, fallback = KAFKA_DEFAULT_MAX_MESSAGE_BYTES): MessageSizeLimits {
  return { limitFor: (topic) => limits[topic] ?? fallback, refresh: async () => {} };
}

export interface LimitReadResult {
  limits: Map<string, number>;
  /** where each topic's limit came from */
  sources: Map<string, "topic" | "broker" | "default">;
  /** why a topic config could not be read (missing DESCRIBE_CONFIGS permission, …) */
  problems: string[];
}

function parseBytes(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * Each topic's `max.message.bytes`; where it cannot be read, the broker's `message.max.bytes` (what the
 * topic inherits unless overridden); where that fails too, Kafka's default.
 */
export async function readMessageSizeLimits(admin: Admin, topics: readonly string[]): Promise<LimitReadResult> {
  const limits = new Map<string, number>();
  const sources = new Map<string, "topic" | "broker" | "default">();
  const problems: string[] = [];
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ["max.message.bytes"] })),
    });
    for (const resource of described.resources) {
      if (resource.errorCode !== 0) {
        problems.push(`topic ${resource.resourceName}: ${resource.errorMessage || `error code ${resource.errorCode}`}`);
        continue;
      }
      const bytes = parseBytes(resource.configEntries.find((e) => e.configName === "max.message.bytes")?.configValue);
      if (bytes !== undefined) {
        limits.set(resource.resourceName, bytes);
        sources.set(resource.resourceName, "topic");
      }
    }
  } catch (err) {
    problems.push(`topic configs: ${err instanceof Error ? err.message : String(err)}`);
  }
  const missing = topics.filter((t) => !limits.has(t));
  if (missing.length === 0) return { limits, sources, problems };
  let broker: number | undefined;
  try {
    const cluster = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: cluster.brokers.map((b) => ({ type: BROKER_RESOURCE, name: String(b.nodeId), configNames: ["message.max.bytes"] })),
    });
    for (const resource of described.resources) {
      const bytes = parseBytes(resource.configEntries.find((e) => e.configName === "message.max.bytes")?.configValue);
      // brokers may differ; the smallest is the one every send must fit
      if (bytes !== undefined) broker = broker === undefined ? bytes : Math.min(broker, bytes);
    }
  } catch (err) {
    problems.push(`broker config: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const t of missing) {
    limits.set(t, broker ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    sources.set(t, broker === undefined ? "default" : "broker");
  }
  return { limits, sources, problems };
}

/**
 * Limits read from the cluster at start and re-read (throttled) on refresh(). `onRead` reports every read,
 * so a limit that could not be read is logged rather than silently replaced by the default.
 */
export async function clusterMessageSizeLimits(
  kafka: Kafka,
  topics: readonly string[],
  onRead: (result: LimitReadResult) => void,
  now: () => number = Date.now,
): Promise<MessageSizeLimits> {
  const read = async (): Promise<LimitReadResult> => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      return await readMessageSizeLimits(admin, topics);
    } catch (err) {
      return { limits: new Map(), sources: new Map(), problems: [`admin: ${err instanceof Error ? err.message : String(err)}`] };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  let current = await read();
  onRead(current);
  let lastRead = now();
  return {
    limitFor: (topic) => current.limits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
    async refresh() {
      if (now() - lastRead < REFRESH_INTERVAL_MS) return;
      lastRead = now();
      const next = await read();
      onRead(next);
      // keep what we knew for topics that could not be read this time
      current = { ...next, limits: new Map([...current.limits, ...next.limits]) };
    },
  };
}
