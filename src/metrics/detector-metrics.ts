// The detector's metrics as the service reports them. The metrics themselves are defined in catalogue.ts,
// the per-window values computed by window-gauges.ts, and the caps on models, versions and signals kept by
// bounded-series.ts: beyond the caps no series is created and
// drift_cardinality_dropped_total{kind="model_series"|"signal_series"} counts what was left out.
//
// Per-window gauges are written only in onWindowClosed, and each closed window *replaces* the per-window series
// of its model version: a signal or class absent from the new window disappears instead of showing a stale
// value. Per-event work never reaches prom-client — the pipeline batches counts and calls the counters once
// per batch.
//
// Counters whose label values are known in advance start at 0 (Prometheus's "initialise your labels"
// advice): an alert or panel on rate() then sees the first error instead of a series appearing at 1, and a
// dashboard shows 0 rather than "no data".
import { collectDefaultMetrics, Registry } from "prom-client";
import type { WindowClosed } from "../detect/engine.ts";
import type { JoinCounters } from "../outcomes/join.ts";
import type { PerformanceWindowClosed } from "../outcomes/tracker.ts";
import { REJECTION_REASONS } from "../events/decode-result.ts";
import { RECORD_REJECTED_TYPES } from "../kafka/send-errors.ts";
import type { KeyPartitioner } from "../kafka/key-partitioners.ts";
import {
  BoundedModelSeries,
  incOwnedCounter,
  LabelBudget,
  replacePerformanceSeries,
  replaceWindowSeries,
  seriesKey,
  type SeriesRef,
} from "./bounded-series.ts";
import { createMetricCatalogue, type OutboxReading } from "./catalogue.ts";
import { performanceGauges, STATUS_VALUE, windowGauges } from "./window-gauges.ts";

export { CONFIDENCE_QUANTILES, EXPORTED_STATISTICS, LATENCY_QUANTILES, PREDICTION_QUANTILES, STATUS_VALUE } from "./window-gauges.ts";

export type OutputKindLabel = "drift" | "retrain" | "dead-letter" | "baseline";
export type DependencyName = "redis" | "kafka" | "registry";

/** operations the pipeline retries on an outage (src/pipeline/partition-runtime.ts), by the system that fails them */
export const REDIS_OPERATIONS = ["loadPartition", "getReferenceBaseline", "outboxRelay"] as const;
export const KAFKA_OPERATIONS = ["commitOffsets", "outboxRelay", "readLogEnds"] as const;
export const CARDINALITY_DROP_KINDS = ["model", "feature", "category", "model_series", "signal_series"] as const;
const DEPENDENCIES: readonly DependencyName[] = ["redis", "kafka", "registry"];
const DEPENDENCY_ERROR_REASONS = ["auth", "timeout", "connection", "other"] as const;
const OUTPUT_KINDS: readonly OutputKindLabel[] = ["drift", "retrain", "dead-letter", "baseline"];
/** drift_outcome_joins_total{result} ← the join's counters (outcomes/join.ts) */
export const OUTCOME_JOIN_RESULTS: Readonly<Record<string, keyof JoinCounters>> = {
  matched: "matched",
  expired: "expired",
  early: "early",
  unknown: "unknown",
  duplicate: "duplicateOutcomes",
  too_late: "tooLate",
  unconfirmed_jump: "unconfirmedJumps",
};

/** What the outbox gauges read at scrape time (OutboxBacklog.snapshot()). */
export type OutboxBacklogReading = OutboxReading;

export interface DetectorMetrics {
  registry: Registry;
  /** gauges per closed window: statistics per signal, signal status, model status, quantiles, window size/close ts, baseline age */
  onWindowClosed(out: WindowClosed): void;
  /** gauges per closed performance window: drift_performance*, drift_label_delay_seconds; drift_model_status */
  onPerformanceWindowClosed(out: PerformanceWindowClosed): void;
  /**
   * A model's join after a committed chunk (or at load, with nothing grown): drift_outcome_joins_total grows by
   * what the chunk's messages moved the join's counters by, and drift_outcome_join_waiting shows what waits.
   */
  onJoinCounted(model: string, grew: Partial<JoinCounters>, waiting: { predictions: number; outcomes: number }): void;
  onConsumed(topic: string, partition: number, count: number): void;
  onRejected(reason: string, topic: string, count?: number): void;
  onLate(model: string, count: number): void;
  onDriftEventEmitted(model: string, version: string, status: string): void;
  onRetrainRequestEmitted(model: string, version: string, reason: string): void;
  /** a retrain request was not emitted because another replica holds the model's cooldown lock */
  onRetrainSuppressed(model: string): void;
  setConsumerLag(topic: string, partition: number, lag: number): void;
  /** seconds records have waited in the partition without it moving (pipeline/partition-progress.ts) */
  setPartitionStalled(topic: string, partition: number, seconds: number): void;
  onRedisError(operation: string): void;
  onKafkaError(operation: string): void;
  /** the Kafka consumer crashed; `restarted`: kafkajs restarts it (retriable error), else the service exits */
  onConsumerCrash(restarted: boolean): void;
  /** also drops the lag and stall series of partitions no longer assigned */
  setPartitionsAssigned(topic: string, partitions: number[]): void;
  /**
   * What the records' keys say about how the predictions and outcomes topics are partitioned
   * (kafka/key-placement.ts): keys seen on different partitions of the two, and which partitioners fit each.
   */
  setKeyPlacement(conflicts: number, fits: Record<string, Record<KeyPartitioner, boolean>>): void;
  observeBatch(seconds: number, events: number): void;
  setOutboxPending(count: number): void;
  /** drift_outbox_pending, drift_outbox_oldest_age_seconds and drift_outbox_consecutive_failures read this at scrape time */
  trackOutbox(read: () => OutboxBacklogReading): void;
  /** a send of outputs or dead letters failed (reason: Kafka error type) */
  onOutputFailure(reason: string): void;
  /** an output or dead letter went to the DLQ topic as a fallback record */
  onOutputFallback(kind: OutputKindLabel, cause: string): void;
  /** an output or dead letter was dropped: even its fallback record was rejected */
  onOutputDropped(kind: OutputKindLabel): void;
  /** reason: auth | timeout | connection | other (dependency-health.ts) */
  onDependencyError(dependency: DependencyName, reason: string): void;
  setDependencyUp(dependency: DependencyName, up: boolean): void;
  /** the engine dropped data at one of its caps (counted by kind; the model is not a label: it is unbounded) */
  onCardinalityDropped(kind: "model" | "feature" | "category", model: string, count: number): void;
  /**
   * drift_state_lost_total, drift_state_rebuilds_inexact_total and drift_state_rebuilding start at 0 for partitions
   * 0..count-1, and drift_source_log_replaced_total for those partitions of each source topic
   */
  initStatePartitions(count: number, sourceTopics?: readonly string[]): void;
  /** Redis lost (or rolled back) a partition's state; `exact`: retention still holds everything to rebuild it */
  onStateLost(partition: number, exact: boolean): void;
  setStateRebuilding(partition: number, rebuilding: boolean): void;
  /** a source partition's log was rewritten under the stored state and is applied from its start (state-loss.ts replacedLog) */
  onSourceLogReplaced(topic: string, partition: number): void;
  /** the engine evicted these unconfigured models to admit new ones; their series are removed */
  onModelsEvicted(models: readonly string[]): void;
  /**
   * Remove every series of a model (e.g. when its partition is revoked and another replica owns it now), so a
   * replica does not keep exporting a stale status. Frees the model's slot under the maxModels cap.
   */
  removeModel(model: string): void;
}

export interface DetectorMetricsOptions {
  registry?: Registry;
  /** distinct `model` label values exported (default 1000, the engine's default maxModels) */
  maxModels?: number;
  /** distinct `signal`/`feature` values exported per model (default 104: 100 features + 4 core signals) */
  maxSignalsPerModel?: number;
  /** model versions exported per model; the least recently updated version's series are removed (default 5) */
  maxVersionsPerModel?: number;
  /** distinct values of free-text labels (reason, topic, operation) before they collapse into "other" (default 50) */
  maxLabelValues?: number;
  /** process metrics (process_*, nodejs_*) — default true */
  defaultMetrics?: boolean;
  /** wall clock (ms) for drift_window_close_timestamp_seconds */
  now?: () => number;
}

export function createDetectorMetrics(opts: DetectorMetricsOptions = {}): DetectorMetrics {
  const registry = opts.registry ?? new Registry();
  const maxLabelValues = opts.maxLabelValues ?? 50;
  const now = opts.now ?? Date.now;
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  let outbox: (() => OutboxBacklogReading) | undefined;
  const m = createMetricCatalogue(registry, () => outbox?.());
  const series = new BoundedModelSeries(
    {
      maxModels: opts.maxModels ?? 1000,
      maxSignalsPerModel: opts.maxSignalsPerModel ?? 104,
      maxVersionsPerModel: opts.maxVersionsPerModel ?? 5,
    },
    (kind) => m.cardinalityDropped.inc({ kind }),
    (model, entry) => {
      for (const metric of [m.eventsLate, m.retrainSuppressed]) incOwnedCounter(metric, { model }, 0, entry.counterSeries);
      for (const result of Object.keys(OUTCOME_JOIN_RESULTS)) incOwnedCounter(m.outcomeJoins, { model, result }, 0, entry.counterSeries);
    },
  );
  for (const operation of REDIS_OPERATIONS) m.redisErrors.inc({ operation }, 0);
  for (const operation of KAFKA_OPERATIONS) m.kafkaErrors.inc({ operation }, 0);
  for (const kind of CARDINALITY_DROP_KINDS) m.cardinalityDropped.inc({ kind }, 0);
  m.modelsEvicted.inc(0);
  for (const dependency of DEPENDENCIES) for (const reason of DEPENDENCY_ERROR_REASONS) m.dependencyErrors.inc({ dependency, reason }, 0);
  for (const kind of OUTPUT_KINDS) m.outputDropped.inc({ kind }, 0);
  const reasons = new LabelBudget(maxLabelValues);
  // the broker's record rejections and the encoder's refusals (known, so outside the label budget)
  for (const reason of RECORD_REJECTED_TYPES) m.outputFailures.inc({ reason }, 0);
  for (const kind of OUTPUT_KINDS) {
    for (const cause of ["too_large_for_topic", "encode_error", ...RECORD_REJECTED_TYPES]) m.outputFallbacks.inc({ kind, cause }, 0);
  }
  const topics = new LabelBudget(maxLabelValues);
  const operations = new LabelBudget(maxLabelValues);
  const assigned = new Map<string, Set<number>>();
  const topicsSeen = new Set<string>();
  /** every rejection reason of a topic starts at 0 once the topic is consumed */
  function seeTopic(label: string): void {
    if (topicsSeen.has(label)) return;
    topicsSeen.add(label);
    for (const reason of REJECTION_REASONS) m.eventsRejected.inc({ reason: reasons.value(reason), topic: label }, 0);
  }

  function onWindowClosed(out: WindowClosed): void {
    // values folded into __other__ at the category cap, counted whether or not the model has series
    let folded = 0;
    for (const counts of out.window.signals.categorical.values()) folded += counts.other;
    if (folded > 0) m.cardinalityDropped.inc({ kind: "category" }, folded);
    const entry = series.model(out.modelId);
    if (entry === null) return;
    const v = series.version(entry, out.modelVersion);
    // the engine's count is cumulative per version: export the increase (all of it for a version's first window)
    const droppedBefore = v.featureValuesDropped ?? (out.window.seq === 0 ? 0 : out.featureValuesDropped);
    if (out.featureValuesDropped > droppedBefore) m.cardinalityDropped.inc({ kind: "feature" }, out.featureValuesDropped - droppedBefore);
    v.featureValuesDropped = out.featureValuesDropped;
    v.driftStatus = out.status;
    const gauges = windowGauges(out, now(), v.performanceStatus);
    const exported = new Set(gauges.signals.filter((s) => series.admitSignal(entry, s)));
    const next = new Map<string, SeriesRef>();
    for (const value of gauges.values) {
      if (value.signal !== undefined && !exported.has(value.signal)) continue;
      const metric = m.window[value.gauge];
      metric.set(value.labels, value.value);
      next.set(seriesKey(metric, value.labels), { metric, labels: value.labels });
    }
    replaceWindowSeries(v, next);
  }

  function onPerformanceWindowClosed(out: PerformanceWindowClosed): void {
    const entry = series.model(out.modelId);
    if (entry === null) return;
    const v = series.version(entry, out.modelVersion);
    v.performanceStatus = out.status;
    const next = new Map<string, SeriesRef>();
    for (const value of performanceGauges(out)) {
      const metric = m.window[value.gauge];
      metric.set(value.labels, value.value);
      next.set(seriesKey(metric, value.labels), { metric, labels: value.labels });
    }
    replacePerformanceSeries(v, next);
    // the model status is the worse of the last drift status and the performance status (a window series)
    const base = { model: out.modelId, version: out.modelVersion };
    const status = Math.max(STATUS_VALUE[v.driftStatus ?? "ok"], STATUS_VALUE[out.status]);
    m.window.modelStatus.set(base, status);
    v.windowSeries.set(seriesKey(m.window.modelStatus, base), { metric: m.window.modelStatus, labels: base });
  }

  function onJoinCounted(model: string, grew: Partial<JoinCounters>, waiting: { predictions: number; outcomes: number }): void {
    const entry = series.model(model);
    if (entry === null) return;
    for (const [result, key] of Object.entries(OUTCOME_JOIN_RESULTS)) {
      const n = grew[key] ?? 0;
      if (n > 0) incOwnedCounter(m.outcomeJoins, { model, result }, n, entry.counterSeries);
    }
    for (const [side, n] of [
      ["prediction", waiting.predictions],
      ["outcome", waiting.outcomes],
    ] as const) {
      m.outcomesWaiting.set({ model, side }, n);
      entry.counterSeries.set(seriesKey(m.outcomesWaiting, { model, side }), { metric: m.outcomesWaiting, labels: { model, side } });
    }
  }

  return {
    registry,
    onWindowClosed,
    onPerformanceWindowClosed,
    onJoinCounted,
    onConsumed(topic, partition, count) {
      seeTopic(topics.value(topic));
      if (count > 0) m.eventsConsumed.inc({ topic: topics.value(topic), partition: String(partition) }, count);
    },
    onRejected(reason, topic, count = 1) {
      if (count > 0) m.eventsRejected.inc({ reason: reasons.value(reason), topic: topics.value(topic) }, count);
    },
    onLate(model, count) {
      const entry = series.model(model);
      if (entry !== null) incOwnedCounter(m.eventsLate, { model }, count, entry.counterSeries);
    },
    onDriftEventEmitted(model, version, status) {
      const entry = series.model(model);
      if (entry !== null)
        incOwnedCounter(m.driftEventsEmitted, { model, version, status }, 1, series.version(entry, version).counterSeries);
    },
    onRetrainRequestEmitted(model, version, reason) {
      const entry = series.model(model);
      if (entry !== null)
        incOwnedCounter(
          m.retrainEmitted,
          { model, version, reason: reasons.value(reason) },
          1,
          series.version(entry, version).counterSeries,
        );
    },
    onRetrainSuppressed(model) {
      const entry = series.model(model);
      if (entry !== null) incOwnedCounter(m.retrainSuppressed, { model }, 1, entry.counterSeries);
    },
    setConsumerLag(topic, partition, lag) {
      if (Number.isFinite(lag)) m.consumerLag.set({ topic: topics.value(topic), partition: String(partition) }, Math.max(0, lag));
    },
    setPartitionStalled(topic, partition, seconds) {
      m.partitionStalled.set({ topic: topics.value(topic), partition: String(partition) }, Math.max(0, seconds));
    },
    onRedisError(operation) {
      m.redisErrors.inc({ operation: operations.value(operation) });
    },
    onConsumerCrash(restarted) {
      m.consumerCrashes.inc({ restarted: String(restarted) });
    },
    onKafkaError(operation) {
      m.kafkaErrors.inc({ operation: operations.value(operation) });
    },
    setPartitionsAssigned(topic, partitions) {
      const label = topics.value(topic);
      seeTopic(label);
      m.partitionsAssigned.set({ topic: label }, partitions.length);
      const current = new Set(partitions);
      for (const p of assigned.get(label) ?? [])
        if (!current.has(p)) {
          m.consumerLag.remove({ topic: label, partition: String(p) });
          m.partitionStalled.remove({ topic: label, partition: String(p) });
        }
      assigned.set(label, current);
    },
    setKeyPlacement(conflicts, fits) {
      m.keyPartitionConflicts.set(conflicts);
      for (const [topic, byPartitioner] of Object.entries(fits))
        for (const [partitioner, fit] of Object.entries(byPartitioner))
          m.keyPartitionerFit.set({ topic: topics.value(topic), partitioner }, fit ? 1 : 0);
    },
    observeBatch(seconds, events) {
      if (Number.isFinite(seconds) && seconds >= 0) m.batchDuration.observe(seconds);
      if (Number.isFinite(events) && events >= 0) m.batchEvents.observe(events);
    },
    setOutboxPending(count) {
      m.outboxPending.set(count);
    },
    trackOutbox(read) {
      outbox = read;
    },
    onOutputFailure(reason) {
      m.outputFailures.inc({ reason: reasons.value(reason) });
    },
    onOutputFallback(kind, cause) {
      m.outputFallbacks.inc({ kind, cause: reasons.value(cause) });
    },
    onOutputDropped(kind) {
      m.outputDropped.inc({ kind });
    },
    onDependencyError(dependency, reason) {
      m.dependencyErrors.inc({ dependency, reason: reasons.value(reason) });
    },
    setDependencyUp(dependency, up) {
      m.dependencyUp.set({ dependency }, up ? 1 : 0);
    },
    onCardinalityDropped(kind, _model, count) {
      if (count > 0) m.cardinalityDropped.inc({ kind }, count);
    },
    removeModel(model) {
      series.remove(model);
    },
    initStatePartitions(count, sourceTopics = []) {
      for (let p = 0; p < count; p++) {
        const partition = String(p);
        m.stateLost.inc({ partition }, 0);
        m.stateRebuildsInexact.inc({ partition }, 0);
        m.stateRebuilding.set({ partition }, 0);
        for (const topic of sourceTopics) m.sourceLogReplaced.inc({ topic: topics.value(topic), partition }, 0);
      }
    },
    onStateLost(partition, exact) {
      m.stateLost.inc({ partition: String(partition) });
      m.stateRebuildsInexact.inc({ partition: String(partition) }, exact ? 0 : 1);
    },
    onSourceLogReplaced(topic, partition) {
      m.sourceLogReplaced.inc({ topic: topics.value(topic), partition: String(partition) });
    },
    setStateRebuilding(partition, rebuilding) {
      m.stateRebuilding.set({ partition: String(partition) }, rebuilding ? 1 : 0);
    },
    onModelsEvicted(models) {
      m.modelsEvicted.inc(models.length);
      for (const model of models) series.remove(model);
    },
  };
}
