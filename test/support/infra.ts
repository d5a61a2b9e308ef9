// What integration tests use to reach the real Kafka, Redis and schema registry that
// test/integration/global-setup.ts started (or found), and to keep tests apart from each
// other on shared infrastructure: every test gets its own topics, groups and Redis key prefix.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { Kafka, logLevel, type Admin } from "kafkajs";

export type InfraSource = "env" | "testcontainers" | "local-stack";

declare module "vitest" {
  interface ProvidedContext {
    kafkaBrokers: string;
    redisUrl: string;
    schemaRegistryUrl: string;
    infraSource: InfraSource;
  }
}

export interface Infra {
  kafkaBrokers: string[];
  redisUrl: string;
  schemaRegistryUrl: string;
  source: InfraSource;
}

export class InfraNotProvidedError extends Error {
  constructor() {
    super(
      "integration infrastructure was not provided: run this test in the vitest 'integration' project " +
        "(test/vitest.config.ts), whose globalSetup starts Kafka, Redis and the schema registry",
    );
    this.name = "InfraNotProvidedError";
  }
}

export function infra(): Infra {
  const kafkaBrokers = inject("kafkaBrokers");
  const redisUrl = inject("redisUrl");
  const schemaRegistryUrl = inject("schemaRegistryUrl");
  if (!kafkaBrokers || !redisUrl || !schemaRegistryUrl) throw new InfraNotProvidedError();
  return {
    kafkaBrokers: kafkaBrokers
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
    redisUrl,
    schemaRegistryUrl,
    source: inject("infraSource"),
  };
}

let sequence = 0;

/**
 * A name no other test, worker or earlier run uses: `<label>-<pid>-<random>-<n>`, restricted to
 * the characters Kafka allows in topic and group names.
 */
export function uniqueName(label: string): string {
  sequence += 1;
  const safeLabel = label.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 120);
  return `${safeLabel}-${process.pid}-${randomBytes(4).toString("hex")}-${sequence}`;
}

export function uniqueTopic(label: string): string {
  return uniqueName(`test.${label}`);
}

/** A Redis key prefix owned by one test, ending in ":" */
export function uniqueRedisPrefix(label: string): string {
  return `test:${uniqueName(label)}:`;
}

/** A kafkajs client for tests: quiet unless something is actually wrong. */
export function testKafka(clientId = "integration-test"): Kafka {
  return new Kafka({ clientId, brokers: infra().kafkaBrokers, logLevel: logLevel.ERROR });
}

/** Creates topics and waits until every partition has a leader (auto-creation is off on the stack). */
export async function createTopics(admin: Admin, topics: string[], numPartitions = 1): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
    waitForLeaders: true,
  });
}
