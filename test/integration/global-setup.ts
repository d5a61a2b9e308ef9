// vitest globalSetup of the "integration" project: real Kafka, Redis and a schema registry for
// the tests, found or started in this order:
//   1. KAFKA_BROKERS, REDIS_URL and SCHEMA_REGISTRY_URL all set -> use them as they are;
//   2. a Docker engine answers (`docker info`) -> testcontainers (apache/kafka, redis) plus the
//      in-process stand-in schema registry;
//   3. otherwise deploy/local/stack.sh on test-only ports and state dir, so a running demo stack
//      (19092/16379/18081, .stack/) is not disturbed.
// If none of them works the run FAILS with the reason; integration tests are never skipped.
// Tests read the addresses with test/support/infra.ts (vitest inject); child processes get them
// through process.env.
import { freePort } from "../support/ports.ts";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import type { InfraSource } from "../support/infra.ts";
import { startSchemaRegistry } from "../support/schema-registry.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STACK_SCRIPT = `${REPO_ROOT}deploy/local/stack.sh`;
// Same Kafka release as deploy/local/stack.sh, so both paths test against one broker version.
const KAFKA_IMAGE = "apache/kafka:4.3.1";
const REDIS_IMAGE = "redis:7.0-alpine";

const TEST_STACK_ENV = {
  STACK_DIR: process.env.TEST_STACK_DIR ?? `${REPO_ROOT}.stack/test`,
  KAFKA_PORT: process.env.TEST_KAFKA_PORT ?? "29092",
  REDIS_PORT: process.env.TEST_REDIS_PORT ?? "26379",
  SCHEMA_REGISTRY_PORT: process.env.TEST_SCHEMA_REGISTRY_PORT ?? "28081",
};

interface Endpoints {
  KAFKA_BROKERS: string;
  REDIS_URL: string;
  SCHEMA_REGISTRY_URL: string;
}

interface StartedInfra {
  source: InfraSource;
  endpoints: Endpoints;
  stop(): Promise<void>;
}

export class InfrastructureStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(
      `\n\n*** Integration infrastructure could not start: ${message}\n` +
        "*** Integration tests need real Kafka, Redis and a schema registry and are not skipped.\n" +
        "*** Either export KAFKA_BROKERS, REDIS_URL and SCHEMA_REGISTRY_URL, or run Docker, or fix\n" +
        "*** `deploy/local/stack.sh start` (Java 17, Maven, redis-server; see its output above).\n",
      options,
    );
    this.name = "InfrastructureStartError";
  }
}

function fromEnvironment(): StartedInfra | undefined {
  const { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL } = process.env;
  if (!KAFKA_BROKERS || !REDIS_URL || !SCHEMA_REGISTRY_URL) return undefined;
  return { source: "env", endpoints: { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL }, stop: async () => undefined };
}

function dockerAvailable(): boolean {
  const result = spawnSync("docker", ["info"], { stdio: "ignore", timeout: 15_000 });
  return result.status === 0;
}

async function startWithTestcontainers(): Promise<StartedInfra> {
  const { GenericContainer, Wait } = await import("testcontainers");
  // Kafka advertises the address clients must use, so listen inside the container on the same
  // port that is bound on the host.
  const kafkaPort = await freePort();
  const kafka = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "4",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
      // As on the local stack: topics are created explicitly.
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
      KAFKA_HEAP_OPTS: "-Xmx512m -Xms128m",
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  const redis = await new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withCommand(["redis-server", "--save", "", "--appendonly", "no"])
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  // No Confluent image here: it would need a container network to reach Kafka, and the stand-in
  // keeps every path of the test suite on the same registry behaviour.
  const registry = await startSchemaRegistry({ port: 0 });
  return {
    source: "testcontainers",
    endpoints: {
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      SCHEMA_REGISTRY_URL: registry.url,
    },
    stop: async () => {
      await registry.close();
      await Promise.all([kafka.stop(), redis.stop()]);
    },
  };
}

/** Runs deploy/local/stack.sh; its progress (stderr) streams through, the tail goes into errors. */
function runStackScript(command: "start" | "stop" | "reset"): Promise<{ status: number; stdout: string; stderrTail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [STACK_SCRIPT, command], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TEST_STACK_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.once("error", reject);
    child.once("close", (status) => resolve({ status: status ?? 1, stdout, stderrTail: stderr.split("\n").slice(-40).join("\n") }));
  });
}

export function parseExports(stdout: string): Partial<Endpoints> {
  const found: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) found[match[1]] = match[2];
  }
  return found;
}

async function startLocalStack(): Promise<StartedInfra> {
  const lease = takeLease();
  // Whatever came up before the failure is stopped again, unless another run is using it.
  const fail = async (message: string, cause?: unknown): Promise<never> => {
    if (releaseLease(lease)) await runStackScript("stop").catch(() => undefined); // keeps the logs
    throw new InfrastructureStartError(message, { cause });
  };
  let result;
  try {
    result = await runStackScript("start");
  } catch (error) {
    return fail(`could not run ${STACK_SCRIPT}`, error);
  }
  if (result.status !== 0) {
    return fail(`deploy/local/stack.sh start exited with status ${result.status}:\n${result.stderrTail}`);
  }
  const { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL } = parseExports(result.stdout);
  if (!KAFKA_BROKERS || !REDIS_URL || !SCHEMA_REGISTRY_URL) {
    return fail(`deploy/local/stack.sh start did not print the three export lines; stdout was:\n${result.stdout}`);
  }
  return {
    source: "local-stack",
    endpoints: { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL },
    // The test stack has its own state dir: the last run using it stops it, and the next run
    // starts from empty storage.
    stop: async () => {
      if (releaseLease(lease)) await runStackScript("reset");
    },
  };
}

// Two vitest runs in one checkout (two terminals, two helpers) share the test stack; a lease
// per run keeps the first to finish from stopping the broker under the other.
function leaseDir(): string {
  return `${TEST_STACK_ENV.STACK_DIR}/leases`;
}

function takeLease(): string {
  mkdirSync(leaseDir(), { recursive: true });
  const lease = `${leaseDir()}/${process.pid}`;
  writeFileSync(lease, new Date().toISOString());
  return lease;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops this run's lease; true when no other live run holds one. */
function releaseLease(lease: string): boolean {
  rmSync(lease, { force: true });
  const others = existsSync(leaseDir()) ? readdirSync(leaseDir()) : [];
  return others.every((name) => {
    if (processAlive(Number(name))) return false;
    rmSync(`${leaseDir()}/${name}`, { force: true });
    return true;
  });
}

async function startInfrastructure(): Promise<StartedInfra> {
  const fromEnv = fromEnvironment();
  if (fromEnv) return fromEnv;
  if (dockerAvailable()) {
    try {
      return await startWithTestcontainers();
    } catch (error) {
      throw new InfrastructureStartError("a Docker engine answers but the testcontainers stack failed to start", { cause: error });
    }
  }
  return startLocalStack();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const infra = await startInfrastructure();
  const { KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL } = infra.endpoints;
  process.stderr.write(
    `[integration] infrastructure from ${infra.source} in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
      `KAFKA_BROKERS=${KAFKA_BROKERS} REDIS_URL=${REDIS_URL} SCHEMA_REGISTRY_URL=${SCHEMA_REGISTRY_URL}\n`,
  );
  project.provide("kafkaBrokers", KAFKA_BROKERS);
  project.provide("redisUrl", REDIS_URL);
  project.provide("schemaRegistryUrl", SCHEMA_REGISTRY_URL);
  project.provide("infraSource", infra.source);
  // For child processes (the CLI under test) and tests that read the environment.
  Object.assign(process.env, infra.endpoints, { KAFKAJS_NO_PARTITIONER_WARNING: "1" });
  return async () => {
    await infra.stop();
  };
}
