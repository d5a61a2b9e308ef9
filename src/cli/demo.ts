// `drift-detector demo generate | produce | watch`: the demo's event source and its human-readable sink.
//   generate  writes the seeded demo stream (src/demo/generator.ts) as PredictionEvent JSON lines
//   produce   publishes the stream to the predictions topic at a steady rate (JSON for churn-model and
//             eta-regressor, Confluent-framed Avro for fraud-scorer) and injects drift after a while
//   watch     prints every drift event and retrain request as one compact line
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { encodeJson, encodePredictionAvro } from "../events/codec.ts";
import { readAvroSchemaText } from "../events/schema-files.ts";
import type { DriftEvent, RetrainRequest, SignalResult } from "../events/types.ts";
import { STATUS_RANK } from "../detect/evaluate.ts";
import { kafkaConnectionOptions } from "../kafka/clients.ts";
import { registryUrlWithCredentials } from "../kafka/schema-cache.ts";
import { ensureTopics } from "../kafka/topic-admin.ts";
import { DEMO_START_TIME, demoEvent, validateDrifts, type DemoDrift, type DemoStreamOptions } from "../demo/generator.ts";
import { DEMO_MODELS } from "../demo/models.ts";
import { loadConfig } from "./config-file.ts";
import { stringOption, UsageError, type ParsedArgs } from "./args.ts";

function intOption(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function numberOption(args: ParsedArgs, name: string, fallback: number, positive = false): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (positive && n <= 0))
    throw new UsageError(`--${name} must be a ${positive ? "positive " : ""}number, got "${raw}"`);
  return n;
}

/** The drifts a command line asks for, over per-model events [fromIndex, untilIndex) (fromIndex undefined: none). */
function driftsFromArgs(args: ParsedArgs, fromIndex: number | undefined, untilIndex?: number): DemoDrift[] {
  if (fromIndex === undefined) return [];
  const drifts: DemoDrift[] = [];
  const shiftSigma = numberOption(args, "drift-sigma", 0.5);
  if (shiftSigma !== 0) {
    drifts.push({
      kind: "feature-shift",
      modelId: stringOption(args, "drift-model") ?? "fraud-scorer",
      feature: stringOption(args, "drift-feature") ?? "amount",
      fromIndex,
      ...(untilIndex === undefined ? {} : { untilIndex }),
      shiftSigma,
    });
  }
  const classShift = stringOption(args, "class-shift");
  if (classShift !== undefined) {
    const [modelId, category, shareText] = classShift.split(":");
    const share = Number(shareText);
    if (!modelId || !category || !Number.isFinite(share))
      throw new UsageError(`--class-shift wants <model>:<class>:<share>, got "${classShift}"`);
    drifts.push({ kind: "class-share", modelId, category, fromIndex, ...(untilIndex === undefined ? {} : { untilIndex }), share });
  }
  try {
    validateDrifts(drifts);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return drifts;
}

function driftAtOption(args: ParsedArgs): number | undefined | "unset" {
  const raw = stringOption(args, "drift-at");
  if (raw === undefined) return "unset";
  if (raw === "none") return undefined;
  return intOption(args, "drift-at", 0);
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

// ---- generate ----------------------------------------------------------------------------------------

export async function demoGenerate(args: ParsedArgs, stdout: Writable): Promise<number> {
  const perModel = intOption(args, "events", 12_000, 1);
  const driftAt = driftAtOption(args);
  const options: DemoStreamOptions = {
    seed: intOption(args, "seed", 7),
    startTime: DEMO_START_TIME,
    eventsPerSecond: numberOption(args, "rate", 30, true),
    drifts: driftsFromArgs(
      args,
      driftAt === "unset" ? 8000 : driftAt,
      args.options.has("drift-until") ? intOption(args, "drift-until", 0, 1) : undefined,
    ),
  };
  const outPath = stringOption(args, "out") ?? "-";
  const out = outPath === "-" ? stdout : createWriteStream(outPath);
  const total = perModel * DEMO_MODELS.length;
  let chunk: string[] = [];
  for (let i = 0; i < total; i++) {
    chunk.push(JSON.stringify(demoEvent(i, options)));
    if (chunk.length === 1000) {
      await write(out, chunk.join("\n") + "\n");
      chunk = [];
    }
  }
  if (chunk.length > 0) await write(out, chunk.join("\n") + "\n");
  if (out !== stdout) {
    out.end();
    await once(out, "finish");
  }
  const drifts = options.drifts ?? [];
  process.stderr.write(
    `demo generate: ${total} events (${perModel} per model, seed ${options.seed}) → ${outPath}` +
      (drifts.length > 0 ? `; drift from per-model event ${drifts[0].fromIndex}: ${drifts.map(describeDrift).join(", ")}` : "; no drift") +
      "\n",
  );
  return 0;
}

function describeDrift(d: DemoDrift): string {
  if (d.kind === "feature-shift") return `${d.modelId} ${d.feature} ${d.shiftSigma >= 0 ? "+" : ""}${d.shiftSigma}σ`;
  return `${d.modelId} ${d.feature ?? "predictedClass"}=${d.category} +${d.share * 100}% share`;
}

// ---- Kafka / registry plumbing -----------------------------------------------------------------------

function kafkaFor(config: ResolvedConfig, clientId: string): Kafka {
  return new Kafka({ clientId, ...kafkaConnectionOptions(config), logLevel: logLevel.ERROR });
}

function registryFor(url: string): SchemaRegistry {
  const parsed = new URL(url);
  const auth =
    parsed.username !== "" ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = "";
  parsed.password = "";
  return new SchemaRegistry({ host: parsed.toString().replace(/\/+$/, ""), ...(auth === undefined ? {} : { auth }) });
}

/** Resolves when SIGINT or SIGTERM arrives (the handlers stay installed so a second signal does not kill us mid-cleanup). */
function stopSignal(): { promise: Promise<string>; stopped: () => boolean } {
  let fired = false;
  const promise = new Promise<string>((resolve) => {
    const handler = (signal: string) => {
      fired = true;
      resolve(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
  return { promise, stopped: () => fired };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- produce -----------------------------------------------------------------------------------------

export async function demoProduce(args: ParsedArgs): Promise<number> {
  const config = loadConfig(stringOption(args, "config"));
  const rate = numberOption(args, "rate", 2000, true);
  const perModelLimit = args.options.has("events") ? intOption(args, "events", 0, 1) : Number.POSITIVE_INFINITY;
  const driftAtArg = driftAtOption(args);
  const driftModel = stringOption(args, "drift-model") ?? "fraud-scorer";
  const windowEvents = config.settingsFor(driftModel).window.maxEvents;
  const driftAt = driftAtArg === "unset" ? intOption(args, "drift-after-windows", 10) * windowEvents : driftAtArg;
  // --drift-windows W: the drift lasts W windows, then the stream returns to normal (default: it stays).
  const driftUntil =
    driftAt !== undefined && args.options.has("drift-windows")
      ? driftAt + intOption(args, "drift-windows", 1, 1) * windowEvents
      : undefined;
  const startTime = Date.now();
  const options: DemoStreamOptions = {
    // Default seed from the start time: event ids differ between demo runs.
    seed: intOption(args, "seed", startTime % 2_147_483_647),
    startTime,
    eventsPerSecond: rate,
    drifts: driftsFromArgs(args, driftAt, driftUntil),
  };
  const avroModels = new Set(
    (stringOption(args, "avro-models") ?? "fraud-scorer")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const topic = config.kafka.topics.predictions;

  let schemaId: number | undefined;
  if (avroModels.size > 0) {
    const url = registryUrlWithCredentials(config);
    if (url === undefined)
      throw new UsageError(
        `--avro-models ${[...avroModels].join(",")} needs a schema registry: set SCHEMA_REGISTRY_URL (or --avro-models "")`,
      );
    const registered = await registryFor(url).register(
      { type: SchemaType.AVRO, schema: readAvroSchemaText("prediction-event") },
      { subject: `${topic}-value` },
    );
    schemaId = registered.id;
  }

  const kafka = kafkaFor(config, "drift-detector-demo-producer");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  const models = DEMO_MODELS.length;
  const total = perModelLimit * models;
  const stop = stopSignal();
  process.stderr.write(
    `demo produce: ${rate} events/s to ${topic} (brokers ${config.kafka.brokers.join(",")}); ` +
      `Avro for ${[...avroModels].join(", ") || "no model"}${schemaId === undefined ? "" : ` (schema id ${schemaId}, subject ${topic}-value)`}, JSON for the rest; ` +
      (driftAt === undefined
        ? "no drift\n"
        : `drift from per-model event ${driftAt}${driftUntil === undefined ? "" : ` until ${driftUntil}`}: ${(options.drifts ?? []).map(describeDrift).join(", ")}\n`),
  );

  const started = Date.now();
  let sent = 0;
  let lastReport = started;
  let driftAnnounced = false;
  const driftIndex = driftAt === undefined ? Number.POSITIVE_INFINITY : driftAt * models;
  const driftEndIndex = driftUntil === undefined ? Number.POSITIVE_INFINITY : driftUntil * models;
  let driftEndAnnounced = false;
  try {
    while (!stop.stopped() && sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      if (due <= sent) {
        await Promise.race([sleep(20), stop.promise]);
        continue;
      }
      const upTo = Math.min(due, sent + 5000);
      const messages = [];
      for (let i = sent; i < upTo; i++) {
        const event = demoEvent(i, options);
        const bytes = schemaId !== undefined && avroModels.has(event.modelId) ? encodePredictionAvro(event, schemaId) : encodeJson(event);
        messages.push({ key: event.modelId, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      }
      await producer.send({ topic, messages });
      sent = upTo;
      if (!driftAnnounced && sent > driftIndex) {
        driftAnnounced = true;
        process.stderr.write(
          `demo produce: drift injected now (per-model event ${driftAt}): ${(options.drifts ?? []).map(describeDrift).join(", ")}\n`,
        );
      }
      if (!driftEndAnnounced && sent > driftEndIndex) {
        driftEndAnnounced = true;
        process.stderr.write(`demo produce: drift over now (per-model event ${driftUntil}): back to the original distribution\n`);
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        const elapsed = (lastReport - started) / 1000;
        process.stderr.write(`demo produce: ${sent} events in ${elapsed.toFixed(0)} s (${Math.round(sent / elapsed)}/s)\n`);
      }
    }
  } finally {
    await producer.disconnect();
  }
  process.stderr.write(`demo produce: stopped after ${sent} events\n`);
  return 0;
}

// ---- watch -------------------------------------------------------------------------------------------

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "-";
  const a = Math.abs(x);
  return a !== 0 && (a < 0.001 || a >= 1e5) ? x.toExponential(1) : x.toFixed(a < 1 ? 3 : 2);
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function signalLine(s: SignalResult): string {
  const st = s.statistics;
  const shown: [string, string][] =
    s.kind === "numeric"
      ? [
          ["wasserstein", "W1/σ"],
          ["psi", "psi"],
          ["ks", "ks"],
        ]
      : [
          ["lInf", "L∞"],
          ["psi", "psi"],
          ["jsDistance", "js"],
        ];
  const parts = shown.filter(([k]) => st[k] !== undefined).map(([k, label]) => `${label}=${fmt(st[k])}`);
  // The statistic that decided the status (e.g. missingShare) is shown when it is not among the usual ones.
  if (!shown.some(([k]) => k === s.threshold.statistic) && st[s.threshold.statistic] !== undefined)
    parts.push(`${s.threshold.statistic}=${fmt(st[s.threshold.statistic])}`);
  return `${s.signal} [${s.status}] ${parts.join(" ")}`;
}

/** One line per drift event: when, which model, the status change, the strongest signals, the window. */
export function formatDriftLine(e: DriftEvent): string {
  const moved = e.signals
    .filter((s) => s.status !== "ok")
    .sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || (b.statistics.wasserstein ?? 0) - (a.statistics.wasserstein ?? 0));
  const shown = moved.slice(0, 3).map(signalLine).join(" | ");
  const more = moved.length > 3 ? ` (+${moved.length - 3} more)` : "";
  return (
    `${clock(e.emittedAt)}  DRIFT    ${e.modelId}@${e.modelVersion}  ${e.previousStatus} → ${e.status}  ` +
    `${shown || "all signals back within bounds"}${more}  window=${e.window.id} (${e.window.count} events, p${e.window.partition}) vs ${e.baseline.kind}`
  );
}

export function formatRetrainLine(r: RetrainRequest): string {
  return (
    `${clock(r.requestedAt)}  RETRAIN  ${r.modelId}@${r.modelVersion}  reason=${r.reason} severity=${r.severity}  ` +
    `signals=${r.evidence.signals.join(",") || "-"}  windows=${r.evidence.windows.length}  cooldown until ${new Date(r.cooldownUntil).toISOString()}  id=${r.requestId}`
  );
}

export async function demoWatch(args: ParsedArgs, stdout: Writable): Promise<number> {
  const config = loadConfig(stringOption(args, "config"));
  const { drift, retrain } = config.kafka.topics;
  const registry =
    config.schemaRegistry.url === undefined ? undefined : registryFor(registryUrlWithCredentials(config) ?? config.schemaRegistry.url);
  const kafka = kafkaFor(config, "drift-detector-demo-watch");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId: `drift-detector-demo-watch-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [drift, retrain], fromBeginning: args.options.get("from-beginning") === true });
  // The relay is at-least-once: the same id can arrive twice; print it once.
  const seen = new Set<string>();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (message.value === null) return;
      let value: unknown;
      try {
        value =
          message.value[0] === 0 && registry !== undefined
            ? await registry.decode(message.value)
            : JSON.parse(message.value.toString("utf8"));
      } catch (err) {
        await write(stdout, `(undecodable message on ${topic} offset ${message.offset}: ${(err as Error).message})\n`);
        return;
      }
      if (topic === retrain) {
        const r = value as RetrainRequest;
        if (seen.has(`r:${r.requestId}`)) return;
        seen.add(`r:${r.requestId}`);
        await write(stdout, formatRetrainLine(r) + "\n");
      } else {
        const e = value as DriftEvent;
        if (seen.has(`d:${e.eventId}`)) return;
        seen.add(`d:${e.eventId}`);
        await write(stdout, formatDriftLine(e) + "\n");
      }
    },
  });
  process.stderr.write(`demo watch: printing drift events (${drift}) and retrain requests (${retrain})\n`);
  const signal = await stopSignal().promise;
  process.stderr.write(`demo watch: ${signal}, stopping\n`);
  await consumer.disconnect();
  return 0;
}
