// The partition processor: the pure step of the data path, shared by the service and `replay`.
// Decoded messages of one partition go in — predictions in offset order, and outcomes of the co-partitioned
// outcomes topic's partition with the same number in theirs (the service feeds one topic per chunk, replay
// interleaves both in event-time order); out come the write set (state of the models that changed + both
// topics' new offsets + the outbox: outputs and dead letters, to be persisted in ONE atomic write, so the
// join is exactly-once like the windows), the closed windows and the metric deltas. No I/O: the runtime (partition-runtime.ts) feeds it
// from Kafka and persists what it returns; replay feeds it from a file over the in-memory store.
//
// The processor mutates the slot's engine state in place (for speed). After a successful write the
// runtime calls `settle`; after any failure it drops the slot and reloads it from the store.
import {
  applyPrediction,
  flushOpenWindows,
  isRejected,
  type EngineContext,
  type EngineOutput,
  type PartitionState,
  type WindowClosed,
} from "../detect/engine.ts";
import type { JoinCounters } from "../outcomes/join.ts";
import type { PerformanceWindowClosed } from "../outcomes/tracker.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { MessageHeaders, SchemaKey } from "../events/confluent-framing.ts";
import type { OutcomeEvent, PredictionEvent } from "../events/types.ts";
import { applyOutcome, flushPerformance, isOutcomeRejected } from "../detect/outcome-engine.ts";
import { deadLetterEntry } from "../kafka/dead-letter.ts";
import { decodeControlRecord, type ControlRecord } from "../events/control-record.ts";
import { applyReferenceCommand } from "../detect/reference-commands.ts";
import { baselineOutboxEntry, driftOutboxEntry, retrainOutboxEntry } from "../kafka/output-entries.ts";
import { encodeColdChange, encodeModelHot, encodePartitionMeta } from "../state/engine-state-codec.ts";
import { encodeModelOutcomes } from "../state/outcome-state-codec.ts";
import { joinEntryChanges } from "../state/join-entry-codec.ts";
import { clearJoinChanges } from "../outcomes/join.ts";
import { StaleStateError, type ModelWrite, type OutboxEntry, type PartitionWrite } from "../state/port.ts";
import type { ClosedWindow } from "../windows/window.ts";
import type { PartitionSlot } from "./partition-states.ts";
import { fenceConflict, type StateLoss } from "./state-loss.ts";

/** One input message as the processor needs it (a kafkajs KafkaMessage fits). */
export interface SourceMessage {
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** producer timestamp, ms as a decimal string */
  timestamp?: string;
  /** Kafka headers; `drift-detector-control` (events/control-record.ts) and `__value_schema_id` (confluent-framing.ts) are read */
  headers?: MessageHeaders;
}

/** A valid control record (events/control-record.ts), applied in offset order like an event. */
export interface ControlDecoded {
  ok: true;
  control: ControlRecord;
}

/** A message marked as a control record: the record, or a rejection (dead-lettered as invalid_control). */
export function controlResult(value: Uint8Array | null): DecodedMessage["result"] {
  const decoded = decodeControlRecord(value);
  return decoded.ok ? { ok: true, control: decoded.control } : { ok: false, reason: "invalid_control", message: decoded.message };
}

export interface DecodedMessage {
  source?: "prediction";
  message: SourceMessage;
  result: DecodeResult<PredictionEvent> | ControlDecoded;
}

/** A message of the outcomes topic; its offset is of that topic. */
export interface DecodedOutcomeMessage {
  source: "outcome";
  message: SourceMessage;
  result: DecodeResult<OutcomeEvent>;
}

export type DecodedInput = DecodedMessage | DecodedOutcomeMessage;

export interface ProcessorSettings {
  /** the input topic (dead letters name it as their source) */
  sourceTopic: string;
  /** the outcomes topic (dead letters of outcomes name it); default topics.outcomes */
  outcomesSourceTopic?: string;
  topics: { drift: string; retrain: string; deadLetter: string; baseline: string; outcomes?: string };
  /** dead-letter values above this are truncated */
  maxDeadLetterValueBytes: number;
  engine: EngineContext;
}

/**
 * The settings copied into a class instance: built once per run as a literal, they would widen their fields'
 * types when built again and throw away the compiled message loop (why: src/detect/outputs.ts).
 */
export function processorSettings(settings: ProcessorSettings): ProcessorSettings {
  return new CopiedProcessorSettings(settings);
}

class CopiedProcessorSettings implements ProcessorSettings {
  readonly sourceTopic: string;
  readonly outcomesSourceTopic: string | undefined;
  readonly topics: ProcessorSettings["topics"];
  readonly maxDeadLetterValueBytes: number;
  readonly engine: EngineContext;

  constructor(settings: ProcessorSettings) {
    this.sourceTopic = settings.sourceTopic;
    this.outcomesSourceTopic = settings.outcomesSourceTopic;
    this.topics = settings.topics;
    this.maxDeadLetterValueBytes = settings.maxDeadLetterValueBytes;
    this.engine = settings.engine;
  }
}

/** What the metrics count for one chunk; applied by the runtime once the chunk is committed. */
export interface MetricsDelta {
  accepted: number;
  /** dead letters by reason */
  rejected: Map<string, number>;
  /** outcomes applied (joined, buffered or counted by the join) */
  outcomesAccepted: number;
  /** dead letters of the outcomes topic by reason */
  outcomesRejected: Map<string, number>;
  lateByModel: Map<string, number>;
  /** unconfigured models evicted (longest idle) to admit new ones over limits.maxModels, in order */
  evictedModels: string[];
  windows: WindowClosed[];
  /** control records reached, in order; `applied` false when the partition has no state of the model version */
  controls: { control: ControlRecord; applied: boolean }[];
  /** closed performance windows of joined outcomes (issue 11) */
  performance: PerformanceWindowClosed[];
  /** per model whose outcome state changed: how far this chunk's live messages moved its join counters, and what waits */
  joins: JoinReading[];
}

export interface JoinReading {
  model: string;
  /** counter growth from this chunk's live messages only (not replayed ones), zero entries omitted */
  grew: Partial<JoinCounters>;
  waiting: { predictions: number; outcomes: number };
}

/** What waits in the join of each of `models` that has outcome state (metrics: drift_outcome_join_waiting). */
export function joinWaiting(state: PartitionState, models: Iterable<string>): { model: string; predictions: number; outcomes: number }[] {
  const out: { model: string; predictions: number; outcomes: number }[] = [];
  for (const id of models) {
    const join = state.models.get(id)?.outcomes?.join;
    if (join !== undefined) out.push({ model: id, predictions: join.pending.size, outcomes: join.early.size });
  }
  return out;
}

/**
 * Join counter growth per model, summed over the messages it is told about. Counted from the counters
 * before and after each message rather than by diffing cumulative counters across chunks in the metrics:
 * a model whose outcome state this chunk creates, a partition loaded after another replica moved its
 * counters, and messages replayed during a rebuild are then all counted right (once, by the replica that
 * applied them live).
 */
class JoinGrowth {
  private readonly grew = new Map<string, Partial<JoinCounters>>();
  private before: { model: string; counters: JoinCounters | undefined } | undefined;

  start(state: PartitionState, model: string): void {
    const counters = state.models.get(model)?.outcomes?.join.counters;
    this.before = { model, counters: counters === undefined ? undefined : { ...counters } };
  }

  end(state: PartitionState): void {
    const before = this.before;
    this.before = undefined;
    const after = before === undefined ? undefined : state.models.get(before.model)?.outcomes?.join.counters;
    if (before === undefined || after === undefined) return;
    let sum = this.grew.get(before.model);
    for (const key of Object.keys(after) as (keyof JoinCounters)[]) {
      const d = after[key] - (before.counters?.[key] ?? 0);
      if (d <= 0) continue;
      if (sum === undefined) this.grew.set(before.model, (sum = {}));
      sum[key] = (sum[key] ?? 0) + d;
    }
  }

  readings(state: PartitionState): JoinReading[] {
    return joinWaiting(state, state.dirtyOutcomes).map(({ model, predictions, outcomes }) => ({
      model,
      grew: this.grew.get(model) ?? {},
      waiting: { predictions, outcomes },
    }));
  }
}

/** A message that became a dead letter, in input order (replay reports these by line). */
export interface Rejection {
  /** absent: a prediction */
  source?: "outcome";
  offset: string;
  reason: string;
  message: string;
}

/** Records of a source topic through `offset` that carry no events (transaction markers, aborted records). */
export interface PassedThrough {
  source: "prediction" | "outcome";
  offset: string;
}

export interface ProcessedChunk {
  /** offset of the last prediction applied (this chunk's, else the stored one) */
  lastOffset: string | null;
  /** offset of the last outcome applied (this chunk's, else the stored one) */
  lastOutcomeOffset: string | null;
  /** state, offset and outbox (outputs and dead letters in input order), fenced by the slot's stored offset */
  write: PartitionWrite;
  /** per model written cold, its stored parts once the write landed */
  storedParts: Map<string, Map<string, ClosedWindow>>;
  rejections: Rejection[];
  metrics: MetricsDelta;
  /**
   * Outputs and dead letters of replayed messages (offset ≤ options.replayedThrough): derived again while
   * lost state is rebuilt, published before the loss, so not in the outbox. The runtime re-takes the
   * cooldown locks of the retrain requests among them.
   */
  replayed: OutboxEntry[];
}

const emptyDelta = (): MetricsDelta => ({
  accepted: 0,
  rejected: new Map(),
  outcomesAccepted: 0,
  outcomesRejected: new Map(),
  lateByModel: new Map(),
  evictedModels: [],
  windows: [],
  controls: [],
  performance: [],
  joins: [],
});
const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * Where one chunk's outbox entries, dead letters and metric counts go: the live side, or (while lost state
 * is rebuilt) the replayed side. A class rather than closures made per chunk, so every chunk calls the same
 * functions: a fresh closure was a new call target each chunk, and that deoptimised the processor.
 */
class ChunkSink {
  readonly outbox: OutboxEntry[];
  readonly replayed: OutboxEntry[];
  readonly rejections: Rejection[];
  readonly live: MetricsDelta;
  private readonly ignored: MetricsDelta;
  private readonly settings: ProcessorSettings;
  private readonly partition: number;
  metrics: MetricsDelta;
  private entries: OutboxEntry[];
  /** offsets of the last prediction and outcome applied (null: none in this chunk) */
  lastOffset: string | null;
  lastOutcomeOffset: string | null;
  readonly joinGrowth: JoinGrowth;

  constructor(settings: ProcessorSettings, partition: number) {
    this.outbox = [];
    this.replayed = [];
    this.rejections = [];
    this.live = emptyDelta();
    this.ignored = emptyDelta();
    this.settings = settings;
    this.partition = partition;
    this.metrics = this.live;
    this.entries = this.outbox;
    this.lastOffset = null;
    this.lastOutcomeOffset = null;
    this.joinGrowth = new JoinGrowth();
  }

  useLive(): void {
    this.metrics = this.live;
    this.entries = this.outbox;
  }

  /** replayed: published and counted before the loss */
  use(replay: boolean): void {
    this.metrics = replay ? this.ignored : this.live;
    this.entries = replay ? this.replayed : this.outbox;
  }

  reject(input: DecodedInput, reason: string, text: string, field?: string, schemaId?: SchemaKey): void {
    const settings = this.settings;
    const outcome = input.source === "outcome";
    const topic = outcome ? (settings.outcomesSourceTopic ?? settings.topics.outcomes ?? "outcomes") : settings.sourceTopic;
    const source = { topic, partition: this.partition, ...input.message };
    this.add(
      deadLetterEntry(settings.topics.deadLetter, source, { reason, message: text, field, schemaId }, settings.maxDeadLetterValueBytes),
    );
    this.rejections.push(
      outcome
        ? { source: "outcome", offset: input.message.offset, reason, message: text }
        : { offset: input.message.offset, reason, message: text },
    );
    increment(outcome ? this.metrics.outcomesRejected : this.metrics.rejected, reason);
  }

  emit(outputs: readonly EngineOutput[]): void {
    const metrics = this.metrics;
    const topics = this.settings.topics;
    for (const output of outputs) {
      // an indexed store, not push: the first window of a chunk goes into an empty array still of small-integer
      // kind, which push's optimised code checks the value against (a deoptimisation of the whole processor)
      if (output.kind === "window") metrics.windows[metrics.windows.length] = output;
      else if (output.kind === "performance") metrics.performance.push(output);
      else if (output.kind === "drift") this.add(driftOutboxEntry(topics.drift, output.event));
      else if (output.kind === "retrain") this.add(retrainOutboxEntry(topics.retrain, output.request));
    }
  }

  /**
   * One store for every outbox entry, indexed rather than push (as windows above): a chunk's first entry goes
   * into an empty array still of small-integer kind, and push's optimised code, compiled after it saw only
   * arrays of objects there, deoptimised the processor at the first drift event of a later chunk.
   */
  private add(entry: OutboxEntry): void {
    this.entries[this.entries.length] = entry;
  }
}

/**
 * An offset (a decimal string: Kafka offsets, replay line numbers) as a value to order by: a Number while
 * exact (up to 15 digits), a bigint beyond; the two compare exactly with each other. Parsing a bigint per
 * message cost more than the rest of the processor's own per-message work.
 */
function offsetValue(offset: string): number | bigint {
  return offset.length <= 15 ? Number(offset) : BigInt(offset);
}

/** A stored offset as the fence below which messages were applied before (-1: none). */
function fenceValue(offset: string | null): number | bigint {
  return offset === null ? -1 : offsetValue(offset);
}

/**
 * Applies one chunk to the slot's state. Messages at or below the slot's stored offset were applied
 * before (a crash or rebalance redelivered them) and are skipped; null when nothing is left to apply.
 * `wallClockMs` is the wall clock for this chunk: the future bound on event time (windows/event-time.ts) is
 * measured against it, and its verdicts are persisted with the chunk. `endOfInput` (replay) also closes
 * the open windows that have at least minEvents events. `replayedThrough` (rebuilding lost state,
 * state-loss.ts): messages up to this offset are applied, but their outputs and dead letters were published
 * before the loss and their counts counted, so they go to `replayed` and into no metric. `discardModels`
 * (replay, whose in-memory store is dropped at the end and never loaded again): the write carries the
 * offsets, the partition's meta and the outbox but not the models' state — encoding it was a tenth of
 * replay's own work per event; everything the engine decides is the same either way. `passedThrough` (a
 * Kafka batch that ends in records no reader sees: transaction markers, aborted records; with its last
 * chunk, or alone when the batch holds only such records): the offset stored for that topic, when later than
 * what the chunk and the store reached.
 */
export function processChunk(
  slot: PartitionSlot,
  messages: Iterable<DecodedInput>,
  settings: ProcessorSettings,
  options: {
    wallClockMs: number;
    endOfInput?: boolean;
    replayedThrough?: string | null;
    discardModels?: boolean;
    passedThrough?: PassedThrough;
  },
): ProcessedChunk | null {
  const state = slot.state;
  const sink = new ChunkSink(settings, state.partition);
  const fences = {
    stored: fenceValue(slot.storedOffset),
    storedOutcome: fenceValue(slot.storedOutcomeOffset),
    replayedThrough: fenceValue(options.replayedThrough ?? null),
  };
  // without outcomes the engine keeps no outcome state, so a prediction cannot move a join counter
  const predictionsJoin = settings.engine.outcomes === true;
  applyMessages(state, messages[Symbol.iterator](), settings, options.wallClockMs, predictionsJoin, fences, sink);
  const { outbox, replayed, rejections, live } = sink;
  let { lastOffset, lastOutcomeOffset } = sink;
  const passed = options.passedThrough;
  if (passed !== undefined) {
    // the source's records after this chunk's last message through passed.offset carry no events (transaction
    // markers, aborted records): stored as passed, so Kafka's offset can be committed past them too
    if (passed.source === "outcome") {
      const reached = lastOutcomeOffset ?? slot.storedOutcomeOffset;
      if (reached === null || offsetValue(passed.offset) > offsetValue(reached)) lastOutcomeOffset = passed.offset;
    } else {
      const reached = lastOffset ?? slot.storedOffset;
      if (reached === null || offsetValue(passed.offset) > offsetValue(reached)) lastOffset = passed.offset;
    }
  }
  if (options.endOfInput === true) {
    sink.useLive();
    sink.emit(flushOpenWindows(state, settings.engine));
    if (settings.engine.outcomes === true) sink.emit(flushPerformance(state, settings.engine));
  } else if (lastOffset === null && lastOutcomeOffset === null) return null; // everything was applied before
  lastOffset ??= slot.storedOffset;
  lastOutcomeOffset ??= slot.storedOutcomeOffset;
  if (lastOffset === null && lastOutcomeOffset === null) return null; // the end of an empty input
  live.joins = sink.joinGrowth.readings(state);

  const { models, storedParts } = options.discardModels === true ? { models: new Map(), storedParts: new Map() } : changedModels(slot);
  const write: PartitionWrite = {
    expectedOffset: slot.storedOffset,
    offset: lastOffset,
    expectedOutcomeOffset: slot.storedOutcomeOffset,
    outcomeOffset: lastOutcomeOffset,
    meta: encodePartitionMeta(state),
    models,
    outbox,
  };
  return { lastOffset, lastOutcomeOffset, write, storedParts, rejections, metrics: live, replayed };
}

/**
 * The message loop of processChunk, a function of its own with all of its code inside the loop: V8 compiles
 * a long loop (on-stack replacement, then the whole function) during the function's first call, before code
 * outside the loop ran with type feedback, and such code then deoptimised the compiled loop — code after
 * the loop at the end of every chunk, code before it at the next chunk.
 */
function applyMessages(
  state: PartitionState,
  messages: Iterator<DecodedInput>,
  settings: ProcessorSettings,
  wallClockMs: number,
  predictionsJoin: boolean,
  fences: { stored: number | bigint; storedOutcome: number | bigint; replayedThrough: number | bigint },
  sink: ChunkSink,
): void {
  for (;;) {
    const step = messages.next();
    if (step.done === true) return;
    const input = step.value;
    const { message } = input;
    if (input.source === "outcome") {
      sink.useLive();
      // outcomes at or below the stored outcome offset were applied before: skipped, like predictions
      if (offsetValue(message.offset) <= fences.storedOutcome) continue;
      sink.lastOutcomeOffset = message.offset;
      const result = input.result;
      if (!result.ok) {
        sink.reject(input, result.reason, result.message, result.field, result.schemaId);
        continue;
      }
      sink.joinGrowth.start(state, result.event.modelId);
      const applied = applyOutcome(state, result.event, message.offset, settings.engine, wallClockMs);
      sink.joinGrowth.end(state);
      if (isOutcomeRejected(applied)) {
        sink.reject(input, applied.outcome, applied.message);
        continue;
      }
      sink.metrics.outcomesAccepted++;
      sink.emit(applied.outputs);
      continue;
    }
    const offset = offsetValue(message.offset);
    if (offset <= fences.stored) continue;
    sink.lastOffset = message.offset;
    // replayed while lost state is rebuilt: published and counted before the loss
    const replay = offset <= fences.replayedThrough;
    sink.use(replay);
    const result = input.result;
    if (!result.ok) {
      sink.reject(input, result.reason, result.message, result.field, result.schemaId);
      continue;
    }
    if ("control" in result) {
      const changed = applyReferenceCommand(state, result.control, settings.engine);
      if (changed !== null) sink.outbox.push(baselineOutboxEntry(settings.topics.baseline, changed));
      sink.metrics.controls.push({ control: result.control, applied: changed !== null });
      continue;
    }
    const event = result.event;
    const joins = predictionsJoin && !replay;
    if (joins) sink.joinGrowth.start(state, event.modelId);
    const applied = applyPrediction(state, event, message.offset, settings.engine, wallClockMs);
    if (joins) sink.joinGrowth.end(state);
    if (isRejected(applied)) {
      sink.reject(input, applied.outcome, applied.message);
      continue;
    }
    const metrics = sink.metrics;
    metrics.accepted++;
    if (applied.evicted !== undefined) metrics.evictedModels.push(applied.evicted);
    if (applied.outcome === "late") increment(metrics.lateByModel, event.modelId);
    if (applied.outputs.length > 0) sink.emit(applied.outputs); // most events close no window
  }
}

/** The encoded state of every model the engine marked dirty since the last write. */
function changedModels(slot: PartitionSlot): { models: Map<string, ModelWrite>; storedParts: Map<string, Map<string, ClosedWindow>> } {
  const state = slot.state;
  const models = new Map<string, ModelWrite>();
  const storedParts = new Map<string, Map<string, ClosedWindow>>();
  for (const id of state.evicted) {
    if (state.models.has(id)) continue; // evicted and admitted again: written afresh below
    // everything the store holds of an evicted model goes, so junk model ids cannot fill Redis
    models.set(id, { remove: true, deleteParts: [...(slot.storedParts.get(id)?.keys() ?? [])] });
  }
  for (const id of new Set([...state.dirtyHot, ...state.dirtyCold, ...state.dirtyOutcomes])) {
    const model = state.models.get(id);
    if (model === undefined) continue;
    const readmitted = state.evicted.has(id);
    // a re-admitted model starts afresh: everything stored of the evicted one goes first (its outcome join too)
    const change: ModelWrite = readmitted ? { remove: true } : {};
    if (state.dirtyOutcomes.has(id) && model.outcomes !== undefined) {
      // the join's entries changed since the last write, not all of them (issue 11)
      change.outcomes = encodeModelOutcomes(model.outcomes);
      change.join = joinEntryChanges(model.outcomes.join);
    }
    if (state.dirtyHot.has(id)) change.hot = encodeModelHot(model);
    if (state.dirtyCold.has(id)) {
      // only the windows closed since the last write; the record refers to the others by key
      const stored = slot.storedParts.get(id);
      const cold = encodeColdChange(model, readmitted ? undefined : stored);
      change.cold = cold.cold;
      change.putParts = cold.putParts;
      // a re-admitted model starts afresh: the evicted one's parts go unless a new part took the key
      change.deleteParts = readmitted ? [...(stored?.keys() ?? [])].filter((k) => !cold.putParts.has(k)) : cold.deleteParts;
      storedParts.set(id, cold.parts);
    }
    models.set(id, change);
  }
  return { models, storedParts };
}

/**
 * How a commitPartition that failed after `attempts` tries ended:
 * - "committed": a retry met its own offset stored — the first attempt landed and only its reply was lost;
 * - "stale": the fence failed because another replica wrote past this one's offset: it owns the partition now;
 * - a StateLoss: the fence failed because Redis holds less than this writer loaded or wrote (state-loss.ts);
 * - "failed": anything else (not a fence error), to be handled as an error.
 */
export function commitFailureOutcome(
  error: unknown,
  attempts: number,
  write: PartitionWrite,
): "committed" | "stale" | "failed" | StateLoss {
  if (!(error instanceof StaleStateError)) return "failed";
  const { storedOffset, storedOutcomeOffset } = error.context;
  const own = storedOffset === write.offset && storedOutcomeOffset === (write.outcomeOffset ?? null);
  if (attempts > 1 && own) return "committed";
  const predictions = fenceConflict(write.expectedOffset, storedOffset);
  if (predictions !== "moved") return predictions;
  if (storedOffset !== write.expectedOffset) return "stale"; // another writer moved the predictions offset on
  // the predictions offset is as loaded: the outcomes offset tells
  const outcomes = fenceConflict(write.expectedOutcomeOffset ?? null, storedOutcomeOffset);
  if (outcomes === "moved") return "stale";
  return { cause: outcomes.cause, storedOffset, reachedOffset: write.expectedOffset ?? "-1" };
}

/**
 * The write that forgets how far a source's log was applied, keeping every model's state: its log was
 * replaced (state-loss.ts replacedLog), so its records, whatever their offsets, were never applied.
 */
export function forgetSourceOffset(slot: PartitionSlot, source: PassedThrough["source"]): ProcessedChunk {
  const lastOffset = source === "prediction" ? null : slot.storedOffset;
  const lastOutcomeOffset = source === "outcome" ? null : slot.storedOutcomeOffset;
  const write: PartitionWrite = {
    expectedOffset: slot.storedOffset,
    offset: lastOffset,
    expectedOutcomeOffset: slot.storedOutcomeOffset,
    outcomeOffset: lastOutcomeOffset,
    meta: encodePartitionMeta(slot.state),
    models: new Map(),
    outbox: [],
  };
  return { lastOffset, lastOutcomeOffset, write, storedParts: new Map(), rejections: [], metrics: emptyDelta(), replayed: [] };
}

/** Records a landed write in the slot: its offset is the new fence, its models are clean. */
export function settle(slot: PartitionSlot, chunk: ProcessedChunk): void {
  slot.storedOffset = chunk.lastOffset;
  slot.storedOutcomeOffset = chunk.lastOutcomeOffset;
  for (const id of slot.state.evicted) slot.storedParts.delete(id);
  for (const [id, parts] of chunk.storedParts) slot.storedParts.set(id, parts);
  for (const id of slot.state.dirtyOutcomes) {
    const join = slot.state.models.get(id)?.outcomes?.join;
    if (join !== undefined) clearJoinChanges(join);
  }
  slot.state.dirtyHot.clear();
  slot.state.dirtyCold.clear();
  slot.state.dirtyOutcomes.clear();
  slot.state.evicted.clear();
}
