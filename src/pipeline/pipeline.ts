// The running service around the partition runtime: the consumer group (membership, eager state loads,
// revocations), readiness and shutdown. The data path itself is in partition-runtime.ts (I/O, in order)
// and partition-processor.ts (the pure step).
import type { Kafka } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { engineContextFrom } from "../config/engine-context.ts";
import { decodeOutcomeMessage, decodePredictionMessage } from "../events/codec.ts";
import { schemaNamingHeaderOf } from "../events/schema-id-headers.ts";
import { connectServiceClients, type ServiceClients } from "../kafka/clients.ts";
import { applyGroupJoin, createMembership } from "../kafka/consumer.ts";
import { describeConflict, KeyPlacementCheck } from "../kafka/key-placement.ts";
import { OutboxBacklog } from "../kafka/outbox-backlog.ts";
import { DependencyHealth } from "./dependency-health.ts";
import { isOutage, outageOperation } from "./outage.ts";
import { drainOutbox, type OutboxRelayDeps } from "../kafka/outbox-relay.ts";
import { registryUrlWithCredentials, SchemaCache } from "../kafka/schema-cache.ts";
import type { Logger } from "../logging/logger.ts";
import type { DetectorMetrics } from "../metrics/detector-metrics.ts";
import type { StateStore } from "../state/port.ts";
import type { BackoffPolicy } from "./backoff.ts";
import { processorSettings } from "./partition-processor.ts";
import { createPartitionRuntime, ReferenceBaselines, type MessageDecoder } from "./partition-runtime.ts";
import { describeStalls, PartitionProgress, type ProgressCheck } from "./partition-progress.ts";
import { PartitionStates } from "./partition-states.ts";

/** key conflicts (kafka/key-placement.ts) logged one by one; past these, only the gauge counts them */
const MAX_CONFLICTS_LOGGED = 5;

export interface PipelineDeps {
  store: StateStore;
  metrics: DetectorMetrics;
  log: Logger;
  /** connected clients (cli/run.ts); default: connected here from config.kafka (or `kafka`) */
  clients?: ServiceClients;
  kafka?: Kafka;
  /** wall clock for emittedAt/requestedAt and, read once per chunk, the future bound on event time; default Date.now */
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
  /** an outbox write not published for longer makes the replica not ready; default 60 s */
  outboxStuckAfterMs?: number;
  /**
   * One round trip to the state store (RedisStateStore.ping), run every `probeIntervalMs`: a hung or
   * unreachable Redis shows in readiness even while no batch is running, and partitions whose state could
   * not be loaded are loaded again once it answers. Default: no probe.
   */
  probeStateStore?: () => Promise<void>;
  /** default 2 s */
  probeIntervalMs?: number;
}

export interface RunningPipeline {
  /** resolves once the consumer joined the group and loaded the state of its partitions */
  ready: Promise<void>;
  isReady(): boolean;
  /** for /readyz */
  notReadyReason(): string;
  isHealthy(): boolean;
  /** what is degraded while still healthy (a stuck outbox), for /healthz's body; undefined when nothing is */
  degradedReason(): string | undefined;
  /** finish the current chunk (persist, commit), leave the group, disconnect; idempotent */
  stop(): Promise<void>;
}

export async function startPipeline(config: ResolvedConfig, deps: PipelineDeps): Promise<RunningPipeline> {
  const { store, metrics, log } = deps;
  const topic = config.kafka.topics.predictions;
  // co-partitioned with the predictions topic (checked at start, assigned together): partition p of both
  // feeds the same partition state
  const outcomesTopic = config.kafka.topics.outcomes;
  const { consumer, producer, encoder, limits, positions, sharedPartitionCount } =
    deps.clients ?? (await connectServiceClients(config, log, deps.kafka));
  const schemas = new SchemaCache({
    url: registryUrlWithCredentials(config),
    onSchemaWarning: (message, schemaId) => log.warn({ schemaId }, message),
  });
  const decodeContext = {
    schemaForId: schemas.schemaForId,
    maxMessageBytes: config.limits.maxMessageBytes,
    apicurioUseId: config.schemaRegistry.apicurioUseId,
  };
  const decoder: MessageDecoder = {
    decode: (value, headers) => decodePredictionMessage(value, decodeContext, schemaNamingHeaderOf(headers)),
    decodeOutcome: (value, headers) => decodeOutcomeMessage(value, decodeContext, schemaNamingHeaderOf(headers)),
    canFetch: (id) => !schemas.isKnownMissing(id),
    fetch: (id) => schemas.fetch(id),
  };
  const references = new ReferenceBaselines(store);
  const settings = processorSettings({
    sourceTopic: topic,
    outcomesSourceTopic: outcomesTopic,
    topics: config.kafka.topics,
    maxDeadLetterValueBytes: deps.maxDeadLetterValueBytes ?? Math.min(config.limits.maxMessageBytes, 512 * 1024),
    // the outcomes topic is consumed: predictions of models with performance.enabled wait for their outcome
    engine: engineContextFrom(config, deps.clock ?? Date.now, references.lookup, { outcomes: true }),
  });
  const states = new PartitionStates(store, config.kafka.groupId, topic, config.limits);
  const membership = createMembership();
  const relay: OutboxRelayDeps = { store, producer, encoder, config, metrics, log, limits };
  const backlog = new OutboxBacklog();
  const health = new DependencyHealth(metrics, log);
  const outboxStuckAfterMs = deps.outboxStuckAfterMs ?? 60_000;
  const clock = deps.clock ?? Date.now;
  const progress = new PartitionProgress(config.kafka.partitionStallAfterMs);
  const sourceTopics = outcomesTopic === topic ? [topic] : [topic, outcomesTopic];
  let lastProgress: ProgressCheck | undefined;
  metrics.trackOutbox(() => backlog.snapshot());
  metrics.initStatePartitions(config.kafka.partitions, outcomesTopic === topic ? [topic] : [topic, outcomesTopic]);
  let stopping = false;
  let crashed = false;

  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const isReady = () =>
    membership.joined &&
    !stopping &&
    membership.assigned.every((p) => states.has(p)) &&
    health.downReason() === undefined &&
    backlog.stuckReason(outboxStuckAfterMs) === undefined &&
    runtime.rebuildingReason() === undefined &&
    (lastProgress === undefined || describeStalls(lastProgress) === undefined);
  const checkReady = () => {
    if (isReady()) markReady();
  };

  const runtime = createPartitionRuntime({
    store,
    states,
    settings,
    decoder,
    references,
    drainOutbox: (ref) => drainOutbox(ref, relay),
    commitOffset: (t, partition, offset) => consumer.commitOffsets([{ topic: t, partition, offset }]),
    metrics,
    log,
    chunkSize: deps.chunkSize ?? 500,
    clock: deps.clock ?? Date.now,
    backoff: deps.backoff,
    isStopping: () => stopping,
    backlog,
    health,
    positions,
    onLoaded: checkReady,
    onApplied: (t, partition, end, highWatermark) => progress.applied(t, partition, BigInt(end) + 1n, BigInt(highWatermark), clock()),
    onForget: (_partition, slot) => {
      // Another replica exports these models now (unless one of our other partitions also has them).
      const stillOwned = new Set(states.partitions().flatMap((p) => [...(states.get(p)?.state.models.keys() ?? [])]));
      for (const modelId of slot.state.models.keys()) if (!stillOwned.has(modelId)) metrics.removeModel(modelId);
    },
  });

  // Outcomes whose key sits on another partition than its predictions never join: said once per key (the
  // first few), and counted on /metrics.
  const keyPlacement =
    sharedPartitionCount === undefined
      ? undefined
      : new KeyPlacementCheck({ predictions: topic, outcomes: outcomesTopic }, sharedPartitionCount);
  const reportKeyPlacement = () => {
    if (keyPlacement === undefined) return;
    metrics.setKeyPlacement(keyPlacement.conflicts, {
      [topic]: keyPlacement.fitFlags(topic),
      [outcomesTopic]: keyPlacement.fitFlags(outcomesTopic),
    });
  };
  reportKeyPlacement();
  let conflictsLogged = 0;
  function checkKeyPlacement(batch: { topic: string; partition: number; messages: readonly { key: Uint8Array | null }[] }): void {
    if (keyPlacement === undefined) return;
    const before = keyPlacement.changes;
    for (const conflict of keyPlacement.observe(batch.topic, batch.partition, batch.messages)) {
      if (conflictsLogged++ >= MAX_CONFLICTS_LOGGED) break;
      const fits = { predictions: keyPlacement.fitting(topic), outcomes: keyPlacement.fitting(outcomesTopic) };
      log.error({ ...conflict, fits }, describeConflict(conflict, { predictions: topic, outcomes: outcomesTopic }, fits));
    }
    // the gauges are set only when something changed: most batches change nothing
    if (keyPlacement.changes !== before) reportKeyPlacement();
  }

  function loadEagerly(partition: number): void {
    states.load(partition).then(
      () => {
        health.succeeded("redis");
        checkReady();
      },
      (err: unknown) => {
        const kind = outageOperation(err);
        if (kind !== undefined) health.failed(kind, "loadPartition", err);
        log.warn({ partition, err }, "loading partition state failed; will retry on the first batch or when the state store answers");
      },
    );
  }

  // The probe: readiness follows a hung Redis while idle, and loads that failed are retried once it answers.
  let probing = false;
  const probeTimer =
    deps.probeStateStore === undefined
      ? undefined
      : setInterval(() => {
          const probe = deps.probeStateStore;
          if (probing || stopping || probe === undefined) return;
          probing = true;
          probe()
            .then(
              () => {
                health.succeeded("redis");
                for (const p of membership.assigned) if (!states.has(p)) loadEagerly(p);
              },
              (err: unknown) => health.failed("redis", "ping", err),
            )
            .finally(() => (probing = false));
        }, deps.probeIntervalMs ?? 2_000);
  probeTimer?.unref();

  // Every assigned partition moves when it has records to read: log ends read apart from the fetch (a
  // consumer that stopped fetching a partition reports nothing itself), the lag gauge kept current when no
  // batch arrives, and a partition whose records wait past kafka.partitionStallAfterMs is not ready.
  let readingProgress = false;
  const readProgress = async () => {
    for (const t of sourceTopics) {
      try {
        progress.readPositions(t, await positions.progress(t), clock());
      } catch (err) {
        metrics.onKafkaError("readLogEnds");
        progress.readFailed(err instanceof Error ? err.message : String(err), clock());
      }
    }
    for (const { topic: t, partition, lag } of progress.lags()) metrics.setConsumerLag(t, partition, lag);
    reportProgress(progress.check(clock()));
  };
  const reportProgress = (check: ProgressCheck) => {
    lastProgress = check;
    const waiting = new Map(check.waiting.map((w) => [`${w.topic}/${w.partition}`, w.forMs]));
    for (const t of sourceTopics)
      for (const p of membership.assigned) metrics.setPartitionStalled(t, p, (waiting.get(`${t}/${p}`) ?? 0) / 1000);
    for (const s of check.started)
      log.error(
        { topic: s.topic, partition: s.partition, behind: s.behind, stalledMs: s.forMs },
        `partition ${s.partition} of ${s.topic} has not moved for ${Math.round(s.forMs / 1000)} s with ${s.behind} records to read: ` +
          "not ready until it moves (its leader may be unreachable, or the consumer stopped fetching it)",
      );
    for (const e of check.ended) log.info(e, "partition moves again");
    if (check.unreadableStarted && check.unreadable !== undefined)
      log.error(
        { stalledMs: check.unreadable.forMs, error: check.unreadable.message },
        "the partitions' log ends cannot be read from Kafka: whether they move is unknown; not ready until they can be read",
      );
    if (check.unreadableEnded) log.info("the partitions' log ends can be read again");
    if (describeStalls(check) === undefined) checkReady();
  };
  const progressTimer = setInterval(
    () => {
      if (readingProgress || stopping) return;
      readingProgress = true;
      void readProgress().finally(() => (readingProgress = false));
    },
    Math.min(10_000, Math.floor(config.kafka.partitionStallAfterMs / 3)),
  );
  progressTimer.unref();

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const { revoked, assigned, misaligned } = applyGroupJoin(membership, topic, event.payload.memberAssignment, outcomesTopic);
    for (const p of revoked) runtime.forget(p);
    // both topics' series: a revoked partition's lag or stall left behind would alert for ever
    for (const t of sourceTopics) {
      metrics.setPartitionsAssigned(t, assigned);
      progress.assign(t, assigned);
    }
    log.info({ generation: membership.generation, assigned, revoked }, "joined consumer group");
    if (misaligned.length > 0)
      log.error(
        { misaligned, assignment: event.payload.memberAssignment },
        "partitions of only one of the predictions and outcomes topics were assigned here: a member of the group does not use " +
          "the co-partitioned assigner (an older version?); outcomes of these partitions are joined against the wrong state",
      );
    // Load eagerly; runBatch awaits the same load (and retries it with backoff if this one fails).
    for (const p of assigned) loadEagerly(p);
    checkReady();
  });
  // kafkajs skips a fetch that holds only records no reader sees (transaction markers, aborted records) without
  // calling eachBatch, and reports it as a batch of size 0. Its last offset is passed like the end of a batch,
  // so the stored and committed offsets reach the log end without waiting for the next event. With firstOffset
  // null nothing at or past the fetch position came back, and kafkajs' lastOffset names a record not yet read.
  const passing = new Set<Promise<void>>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize !== 0 || (payload.firstOffset as string | null) === null || stopping) return;
    const { topic: batchTopic, partition, highWatermark, lastOffset } = payload;
    const generation = membership.generation;
    const job = runtime
      .runBatch(
        { topic: batchTopic, partition, highWatermark, messages: [], lastOffset: () => lastOffset },
        {
          resolveOffset: () => {},
          heartbeat: async () => {},
          isRunning: () => !stopping,
          isStale: () => membership.generation !== generation || !membership.assigned.includes(partition),
          noRetry: true,
        },
      )
      .catch((err: unknown) => {
        const message = "passing records no reader sees failed; the next batch passes them";
        if (isOutage(err)) log.warn({ err, topic: batchTopic, partition, lastOffset }, message);
        else log.error({ err, topic: batchTopic, partition, lastOffset }, message);
      });
    passing.add(job);
    void job.finally(() => passing.delete(job));
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    metrics.onConsumerCrash(restart);
    if (restart) {
      log.warn({ err: error }, "consumer crashed on a retriable error; kafkajs restarts it");
      return;
    }
    // Not retriable (e.g. a fetch the client cannot decode): an in-process restart would meet the same
    // batch again. The consumer has left the group; the owner of the process exits so it is restarted.
    crashed = true;
    log.error({ err: error }, "consumer crashed and does not restart");
    deps.onFatalCrash?.(error);
  });

  await consumer.connect();
  await consumer.subscribe({ topics: outcomesTopic === topic ? [topic] : [topic, outcomesTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.partitionsConsumedConcurrently ?? Math.min(config.kafka.partitions, 4),
    eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      checkKeyPlacement(batch);
      return runtime.runBatch(batch, { resolveOffset, heartbeat, isRunning, isStale });
    },
  });
  log.info({ topic, outcomesTopic, groupId: config.kafka.groupId }, "consuming");

  let stopped: Promise<void> | undefined;
  return {
    ready,
    isReady,
    notReadyReason: () => {
      if (stopping) return "stopping";
      if (!membership.joined) return health.downReason() ?? "not yet joined the consumer group";
      // every cause at once: a broker outage often shows as a dependency down and a partition that does not move
      const loading = membership.assigned.filter((p) => !states.has(p));
      const reasons = [
        health.downReason(),
        runtime.rebuildingReason(),
        loading.length > 0 ? `loading state of partitions ${loading.join(", ")}` : undefined,
        backlog.stuckReason(outboxStuckAfterMs),
        lastProgress === undefined ? undefined : describeStalls(lastProgress),
      ].filter((r) => r !== undefined);
      return reasons.length === 0 ? "ready" : reasons.join("; ");
    },
    isHealthy: () => !crashed,
    degradedReason: () => backlog.stuckReason(outboxStuckAfterMs),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (probeTimer !== undefined) clearInterval(probeTimer);
        clearInterval(progressTimer);
        // disconnect waits for the running batch: it finishes its chunk (persist, commit) and returns;
        // so does a batch of only passed records (which kafkajs does not wait for)
        await Promise.all(passing);
        await consumer.disconnect();
        await producer.disconnect();
        await positions.close();
        log.info("pipeline stopped");
      })();
      return stopped;
    },
  };
}
