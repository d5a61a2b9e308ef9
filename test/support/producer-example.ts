// Producer examples (deploy/examples/) run against the test stack: the tool is installed when missing
// (deploy/local/examples.sh), the example publishes a stationary stream then a 1σ-shifted one, and the
// service in process must count every event and emit the drift.
import { spawn, spawnSync } from "node:child_process";
import { expect } from "vitest";
import type { ResolvedConfig } from "../../src/config/load.ts";
import type { DriftEvent } from "../../src/events/types.ts";
import { infra } from "./infra.ts";
import {
  logEnd,
  createPredictionsTopic,
  driftingServiceConfig,
  expectAmountShiftDetected,
  harnessKafka,
  readAllMessages,
  startServiceInProcess,
  type ReadMessage,
  waitForCommittedEnd,
} from "./service-harness.ts";

export const REPO_ROOT = new URL("../..", import.meta.url).pathname;
// the same window settings as driftingServiceConfig(): 5 stationary windows of 200, 6 shifted ones
export const EXAMPLE_STATIONARY = 1000;
export const EXAMPLE_SHIFTED = 1200;
export const EXAMPLE_MODEL = "fraud-scorer";

/** deploy/local/examples.sh ensure <tool>: installs the toolchain when missing, returns its one stdout line. */
export function ensureExampleTool(tool: "kcat" | "python" | "java" | "java-apicurio" | "go"): string {
  const res = spawnSync("bash", [`${REPO_ROOT}deploy/local/examples.sh`, "ensure", tool], { encoding: "utf8", timeout: 600_000 });
  if (res.status !== 0) throw new Error(`deploy/local/examples.sh ensure ${tool} failed (${res.status}):\n${res.stderr}`);
  return res.stdout.trim();
}

export interface ExampleCommand {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

function run(cmd: ExampleCommand, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd ?? REPO_ROOT,
      env: { ...process.env, ...env, ...cmd.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${cmd.command} ${cmd.args.join(" ")} exited ${code ?? signal}:\n${output}`));
    });
  });
}

/**
 * Runs one producer example (once per entry of `runs`, each on its own topic and service) and checks the
 * outcome: every event counted, none dead-lettered, nothing drifting on the stationary part, and the
 * shifted `amount` feature critical.
 */
export async function expectExampleDrift(
  label: string,
  cmd: ExampleCommand,
  opts: {
    format: "json" | "avro" | "json-schema" | "protobuf";
    timeoutMs?: number;
    schemaRegistryUrl?: string;
    /** the example writes in transactions and aborts some: the log also holds their records and the markers */
    transactional?: boolean;
    /**
     * once everything is committed, the example runs again with these variables (e.g. one aborted transaction
     * and no events): the committed offset must reach the log's new end, the lag read 0 and no event be counted
     */
    tail?: Record<string, string>;
    /** the example names the schema in header `__value_schema_id` (0x01 + GUID), the value is the bare body */
    schemaIdInHeader?: boolean;
    /** the example is Apicurio's own serializer: the id in header `apicurio.value.<kind>` (8 bytes), the value the bare body */
    apicurioIdHeader?: "globalId" | "contentId";
    /**
     * the example is Apicurio's own serializer with headers off: 0x00 and the id as 8 bytes in the value, which
     * the service is told is a globalId or a contentId (schemaRegistry.apicurioUseId)
     */
    apicurioIdInValue?: "globalId" | "contentId";
  },
): Promise<{ drift: DriftEvent[]; output: string; config: ResolvedConfig }> {
  // the producer and the service use the same registry: the test stack's unless another is given
  const drifting = driftingServiceConfig(label, {}, {}, opts.schemaRegistryUrl);
  const config =
    opts.apicurioIdInValue === undefined
      ? drifting
      : { ...drifting, schemaRegistry: { ...drifting.schemaRegistry, apicurioUseId: opts.apicurioIdInValue } };
  const topic = config.kafka.topics.predictions;
  const kafka = harnessKafka();
  await createPredictionsTopic(kafka, config);
  const service = await startServiceInProcess(config);
  try {
    await service.pipeline.ready;
    const env = infra();
    const runEnv = {
      KAFKA_BROKERS: env.kafkaBrokers.join(","),
      SCHEMA_REGISTRY_URL: opts.schemaRegistryUrl ?? env.schemaRegistryUrl,
      TOPIC: topic,
      MODEL_ID: EXAMPLE_MODEL,
      STATIONARY: String(EXAMPLE_STATIONARY),
      SHIFTED: String(EXAMPLE_SHIFTED),
    };
    const output = await run(cmd, runEnv, opts.timeoutMs ?? 120_000);
    const total = EXAMPLE_STATIONARY + EXAMPLE_SHIFTED;
    if (opts.transactional === true) {
      // committed past the last transaction's commit marker, to the log's end: a lag monitor reads 0
      const end = await logEnd(kafka, topic);
      expect(end).toBeGreaterThan(total);
      await waitForCommittedEnd(kafka, config.kafka.groupId, topic, end);
      if (opts.tail !== undefined) {
        // fetched alone, after the end above was committed: a fetch of records no handler is given
        await run({ ...cmd, env: { ...cmd.env, ...opts.tail } }, runEnv, opts.timeoutMs ?? 120_000);
        const tailEnd = await logEnd(kafka, topic);
        expect(tailEnd).toBeGreaterThan(end);
        await waitForCommittedEnd(kafka, config.kafka.groupId, topic, tailEnd);
        const lag = (await service.metricsText()).split("\n").filter((l) => l.startsWith("drift_consumer_lag_messages{"));
        expect(lag.length).toBeGreaterThan(0);
        for (const line of lag) expect(line).toMatch(/ 0$/);
      }
    } else await waitForCommittedEnd(kafka, config.kafka.groupId, topic, total);
    // what the example wrote: keyed by modelId, JSON, or Confluent-framed (magic byte 0, 4-byte schema id) Avro,
    // JSON or Protobuf (a read_committed reader: the aborted records are not among them)
    const produced = await readAllMessages(kafka, topic, 30_000, opts.transactional === true ? total : undefined);
    expect(produced).toHaveLength(total);
    if (opts.schemaIdInHeader === true)
      await expectSchemaGuidHeaders(produced, `${topic}-value`, opts.schemaRegistryUrl ?? infra().schemaRegistryUrl);
    if (opts.apicurioIdHeader !== undefined) expectApicurioIdHeaders(produced, opts.apicurioIdHeader, opts.format);
    if (opts.apicurioIdInValue !== undefined) expectApicurioIdsInValues(produced);
    const bareBodies = opts.schemaIdInHeader === true || opts.apicurioIdHeader !== undefined;
    for (const m of bareBodies ? [] : [produced[0], produced[total - 1]]) {
      expect(m.key?.toString("utf8")).toBe(EXAMPLE_MODEL);
      expect(m.value?.[0]).toBe(opts.format === "json" ? "{".charCodeAt(0) : 0);
      // after Confluent's 5 bytes (Apicurio's 9-byte frame is checked above)
      const body = opts.apicurioIdInValue === undefined ? 5 : 9;
      if (opts.format === "json-schema") expect(m.value?.[body]).toBe("{".charCodeAt(0));
      // Protobuf: message indexes [0], written as one 0 byte (Apicurio's: a delimited Ref of 17 bytes)
      if (opts.format === "protobuf") expect(m.value?.[body]).toBe(opts.apicurioIdInValue === undefined ? 0x00 : 0x11);
    }
    const text = await service.metricsText();
    const consumed = text.split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
    expect(consumed?.endsWith(` ${total}`), consumed).toBe(true);
    expect(await readAllMessages(kafka, config.kafka.topics.deadLetter)).toHaveLength(0);
    const drift = await expectAmountShiftDetected(kafka, config.kafka.topics.drift, EXAMPLE_STATIONARY);
    return { drift, output, config };
  } finally {
    await service.stop();
  }
}

/**
 * Every message names its schema in header `__value_schema_id`: 0x01, then the 16-byte GUID the registry gives
 * the subject's latest schema (then a Protobuf message's indexes), with no magic byte at the value's start.
 */
/** Apicurio's serializers at their defaults: an 8-byte id header, the BINARY encoding header (Avro), a bare body. */
function expectApicurioIdHeaders(produced: ReadMessage[], kind: "globalId" | "contentId", format: string): void {
  for (const m of produced) {
    const id = m.rawHeaders?.[`apicurio.value.${kind}`];
    expect(Buffer.isBuffer(id) && id.length).toBe(8);
    // the Avro serializer's; the Protobuf one names the message in apicurio.protobuf.type instead
    if (format === "avro") expect(m.headers["apicurio.value.encoding"]).toBe("BINARY");
    if (format === "protobuf") expect(m.headers["apicurio.protobuf.type"]).toBe("PredictionEvent");
    // the JSON Schema one: the class Jackson wrote
    if (format === "json-schema") expect(m.headers["apicurio.value.msgType"]).toBe("java.util.LinkedHashMap");
    if (format === "json-schema") expect(m.value?.[0]).toBe("{".charCodeAt(0));
    expect(m.value?.[0]).not.toBe(0x00);
  }
}

function expectApicurioIdsInValues(produced: ReadMessage[]): void {
  for (const m of produced) {
    expect(Object.keys(m.headers).filter((name) => name.startsWith("apicurio."))).toEqual([]);
    // 0x00, then the id as a big-endian long: its high half zero, the low half the id
    expect(m.value?.subarray(0, 5).toString("hex")).toBe("0000000000");
    expect(m.value?.readUInt32BE(5)).toBeGreaterThan(0);
  }
}

async function expectSchemaGuidHeaders(produced: ReadMessage[], subject: string, registryUrl: string): Promise<void> {
  const latest = (await (await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`)).json()) as {
    guid?: string;
  };
  expect(latest.guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  for (const m of produced) {
    const header = m.rawHeaders?.__value_schema_id;
    expect(Buffer.isBuffer(header)).toBe(true);
    const bytes = header as Buffer;
    expect(bytes[0]).toBe(0x01);
    expect(bytes.subarray(1, 17).toString("hex")).toBe(latest.guid!.replaceAll("-", ""));
    expect(m.value?.[0]).not.toBe(0x00);
  }
}
