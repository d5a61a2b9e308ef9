// Running the streaming service in tests: in-process (startPipeline + metrics server, for assertions on
// metrics and state) or as a child process (`node src/cli/bin.js run`, for SIGKILL/SIGTERM and rebalance
// tests), producing prediction events (JSON or Confluent-framed Avro) and reading a topic back.
import { freePort } from "./ports.ts";
export { freePort };
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from "kafkajs";
import { resolveConfig, type ResolvedConfig } from "../../src/config/load.ts";
import { expect } from "vitest";
import { encodeJson, encodePredictionAvro } from "../../src/events/codec.ts";
import { driftEventSchema } from "../../src/events/schemas.ts";
import { readAvroSchemaText } from "../../src/events/schema-files.ts";
import type { DriftEvent, PredictionEvent } from "../../src/events/types.ts";
import { createLogger, type Logger } from "../../src/logging/logger.ts";
import { createDetectorMetrics, type DetectorMetrics } from "../../src/metrics/detector-metrics.ts";
import { startMetricsServer, type MetricsServer } from "../../src/metrics/server.ts";
import { startPipeline, type PipelineDeps, type RunningPipeline } from "../../src/pipeline/pipeline.ts";
import type { StateStore } from "../../src/state/port.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import type { RedisOptions } from "ioredis";
import { createTopics, infra, uniqueName, uniqueTopic } from "./infra.ts";
import { mulberry32 } from "./random.ts";
import { waitFor } from "./wait-for.ts";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;

/** A raw config (before resolution) with unique topics, group and Redis prefix on the test infrastructure. */
export function serviceRawConfig(label: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const env = infra();
  const base = {
    kafka: {
      brokers: env.kafkaBrokers,
      clientId: uniqueName(`${label}-client`),
      groupId: uniqueName(`${label}-group`),
      topics: {
        predictions: uniqueTopic(`${label}.predictions`),
        outcomes: uniqueTopic(`${label}.outcomes`),
        drift: uniqueTopic(`${label}.drift`),
        retrain: uniqueTopic(`${label}.retrain`),
        deadLetter: uniqueTopic(`${label}.dlq`),
        baseline: uniqueTopic(`${label}.baseline`),
      },
      partitions: 1,
    },
    redis: { url: env.redisUrl, keyPrefix: `test:${uniqueName(label)}` },
    schemaRegistry: { url: env.schemaRegistryUrl },
    metrics: { port: 0 },
  };
  return deepMerge(base, overrides) as Record<string, unknown>;
}

export function serviceConfig(label: string, overrides: Record<string, unknown> = {}): ResolvedConfig {
  return resolveConfig(serviceRawConfig(label, overrides), {}, `test:${label}`);
}

function deepMerge(base: unknown, over: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** A logger for tests: silent unless LOG_LEVEL is set; lines are kept for assertions. */
export function testLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString("utf8");
      lines.push(text);
      if (process.env.LOG_LEVEL) process.stderr.write(text);
      done();
    },
  });
  return { log: createLogger({ level: process.env.LOG_LEVEL ?? "info", destination: sink }), lines };
}

export interface InProcessService {
  config: ResolvedConfig;
  pipeline: RunningPipeline;
  metrics: DetectorMetrics;
  store: RedisStateStore;
  server: MetricsServer;
  logLines: string[];
  metricsText(): Promise<string>;
  stop(): Promise<void>;
}

/** startPipeline with a RedisStateStore and a metrics server on an ephemeral port. */
export async function startServiceInProcess(
  config: ResolvedConfig,
  deps: Partial<PipelineDeps> & { wrapStore?: (store: StateStore) => StateStore; redisOptions?: RedisOptions } = {},
): Promise<InProcessService> {
  const { log, lines } = testLogger();
  const metrics = deps.metrics ?? createDetectorMetrics({ defaultMetrics: false });
  const { wrapStore, redisOptions, ...rest } = deps;
  const store = new RedisStateStore(config.redis.url, {
    keyPrefix: config.redis.keyPrefix,
    cluster: config.redis.cluster,
    ...(config.redis.sentinel === undefined ? {} : { sentinel: config.redis.sentinel }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
  });
  const pipeline = await startPipeline(config, {
    metrics,
    log,
    probeStateStore: () => store.ping(),
    ...rest,
    store: wrapStore ? wrapStore(store) : store,
  });
  const server = await startMetricsServer({
    port: 0,
    host: "127.0.0.1",
    registry: metrics.registry,
    isReady: pipeline.isReady,
    isHealthy: pipeline.isHealthy,
    notReadyReason: pipeline.notReadyReason,
    degradedReason: pipeline.degradedReason,
  });
  return {
    config,
    pipeline,
    metrics,
    store,
    server,
    logLines: lines,
    async metricsText() {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      return res.text();
    },
    async stop() {
      await pipeline.stop();
      await store.close();
      await server.close();
    },
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  /** stdout (JSON log lines) and stderr, as received */
  output: string[];
  /** resolves with the exit code (or the signal name) */
  exited: Promise<number | string>;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `node src/cli/bin.js run --config <tmp file>` with the well-known environment variables
 * (KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL, METRICS_PORT) and any extra DRIFT_DETECTOR__… overrides.
 */
export function startServiceProcess(
  rawConfig: Record<string, unknown>,
  opts: { metricsPort: number; env?: Record<string, string> },
): ServiceProcess {
  const env = infra();
  const dir = mkdtempSync(join(tmpdir(), "dd-service-"));
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify(rawConfig));
  const child = spawn(process.execPath, [join(REPO_ROOT, "src/cli/bin.js"), "run", "--config", file], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: env.kafkaBrokers.join(","),
      REDIS_URL: env.redisUrl,
      SCHEMA_REGISTRY_URL: env.schemaRegistryUrl,
      METRICS_PORT: String(opts.metricsPort),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      output.push(line);
      for (const l of listeners) l(line);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const parse = (line: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  return {
    child,
    output,
    exited,
    kill: (signal) => child.kill(signal),
    waitForLog(match, timeoutMs = 60_000) {
      for (const line of output) {
        const parsed = parse(line);
        if (parsed && match(parsed)) return Promise.resolve(parsed);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${output.slice(-30).join("\n")}`));
        }, timeoutMs);
        const listener = (line: string) => {
          const parsed = parse(line);
          if (parsed && match(parsed)) {
            clearTimeout(timer);
            listeners.delete(listener);
            resolve(parsed);
          }
        };
        listeners.add(listener);
        void exited.then(() => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`service exited before a matching log line; output:\n${output.slice(-30).join("\n")}`));
        });
      });
    },
  };
}

export function harnessKafka(): Kafka {
  return new Kafka({ clientId: uniqueName("harness"), brokers: infra().kafkaBrokers, logLevel: logLevel.ERROR });
}

export interface RawMessage {
  key?: string | Buffer | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  partition?: number;
}

/** Produces raw messages in order (acks from all replicas). */
export async function produceRaw(kafka: Kafka, topic: string, messages: RawMessage[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // at most 500 messages and ~512 KB per send, under the broker's default 1 MiB batch limit
    let batch: RawMessage[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = (m.value?.length ?? 0) + (m.key?.length ?? 0);
      if (batch.length > 0 && (batch.length >= 500 || bytes + size > 512 * 1024)) {
        await producer.send({ topic, acks: -1, messages: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(m);
      bytes += size;
    }
    if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
  } finally {
    await producer.disconnect();
  }
}

/** Registers prediction-event.avsc under `<topic>-value` in the test registry; returns its schema id. */
export async function registerPredictionSchema(topic: string): Promise<number> {
  const registry = new SchemaRegistry({ host: infra().schemaRegistryUrl });
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: readAvroSchemaText("prediction-event") },
    { subject: `${topic}-value` },
  );
  return id;
}

/** Prediction events as messages keyed by modelId: JSON, or Confluent-framed Avro when avroSchemaId is given. */
export function predictionMessages(events: readonly PredictionEvent[], avroSchemaId?: number): RawMessage[] {
  return events.map((event) => {
    const bytes = avroSchemaId === undefined ? encodeJson(event) : encodePredictionAvro(event, avroSchemaId);
    return { key: event.modelId, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  });
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** as UTF-8 text */
  headers: Record<string, string>;
  /** as the consumer gave them (binary headers: a schema GUID) */
  rawHeaders: KafkaMessage["headers"];
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
  }
  return out;
}

/**
 * Every message of a topic up to its current end (high watermarks read at call time), in partition/offset order.
 * A transactional topic's last offsets can be markers no reader sees: give `expected`, the count to stop at.
 */
export async function readAllMessages(kafka: Kafka, topic: string, timeoutMs = 30_000, expected?: number): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `reading ${topic}: ${out.length} messages after ${timeoutMs} ms, partitions left: ${[...remaining.keys()].join(",")}`,
            ),
          ),
        timeoutMs,
      );
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          const { key, value } = message;
          out.push({ partition, offset: message.offset, key, value, headers: headersOf(message), rawHeaders: message.headers });
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0 || out.length === expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}

/** The group's committed offsets of a topic (partition → next offset to read, "-1" when none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

// ---- a stream that drifts -------------------------------------------------------------------------
// Stationary events, then `amount` shifted by one standard deviation. With windows of 200 events and 3
// warmup windows: 5 stationary windows (3 reference, 2 evaluated), then 6 shifted ones.

export { mulberry32, waitFor };

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export const DRIFTING_MODEL = "fraud-scorer";
export const DRIFTING_VERSION = "2026-11-01";
export const STATIONARY = 1000; // 5 windows of 200: 3 build the reference, 2 are evaluated
export const SHIFTED = 1200; // 6 windows with `amount` shifted by one standard deviation
const AMOUNT_MEAN = 100;
export const AMOUNT_SD = 15;

/**
 * A service config sized for driftingStream(): windows of 200, a 3-window reference, 2 windows to raise
 * drift and to request a retrain. `kafka` overrides merge into the kafka section; `schemaRegistryUrl`
 * replaces the test stack's registry.
 */
export function driftingServiceConfig(
  label: string,
  kafka: Record<string, unknown> = {},
  defaults: Record<string, unknown> = {},
  schemaRegistryUrl?: string,
): ResolvedConfig {
  return serviceConfig(label, {
    ...(Object.keys(kafka).length > 0 ? { kafka } : {}),
    ...(schemaRegistryUrl !== undefined ? { schemaRegistry: { url: schemaRegistryUrl } } : {}),
    defaults: {
      window: { maxEvents: 200, minEvents: 50 },
      baseline: { warmupWindows: 3 },
      detection: { consecutiveWindows: 2 },
      retrain: { consecutiveWindows: 2 },
      ...defaults,
    },
  });
}

/**
 * Service processes and clients a test starts, stopped together in afterAll: processes still running are
 * SIGKILLed (a test may already have killed or stopped them), clients closed, errors ignored.
 */
export function startedResources(): {
  children: ServiceProcess[];
  clients: { close(): Promise<unknown> }[];
  release(): Promise<void>;
} {
  const children: ServiceProcess[] = [];
  const clients: { close(): Promise<unknown> }[] = [];
  return {
    children,
    clients,
    async release() {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.kill("SIGKILL");
      for (const c of clients) await c.close().catch(() => undefined);
    },
  };
}

/**
 * A service started as processes by a test: its raw config (what the processes get), the resolved config,
 * and the topics created with `partitions` partitions.
 */
export async function serviceProcessSetup(
  label: string,
  overrides: Record<string, unknown>,
  partitions: number,
): Promise<{
  raw: Record<string, unknown>;
  config: ResolvedConfig;
  kafka: Kafka;
}> {
  const raw = serviceRawConfig(label, overrides);
  const config = resolveConfig(raw, {}, label);
  const kafka = harnessKafka();
  await createServiceTopics(kafka, config, partitions);
  return { raw, config, kafka };
}

export function driftingStream(): PredictionEvent[] {
  const rand = mulberry32(20261101);
  const countries = ["NL", "DE", "FR"];
  const out: PredictionEvent[] = [];
  for (let i = 0; i < STATIONARY + SHIFTED; i++) {
    const shift = i >= STATIONARY ? AMOUNT_SD : 0;
    out.push({
      eventId: `e2e-${i}`,
      modelId: DRIFTING_MODEL,
      modelVersion: DRIFTING_VERSION,
      timestamp: 1_763_769_600_000 + i * 10,
      prediction: rand(),
      confidence: 0.6 + 0.4 * rand(),
      latencyMs: 10 + 5 * rand(),
      features: {
        amount: AMOUNT_MEAN + shift + AMOUNT_SD * normal(rand),
        tenure: 5 + normal(rand),
        country: countries[Math.floor(rand() * countries.length)],
      },
    });
  }
  return out;
}

/** Creates every topic of a service config (predictions, outputs, dead letters, outcomes) on the test broker. */
export async function createServiceTopics(kafka: Kafka, config: ResolvedConfig, partitions: number): Promise<void> {
  const { topics } = config.kafka;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopics(
      admin,
      [topics.predictions, topics.drift, topics.retrain, topics.deadLetter, topics.outcomes, topics.baseline],
      partitions,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Creates the predictions topic of a service config (the service creates its output topics itself). */
export async function createPredictionsTopic(kafka: Kafka, config: ResolvedConfig, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopics(admin, [config.kafka.topics.predictions], partitions);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The drift events on `topic`, checked for the shift of driftingStream(): the first critical one is the
 * drifting model's, with `amount` critical; with `shiftFrom`, no window starts before that offset.
 */
export async function expectAmountShiftDetected(kafka: Kafka, topic: string, shiftFrom?: number): Promise<DriftEvent[]> {
  const drift = (await readAllMessages(kafka, topic)).map((m) => driftEventSchema.parse(JSON.parse(m.value?.toString("utf8") ?? "")));
  if (shiftFrom !== undefined) for (const e of drift) expect(Number(e.window.firstOffset)).toBeGreaterThanOrEqual(shiftFrom);
  const critical = drift.find((e) => e.status === "critical");
  expect(critical?.modelId).toBe(DRIFTING_MODEL);
  expect(critical?.signals.find((s) => s.signal === "feature:amount")?.status).toBe("critical");
  return drift;
}

const execFileAsync = promisify(execFile);

/** The end offset (high watermark) of partition 0 of `topic`: past any transaction markers. */
export async function logEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)?.high ?? 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * `drift-detector <args> --config <configFile>` as a child process: its exit code and output (a failing
 * command resolves too, with its code).
 */
export function operatorCli(configFile: string): (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = new URL("../../src/cli/bin.js", import.meta.url).pathname;
  return (...args) =>
    execFileAsync(process.execPath, [bin, ...args, "--config", configFile]).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
}

/** Waits until the service's group has committed `count` messages of partition 0 of a topic. */
export async function waitForCommittedEnd(kafka: Kafka, groupId: string, topic: string, count: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `group ${groupId} to commit the end (${count}) of ${topic}`,
    async () => {
      const offsets = await committedOffsets(kafka, groupId, topic);
      return offsets.get(0) === String(count) ? true : undefined;
    },
    timeoutMs,
  );
}
