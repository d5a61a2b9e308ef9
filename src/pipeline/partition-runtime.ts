// The data path of the service for one batch of one partition, in order:
//
//   (a batch is of the predictions topic or of the outcomes topic; partition p of both feeds the same
//   state, so batches of one partition number run one after the other, never at the same time)
//   load the partition's state from the store (once per assignment); compare its offset with Kafka's
//   committed one (Redis lost state it acknowledged? then rebuild it from Kafka) and drain an outbox left over
//   for each chunk of `chunkSize` messages:
//     → decode: Confluent Avro (writer schema from the registry, fetched on unknown ids) or JSON; validate
//       (PredictionEvent or OutcomeEvent by topic)
//     → prefetch imported reference baselines of model versions the engine has not seen yet
//     → processChunk (pure, partition-processor.ts): apply to the engine, skipping offsets ≤ the stored
//       offset; out comes the write set: state + offset + outbox (outputs and dead letters)
//     → persist it in ONE atomic commitPartition (state + both topics' offsets + outbox), fenced by the
//       offsets loaded or last written
//     → metrics of what was committed
//     → drain the outbox to Kafka and ack it
//   commit the Kafka offset of the batch's last persisted chunk
//
// Delivery guarantees (design §4 "Delivery"):
// - A replica that lost the partition finds the fence moved (StaleStateError) and drops its copy instead of
//   overwriting the new owner's state; a retry that finds its own offset stored had only lost the reply.
// - Redis losing the state (the fence went back or vanished, or Kafka's committed offset is past what Redis
//   holds) is an incident, not a move (state-loss.ts): error log, drift_state_lost_total, not ready; the
//   consumer seeks back and the deterministic engine rebuilds the state from the retained history. Outputs
//   of offsets that were published before the loss are derived again but not published again.
// - The Kafka offset is committed only after Redis has the state. Kafka's committed offset may lag Redis'
//   (crash in between): the redelivered events are at or below the stored offset and are skipped, so no
//   event is counted twice and none is lost.
// - Outputs and dead letters are published from the outbox by an idempotent producer: at-least-once on
//   the wire, exactly-once as identified by their deterministic ids (headers `event-id`, `request-id`,
//   `dlq-id`).
// - Outages (Redis, broker, registry) pause the partition and retry with exponential backoff while
//   heartbeating; nothing is committed that was not applied. An exception after the engine mutated the
//   in-memory state drops that state; it is reloaded from the store, the only source of truth.
//
// Nothing here imports kafkajs: the consumer is an interface, so unit tests drive this with a fake one.
import type { Baseline } from "../baseline/baseline.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { MessageHeaders, SchemaKey } from "../events/confluent-framing.ts";
import type { OutcomeEvent, PredictionEvent } from "../events/types.ts";
import { OutboxBacklog } from "../kafka/outbox-backlog.ts";
import type { DependencyName } from "../metrics/detector-metrics.ts";
import type { DependencyHealth } from "./dependency-health.ts";
import type { Logger } from "../logging/logger.ts";
import type { DetectorMetrics } from "../metrics/detector-metrics.ts";
import { decodeBaseline } from "../state/engine-state-codec.ts";
import type { OutboxEntry, PartitionRef, StateStore } from "../state/port.ts";
import { ProcessingAbortedError, retryWithBackoff, type BackoffPolicy, type RetryControl } from "./backoff.ts";
import { isOutage, outageOperation } from "./outage.ts";
import { closesFarBelowMaxEvents, looksLikeEpochSeconds, WindowSizes } from "../windows/window-sizes.ts";
import {
  commitFailureOutcome,
  controlResult,
  forgetSourceOffset,
  joinWaiting,
  processChunk,
  settle,
  type DecodedInput,
  type DecodedMessage,
  type ProcessedChunk,
  type ProcessorSettings,
  type SourceMessage,
} from "./partition-processor.ts";
import type { PartitionSlot, PartitionStates } from "./partition-states.ts";
import { CONTROL_HEADER } from "../events/control-record.ts";
import type { PartitionPositions } from "../kafka/partition-positions.ts";
import { lossAtLoad, rebuildPlan, replacedLog, type RebuildPlan, type StateLoss } from "./state-loss.ts";
import { MIN_DEPENDENCE_WINDOWS } from "../detect/dependence.ts";

/** One fetched batch of one partition (a kafkajs Batch fits). */
export interface SourceBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: SourceMessage[];
  /**
   * The batch's last offset, with the records `messages` leaves out (a transactional producer's commit and
   * abort markers, aborted records): kafkajs' Batch.lastOffset()
   */
  lastOffset?(): string;
}

/** What the consumer offers while a batch runs (kafkajs eachBatch arguments fit). */
export interface BatchControls {
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
  /**
   * an outage fails the batch at once instead of being retried with heartbeats (a batch of only passed
   * records, whose offsets the next batch covers anyway, and that has no heartbeat of its own to send)
   */
  noRetry?: boolean;
}

/** Decoding with a schema registry behind it: decoding is synchronous, fetching an unknown writer schema is not. */
export interface MessageDecoder {
  /** `headers`: the message's, of which the schema-id header (confluent-framing.ts) may name the schema */
  decode(value: Uint8Array | null, headers?: MessageHeaders): DecodeResult<PredictionEvent>;
  /** the outcomes topic's messages; absent: outcome batches are refused (the service always gives it) */
  decodeOutcome?(value: Uint8Array | null, headers?: MessageHeaders): DecodeResult<OutcomeEvent>;
  /** false when the registry is known not to have this id or GUID (it is not asked again for a while) */
  canFetch(schemaId: SchemaKey): boolean;
  fetch(schemaId: SchemaKey): Promise<unknown>;
}

/** Imported reference baselines, fetched before a chunk is applied so the engine's lookup stays synchronous. */
export class ReferenceBaselines {
  /** null = none imported for that model version */
  private readonly cache = new Map<string, Baseline | null>();

  constructor(private readonly store: Pick<StateStore, "getReferenceBaseline">) {}

  readonly lookup = (modelId: string, modelVersion: string): Baseline | undefined =>
    this.cache.get(`${modelId}\u0000${modelVersion}`) ?? undefined;

  async prefetch(slot: PartitionSlot, decoded: readonly DecodedInput[], control: RetryControl): Promise<void> {
    for (const input of decoded) {
      if (input.source === "outcome") continue;
      const { result } = input;
      if (!result.ok || "control" in result) continue;
      const { modelId, modelVersion } = result.event;
      const key = `${modelId}\u0000${modelVersion}`;
      if (this.cache.has(key) || slot.state.models.get(modelId)?.versions.has(modelVersion)) continue;
      const bytes = await retryWithBackoff("getReferenceBaseline", () => this.store.getReferenceBaseline(modelId, modelVersion), control);
      this.cache.set(key, bytes === null ? null : decodeBaseline(bytes).baseline);
    }
  }
}

export interface PartitionRuntimeDeps {
  store: StateStore;
  states: PartitionStates;
  settings: ProcessorSettings;
  decoder: MessageDecoder;
  references: ReferenceBaselines;
  /** publishes the partition's pending outbox entries and acks them */
  drainOutbox(ref: PartitionRef): Promise<{ published: number; suppressed: number; fallbacks?: number; dropped?: number }>;
  commitOffset(topic: string, partition: number, offset: string): Promise<void>;
  metrics: DetectorMetrics;
  log: Logger;
  /** messages applied and persisted per atomic write */
  chunkSize: number;
  /** wall clock, read once per chunk to bound event time (windows/event-time.ts); default Date.now */
  clock?: () => number;
  backoff?: BackoffPolicy;
  isStopping(): boolean;
  /** the slot of a partition was dropped (stale or failed batch) or revoked */
  onForget(partition: number, slot: PartitionSlot): void;
  /** a partition's state finished loading (readiness) */
  onLoaded(): void;
  /** Redis now holds the partition's state through `end`; the fetch said its log ends at `highWatermark` */
  onApplied?(topic: string, partition: number, end: string, highWatermark: string): void;
  /** how far behind the outboxes are (readiness, metrics); default: one of its own */
  backlog?: OutboxBacklog;
  /** which dependencies answer (readiness, metrics) */
  health?: DependencyHealth;
  /** Kafka's committed and first offsets and the seek, to detect lost state and rebuild it (state-loss.ts) */
  positions: Pick<PartitionPositions, "committed" | "logStart" | "seek">;
}

export interface PartitionRuntime {
  runBatch(batch: SourceBatch, controls: BatchControls): Promise<void>;
  forget(partition: number): void;
  /** outbox entries persisted and not yet drained, over all partitions */
  pendingOutbox(): number;
  /** for readiness: the partitions whose lost state is being rebuilt, undefined when none */
  rebuildingReason(): string | undefined;
}

/** A partition whose lost state is being rebuilt from Kafka. */
interface Rebuild {
  plan: RebuildPlan;
  cause: StateLoss["cause"];
  startedMs: number;
}

export function createPartitionRuntime(deps: PartitionRuntimeDeps): PartitionRuntime {
  const { store, states, metrics, log } = deps;
  const backlog = deps.backlog ?? new OutboxBacklog();
  const sumPending = () => backlog.snapshot().pending;
  // sizes of the windows this process closed, per model; each small-window model is warned about once
  const windowSizes = new WindowSizes();
  const warnedSmallWindows = new Set<string>();
  const warnedEpochSeconds = new Set<string>();
  const outcomesTopic = deps.settings.outcomesSourceTopic ?? deps.settings.topics.outcomes;

  const rebuilds = new Map<number, Rebuild>();

  function drop(partition: number): void {
    const slot = states.forget(partition);
    backlog.forget(partition);
    if (slot !== undefined) deps.onForget(partition, slot);
  }

  /** revoked: another replica owns it now (and finishes a rebuild from what Redis and Kafka hold) */
  function forget(partition: number): void {
    drop(partition);
    for (const [key, entry] of [...failing]) if (entry.partition === partition) stopFailing(key);
    if (rebuilds.delete(partition)) metrics.setStateRebuilding(partition, false);
  }

  // The batch running per partition number: predictions p and outcomes p share one slot (and one fence).
  const running = new Map<number, Promise<void>>();

  function runBatch(batch: SourceBatch, controls: BatchControls): Promise<void> {
    const previous = running.get(batch.partition) ?? Promise.resolve();
    const next = previous.then(() => runOneBatch(batch, controls));
    const settled = next.catch(() => {});
    running.set(batch.partition, settled);
    void settled.then(() => {
      if (running.get(batch.partition) === settled) running.delete(batch.partition);
    });
    return next;
  }

  // The operations failing now, per partition, kept across batches: a batch whose retry loop ends without a
  // success (the consumer restarted, the batch went stale) must not leave its dependency marked down for good.
  // The partition's next success of that operation, or its revocation, ends it; the dependency is up again
  // once no partition's operation on it fails.
  const failing = new Map<string, { partition: number; kind: DependencyName }>();
  const stopFailing = (key: string) => {
    const entry = failing.get(key);
    if (entry === undefined) return;
    failing.delete(key);
    for (const other of failing.values()) if (other.kind === entry.kind) return;
    deps.health?.succeeded(entry.kind);
  };

  async function runOneBatch(batch: SourceBatch, controls: BatchControls): Promise<void> {
    const outcomes = batch.topic === outcomesTopic;
    const plog = log.child({ topic: batch.topic, partition: batch.partition });
    const control: RetryControl = {
      shouldContinue: () => controls.isRunning() && !controls.isStale() && !deps.isStopping(),
      heartbeat: controls.heartbeat,
      isRetryable: controls.noRetry === true ? () => false : isOutage,
      onRetry: (operation, attempt, delayMs, err) => {
        const kind = outageOperation(err);
        if (kind === "redis") metrics.onRedisError(operation);
        else if (kind === "kafka") metrics.onKafkaError(operation);
        if (operation === "outboxRelay") backlog.failed(batch.partition, err instanceof Error ? err.message : String(err));
        if (kind !== undefined) {
          failing.set(`${operation}\u0000${batch.partition}`, { partition: batch.partition, kind });
          deps.health?.failed(kind, operation, err);
        }
        plog.warn({ operation, attempt, delayMs, err }, "outage: pausing partition and retrying");
      },
      onRecovered: (operation) => {
        if (failing.size > 0) stopFailing(`${operation}\u0000${batch.partition}`); // the common case: nothing fails
      },
      policy: deps.backoff,
    };

    let mutated = false;
    try {
      const slot = await retryWithBackoff("loadPartition", () => states.load(batch.partition), control);
      if (!slot.positionChecked) {
        // during a rebuild this replica set the position itself
        const loss = rebuilds.has(batch.partition) ? null : await lossSinceCommit(batch, slot, control);
        slot.positionChecked = true;
        if (loss !== null) {
          await startRebuild(batch, slot, loss.loss, loss.committed, control);
          return;
        }
      }
      if ((await forgetReplacedLog(batch, slot, outcomes, control, plog)) === "stale") {
        drop(batch.partition);
        return;
      }
      deps.onLoaded();
      // what waits in the join as loaded (the counters count what this replica applies, chunk by chunk)
      for (const { model, ...waiting } of joinWaiting(slot.state, slot.state.models.keys())) metrics.onJoinCounted(model, {}, waiting);
      if (!slot.outboxDrained) {
        backlog.loadedUnknown(batch.partition);
        await drain(slot, control);
      }

      // last offset Redis has the state of and Kafka not yet: committed once per batch, not per chunk
      let uncommitted: string | null = null;
      // a batch of only records no reader sees (pipeline.ts passes kafkajs' filtered fetches) is one chunk of no messages
      const chunks = Math.max(Math.ceil(batch.messages.length / deps.chunkSize), batch.lastOffset === undefined ? 0 : 1);
      for (let index = 0; index < chunks; index++) {
        if (!control.shouldContinue()) break;
        const started = performance.now();
        const at = index * deps.chunkSize;
        const messages = batch.messages.slice(at, at + deps.chunkSize);
        const lastInChunk = messages.length === 0 ? null : messages[messages.length - 1].offset;
        // the batch may end past its last message: with the last chunk, those records are passed too
        const batchEnd = index === chunks - 1 ? batch.lastOffset?.() : undefined;
        const through = batchEnd !== undefined && (lastInChunk === null || BigInt(batchEnd) > BigInt(lastInChunk)) ? batchEnd : undefined;

        const decoded = outcomes
          ? await decodeOutcomeChunk(messages, slot.storedOutcomeOffset, control)
          : await decodeChunk(messages, slot.storedOffset, control);
        await deps.references.prefetch(slot, decoded, control);
        mutated = true;
        const rebuild = rebuilds.get(batch.partition);
        const chunk = processChunk(slot, decoded, deps.settings, {
          wallClockMs: (deps.clock ?? Date.now)(),
          replayedThrough: rebuild?.plan.publishedThrough,
          ...(through === undefined ? {} : { passedThrough: { source: outcomes ? "outcome" : "prediction", offset: through } }),
        });
        if (chunk !== null) {
          const persisted = await persist(slot, chunk, control);
          if (persisted === "stale") {
            plog.warn({ storedOffset: slot.storedOffset }, "partition state changed under us (another replica owns it now): dropping it");
            drop(batch.partition);
            return;
          }
          if (persisted !== "ok") {
            await startRebuild(batch, slot, persisted, null, control);
            return;
          }
          // counted once the chunk is committed, whatever happens to the outbox drain afterwards
          recordMetrics(batch.topic, batch.partition, chunk);
          if (chunk.replayed.length > 0) await retakeCooldownLocks(chunk.replayed, control);
        }
        if (rebuild !== undefined) finishRebuildIfDone(batch.partition, slot, rebuild);
        mutated = false;
        // Redis holds the state through `end`: the records after lastInChunk were stored as passed
        const end = chunk !== null && through !== undefined ? through : lastInChunk;
        if (end === null) break; // records passed before: nothing to store or commit
        uncommitted = end;
        controls.resolveOffset(end);
        if (chunk !== null && chunk.write.outbox.length > 0) await drain(slot, control);
        if (messages.length > 0) metrics.observeBatch((performance.now() - started) / 1000, messages.length);
        metrics.setConsumerLag(batch.topic, batch.partition, Number(BigInt(batch.highWatermark) - BigInt(end) - 1n));
        deps.onApplied?.(batch.topic, batch.partition, end, batch.highWatermark);
        await controls.heartbeat();
      }
      // Kafka offset only after Redis has the state. Once per batch saves a broker round trip per chunk;
      // a failure or crash before this line is harmless: redelivered events are at or below the stored
      // offset and are skipped.
      if (uncommitted !== null) {
        const offset = (BigInt(uncommitted) + 1n).toString();
        await retryWithBackoff("commitOffsets", () => deps.commitOffset(batch.topic, batch.partition, offset), control);
      }
    } catch (err) {
      if (mutated) drop(batch.partition);
      if (err instanceof ProcessingAbortedError) {
        plog.info(
          { operation: err.context.operation },
          "stopped processing the batch (consumer stopping or partition revoked); nothing uncommitted was kept",
        );
        return;
      }
      throw err;
    }
  }

  async function decodeOutcomeChunk(
    messages: readonly SourceMessage[],
    storedOffset: string | null,
    control: RetryControl,
  ): Promise<DecodedInput[]> {
    const decodeOutcome = deps.decoder.decodeOutcome;
    if (decodeOutcome === undefined) throw new Error("outcome batch without an outcome decoder");
    const stored = storedOffset === null ? -1n : BigInt(storedOffset);
    const out: DecodedInput[] = [];
    for (const message of messages) {
      if (BigInt(message.offset) <= stored) continue;
      const { value, headers } = message;
      const result = await decodeWithSchemaFetch(() => decodeOutcome(value, headers), control);
      out.push({ source: "outcome", message, result });
    }
    return out;
  }

  async function decodeWithSchemaFetch<T>(decode: () => DecodeResult<T>, control: RetryControl): Promise<DecodeResult<T>> {
    const result = decode();
    if (!result.ok && result.reason === "unknown_schema_id" && result.schemaId !== undefined && deps.decoder.canFetch(result.schemaId)) {
      const id = result.schemaId;
      await retryWithBackoff("schemaRegistry", () => deps.decoder.fetch(id), control);
      return decode();
    }
    return result;
  }

  // offsets at or below the stored one were applied before a crash or rebalance and are not decoded
  async function decodeChunk(
    messages: readonly SourceMessage[],
    storedOffset: string | null,
    control: RetryControl,
  ): Promise<DecodedMessage[]> {
    const stored = storedOffset === null ? -1n : BigInt(storedOffset);
    const out: DecodedMessage[] = [];
    for (const message of messages) {
      if (BigInt(message.offset) <= stored) continue;
      if (message.headers?.[CONTROL_HEADER] !== undefined) {
        out.push({ message, result: controlResult(message.value) });
        continue;
      }
      const result = await decodeWithSchemaFetch(() => deps.decoder.decode(message.value, message.headers), control);
      out.push({ message, result });
    }
    return out;
  }

  async function persist(slot: PartitionSlot, chunk: ProcessedChunk, control: RetryControl): Promise<"ok" | "stale" | StateLoss> {
    let attempts = 0;
    try {
      await retryWithBackoff(
        "commitPartition",
        () => {
          attempts++;
          return store.commitPartition(slot.ref, chunk.write);
        },
        control,
      );
    } catch (err) {
      const outcome = commitFailureOutcome(err, attempts, chunk.write);
      if (outcome === "failed") throw err;
      if (outcome !== "committed") return outcome;
    }
    settle(slot, chunk);
    backlog.appended(slot.ref.partition, chunk.write.outbox.length);
    if (chunk.write.outbox.length > 0) slot.outboxPending = true;
    if (!slot.outboxPending) slot.publishedThrough = slot.storedOffset;
    return "ok";
  }

  async function drain(slot: PartitionSlot, control: RetryControl): Promise<void> {
    const result = await retryWithBackoff("outboxRelay", () => deps.drainOutbox(slot.ref), control);
    slot.outboxDrained = true;
    slot.outboxPending = false;
    slot.publishedThrough = slot.storedOffset;
    backlog.drained(slot.ref.partition);
    if ((result.fallbacks ?? 0) + (result.dropped ?? 0) > 0)
      log.warn({ partition: slot.ref.partition, ...result }, "outbox drained with fallback records");
    else if (result.published + result.suppressed > 0) log.debug({ partition: slot.ref.partition, ...result }, "outbox drained");
  }

  /**
   * A source log that ends at or below the offset the state applied (state-loss.ts replacedLog). A new log
   * (no committed offset either) is applied from its start: the stored offset is forgotten, the models kept.
   * A truncated one is reported once per load. One comparison per batch; Kafka is asked only when it holds.
   */
  async function forgetReplacedLog(
    batch: SourceBatch,
    slot: PartitionSlot,
    outcomes: boolean,
    control: RetryControl,
    plog: Logger,
  ): Promise<"ok" | "stale"> {
    const stored = outcomes ? slot.storedOutcomeOffset : slot.storedOffset;
    if (stored === null || BigInt(batch.highWatermark) > BigInt(stored)) return "ok";
    const committed = await retryWithBackoff("fetchOffsets", () => deps.positions.committed(batch.topic, batch.partition), control);
    const verdict = replacedLog(stored, committed, batch.highWatermark);
    const detail = { storedOffset: stored, highWatermark: batch.highWatermark, committed };
    if (verdict === "truncated") {
      if (!slot.truncationReported)
        plog.error(
          detail,
          "the partition's log ends before the offset the state has applied: it lost records (an unclean leader election?); " +
            "records written at offsets up to the stored one are skipped as applied",
        );
      slot.truncationReported = true;
      return "ok";
    }
    if (verdict === null) return "ok";
    plog.error(
      detail,
      "the partition's log ends before the offset the state has applied and the group has no committed offset: the topic was " +
        "recreated, or this is another cluster's copy. Its records are applied from its start; the models' state is kept",
    );
    const persisted = await persist(slot, forgetSourceOffset(slot, outcomes ? "outcome" : "prediction"), control);
    if (persisted !== "ok") return "stale";
    metrics.onSourceLogReplaced(batch.topic, batch.partition);
    return "ok";
  }

  /** Redis behind Kafka's committed offset: it lost state it had acknowledged (a replica started after the loss). */
  async function lossSinceCommit(
    batch: SourceBatch,
    slot: PartitionSlot,
    control: RetryControl,
  ): Promise<{ loss: StateLoss; committed: string } | null> {
    // the predictions topic's offset is the marker, whichever topic's batch loaded the state
    const topic = deps.settings.sourceTopic;
    const committed = await retryWithBackoff("fetchOffsets", () => deps.positions.committed(topic, batch.partition), control);
    if (committed === null) return null;
    const logStart = await retryWithBackoff("fetchOffsets", () => deps.positions.logStart(topic, batch.partition), control);
    const loss = lossAtLoad(slot.storedOffset, committed, logStart);
    return loss === null ? null : { loss, committed };
  }

  /**
   * Lost state: count it, log it, drop what this replica holds (Redis is the source of truth, and it has
   * less), move Kafka's committed offset back to where the rebuild starts (so a crash during the rebuild
   * resumes it instead of skipping what is missing) and seek there. Not ready until the state is rebuilt.
   */
  async function startRebuild(
    batch: SourceBatch,
    slot: PartitionSlot,
    loss: StateLoss,
    committed: string | null,
    control: RetryControl,
  ): Promise<void> {
    const partition = batch.partition;
    const topic = deps.settings.sourceTopic;
    const logStart = await retryWithBackoff("fetchOffsets", () => deps.positions.logStart(topic, partition), control);
    const plan = rebuildPlan(loss, logStart, slot.publishedThrough, committed);
    metrics.onStateLost(partition, plan.exact);
    const detail = {
      topic: batch.topic,
      partition,
      ...loss,
      logStart,
      rebuildFrom: plan.from,
      until: plan.until,
      publishedThrough: plan.publishedThrough,
    };
    log.error(
      detail,
      loss.cause === "emptied"
        ? "Redis lost this partition's state (it holds none, though it had acknowledged some): rebuilding it from Kafka; not ready meanwhile"
        : "Redis went back to an older state of this partition than it had acknowledged: rebuilding the rest from Kafka; not ready meanwhile",
    );
    if (!plan.exact)
      log.error(
        detail,
        "the rebuild is inexact: retention has deleted records the state was built from; baselines and windows restart from the log start",
      );
    drop(partition);
    if (BigInt(plan.until) >= BigInt(plan.from)) {
      rebuilds.set(partition, { plan, cause: loss.cause, startedMs: Date.now() });
      metrics.setStateRebuilding(partition, true);
    }
    await retryWithBackoff("commitOffsets", () => deps.commitOffset(topic, partition, plan.from), control);
    deps.positions.seek(topic, partition, plan.from);
    if (outcomesTopic !== undefined && outcomesTopic !== topic) {
      // the outcomes applied to this state are re-read too, from after the outcome offset Redis still holds
      const stored = await retryWithBackoff("loadPartition", () => store.loadPartition(slot.ref), control);
      const start = await retryWithBackoff("fetchOffsets", () => deps.positions.logStart(outcomesTopic, partition), control);
      const needed = stored.outcomeOffset === null ? 0n : BigInt(stored.outcomeOffset) + 1n;
      const from = (needed >= BigInt(start) ? needed : BigInt(start)).toString();
      await retryWithBackoff("commitOffsets", () => deps.commitOffset(outcomesTopic, partition, from), control);
      deps.positions.seek(outcomesTopic, partition, from);
    }
  }

  function finishRebuildIfDone(partition: number, slot: PartitionSlot, rebuild: Rebuild): void {
    if (slot.storedOffset === null || BigInt(slot.storedOffset) < BigInt(rebuild.plan.until)) return;
    rebuilds.delete(partition);
    metrics.setStateRebuilding(partition, false);
    log.warn(
      {
        partition,
        cause: rebuild.cause,
        from: rebuild.plan.from,
        until: rebuild.plan.until,
        exact: rebuild.plan.exact,
        ms: Date.now() - rebuild.startedMs,
      },
      rebuild.plan.exact
        ? "partition state rebuilt from Kafka, as it was before the loss"
        : "partition state rebuilt from the retained history (inexact)",
    );
    deps.onLoaded();
  }

  /**
   * Retrain requests derived again during a rebuild were published before the loss; the cooldown lock that
   * went with them may be gone too, so it is taken again (same request id: idempotent if it is still there),
   * so no second request for the model goes out within the cooldown.
   */
  async function retakeCooldownLocks(replayed: readonly OutboxEntry[], control: RetryControl): Promise<void> {
    for (const entry of replayed) {
      if (entry.kind !== "retrain") continue;
      const modelId = entry.headers["model-id"] ?? "";
      const cooldownMs = deps.settings.engine.settingsFor(modelId).retrain.cooldownMs;
      await retryWithBackoff("acquireRetrainLock", () => store.acquireRetrainLock(modelId, entry.id, cooldownMs), control);
    }
  }

  function rebuildingReason(): string | undefined {
    if (rebuilds.size === 0) return undefined;
    return [...rebuilds]
      .map(([p, r]) => {
        const at = states.get(p)?.storedOffset ?? "nothing";
        return `rebuilding the state of partition ${p} from Kafka after Redis lost it (${r.cause}): offsets ${r.plan.from}..${r.plan.until}, at ${at}`;
      })
      .join("; ");
  }

  function recordMetrics(topic: string, partition: number, chunk: ProcessedChunk): void {
    const m = chunk.metrics;
    for (const w of m.windows) {
      metrics.onWindowClosed(w);
      logWindowClosed(partition, w);
    }
    for (const p of m.performance) metrics.onPerformanceWindowClosed(p);
    for (const j of m.joins) metrics.onJoinCounted(j.model, j.grew, j.waiting);
    if (m.accepted > 0) metrics.onConsumed(topic, partition, m.accepted);
    for (const [reason, count] of m.rejected) metrics.onRejected(reason, topic, count);
    if (m.outcomesAccepted > 0) metrics.onConsumed(outcomesTopic ?? topic, partition, m.outcomesAccepted);
    for (const [reason, count] of m.outcomesRejected) metrics.onRejected(reason, outcomesTopic ?? topic, count);
    for (const [model, count] of m.lateByModel) metrics.onLate(model, count);
    for (const { control, applied } of m.controls) {
      const context = {
        partition,
        command: control.command,
        requestId: control.requestId,
        model: control.modelId,
        version: control.modelVersion,
      };
      // a partition without state of the model version has nothing to re-pin (its events are elsewhere)
      if (applied) log.info(context, "control record applied: reference dropped, a new one is captured from the next windows");
      else log.info(context, "control record reached: no state of this model version in the partition");
    }
    if (m.evictedModels.length > 0) {
      // configured models are never evicted; these were the longest idle of the unconfigured ones
      metrics.onModelsEvicted(m.evictedModels);
      log.info(
        { partition, evicted: m.evictedModels.length, models: m.evictedModels.slice(0, 10) },
        "evicted idle models over limits.maxModels",
      );
    }
  }

  function logWindowClosed(partition: number, w: ProcessedChunk["metrics"]["windows"][number]): void {
    const maxEvents = deps.settings.engine.settingsFor(w.modelId).window.maxEvents;
    windowSizes.add(w.modelId, w.window, maxEvents);
    const durationMs = w.window.end - w.window.start;
    log.debug({ partition, model: w.modelId, window: w.window.id, events: w.window.count, durationMs, status: w.status }, "window closed");
    const pinned = w.referencePinned;
    if (pinned?.dependenceMeasured === false)
      log.warn(
        { model: w.modelId, version: w.modelVersion, reference: pinned.id, windows: pinned.windows, needed: MIN_DEPENDENCE_WINDOWS },
        "reference captured from too few windows to measure dependence: every dependence factor is 1 (events assumed " +
          "independent); raise baseline.warmupWindows or referenceDurationMs",
      );
    const sizes = windowSizes.sizesOf(w.modelId);
    if (sizes !== undefined && !warnedEpochSeconds.has(w.modelId) && looksLikeEpochSeconds(sizes)) {
      warnedEpochSeconds.add(w.modelId);
      log.warn(
        { model: w.modelId, firstEventTime: new Date(sizes.eventTimeMs.first).toISOString(), timestamp: sizes.eventTimeMs.first },
        "event times of this model are in 1970: timestamp is epoch milliseconds, and these look like epoch seconds (send them × 1000)",
      );
    }
    if (sizes === undefined || warnedSmallWindows.has(w.modelId) || !closesFarBelowMaxEvents(sizes)) return;
    warnedSmallWindows.add(w.modelId);
    log.warn(
      { model: w.modelId, windows: sizes.windows, events: sizes.events, durationMs: sizes.durationMs, maxEvents },
      "windows of this model close by time far below maxEvents: set window.maxDurationMs higher or maxEvents lower",
    );
  }

  return { runBatch, forget, pendingOutbox: sumPending, rebuildingReason };
}
