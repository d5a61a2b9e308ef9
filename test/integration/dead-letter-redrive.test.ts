// `dead-letters summary` and `dead-letters redrive` on the real broker: a service pointed at a registry that
// does not hold the producer's schema dead-letters every Avro event as unknown_schema_id; once the config names
// the right registry, the operator sends those dead letters back, and the service counts each event once and
// detects the shift. The redrive is SIGKILLed four times while it runs before one runs to the end, and each
// dead letter still goes back exactly once (the copies and the redrive group's offsets are one transaction
// per chunk of 500); a further redrive sends nothing.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { resolveConfig } from "../../src/config/load.ts";
import { startSchemaRegistry, type RunningSchemaRegistry } from "../support/schema-registry.ts";
import {
  committedOffsets,
  createServiceTopics,
  driftingStream,
  expectAmountShiftDetected,
  harnessKafka,
  logEnd,
  operatorCli,
  predictionMessages,
  produceRaw,
  readAllMessages,
  registerPredictionSchema,
  serviceRawConfig,
  SHIFTED,
  startServiceInProcess,
  STATIONARY,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

const BIN = new URL("../../src/cli/bin.js", import.meta.url).pathname;
const TOTAL = STATIONARY + SHIFTED;

describe("dead-letters redrive after fixing the cause of the dead letters", () => {
  const raw = serviceRawConfig("redrive", {
    defaults: {
      window: { maxEvents: 200, minEvents: 50 },
      baseline: { warmupWindows: 3 },
      detection: { consecutiveWindows: 2 },
      retrain: { consecutiveWindows: 2 },
    },
  });
  const config = resolveConfig(raw, {}, "test:redrive");
  const topics = config.kafka.topics;
  const configFile = join(mkdtempSync(join(tmpdir(), "redrive-")), "config.json");
  writeFileSync(configFile, JSON.stringify(raw));
  const cli = operatorCli(configFile);
  let kafka: Kafka;
  let emptyRegistry: RunningSchemaRegistry;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    const schemaId = await registerPredictionSchema(topics.predictions);
    await produceRaw(kafka, topics.predictions, predictionMessages(driftingStream(), schemaId));
    // the misconfigured service: a registry without the producer's schema
    emptyRegistry = await startSchemaRegistry({ port: 0 });
    const misconfigured = resolveConfig({ ...raw, schemaRegistry: { url: emptyRegistry.url } }, {}, "test:redrive-misconfigured");
    const service = await startServiceInProcess(misconfigured);
    try {
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, TOTAL);
      await readAllMessages(kafka, topics.deadLetter, 30_000, TOTAL);
    } finally {
      await service.stop();
    }
  }, 180_000);

  afterAll(async () => {
    await emptyRegistry?.close();
  });

  it("summary counts the dead letters by source topic and reason, every one holding its whole value", async () => {
    const json = await cli("dead-letters", "summary", "--json");
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as {
      sourceTopic: string;
      reason: string;
      count: number;
      redrivable: number;
      firstError: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sourceTopic: topics.predictions, reason: "unknown_schema_id", count: TOTAL, redrivable: TOTAL });
    expect(rows[0].firstError).toMatch(/^schema id \d+ is not known$/);
    const text = await cli("dead-letters", "summary");
    expect(text.stdout.split("\n")[0]).toMatch(/^SOURCE TOPIC +REASON +COUNT +REDRIVABLE +FIRST ERROR$/);
  });

  it("--dry-run counts what would go back and sends nothing", async () => {
    const dry = await cli("dead-letters", "redrive", "--reason", "unknown_schema_id", "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `dead-letters redrive --dry-run: ${TOTAL} dead letters of reason unknown_schema_id would go back (${topics.predictions} ${TOTAL})`,
    );
    expect(await logEnd(kafka, topics.predictions)).toBe(TOTAL);
  });

  it("killed while it runs and run again, it sends each back once; the service, now with the right registry, counts each event once", async () => {
    // SIGKILLed at four points of a run (from start-up to its transactions), each run going on from the last
    // committed transaction; the redrive group's offsets say how far each got
    const reached: string[] = [];
    for (const delayMs of [600, 700, 800, 900]) {
      const child = spawn(process.execPath, [BIN, "dead-letters", "redrive", "--reason", "unknown_schema_id", "--config", configFile], {
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill("SIGKILL");
      await exited;
      reached.push(
        (await committedOffsets(kafka, `${config.kafka.groupId}.redrive.unknown_schema_id`, topics.deadLetter)).get(0) ?? "none",
      );
    }
    console.log(JSON.stringify({ test: "redrive-killed", committedAfterEachKill: reached }));
    const first = await cli("dead-letters", "redrive", "--reason", "unknown_schema_id", "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ notRedrivable: {}, other: 0, dryRun: false });
    const again = await cli("dead-letters", "redrive", "--reason", "unknown_schema_id");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`0 dead letters of reason unknown_schema_id sent back`);
    expect(again.stdout).toContain("nothing new");
    // the copies, committed, after the originals: the same bytes, traced to their dead letter
    const log = await readAllMessages(kafka, topics.predictions, 30_000, 2 * TOTAL);
    expect(log).toHaveLength(2 * TOTAL);
    // each dead letter's copy once, in order, with its bytes
    const copies = log.slice(TOTAL);
    expect(copies.map((c) => c.headers["redriven-from"])).toEqual(
      Array.from({ length: TOTAL }, (_, i) => `dlq:${topics.predictions}:0:${i}`),
    );
    for (let i = 0; i < TOTAL; i++) expect(copies[i].value?.equals(log[i].value ?? Buffer.alloc(0)), `copy ${i}`).toBe(true);
    // past the copies: a commit marker per transaction
    const end = await logEnd(kafka, topics.predictions);
    expect(end).toBeGreaterThan(2 * TOTAL);
    const service = await startServiceInProcess(config);
    try {
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, end);
      const consumed = (await service.metricsText()).split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
      expect(consumed?.endsWith(` ${TOTAL}`), consumed).toBe(true);
      expect(await readAllMessages(kafka, topics.deadLetter)).toHaveLength(TOTAL);
      await expectAmountShiftDetected(kafka, topics.drift, STATIONARY);
    } finally {
      await service.stop();
    }
  });
});
