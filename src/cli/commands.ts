// The CLI's command table: one entry per command, with its options (which give parsing, `--help` and
// the usage text, src/cli/args.ts) and a handler that loads its implementation only when it runs.
// Adding a command = adding an entry here.
import type { CommandIo, CommandSpec, OptionSpec, ParsedArgs } from "./args.ts";
import type { ResolvedConfig } from "../config/load.ts";
import type { PartitionState } from "../detect/engine.ts";
import type { RedisStateStore } from "../state/redis-store.ts";
import { stringOption, UsageError } from "./args.ts";
import { parseIsoTimestamp } from "../events/timestamp.ts";
import { createProgress } from "./progress.ts";

const config: OptionSpec = { type: "string", value: "<file>", description: "config file (YAML or JSON); environment overrides apply" };
const input: OptionSpec = {
  type: "string",
  value: "<file|->",
  description: "PredictionEvent JSON lines, CSV, Parquet or an Avro container file (plain, gzip or zstd; UTF-8 or UTF-16); - reads stdin",
  required: true,
};

/** `--input -` typed at a terminal waits for lines with no sign of it: say so, and how to end. */
function noteTerminalInput(io: CommandIo, label: string, source: string): void {
  if (source === "-" && io.stdin.isTTY === true) io.stderr.write(`${label}: reading JSON lines from the terminal; end with Ctrl-D\n`);
}

const driftOptions: Record<string, OptionSpec> = {
  "drift-model": { type: "string", value: "<model>", description: "model whose feature shifts (default fraud-scorer)" },
  "drift-feature": { type: "string", value: "<feature>", description: "feature that shifts (default amount)" },
  "drift-sigma": { type: "string", value: "<sigma>", description: "shift in log-space standard deviations (default 0.5; 0 = none)" },
  "class-shift": { type: "string", value: "<model>:<class>:<share>", description: "also raise a class's share, from the drift index" },
};

/** `replay --now`: epoch millis or an ISO-8601 date-time with offset. */
function wallClockOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^-?\d+$/.test(text) ? Number(text) : parseIsoTimestamp(text);
  if (ms === undefined || !Number.isSafeInteger(ms))
    throw new UsageError(`replay: --now: expected epoch millis or an ISO-8601 date-time with offset, got "${text}"`);
  return ms;
}

/** The `--config` file resolved with the environment; the config modules (zod, yaml) load only here. */
async function loadConfig(args: ParsedArgs): Promise<ResolvedConfig> {
  const { loadConfig: load } = await import("./config-file.ts");
  return load(stringOption(args, "config"));
}

const versionSuffix = (args: ParsedArgs) => {
  const v = stringOption(args, "version");
  return v === undefined ? "" : `@${v}`;
};

/** Runs `body` with a Redis state store of the config, closed afterwards. */
async function withStore<T>(cfg: ResolvedConfig, body: (store: RedisStateStore) => Promise<T>): Promise<T> {
  const { RedisStateStore } = await import("../state/redis-store.ts");
  const { redisConnectionOptions } = await import("../state/redis-connection.ts");
  const store = new RedisStateStore(cfg.redis.url, {
    keyPrefix: cfg.redis.keyPrefix,
    cluster: cfg.redis.cluster,
    ...(cfg.redis.sentinel === undefined ? {} : { sentinel: cfg.redis.sentinel }),
    redisOptions: redisConnectionOptions(cfg),
  });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** The service's persisted partition states (read-only), handed to `body`. */
async function withStoredState<T>(cfg: ResolvedConfig, body: (states: PartitionState[]) => T): Promise<T> {
  const { readStoredPartitions } = await import("./stored-state.ts");
  return withStore(cfg, async (store) => body(await readStoredPartitions(store, cfg)));
}

/** `--timeout <ms>` of the dead-letter commands: a positive integer, 60 000 when absent. */
function timeoutOption(args: ParsedArgs, command: string): number {
  const text = stringOption(args, "timeout");
  if (text === undefined) return 60_000;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms <= 0)
    throw new UsageError(`${command}: --timeout: expected milliseconds, a positive integer, got "${text}"`);
  return ms;
}

/**
 * Runs a dead-letter command's `body` with a Kafka client of the config whose logs go to stderr at warn (stdout
 * stays the answer); a Kafka failure becomes a DeadLetterRedriveError (exit 1) naming the dead-letter topic.
 */
async function withOperatorKafka<T>(
  cfg: ResolvedConfig,
  body: (kafka: import("kafkajs").Kafka, log: import("../logging/logger.ts").Logger) => Promise<T>,
): Promise<T> {
  const { createLogger } = await import("../logging/logger.ts");
  const { createKafkaClient } = await import("../kafka/clients.ts");
  const { DeadLetterRedriveError } = await import("../kafka/dead-letter-redrive.ts");
  const log = createLogger({ level: "warn", destination: process.stderr });
  try {
    return await body(createKafkaClient(cfg, log), log);
  } catch (e) {
    if (e instanceof DeadLetterRedriveError) throw e;
    const cause = e instanceof Error && e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : "";
    const detail = e instanceof Error ? e.message + cause : String(e);
    const topic = cfg.kafka.topics.deadLetter;
    throw new DeadLetterRedriveError(`Kafka failed with ${topic}: ${detail}`, { topic }, { cause: e });
  }
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "run",
    summary: "consume predictions from Kafka (the service)",
    options: { config },
    async run(args) {
      const { runService } = await import("./run.ts");
      return runService(await loadConfig(args));
    },
  },
  {
    name: "replay",
    summary: "run the engine over PredictionEvent JSON lines; drift events and retrain requests go to stdout",
    details:
      "The summary goes to stderr; on a terminal, stderr also shows progress. With --outcomes, OutcomeEvent lines are merged " +
      "with the predictions in event-time order and joined to them (performance windows, performance incidents and retrain requests).",
    options: {
      input,
      outcomes: { type: "string", value: "<file>", description: "OutcomeEvent JSON lines (ground truth) to join to the predictions" },
      config,
      strict: { type: "boolean", description: "stop at the first line that is not a valid event (exit 2)" },
      reference: { type: "string", value: "<file>", description: "events to build imported reference baselines from" },
      now: {
        type: "string",
        value: "<ms|ISO-8601>",
        description: "wall clock the event-time bound (eventTime.maxFutureSkewMs) is measured against (default: when the replay starts)",
      },
    },
    async run(args, io) {
      const { decodeThreadWanted, formatReplaySummary, referencesFromFile, runReplay } = await import("./replay.ts");
      const cfg = await loadConfig(args);
      const referenceFile = stringOption(args, "reference");
      const references = referenceFile === undefined ? undefined : await referencesFromFile(referenceFile, cfg, io.stdin);
      const source = stringOption(args, "input") ?? "-";
      noteTerminalInput(io, "replay", source);
      const progress = createProgress(io.stderr, "replay", source);
      const wallClockMs = wallClockOption(stringOption(args, "now"));
      const summary = await runReplay({
        input: source,
        outcomes: stringOption(args, "outcomes"),
        config: cfg,
        strict: args.options.has("strict"),
        references,
        stdin: io.stdin,
        stdout: io.stdout,
        progress,
        wallClockMs,
        decodeThread: decodeThreadWanted(process.env.DRIFT_DETECTOR_DECODE_THREAD, source),
      });
      progress.done();
      io.stderr.write(formatReplaySummary(summary) + "\n");
      return 0;
    },
  },
  {
    name: "baseline import",
    summary: "build reference baselines from events (training or validation data) and store them in Redis",
    details: "One baseline per model version in the input. Exit 1 when no baseline was stored.",
    options: {
      input,
      model: { type: "string", value: "<id>", description: "use only this model's events" },
      version: { type: "string", value: "<v>", description: "use only this model version's events" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { RedisStateStore } = await import("../state/redis-store.ts");
      const { redisConnectionOptions } = await import("../state/redis-connection.ts");
      const { formatBaselineImportSummary, importBaselines } = await import("./baseline-import.ts");
      const source = stringOption(args, "input") ?? "-";
      const store = new RedisStateStore(cfg.redis.url, {
        keyPrefix: cfg.redis.keyPrefix,
        cluster: cfg.redis.cluster,
        ...(cfg.redis.sentinel === undefined ? {} : { sentinel: cfg.redis.sentinel }),
        redisOptions: redisConnectionOptions(cfg),
      });
      noteTerminalInput(io, "baseline import", source);
      const progress = createProgress(io.stderr, "baseline import", source);
      try {
        const summary = await importBaselines({
          input: source,
          config: cfg,
          store,
          modelId: stringOption(args, "model"),
          modelVersion: stringOption(args, "version"),
          stdin: io.stdin,
          progress,
        });
        progress.done();
        io.stderr.write(formatBaselineImportSummary(summary) + "\n");
        return summary.baselines.length > 0 ? 0 : 1;
      } finally {
        await store.close();
      }
    },
  },
  {
    name: "baseline show",
    summary: "print what a model version's reference and rolling baseline hold (counts, quantiles, categories)",
    details: "Read from the state the service persisted in Redis (read-only). Exit 1 when there is no such model version.",
    options: {
      model: { type: "string", value: "<id>", description: "the model", required: true },
      version: { type: "string", value: "<v>", description: "only this version (default: every stored version)" },
      json: { type: "boolean", description: "JSON instead of text" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { formatVersionBaselines, versionBaselines } = await import("./baseline-show.ts");
      const modelId = stringOption(args, "model")!;
      const list = await withStoredState(cfg, (states) => versionBaselines(states, cfg, modelId, stringOption(args, "version")));
      if (args.options.has("json")) io.stdout.write(JSON.stringify(list, null, 2) + "\n");
      else if (list.length > 0) io.stdout.write(formatVersionBaselines(list) + "\n");
      if (list.length === 0) io.stderr.write(`baseline show: no stored state of ${modelId}${versionSuffix(args)}\n`);
      return list.length > 0 ? 0 : 1;
    },
  },
  {
    name: "baseline reset",
    summary: "drop a model version's reference so the running service captures a new one",
    details:
      "Writes a control record to every partition of the predictions topic; the service applies it in order\n" +
      "with the events (exactly once, under the partition's offset fence, again in a rebuild from Kafka): each\n" +
      "partition holding the version drops its reference (status and an open incident stay until the first\n" +
      "window compared with the new one) and emits a BaselineEvent. Also deletes an imported reference of the\n" +
      "version. Exit 1 when the model has no stored state and --version is not given.",
    options: {
      model: { type: "string", value: "<id>", description: "the model", required: true },
      version: { type: "string", value: "<v>", description: "only this version (default: every stored version)" },
      "request-id": { type: "string", value: "<id>", description: "id of this request (default: derived from model, version, time)" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { formatRequestedResets, requestBaselineResets } = await import("./baseline-reset.ts");
      const modelId = stringOption(args, "model")!;
      const requestId = stringOption(args, "request-id");
      if (requestId !== undefined && requestId.length > 128) throw new UsageError("baseline reset: --request-id: at most 128 characters");
      const list = await withStore(cfg, (store) =>
        requestBaselineResets({
          config: cfg,
          store,
          modelId,
          modelVersion: stringOption(args, "version"),
          requestId,
          requestedAt: Date.now(),
        }),
      );
      if (list.length === 0) {
        io.stderr.write(`baseline reset: no stored state of ${modelId}; --version names the version to reset\n`);
        return 1;
      }
      io.stdout.write(formatRequestedResets(list) + "\n");
      return 0;
    },
  },
  {
    name: "baseline repin",
    summary: "accept the new normal: re-capture a model version's reference from the windows that close next",
    details:
      "Writes a control record to every partition of the predictions topic; the service applies it in order\n" +
      "with the events (exactly once, under the partition's offset fence): each partition holding the version\n" +
      "drops its reference, ends an open incident and emits a BaselineEvent (kafka.topics.baseline).",
    options: {
      model: { type: "string", value: "<id>", description: "model id", required: true },
      version: { type: "string", value: "<v>", description: "model version", required: true },
      "request-id": { type: "string", value: "<id>", description: "id of this request (default: derived from model, version, time)" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { defaultRequestId, publishControlRecords } = await import("./control-records.ts");
      const modelId = stringOption(args, "model") ?? "";
      const modelVersion = stringOption(args, "version") ?? "";
      const requestedAt = Date.now();
      const requestId = stringOption(args, "request-id") ?? defaultRequestId("repin", modelId, modelVersion, requestedAt);
      if (requestId.length > 128) throw new UsageError("baseline repin: --request-id: at most 128 characters");
      const control = { type: "control", command: "baseline.repin", modelId, modelVersion, requestId, requestedAt } as const;
      const [result] = await publishControlRecords(cfg, [control]);
      io.stdout.write(
        `baseline repin ${requestId}: control records for ${modelId}@${modelVersion} on ${result.topic} ` +
          `partitions ${[...result.offsets.keys()].join(",")}\n`,
      );
      return 0;
    },
  },
  {
    name: "status",
    summary: "print each model version's status, open incident, last window, baseline ages and performance, from Redis",
    details: "Read-only. Ages are event time: the partition's watermark minus the end of the baseline's data.",
    options: {
      model: { type: "string", value: "<id>", description: "only this model" },
      json: { type: "boolean", description: "JSON instead of a table" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { formatStatusTable, versionStatuses } = await import("./status.ts");
      const rows = await withStoredState(cfg, (states) => versionStatuses(states, cfg, stringOption(args, "model")));
      io.stdout.write((args.options.has("json") ? JSON.stringify(rows, null, 2) : formatStatusTable(rows)) + "\n");
      return 0;
    },
  },
  {
    name: "retrain",
    summary: "publish a RetrainRequest with reason manual (the model's cooldown applies unless --force)",
    details:
      "Exit 0 published; 1 no stored state of the model (without --version) or a Redis/Kafka failure;\n" +
      "3 refused: the model's cooldown is active (the message says until when).",
    options: {
      model: { type: "string", value: "<id>", description: "the model to retrain", required: true },
      version: { type: "string", value: "<v>", description: "its version (default: the version with the latest events)" },
      reason: { type: "string", value: "<text>", description: "why (the request's note, up to 1024 characters)", required: true },
      force: { type: "boolean", description: "publish even inside the cooldown; starts a new cooldown" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const note = stringOption(args, "reason")!;
      if (note.length > 1024) throw new UsageError(`retrain: --reason: at most 1024 characters, got ${note.length}`);
      const { formatManualRetrain, requestManualRetrain, RETRAIN_EXIT } = await import("./retrain.ts");
      const { publishOutput } = await import("../kafka/one-shot-publisher.ts");
      const result = await withStore(cfg, (store) =>
        requestManualRetrain({
          config: cfg,
          store,
          modelId: stringOption(args, "model")!,
          modelVersion: stringOption(args, "version"),
          note,
          force: args.options.has("force"),
          now: Date.now(),
          publish: (entry) => publishOutput(cfg, entry),
        }),
      );
      (result.kind === "published" ? io.stdout : io.stderr).write(formatManualRetrain(result, cfg.kafka.topics.retrain) + "\n");
      return RETRAIN_EXIT[result.kind];
    },
  },
  {
    name: "dead-letters summary",
    summary: "count the dead-letter topic's records by source topic and reason",
    details: "Reads the whole topic with a throwaway consumer group (deleted after); REDRIVABLE counts those that hold their whole value.",
    options: {
      json: { type: "boolean", description: "JSON instead of a table" },
      timeout: { type: "string", value: "<ms>", description: "how long reading to the end may take (default 60000)" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const { summariseDeadLetters, formatSummary } = await import("../kafka/dead-letter-redrive.ts");
      const rows = await withOperatorKafka(cfg, (kafka) => summariseDeadLetters(kafka, cfg, timeoutOption(args, "dead-letters summary")));
      io.stdout.write((args.options.has("json") ? JSON.stringify(rows, null, 2) : formatSummary(rows, cfg.kafka.topics.deadLetter)) + "\n");
      return 0;
    },
  },
  {
    name: "dead-letters redrive",
    summary: "send the dead letters of one reason back to their source topic, once (after fixing their cause)",
    details:
      "Each chunk's copies and the group <kafka.groupId>.redrive.<reason>'s offsets on the dead-letter topic are one\n" +
      "Kafka transaction: a second run sends only dead letters written since. Truncated values are not sent back.\n" +
      "Exit 0 done (--dry-run: counted only); 1 a Kafka failure or timeout.",
    options: {
      reason: { type: "string", value: "<reason>", description: "the rejection reason, e.g. unknown_schema_id", required: true },
      "source-topic": {
        type: "string",
        value: "<topic>",
        description: "only dead letters of this source topic (default: predictions and outcomes)",
      },
      "dry-run": { type: "boolean", description: "count what would go back; send and commit nothing" },
      timeout: { type: "string", value: "<ms>", description: "how long reading to the end may take (default 60000)" },
      json: { type: "boolean", description: "JSON instead of text" },
      config,
    },
    async run(args, io) {
      const cfg = await loadConfig(args);
      const reason = stringOption(args, "reason")!;
      const sourceTopic = stringOption(args, "source-topic");
      const inputs = [cfg.kafka.topics.predictions, cfg.kafka.topics.outcomes];
      if (sourceTopic !== undefined && !inputs.includes(sourceTopic)) {
        throw new UsageError(
          `dead-letters redrive: --source-topic: ${sourceTopic} is not one of the detector's inputs (${inputs.join(", ")})`,
        );
      }
      const { redriveDeadLetters, formatRedrive } = await import("../kafka/dead-letter-redrive.ts");
      const options = { reason, dryRun: args.options.has("dry-run"), timeoutMs: timeoutOption(args, "dead-letters redrive") };
      const result = await withOperatorKafka(cfg, (kafka, log) =>
        redriveDeadLetters(kafka, cfg, sourceTopic === undefined ? options : { ...options, sourceTopic }, log),
      );
      io.stdout.write((args.options.has("json") ? JSON.stringify(result, null, 2) : formatRedrive(result, reason)) + "\n");
      return 0;
    },
  },
  {
    name: "demo generate",
    summary: "write the seeded demo stream as PredictionEvent JSON lines",
    details:
      "3 models interleaved, N events per model; event time from 2026-01-01T00:00:00Z at R events/s;\n" +
      "drift from per-model event M until U.",
    options: {
      out: { type: "string", value: "<file|->", description: "where to write (default - = stdout)" },
      events: { type: "string", value: "<N>", description: "events per model (default 12000)" },
      "drift-at": { type: "string", value: "<M|none>", description: "per-model event where drift starts (default 8000)" },
      "drift-until": { type: "string", value: "<U>", description: "per-model event where drift ends (default: the end)" },
      seed: { type: "string", value: "<S>", description: "random seed (default 7)" },
      rate: { type: "string", value: "<R>", description: "event-time rate, events/s (default 30)" },
      ...driftOptions,
    },
    async run(args, io) {
      const { demoGenerate } = await import("./demo.ts");
      return demoGenerate(args, io.stdout);
    },
  },
  {
    name: "demo produce",
    summary: "publish the demo stream to the predictions topic at a steady rate and inject drift",
    details:
      "fraud-scorer as Confluent-framed Avro (schema registered under <topic>-value), others as JSON; event\n" +
      "time = now. Drift starts after W windows of the drift model (or at per-model event M) and lasts D\n" +
      "windows (default: stays). Runs until stopped, or until N events per model.",
    options: {
      config,
      rate: { type: "string", value: "<R>", description: "events/s in total (default 2000)" },
      events: { type: "string", value: "<N>", description: "stop after N events per model" },
      "drift-after-windows": { type: "string", value: "<W>", description: "windows before the drift starts (default 10)" },
      "drift-at": { type: "string", value: "<M|none>", description: "per-model event where drift starts (instead of W)" },
      "drift-windows": { type: "string", value: "<D>", description: "windows the drift lasts (default: stays)" },
      seed: { type: "string", value: "<S>", description: "random seed (default: from the clock)" },
      "avro-models": { type: "string", value: "<a,b>", description: 'models published as Avro (default fraud-scorer; "" = none)' },
      ...driftOptions,
    },
    async run(args) {
      const { demoProduce } = await import("./demo.ts");
      return demoProduce(args);
    },
  },
  {
    name: "demo watch",
    summary: "print each drift event and retrain request as one line",
    options: { config, "from-beginning": { type: "boolean", description: "start at the beginning of the output topics" } },
    async run(args, io) {
      const { demoWatch } = await import("./demo.ts");
      return demoWatch(args, io.stdout);
    },
  },
];

/** The command an argv starts with (the longest matching name), and the rest of the argv. */
export function findCommand(argv: readonly string[]): { command: CommandSpec; rest: string[] } | undefined {
  let best: CommandSpec | undefined;
  for (const c of COMMANDS) {
    const words = c.name.split(" ");
    if (words.every((w, i) => argv[i] === w) && (best === undefined || words.length > best.name.split(" ").length)) best = c;
  }
  return best && { command: best, rest: argv.slice(best.name.split(" ").length) };
}

/** The commands under a group word ("baseline" → baseline import, …). */
export function commandsInGroup(group: string): CommandSpec[] {
  return COMMANDS.filter((c) => c.name.startsWith(group + " "));
}

export function groupUsage(group: string): string {
  const cmds = commandsInGroup(group);
  const width = Math.max(...cmds.map((c) => c.name.length));
  return [
    `usage: drift-detector ${group} <${cmds.map((c) => c.name.slice(group.length + 1)).join("|")}> [options]`,
    "",
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `drift-detector ${group} <command> --help shows a command's options.`,
  ].join("\n");
}

export function topUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: drift-detector <command> [options]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help [command]".padEnd(width)}  this text, or a command's usage`,
    "",
    "drift-detector <command> --help shows a command's options.",
    "environment: KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL, METRICS_PORT override the config file;",
    "DRIFT_DETECTOR__<key>__<key>=<json> overrides any config key.",
  ].join("\n");
}

export function unknownCommand(argv: readonly string[]): UsageError {
  const group = commandsInGroup(argv[0] ?? "");
  if (group.length > 0) {
    const sub = argv[1];
    return new UsageError(sub === undefined ? `${argv[0]} needs a command` : `unknown ${argv[0]} command "${sub}"`, groupUsage(argv[0]));
  }
  return new UsageError(`unknown command "${argv[0] ?? ""}"`);
}
