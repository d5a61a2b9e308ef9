// Topics the service reads and writes are created at start when missing (configured partitions and
// replication), or the service refuses to start with an error naming the topics it needs.
import type { Admin } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";

export class TopicSetupError extends Error {
  override readonly name = "TopicSetupError";
  constructor(
    message: string,
    readonly context: { topics: string[] },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function serviceTopics(config: ResolvedConfig): string[] {
  const t = config.kafka.topics;
  return [...new Set([t.predictions, t.outcomes, t.drift, t.retrain, t.deadLetter])];
}

/** Returns the topics it created. */
export async function ensureTopics(admin: Admin, config: ResolvedConfig): Promise<string[]> {
  const wanted = serviceTopics(config);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  if (!config.kafka.createTopics) {
    throw new TopicSetupError(`missing Kafka topics ${missing.join(", ")} (kafka.createTopics is false: create them, or enable it)`, { topics: missing });
  }
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor })),
    });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new TopicSetupError(`cannot create Kafka topics ${missing.join(", ")}: ${detail} — create them beforehand or grant CREATE on them`, { topics: missing }, { cause });
  }
  // Another replica may have won the race (createTopics answers false then): check they exist now.
  const after = new Set(await admin.listTopics());
  const stillMissing = missing.filter((t) => !after.has(t));
  if (stillMissing.length > 0) throw new TopicSetupError(`Kafka topics ${stillMissing.join(", ")} do not exist after creating them`, { topics: stillMissing });
  return missing;
}
