// The whole data path of `drift-detector run`, in order:
//
//   consume batch (kafkajs eachBatch, chunks of `chunkSize`)
//     → decode: Confluent Avro (writer schema from the registry, fetched on unknown ids) or JSON; validate
//     → prefetch imported reference baselines of model versions the engine has not seen yet
//     → apply to the engine, skipping offsets ≤ the stored offset (already applied before a crash/rebalance)
//     → persist state + offset + outbox (outputs and dead letters) in ONE atomic commitPartition
//     → commit the Kafka offset
//     → drain the outbox to Kafka and ack it
//     → metrics
//
// Delivery guarantees (design §4 "Delivery"):
// - State and the last applied offset of a partition are written to Redis in one atomic script, fenced by
//   the offset this replica loaded or last wrote (expectedOffset): a replica that lost the partition gets
//   StaleStateError and drops its copy instead of overwriting the new owner's state.
// - The Kafka offset is committed only after Redis has the state. Kafka's committed offset may lag Redis'
//   (crash in between): the redelivered events are at or below the stored offset and are skipped, so no
//   event is counted twice and none is lost.
// - Outputs (drift events, retrain requests) and dead letters go into the partition's outbox in the same
//   atomic write, and are published afterwards by an idempotent producer: at-least-once on the wire,
//   exactly-once as identified by their deterministic ids (header `event-id` / `request-id`, DLQ id
//   `dlq:<topic>:<partition>:<offset>`), so consumers deduplicate by id.
// - Bad input never stops the stream: a message that fails to decode or validate, or whose model is over
//   the model cap, becomes a dead letter and its offset advances like any other.
// - Outages (Redis, broker, registry) pause the partition and retry with exponential backoff while
//   heartbeating; nothing is committed that was not applied. An exception after the engine mutated the
//   in-memory state drops that state; it is reloaded from Redis, the only source of truth.
import { Kafka, logLevel, type Batch, type Consumer, type KafkaMessage, type Producer } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { engineContextFrom } from "../detect/context.ts";
import { applyPrediction, isRejected, type EngineContext, type WindowClosed } from "../detect/engine.ts";
import { decodePredictionMessage } from "../events/codec.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { PredictionEvent } from "../events/types.ts";
import { applyGroupJoin, chunksOf, createMembership, createServiceConsumer } from "../kafka/consumer.ts";
import { deadLetterEntry } from "../kafka/dead-letter.ts";
import { driftOutboxEntry, retrainOutboxEntry } from "../kafka/output-entries.ts";
import { drainOutbox, type OutboxRelayDeps } from "../kafka/outbox-relay.ts";
import { createOutputEncoder, createOutputProducer, registerOutputSchemas } from "../kafka/producer.ts";
import { SchemaCache } from "../kafka/schema-cache.ts";
import { ensureTopics } from "../kafka/topic-admin.ts";
import { kafkajsLogCreator } from "../logging/kafkajs-log.ts";
import type { Logger } from "../logging/logger.ts";
import type { DetectorMetrics } from "../metrics/detector-metrics.ts";
import type { Baseline } from "../baseline/baseline.ts";
import { decodeBaseline, encodeColdChange, encodeModelHot, encodePartitionMeta } from "../state/engine-state-codec.ts";
import { StaleStateError, type ModelWrite, type OutboxEntry, type PartitionWrite, type StateStore } from "../state/port.ts";
import type { ClosedWindow } from "../windows/window.ts";
import { ProcessingAbortedError, retryWithBackoff, type BackoffPolicy, type RetryControl } from "./backoff.ts";
import { isOutage, outageOperation } from "./outage.ts";
import { PartitionStates, type PartitionSlot } from "./partition-states.ts";

export interface PipelineDeps {
  store: StateStore;
  metrics: DetectorMetrics;
  log: Logger;
  /** default: a client built from config.kafka */
  kafka?: Kafka;
  /** wall clock for emittedAt/requestedAt (never used in decisions); default Date.now */
  clock?: () => number;
  /** messages applied and persisted per atomic write; default 500 */
  chunkSize?: number;
  backoff?: BackoffPolicy;
  /** how many partitions are processed at the same time; default min(kafka.partitions, 4) */
  partitionsConsumedConcurrently?: number;
  /** DLQ values above this are truncated; default min(limits.maxMessageBytes, 512 KiB) */
  maxDeadLetterValueBytes?: number;
  /** the consumer crashed and kafkajs does not restart it (`run` exits non-zero); default: only unhealthy */
  onFatalCrash?: (error: Error) => void;
}

export interface RunningPipeline {
  /** resolves once the consumer joined the group and loaded the state of its partitions */
  ready: Promise<void>;
  isReady(): boolean;
  /** for /readyz */
  notReadyReason(): string;
  isHealthy(): boolean;
  /** finish the current chunk (persist, commit), leave the group, disconnect; idempotent */
  stop(): Promise<void>;
}

/** The outcome of one chunk: what the engine produced, to be persisted atomically. */
interface AppliedChunk {
  lastOffset: string;
  write: PartitionWrite;
  /** per model written cold, its stored parts once the write landed */
  storedParts: Map<string, Map<string, ClosedWindow>>;
  windows: WindowClosed[];
  accepted: number;
  rejected: Map<string, number>;
  lateByModel: Map<string, number>;
  droppedModels: Map<string, number>;
}

type Decoded = { message: KafkaMessage; result: DecodeResult<PredictionEvent> };

export async function startPipeline(config: ResolvedConfig, deps: PipelineDeps): Promise<RunningPipeline> {
  const { store, metrics, log } = deps;
  const topics = config.kafka.topics;
  const topic = topics.predictions;
  const chunkSize = deps.chunkSize ?? 500;
  const maxDlqValue = deps.maxDeadLetterValueBytes ?? Math.min(config.limits.maxMessageBytes, 512 * 1024);
  const kafka =
    deps.kafka ?? new Kafka({ clientId: config.kafka.clientId, brokers: config.kafka.brokers, logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(log) });
  // Imported references (baseline import) are fetched before a chunk is applied, so the engine's lookup
  // stays synchronous; null = none imported for that model version.
  const references = new Map<string, Baseline | null>();
  const referenceKey = (modelId: string, modelVersion: string) => `${modelId}\u0000${modelVersion}`;
  const ctx: EngineContext = engineContextFrom(config, deps.clock ?? Date.now, (m, v) => references.get(referenceKey(m, v)) ?? undefined);
  const schemas = new SchemaCache({ url: config.schemaRegistry.url });
  const decodeContext = { schemaForId: schemas.schemaForId, maxMessageBytes: config.limits.maxMessageBytes };
  const states = new PartitionStates(store, config.kafka.groupId, topic, config.limits);
  const membership = createMembership();
  const pendingOutbox = new Map<number, number>();
  let stopping = false;
  let crashed = false;

  // ---- start: topics, output schemas, producer, consumer ---------------------------------------------
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, config);
    if (created.length > 0) log.info({ topics: created }, "created topics");
  } finally {
    await admin.disconnect();
  }
  const avroIds = config.kafka.outputFormat === "avro" ? await registerOutputSchemas(config) : undefined;
  const producer: Producer = createOutputProducer(kafka);
  await producer.connect();
  const relay: OutboxRelayDeps = { store, producer, encoder: createOutputEncoder(avroIds), config, metrics, log };
  const consumer: Consumer = createServiceConsumer(kafka, config);

  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const isReady = () => membership.joined && !stopping && membership.assigned.every((p) => states.has(p));
  const checkReady = () => {
    if (isReady()) markReady();
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const { revoked, assigned } = applyGroupJoin(membership, topic, event.payload.memberAssignment);
    for (const p of revoked) forgetPartition(p);
    metrics.setPartitionsAssigned(topic, assigned);
    log.info({ generation: membership.generation, assigned, revoked }, "joined consumer group");
    // Load eagerly; eachBatch awaits the same load (and retries it with backoff if this one fails).
    for (const p of assigned) {
      states.load(p).then(checkReady, (err: unknown) => log.warn({ partition: p, err }, "loading partition state failed; will retry on first batch"));
    }
    checkReady();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    metrics.onConsumerCrash(restart);
    if (restart) {
      log.warn({ err: error }, "consumer crashed on a retriable error; kafkajs restarts it");
      return;
    }
    // Not retriable (a fetch the client cannot decode, a bug): an in-process restart would meet the same
    // batch again. The consumer has left the group; the owner of the process exits so it is restarted.
    crashed = true;
    log.error({ err: error }, "consumer crashed and does not restart");
    deps.onFatalCrash?.(error);
  });

  function forgetPartition(partition: number): void {
    const slot = states.forget(partition);
    pendingOutbox.delete(partition);
    if (slot === undefined) return;
    // Another replica exports these models now (unless one of our other partitions also has them).
    const stillOwned = new Set(states.partitions().flatMap((p) => [...(states.get(p)?.state.models.keys() ?? [])]));
    for (const modelId of slot.state.models.keys()) if (!stillOwned.has(modelId)) metrics.removeModel(modelId);
  }

  // ---- the data path ------------------------------------------------------------------------------
  async function eachBatch(args: {
    batch: Batch;
    resolveOffset(offset: string): void;
    heartbeat(): Promise<void>;
    isRunning(): boolean;
    isStale(): boolean;
  }): Promise<void> {
    const { batch } = args;
    const plog = log.child({ topic: batch.topic, partition: batch.partition });
    const control: RetryControl = {
      shouldContinue: () => args.isRunning() && !args.isStale() && !stopping,
      heartbeat: args.heartbeat,
      isRetryable: isOutage,
      onRetry: (operation, attempt, delayMs, err) => {
        const kind = outageOperation(err);
        if (kind === "redis") metrics.onRedisError(operation);
        else if (kind === "kafka") metrics.onKafkaError(operation);
        plog.warn({ operation, attempt, delayMs, err }, "outage: pausing partition and retrying");
      },
      policy: deps.backoff,
    };

    let slot: PartitionSlot | undefined;
    let mutated = false;
    try {
      slot = await retryWithBackoff("loadPartition", () => states.load(batch.partition), control);
      checkReady();
      if (!slot.outboxDrained) await drain(slot, control);

      // last offset Redis has the state of and Kafka not yet: committed once per batch, not per chunk
      let uncommitted: string | null = null;
      for (const messages of chunksOf(batch.messages, chunkSize)) {
        if (!control.shouldContinue()) break;
        const started = performance.now();
        const lastInChunk = messages[messages.length - 1].offset;

        // decode + validate (async only to fetch unknown writer schemas from the registry); offsets at or
        // below the stored one were applied before a crash or rebalance and are skipped
        const decoded = await decodeChunk(messages, slot.storedOffset, control);
        await prefetchReferences(slot, decoded, control);
        // apply to the engine (synchronous; mutates the cached state in place)
        mutated = true;
        const applied = applyChunk(slot, batch.partition, decoded);
        // persist state + offset + outbox atomically, fenced by the offset we loaded or last wrote
        if (applied !== null) {
          const outcome = await persist(slot, applied, control);
          if (outcome === "stale") {
            plog.warn({ storedOffset: slot.storedOffset }, "partition state changed under us (another replica owns it now): dropping it");
            forgetPartition(batch.partition);
            return;
          }
        }
        mutated = false;
        uncommitted = lastInChunk;
        args.resolveOffset(lastInChunk);
        // publish outputs and dead letters, then ack them in the outbox
        if (applied !== null && applied.write.outbox.length > 0) await drain(slot, control);
        // metrics: gauges from closed windows, counters once per chunk (never per event)
        if (applied !== null) recordMetrics(batch.topic, batch.partition, applied);
        metrics.observeBatch((performance.now() - started) / 1000, messages.length);
        metrics.setConsumerLag(batch.topic, batch.partition, Number(BigInt(batch.highWatermark) - BigInt(lastInChunk) - 1n));
        await args.heartbeat();
      }
      // Kafka offset only after Redis has the state. Committing it once per batch saves a broker round trip
      // per chunk; Kafka's offset may lag Redis' by up to a batch, and a failure or crash before this
      // line is harmless: redelivered events are at or below the stored offset and are skipped.
      if (uncommitted !== null) {
        const offset = (BigInt(uncommitted) + 1n).toString();
        await retryWithBackoff("commitOffsets", () => consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]), control);
      }
    } catch (err) {
      if (mutated) forgetPartition(batch.partition);
      if (err instanceof ProcessingAbortedError) {
        plog.info({ operation: err.context.operation }, "stopped processing the batch (consumer stopping or partition revoked); nothing uncommitted was kept");
        return;
      }
      throw err;
    }
  }

  async function decodeChunk(messages: KafkaMessage[], storedOffset: string | null, control: RetryControl): Promise<Decoded[]> {
    const stored = storedOffset === null ? -1n : BigInt(storedOffset);
    const out: Decoded[] = [];
    for (const message of messages) {
      if (BigInt(message.offset) <= stored) continue;
      let result = decodePredictionMessage(message.value, decodeContext);
      if (!result.ok && result.reason === "unknown_schema_id" && result.schemaId !== undefined && !schemas.isKnownMissing(result.schemaId)) {
        const id = result.schemaId;
        await retryWithBackoff("schemaRegistry", () => schemas.fetch(id), control);
        result = decodePredictionMessage(message.value, decodeContext);
      }
      out.push({ message, result });
    }
    return out;
  }

  async function prefetchReferences(slot: PartitionSlot, decoded: Decoded[], control: RetryControl): Promise<void> {
    for (const { result } of decoded) {
      if (!result.ok) continue;
      const { modelId, modelVersion } = result.event;
      const key = referenceKey(modelId, modelVersion);
      if (references.has(key) || slot.state.models.get(modelId)?.versions.has(modelVersion)) continue;
      const bytes = await retryWithBackoff("getReferenceBaseline", () => store.getReferenceBaseline(modelId, modelVersion), control);
      references.set(key, bytes === null ? null : decodeBaseline(bytes).baseline);
    }
  }

  function applyChunk(slot: PartitionSlot, partition: number, decoded: Decoded[]): AppliedChunk | null {
    const state = slot.state;
    const stored = slot.storedOffset === null ? -1n : BigInt(slot.storedOffset);
    const outbox: OutboxEntry[] = [];
    const windows: WindowClosed[] = [];
    const rejected = new Map<string, number>();
    const lateByModel = new Map<string, number>();
    const droppedModels = new Map<string, number>();
    let lastOffset: string | null = null;
    let accepted = 0;
    const reject = (message: KafkaMessage, reason: string, text: string, field?: string, schemaId?: number) => {
      const source = { topic, partition, offset: message.offset, key: message.key, value: message.value, timestamp: message.timestamp };
      outbox.push(deadLetterEntry(topics.deadLetter, source, { reason, message: text, field, schemaId }, maxDlqValue));
      rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
    };

    for (const { message, result } of decoded) {
      if (BigInt(message.offset) <= stored) continue; // (decodeChunk skipped these already)
      lastOffset = message.offset;
      if (!result.ok) {
        reject(message, result.reason, result.message, result.field, result.schemaId);
        continue;
      }
      const event = result.event;
      const applied = applyPrediction(state, event, message.offset, ctx);
      if (isRejected(applied)) {
        reject(message, applied.outcome, applied.message);
        if (applied.outcome === "model_limit") droppedModels.set(event.modelId, (droppedModels.get(event.modelId) ?? 0) + 1);
        continue;
      }
      accepted++;
      if (applied.outcome === "late") lateByModel.set(event.modelId, (lateByModel.get(event.modelId) ?? 0) + 1);
      for (const output of applied.outputs) {
        if (output.kind === "window") windows.push(output);
        else if (output.kind === "drift") outbox.push(driftOutboxEntry(topics.drift, output.event));
        else outbox.push(retrainOutboxEntry(topics.retrain, output.request));
      }
    }
    if (lastOffset === null) return null; // everything was applied before

    const models = new Map<string, ModelWrite>();
    const storedParts = new Map<string, Map<string, ClosedWindow>>();
    for (const id of new Set([...state.dirtyHot, ...state.dirtyCold])) {
      const model = state.models.get(id);
      if (model === undefined) continue;
      const change: ModelWrite = {};
      if (state.dirtyHot.has(id)) change.hot = encodeModelHot(model);
      if (state.dirtyCold.has(id)) {
        // only the windows closed since the last write; the record refers to the others by key
        const cold = encodeColdChange(model, slot.storedParts.get(id));
        change.cold = cold.cold;
        change.putParts = cold.putParts;
        change.deleteParts = cold.deleteParts;
        storedParts.set(id, cold.parts);
      }
      models.set(id, change);
    }
    const write: PartitionWrite = { expectedOffset: slot.storedOffset, offset: lastOffset, meta: encodePartitionMeta(state), models, outbox };
    return { lastOffset, write, storedParts, windows, accepted, rejected, lateByModel, droppedModels };
  }

  async function persist(slot: PartitionSlot, applied: AppliedChunk, control: RetryControl): Promise<"ok" | "stale"> {
    let attempts = 0;
    try {
      await retryWithBackoff(
        "commitPartition",
        () => {
          attempts++;
          return store.commitPartition(slot.ref, applied.write);
        },
        control,
      );
    } catch (err) {
      // A retried write whose first attempt landed (reply lost) finds its own offset stored: that is success.
      const ours = err instanceof StaleStateError && attempts > 1 && err.context.storedOffset === applied.write.offset;
      if (!ours) {
        if (err instanceof StaleStateError) return "stale";
        throw err;
      }
    }
    slot.storedOffset = applied.lastOffset;
    for (const [id, parts] of applied.storedParts) slot.storedParts.set(id, parts);
    slot.state.dirtyHot.clear();
    slot.state.dirtyCold.clear();
    if (applied.write.outbox.length > 0) {
      pendingOutbox.set(slot.ref.partition, (pendingOutbox.get(slot.ref.partition) ?? 0) + applied.write.outbox.length);
      metrics.setOutboxPending(sumOf(pendingOutbox));
    }
    return "ok";
  }

  async function drain(slot: PartitionSlot, control: RetryControl): Promise<void> {
    const result = await retryWithBackoff("outboxRelay", () => drainOutbox(slot.ref, relay), control);
    slot.outboxDrained = true;
    pendingOutbox.set(slot.ref.partition, 0);
    metrics.setOutboxPending(sumOf(pendingOutbox));
    if (result.published + result.suppressed > 0) {
      log.debug({ partition: slot.ref.partition, published: result.published, suppressed: result.suppressed }, "outbox drained");
    }
  }

  function recordMetrics(batchTopic: string, partition: number, applied: AppliedChunk): void {
    for (const w of applied.windows) metrics.onWindowClosed(w);
    if (applied.accepted > 0) metrics.onConsumed(batchTopic, partition, applied.accepted);
    for (const [reason, count] of applied.rejected) metrics.onRejected(reason, batchTopic, count);
    for (const [model, count] of applied.lateByModel) metrics.onLate(model, count);
    for (const [model, count] of applied.droppedModels) metrics.onCardinalityDropped("model", model, count);
  }

  // ---- run ------------------------------------------------------------------------------------------
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.partitionsConsumedConcurrently ?? Math.min(config.kafka.partitions, 4),
    eachBatch,
  });
  log.info({ topic, groupId: config.kafka.groupId }, "consuming");

  let stopped: Promise<void> | undefined;
  return {
    ready,
    isReady,
    notReadyReason: () => {
      if (stopping) return "stopping";
      if (!membership.joined) return "not yet joined the consumer group";
      const loading = membership.assigned.filter((p) => !states.has(p));
      return loading.length > 0 ? `loading state of partitions ${loading.join(", ")}` : "ready";
    },
    isHealthy: () => !crashed,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // disconnect waits for the running batch: it finishes its chunk (persist, commit) and returns
        await consumer.disconnect();
        await producer.disconnect();
        log.info("pipeline stopped");
      })();
      return stopped;
    },
  };
}

function sumOf(counts: Map<number, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}
