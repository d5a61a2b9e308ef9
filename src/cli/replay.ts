// `drift-detector replay`: runs the service's partition processor (src/pipeline/partition-processor.ts) over
// PredictionEvent JSON lines (a file or stdin) with the in-memory state store, so replay and the service
// cannot diverge, and writes every DriftEvent and RetrainRequest as one JSON line to stdout, in emission
// order. Partition is 0; offsets are 0-based input line numbers; emittedAt/requestedAt are event time
// (the largest event time read so far), so a replay is reproducible byte for byte.
// The future bound on event time (config eventTime.maxFutureSkewMs) is measured against one wall clock
// value for the whole replay: --now, or the time the replay started. Only events later than that plus the
// skew depend on it, so the output is the same whenever history is replayed; pass --now to pin it.
import type { Readable, Writable } from "node:stream";
import type { ResolvedConfig } from "../config/load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import { ReferenceBaselineBuilder } from "../baseline/import.ts";
import { engineContextFrom } from "../config/engine-context.ts";
import { decodePredictionMessage } from "../events/codec.ts";
import { processChunk, settle, type DecodedMessage, type ProcessorSettings } from "../pipeline/partition-processor.ts";
import { PartitionStates } from "../pipeline/partition-states.ts";
import { InMemoryStateStore } from "../state/memory-store.ts";
import { closesFarBelowMaxEvents, formatDuration, WindowSizes, type ModelWindowSizes } from "../windows/window-sizes.ts";
import type { Progress } from "./progress.ts";
import { InputFileError, readEventLines, readLineBatches, tallyRejection, type RejectionTally } from "./event-lines.ts";

const NEWLINE = Uint8Array.of(0x0a);

export interface ReplaySummary {
  linesRead: number;
  accepted: number;
  rejected: RejectionTally;
  late: number;
  windowsClosed: number;
  /** per model, the sizes of the windows that closed (events and event-time duration) */
  windowSizes: ModelWindowSizes[];
  driftEvents: number;
  retrainRequests: number;
  elapsedMs: number;
  eventsPerSecond: number;
  /** the wall clock the event-time bound was measured against */
  wallClockMs: number;
}

export interface ReplayOptions {
  input: string;
  config: ResolvedConfig;
  strict: boolean;
  /** imported reference baselines (model\u0000version → baseline); other versions warm up as usual */
  references?: ReadonlyMap<string, Baseline>;
  stdin: Readable;
  /** told of every line read (src/cli/progress.ts) */
  progress?: Progress;
  stdout: Writable;
  /** wall clock for the future bound on event time; default: when the replay started */
  wallClockMs?: number;
}

/** Reference baselines built from a file of events (`replay --reference`), keyed by model and version. */
export async function referencesFromFile(path: string, config: ResolvedConfig, stdin: Readable): Promise<Map<string, Baseline>> {
  const builder = new ReferenceBaselineBuilder(config.limits);
  for await (const { result } of readEventLines(path, stdin, config.limits.maxMessageBytes)) if (result.ok) builder.add(result.event);
  return new Map(builder.build(path.split("/").pop() ?? path).map((r) => [`${r.modelId}\u0000${r.modelVersion}`, r.baseline]));
}

/** Lines applied per processor step (and per write to the in-memory store). */
const REPLAY_CHUNK_LINES = 4096;

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const references = opts.references;
  // The service's processor over the in-memory store: partition 0 of a one-off group and topic.
  const store = new InMemoryStateStore();
  const states = new PartitionStates(store, "replay", "replay", opts.config.limits);
  const slot = await states.load(0);
  const settings: ProcessorSettings = {
    sourceTopic: opts.input,
    topics: opts.config.kafka.topics,
    maxDeadLetterValueBytes: 1024,
    engine: engineContextFrom(opts.config, () => slot.state.maxEventTime, references && ((m, v) => references.get(`${m}\u0000${v}`))),
  };
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: opts.config.limits.maxMessageBytes };
  const wallClockMs = opts.wallClockMs ?? Date.now();
  const sizes = new WindowSizes();
  const summary: ReplaySummary = {
    linesRead: 0,
    accepted: 0,
    rejected: {},
    late: 0,
    windowsClosed: 0,
    windowSizes: [],
    driftEvents: 0,
    retrainRequests: 0,
    elapsedMs: 0,
    eventsPerSecond: 0,
    wallClockMs,
  };

  const step = async (messages: DecodedMessage[], endOfInput: boolean) => {
    const chunk = processChunk(slot, messages, settings, { endOfInput, wallClockMs });
    if (chunk === null) return;
    if (opts.strict && chunk.rejections.length > 0) {
      const first = chunk.rejections[0];
      const line = Number(first.offset) + 1;
      throw new InputFileError(`line ${line}: ${first.reason}: ${first.message}`, { input: opts.input, line, reason: first.reason });
    }
    await store.commitPartition(slot.ref, chunk.write);
    settle(slot, chunk);
    summary.accepted += chunk.metrics.accepted;
    summary.windowsClosed += chunk.metrics.windows.length;
    for (const w of chunk.metrics.windows) sizes.add(w.modelId, w.window, opts.config.settingsFor(w.modelId).window.maxEvents);
    for (const r of chunk.rejections) tallyRejection(summary.rejected, r.reason, Number(r.offset));
    // drift events and retrain requests, in emission order, as the JSON the service publishes
    const out: Uint8Array[] = [];
    for (const entry of chunk.write.outbox) {
      if (entry.kind === "dead-letter") continue;
      if (entry.kind === "drift") summary.driftEvents++;
      else summary.retrainRequests++;
      out.push(entry.value, NEWLINE);
    }
    await store.ackOutbox(
      slot.ref,
      chunk.write.outbox.map((e) => e.id),
    );
    if (out.length > 0 && !opts.stdout.write(Buffer.concat(out))) await new Promise((r) => opts.stdout.once("drain", r));
  };

  let pending: DecodedMessage[] = [];
  for await (const batch of readLineBatches(opts.input, opts.stdin)) {
    for (const { line, value } of batch.lines) {
      pending.push({ message: { offset: String(line), key: null, value }, result: decodePredictionMessage(value, decodeContext) });
      if (pending.length >= REPLAY_CHUNK_LINES) {
        await step(pending, false);
        pending = [];
      }
    }
    summary.linesRead = batch.lastLine + 1;
    opts.progress?.update(summary.linesRead, batch.bytes);
  }
  // End of input closes the open windows that have at least minEvents events.
  await step(pending, true);
  summary.late = slot.state.counters.late;
  summary.windowSizes = sizes.all();
  summary.elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  summary.eventsPerSecond = summary.elapsedMs > 0 ? Math.round((summary.accepted / summary.elapsedMs) * 1000) : 0;
  return summary;
}

export function formatReplaySummary(s: ReplaySummary): string {
  const rejected = Object.entries(s.rejected)
    .map(([reason, r]) => `  rejected ${reason}: ${r.count} (first lines: ${r.firstLines.join(", ")})`)
    .join("\n");
  return [
    `replay: ${s.linesRead} lines read, ${s.accepted} events accepted, ${Object.values(s.rejected).reduce((n, r) => n + r.count, 0)} rejected, ${s.late} late`,
    rejected,
    s.rejected.timestamp_out_of_range === undefined
      ? ""
      : `  (event times were bounded against the wall clock ${new Date(s.wallClockMs).toISOString()}; pin it with --now)`,
    `replay: ${s.windowsClosed} windows closed, ${s.driftEvents} drift events, ${s.retrainRequests} retrain requests`,
    ...s.windowSizes.flatMap(formatWindowSizes),
    `replay: ${(s.elapsedMs / 1000).toFixed(2)} s, ${s.eventsPerSecond} events/s`,
  ]
    .filter((l) => l !== "")
    .join("\n");
}

/** One line per model with the window sizes used, and a warning when they close by time far below maxEvents. */
export function formatWindowSizes(m: ModelWindowSizes): string[] {
  const events = `events median ${Math.round(m.events.median)} (range ${m.events.min}\u2013${m.events.max})`;
  const d = m.durationMs;
  const duration = `duration median ${formatDuration(d.median)} (range ${formatDuration(d.min)}\u2013${formatDuration(d.max)})`;
  const lines = [`replay: ${m.modelId}: ${m.windows} windows, ${events}, ${duration}`];
  if (closesFarBelowMaxEvents(m))
    lines.push(
      `replay: warning: windows of ${m.modelId} close by time with a median of ${Math.round(m.events.median)} events ` +
        `(maxEvents ${m.maxEvents}): set window.maxDurationMs higher or maxEvents lower`,
    );
  return lines;
}
