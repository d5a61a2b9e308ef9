// `drift-detector replay`: runs the service's partition processor (src/pipeline/partition-processor.ts) over
// PredictionEvent JSON lines (a file or stdin) with the in-memory state store, so replay and the service
// cannot diverge, and writes every DriftEvent and RetrainRequest as one JSON line to stdout, in emission
// order. Partition is 0; offsets are 0-based input line numbers; emittedAt/requestedAt are event time
// (the largest event time read so far), so a replay is reproducible byte for byte.
// With `--outcomes <file>`, OutcomeEvent JSON lines are merged with the predictions in event-time order
// (ties: the prediction first) and joined by the same processor, so history can be backtested with labels;
// an outcome's offset is its line number in that file.
// The future bound on event time (config eventTime.maxFutureSkewMs) is measured against one wall clock
// value for the whole replay: --now, or the time the replay started. Only events later than that plus the
// skew depend on it, so the output is the same whenever history is replayed; pass --now to pin it.
import type { Readable, Writable } from "node:stream";
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { ConfigError, type ResolvedConfig } from "../config/load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import { ReferenceBaselineBuilder } from "../baseline/import.ts";
import { engineContextFrom } from "../config/engine-context.ts";
import { decodeOutcomeMessage, decodePredictionMessage, decodePredictionMessageIn, type DecodeContext } from "../events/codec.ts";
import { createJoinCounters, type JoinCounters } from "../outcomes/join.ts";
import {
  processChunk,
  processorSettings,
  settle,
  type DecodedInput,
  type DecodedMessage,
  type SourceMessage,
} from "../pipeline/partition-processor.ts";
import { PartitionStates } from "../pipeline/partition-states.ts";
import { InMemoryStateStore } from "../state/memory-store.ts";
import { PredictionUnpacker } from "../events/packed-predictions.ts";
import { startDecodingThread, type DecodedPack } from "./decoding-thread.ts";
import type { WriterSchemas } from "./avro-container-input.ts";
import { MIN_DEPENDENCE_WINDOWS } from "../detect/dependence.ts";
import {
  closesFarBelowMaxEvents,
  formatDuration,
  looksLikeEpochSeconds,
  WindowSizes,
  type ModelWindowSizes,
} from "../windows/window-sizes.ts";
import type { Progress } from "./progress.ts";
import {
  decodedLines,
  InputFileError,
  mergeByEventTime,
  readEventLines,
  lineBytes,
  readLineBatches,
  tallyRejection,
  type RawLineBatch,
  type RejectionTally,
} from "./event-lines.ts";

const NEWLINE = Uint8Array.of(0x0a);
/** The result a cursor's input holds before its first step (never read). */
const NO_RESULT: DecodedMessage["result"] = { ok: false, reason: "empty", message: "no line read yet" };

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
  /** references captured from too few windows to measure dependence (every dependence factor 1) */
  unmeasuredDependence: { modelId: string; modelVersion: string; referenceId: string; windows: number }[];
  /** with --outcomes: lines read, outcomes applied, dead letters by reason, and the join's counters summed over models */
  outcomes?: {
    linesRead: number;
    accepted: number;
    rejected: RejectionTally;
    join: JoinCounters;
    /** predictions still waiting for an outcome / outcomes still waiting for their prediction at the end */
    waiting: { predictions: number; outcomes: number };
  };
  elapsedMs: number;
  eventsPerSecond: number;
  /** the wall clock the event-time bound was measured against */
  wallClockMs: number;
}

export interface ReplayOptions {
  input: string;
  /** OutcomeEvent JSON lines joined to the predictions (merged in event-time order) */
  outcomes?: string;
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
  /**
   * Decode a file's predictions on a worker thread (decoding-thread.ts) while this thread applies them: the same
   * output in less time on a long file when a second core is free. Not for stdin or with --outcomes.
   */
  decodeThread?: boolean;
  /** with decodeThread, the lines decoded here first (a multiple of the chunk size; default THREAD_HEAD_LINES) */
  decodeThreadHeadLines?: number;
}

/** Reference baselines built from a file of events (`replay --reference`), keyed by model and version. */
export async function referencesFromFile(path: string, config: ResolvedConfig, stdin: Readable): Promise<Map<string, Baseline>> {
  const builder = new ReferenceBaselineBuilder(config.limits);
  for await (const { result } of readEventLines(path, stdin, config.limits.maxMessageBytes)) if (result.ok) builder.add(result.event);
  return new Map(builder.build(path.split("/").pop() ?? path).map((r) => [`${r.modelId}\u0000${r.modelVersion}`, r.baseline]));
}

/** Lines of batches, each batch's in order, and the input read by the end of each batch. */
interface LineBatch {
  readonly lineNumbers: ArrayLike<number>;
  readonly lastLine: number;
  readonly bytes: number;
}

/**
 * Lines waiting to be applied, as ranges of batches, decoded (or unpacked) only as the processor takes them:
 * each decoded event is garbage as soon as it is applied (decoding a whole chunk first kept 16 384 events
 * alive across collections). Iterating yields each line once, as the message the processor reads.
 */
abstract class PendingRanges<B extends LineBatch> implements Iterable<DecodedMessage> {
  protected readonly batches: B[] = [];
  protected readonly froms: number[] = [];
  protected readonly tos: number[] = [];
  size = 0;

  /** Takes lines of `batch` from index `from` until `limit` lines wait; returns the index after the last taken. */
  take(batch: B, from: number, limit: number): number {
    const to = Math.min(batch.lineNumbers.length, from + (limit - this.size));
    if (to > from) {
      this.batches.push(batch);
      this.froms.push(from);
      this.tos.push(to);
      this.size += to - from;
    }
    return to;
  }

  abstract [Symbol.iterator](): Iterator<DecodedMessage>;
}

/** Lines of read batches, decoded here. */
class PendingLines extends PendingRanges<RawLineBatch> {
  constructor(private readonly decodeContext: DecodeContext) {
    super();
  }

  [Symbol.iterator](): Iterator<DecodedMessage> {
    return new PendingLinesCursor(this.batches, this.froms, this.tos, this.decodeContext);
  }
}

/** Lines the decoding thread decoded, unpacked here. */
class PendingPacks extends PendingRanges<DecodedPack> {
  constructor(private readonly unpacker: PredictionUnpacker) {
    super();
  }

  [Symbol.iterator](): Iterator<DecodedMessage> {
    return new PendingPacksCursor(this.batches, this.froms, this.tos, this.unpacker);
  }
}

/** The end of every cursor's lines (for-of does not write to it). */
const DONE: IteratorResult<DecodedMessage> = { done: true, value: undefined };

/**
 * A pending chunk's iterator (a generator cost more per line than the rest of replay's own work on it). The
 * first step moves into the first range like every later move to the next range, so that code has run, with
 * type feedback, before the optimising compiler sees it (a path that had never run deoptimised it mid-replay).
 */
abstract class PendingCursor<B extends LineBatch> implements Iterator<DecodedMessage> {
  /** the range being read (-1 before the first step), the next line of it, and where it ends */
  protected b = -1;
  protected i = 0;
  private end = 0;
  // One message, one input and one result object for every step: processChunk reads each input before asking
  // for the next and keeps none of them (a dead letter copies the message's fields), as for-of reads the result.
  // The message's value is made only when it is read (a dead letter: the processor spreads the message, which
  // reads this own getter).
  private readonly message: SourceMessage;
  private readonly input: { message: SourceMessage; result: DecodedMessage["result"] };
  private readonly step: IteratorResult<DecodedMessage>;

  constructor(
    protected readonly batches: readonly B[],
    private readonly froms: readonly number[],
    private readonly tos: readonly number[],
  ) {
    const lastValue = () => this.lastValue();
    this.message = {
      offset: "",
      key: null,
      get value() {
        return lastValue();
      },
    };
    this.input = { message: this.message, result: NO_RESULT };
    this.step = { done: false, value: this.input };
  }

  next(): IteratorResult<DecodedMessage> {
    // ranges are never empty (PendingRanges.take)
    if (this.i >= this.end) {
      if (this.b + 1 >= this.batches.length) return DONE;
      this.b++;
      this.i = this.froms[this.b];
      this.end = this.tos[this.b];
      this.enterRange(this.batches[this.b], this.i);
    }
    const batch = this.batches[this.b];
    const i = this.i++;
    this.message.offset = String(batch.lineNumbers[i]);
    this.input.result = this.decode(batch, i);
    return this.step;
  }

  protected abstract decode(batch: B, i: number): DecodedMessage["result"];
  /** the bytes of the line last decoded */
  protected abstract lastValue(): Uint8Array;
  protected enterRange(_batch: B, _from: number): void {}
}

/** Lines decoded where they lie in the read buffer; a view of a line's bytes is made only when it is read. */
class PendingLinesCursor extends PendingCursor<RawLineBatch> {
  constructor(
    batches: readonly RawLineBatch[],
    froms: readonly number[],
    tos: readonly number[],
    private readonly decodeContext: DecodeContext,
  ) {
    super(batches, froms, tos);
  }

  protected decode(batch: RawLineBatch, i: number): DecodedMessage["result"] {
    return decodePredictionMessageIn(batch.buffer, batch.starts[i], batch.ends[i], this.decodeContext);
  }

  protected lastValue(): Uint8Array {
    return lineBytes(this.batches[this.b], this.i - 1);
  }
}

/** Lines the decoding thread decoded: each line's result unpacked in order. */
class PendingPacksCursor extends PendingCursor<DecodedPack> {
  constructor(
    batches: readonly DecodedPack[],
    froms: readonly number[],
    tos: readonly number[],
    private readonly unpacker: PredictionUnpacker,
  ) {
    super(batches, froms, tos);
  }

  // a pack's lines are unpacked in order: its first range starts at its first line
  protected override enterRange(pack: DecodedPack, from: number): void {
    if (from === 0) this.unpacker.load(pack.packed);
  }

  protected decode(): DecodedMessage["result"] {
    return this.unpacker.next();
  }

  protected lastValue(): Uint8Array {
    return this.unpacker.lastRejectedValue;
  }
}

/** Lines applied per processor step (and per write to the in-memory store). */
const REPLAY_CHUNK_LINES = 16384;
/**
 * With the decoding thread, the lines decoded here first: the thread starts (~0.1 s) and its decoder warms up
 * meanwhile, and then runs ahead (started on the first line, this thread waited ~0.4 s at the start).
 */
const THREAD_HEAD_LINES = 2 * REPLAY_CHUNK_LINES;

/**
 * The input size from which replay decodes on a second thread by default: below it the thread's start and the
 * contention for the second core (V8 compiles and collects garbage there) cost about what the thread saves
 * (measured: no gain on 42 MB, 17–26 % less wall time on 141 MB; deploy/docs/measurements.md).
 */
const DECODE_THREAD_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Whether replay decodes `input` on a second thread: for a file of DECODE_THREAD_MIN_BYTES or more when there is
 * a second core for it, unless DRIFT_DETECTOR_DECODE_THREAD says otherwise ("0" never, "1" for any file; the
 * benchmark compares both).
 */
export function decodeThreadWanted(setting: string | undefined, input: string): boolean {
  if (setting === "0" || setting === "1") return setting === "1";
  if (setting !== undefined && setting !== "") {
    const issue = `DRIFT_DETECTOR_DECODE_THREAD must be 0 or 1, not ${JSON.stringify(setting)}`;
    throw new ConfigError(`environment: ${issue}`, { source: "environment", issues: [issue] });
  }
  if (availableParallelism() < 2 || input === "-") return false;
  try {
    return statSync(input).size >= DECODE_THREAD_MIN_BYTES;
  } catch {
    return false; // replay itself says what is wrong with the file
  }
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const references = opts.references;
  // The service's processor over the in-memory store: partition 0 of a one-off group and topic.
  const store = new InMemoryStateStore();
  const states = new PartitionStates(store, "replay", "replay", opts.config.limits);
  const slot = await states.load(0);
  if (opts.outcomes === "-" && opts.input === "-") throw new InputFileError("--input and --outcomes cannot both be stdin", { input: "-" });
  const engine = engineContextFrom(
    opts.config,
    () => slot.state.maxEventTime,
    references && ((m, v) => references.get(`${m}\u0000${v}`)),
    // predictions wait for outcomes only when there are outcomes to join
    { outcomes: opts.outcomes !== undefined },
  );
  const settings = processorSettings({
    sourceTopic: opts.input,
    outcomesSourceTopic: opts.outcomes,
    topics: opts.config.kafka.topics,
    maxDeadLetterValueBytes: 1024,
    engine,
  });
  // the writer schemas of Avro container inputs, under the ids their records are framed with
  const writerSchemas: WriterSchemas = new Map();
  const decodeContext: DecodeContext = {
    schemaForId: (id: number) => writerSchemas.get(id),
    maxMessageBytes: opts.config.limits.maxMessageBytes,
  };
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
    unmeasuredDependence: [],
    ...(opts.outcomes === undefined
      ? {}
      : { outcomes: { linesRead: 0, accepted: 0, rejected: {}, join: createJoinCounters(), waiting: { predictions: 0, outcomes: 0 } } }),
    elapsedMs: 0,
    eventsPerSecond: 0,
    wallClockMs,
  };

  const decodePrediction = (value: Uint8Array) => decodePredictionMessage(value, decodeContext);
  // Applies one chunk and writes it to the store; at the end of input it also closes the open windows that
  // have at least minEvents events.
  const step = async (messages: Iterable<DecodedInput>, endOfInput: boolean) => {
    // the store is dropped when the replay ends: the models' state is never loaded again, so not encoded
    const chunk = processChunk(slot, messages, settings, { endOfInput, wallClockMs, discardModels: true });
    if (chunk === null) return;
    if (opts.strict && chunk.rejections.length > 0) {
      const first = chunk.rejections[0];
      const line = Number(first.offset) + 1;
      const input = first.source === "outcome" ? (opts.outcomes ?? "") : opts.input;
      throw new InputFileError(`${input}: line ${line}: ${first.reason}: ${first.message}`, { input, line, reason: first.reason });
    }
    await store.commitPartition(slot.ref, chunk.write);
    settle(slot, chunk);
    summary.accepted += chunk.metrics.accepted;
    summary.windowsClosed += chunk.metrics.windows.length;
    for (const w of chunk.metrics.windows) sizes.add(w.modelId, w.window, opts.config.settingsFor(w.modelId).window.maxEvents);
    for (const { modelId, modelVersion, referencePinned: p } of chunk.metrics.windows)
      if (p?.dependenceMeasured === false)
        summary.unmeasuredDependence.push({ modelId, modelVersion, referenceId: p.id, windows: p.windows });
    for (const r of chunk.rejections)
      tallyRejection(r.source === "outcome" ? summary.outcomes!.rejected : summary.rejected, r.reason, Number(r.offset));
    if (summary.outcomes !== undefined) summary.outcomes.accepted += chunk.metrics.outcomesAccepted;
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

  // Takes the batches' lines into chunks of REPLAY_CHUNK_LINES and applies each, the last at the end of input;
  // or stops after `maxLines` lines (a multiple of the chunk size, so chunks stay where they would be): false.
  const applyBatches = async <B extends LineBatch>(
    batches: AsyncIterable<B>,
    pendingLines: () => PendingRanges<B>,
    maxLines = Number.POSITIVE_INFINITY,
  ): Promise<boolean> => {
    let pending = pendingLines();
    let taken = 0;
    for await (const batch of batches) {
      summary.linesRead = batch.lastLine + 1;
      opts.progress?.update(summary.linesRead, batch.bytes);
      let from = 0;
      while (from < batch.lineNumbers.length) {
        if (taken >= maxLines) return false;
        const before = pending.size;
        from = pending.take(batch, from, REPLAY_CHUNK_LINES);
        taken += pending.size - before;
        if (pending.size >= REPLAY_CHUNK_LINES) {
          await step(pending, false);
          pending = pendingLines();
        }
      }
    }
    await step(pending, true);
    return true;
  };
  const readHere = () => readLineBatches(opts.input, opts.stdin, writerSchemas);

  if (opts.outcomes === undefined && opts.decodeThread === true && opts.input !== "-") {
    // Predictions from a file: the first lines decoded here while the decoding thread starts, the rest there
    // while this thread applies them.
    const head = opts.decodeThreadHeadLines ?? THREAD_HEAD_LINES;
    if (head % REPLAY_CHUNK_LINES !== 0) throw new RangeError(`decodeThreadHeadLines ${head} is not a multiple of ${REPLAY_CHUNK_LINES}`);
    const thread = startDecodingThread(opts.input, opts.config.limits.maxMessageBytes, head);
    try {
      if (!(await applyBatches(readHere(), () => new PendingLines(decodeContext), head))) {
        const unpacker = new PredictionUnpacker();
        await applyBatches(thread.packs(), () => new PendingPacks(unpacker));
      }
    } finally {
      await thread.stop();
    }
  } else if (opts.outcomes === undefined) {
    // Predictions only: lines are kept as bytes and decoded while the processor applies them, so each
    // decoded event is garbage as soon as it is applied (decoding a whole chunk first kept 16 384 events
    // alive across collections: a third of replay's time went to the garbage collector).
    await applyBatches(readHere(), () => new PendingLines(decodeContext));
  } else {
    const predictions = decodedLines(opts.input, opts.stdin, decodePrediction, writerSchemas);
    const outcomes = decodedLines(opts.outcomes, opts.stdin, (v) => decodeOutcomeMessage(v, decodeContext), writerSchemas, "outcome");
    const counts = summary.outcomes!;
    let pending: DecodedInput[] = [];
    for await (const { from, item } of mergeByEventTime(predictions, outcomes)) {
      if (from === "first") {
        summary.linesRead = item.lastLine + 1;
        opts.progress?.update(summary.linesRead, item.bytes);
        pending.push({ message: { offset: String(item.line), key: null, value: item.value }, result: item.result });
      } else {
        counts.linesRead = item.lastLine + 1;
        pending.push({ source: "outcome", message: { offset: String(item.line), key: null, value: item.value }, result: item.result });
      }
      if (pending.length >= REPLAY_CHUNK_LINES) {
        await step(pending, false);
        pending = [];
      }
    }
    await step(pending, true);
  }
  summary.late = slot.state.counters.late;
  if (summary.outcomes !== undefined) {
    for (const model of slot.state.models.values()) {
      const join = model.outcomes?.join;
      if (join === undefined) continue;
      for (const k of Object.keys(summary.outcomes.join) as (keyof JoinCounters)[]) summary.outcomes.join[k] += join.counters[k];
      summary.outcomes.waiting.predictions += join.pending.size;
      summary.outcomes.waiting.outcomes += join.early.size;
    }
  }
  summary.windowSizes = sizes.all();
  summary.elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  summary.eventsPerSecond = summary.elapsedMs > 0 ? Math.round((summary.accepted / summary.elapsedMs) * 1000) : 0;
  return summary;
}

/** A share of late events above this says the input is out of event-time order (concatenated partitions, unsorted exports). */
const LATE_SHARE_WARNED = 0.01;

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
    s.accepted > 0 && s.late / s.accepted > LATE_SHARE_WARNED
      ? `replay: warning: ${s.late} of ${s.accepted} events (${Math.round((100 * s.late) / s.accepted)} %) were late (older than the ` +
        "largest event time read minus window.allowedLatenessMs): replay takes events in the order of the input, so history out of " +
        "event-time order lands in the wrong windows; sort it by timestamp (jq -s -c 'sort_by(.timestamp)[]') or raise allowedLatenessMs"
      : "",
    ...(s.outcomes === undefined ? [] : formatOutcomeSummary(s.outcomes)),
    `replay: ${s.windowsClosed} windows closed, ${s.driftEvents} drift events, ${s.retrainRequests} retrain requests`,
    ...s.windowSizes.flatMap(formatWindowSizes),
    ...s.unmeasuredDependence.map(
      (u) =>
        `replay: warning: the reference of ${u.modelId}@${u.modelVersion} (${u.referenceId}) was captured from ${u.windows} ` +
        `window${u.windows === 1 ? "" : "s"}, too few to measure dependence (at least ${MIN_DEPENDENCE_WINDOWS}): every dependence ` +
        `factor is 1, so its tests assume independent events; raise baseline.warmupWindows or referenceDurationMs`,
    ),
    `replay: ${(s.elapsedMs / 1000).toFixed(2)} s, ${s.eventsPerSecond} events/s`,
  ]
    .filter((l) => l !== "")
    .join("\n");
}

function formatOutcomeSummary(o: NonNullable<ReplaySummary["outcomes"]>): string[] {
  const rejectedCount = Object.values(o.rejected).reduce((n, r) => n + r.count, 0);
  const j = o.join;
  return [
    `replay: outcomes: ${o.linesRead} lines read, ${o.accepted} applied, ${rejectedCount} rejected`,
    ...Object.entries(o.rejected).map(
      ([reason, r]) => `  outcomes rejected ${reason}: ${r.count} (first lines: ${r.firstLines.join(", ")})`,
    ),
    `replay: join: ${j.matched} matched, ${j.duplicateOutcomes} duplicate outcomes, ${j.tooLate} too late, ${j.expired} predictions expired, ` +
      `${j.unknown} outcomes without prediction, ${j.unconfirmedJumps} unconfirmed forward jumps; waiting at the end: ${o.waiting.predictions} predictions, ${o.waiting.outcomes} outcomes`,
  ];
}

/** One line per model with the window sizes used, and a warning when they close by time far below maxEvents. */
export function formatWindowSizes(m: ModelWindowSizes): string[] {
  const events = `events median ${Math.round(m.events.median)} (range ${m.events.min}\u2013${m.events.max})`;
  const d = m.durationMs;
  const duration = `duration median ${formatDuration(d.median)} (range ${formatDuration(d.min)}\u2013${formatDuration(d.max)})`;
  const lines = [`replay: ${m.modelId}: ${m.windows} windows, ${events}, ${duration}`];
  if (looksLikeEpochSeconds(m)) {
    const first = new Date(m.eventTimeMs.first).toISOString();
    lines.push(
      `replay: warning: event times of ${m.modelId} are in 1970 (from ${first}): timestamp is epoch milliseconds, ` +
        `and these look like epoch seconds (send them × 1000)`,
    );
  }
  if (closesFarBelowMaxEvents(m))
    lines.push(
      `replay: warning: windows of ${m.modelId} close by time with a median of ${Math.round(m.events.median)} events ` +
        `(maxEvents ${m.maxEvents}): set window.maxDurationMs higher or maxEvents lower`,
    );
  return lines;
}
