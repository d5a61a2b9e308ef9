// Every metric the detector exports (design §5), in one place: name, help, labels, buckets. Names: prefix
// `drift_`, base units (seconds, ratios 0..1), `_total` for counters. Label values are bounded by the
// exporter (detector-metrics.ts, bounded-series.ts), never here.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { WindowGaugeName } from "./window-gauges.ts";

/** what the outbox gauges show at scrape time; undefined: not tracked, keep the last value set */
export interface OutboxReading {
  pending: number;
  oldestAgeMs: number;
  consecutiveFailures: number;
}

export type MetricCatalogue = ReturnType<typeof createMetricCatalogue>;

export function createMetricCatalogue(registry: Registry, readOutbox: () => OutboxReading | undefined = () => undefined) {
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers });

  // per window, per model version (values from window-gauges.ts)
  const window: Record<WindowGaugeName, Gauge<string>> = {
    signalStatistic: gauge("drift_signal_statistic", "Drift statistic of a signal in the last closed window against its driving baseline", [
      "model",
      "version",
      "signal",
      "statistic",
    ]),
    signalStatus: gauge("drift_signal_status", "Signal status in the last closed window before hysteresis (0 ok, 1 warning, 2 critical)", [
      "model",
      "version",
      "signal",
    ]),
    modelStatus: gauge("drift_model_status", "Model status after hysteresis (0 ok, 1 warning, 2 critical)", ["model", "version"]),
    dataQualityStatus: gauge(
      "drift_data_quality_status",
      "Worst data-quality test in the last closed window: missing, out-of-range, unseen categories, type changes (0 ok, 1 warning, 2 critical)",
      ["model", "version"],
    ),
    confidenceMean: gauge("drift_confidence_mean", "Mean confidence in the last closed window", ["model", "version"]),
    confidenceQuantile: gauge("drift_confidence_quantile", "Confidence quantiles in the last closed window", [
      "model",
      "version",
      "quantile",
    ]),
    latencySeconds: gauge("drift_latency_seconds", "Inference latency quantiles in the last closed window", [
      "model",
      "version",
      "quantile",
    ]),
    predictionQuantile: gauge("drift_prediction_quantile", "Numeric prediction quantiles in the last closed window", [
      "model",
      "version",
      "quantile",
    ]),
    predictionClassShare: gauge("drift_prediction_class_share", "Share of each predicted class in the last closed window (ratio)", [
      "model",
      "version",
      "class",
    ]),
    featureMissingRatio: gauge(
      "drift_feature_missing_ratio",
      "Share of events with the feature missing or null in the last closed window (ratio)",
      ["model", "version", "feature"],
    ),
    segmentShare: gauge(
      "drift_segment_share",
      "Share of each segment (<key>=<segment>, top k per key + __other__) among the last closed window's events with the attribute",
      ["model", "version", "segment"],
    ),
    segmentStatus: gauge(
      "drift_segment_status",
      "Worst status of a segment's own signals in the last closed window before hysteresis (0 ok, 1 warning, 2 critical)",
      ["model", "version", "segment"],
    ),
    windowEvents: gauge("drift_window_events", "Events in the last closed window", ["model", "version"]),
    windowCloseTimestamp: gauge("drift_window_close_timestamp_seconds", "Wall-clock time the last window was closed (unix seconds)", [
      "model",
      "version",
    ]),
    windowEndTimestamp: gauge(
      "drift_window_end_timestamp_seconds",
      "Event time of the last event in the last closed window (unix seconds)",
      ["model", "version"],
    ),
    baselineAge: gauge("drift_baseline_age_seconds", "Event-time age of the reference baseline: last window end minus reference end", [
      "model",
      "version",
    ]),
    baselineEvents: gauge("drift_baseline_events", "Events the reference baseline was built from", ["model", "version"]),
    estimatedPerformance: gauge(
      "drift_estimated_performance",
      "Label-free estimate of the last closed prediction window's performance from its confidence and the reference's calibration",
      ["model", "version", "metric"],
    ),
    performance: gauge(
      "drift_performance",
      "Performance of the last closed performance window of joined outcomes (accuracy, error_rate, ece: ratios; mae, rmse: the prediction's unit)",
      ["model", "version", "metric"],
    ),
    performanceReference: gauge("drift_performance_reference", "Performance of the version's performance reference", [
      "model",
      "version",
      "metric",
    ]),
    performanceStatus: gauge(
      "drift_performance_status",
      "Performance status after hysteresis, from joined outcomes (0 ok, 1 warning, 2 critical)",
      ["model", "version"],
    ),
    performanceClassRecall: gauge("drift_performance_class_recall", "Recall per actual class in the last closed performance window", [
      "model",
      "version",
      "class",
    ]),
    performanceOutcomes: gauge("drift_performance_window_outcomes", "Joined outcomes in the last closed performance window", [
      "model",
      "version",
    ]),
    segmentPerformance: gauge(
      "drift_segment_performance",
      "Performance of each segment (<key>=<segment>, top k + __other__) in the last closed performance window (accuracy; mae)",
      ["model", "version", "segment", "metric"],
    ),
    segmentPerformanceStatus: gauge(
      "drift_segment_performance_status",
      "Status of each segment's performance test in the last closed performance window before hysteresis (0 ok, 1 warning, 2 critical)",
      ["model", "version", "segment"],
    ),
    labelDelaySeconds: gauge(
      "drift_label_delay_seconds",
      "Label delay quantiles (outcome time minus prediction time) in the last closed performance window",
      ["model", "version", "quantile"],
    ),
  };

  const consumerCrashes = () => {
    const c = counter(
      "drift_consumer_crashes_total",
      'Kafka consumer crashes; restarted="true": kafkajs restarted it, "false": the service exits non-zero',
      ["restarted"],
    );
    // both series exist from the start, so rate() and increase() see the first crash
    for (const restarted of ["true", "false"]) c.inc({ restarted }, 0);
    return c;
  };

  return {
    window,
    eventsConsumed: counter(
      "drift_events_consumed_total",
      "Prediction events consumed and accepted (rejected messages count in drift_events_rejected_total)",
      ["topic", "partition"],
    ),
    eventsRejected: counter("drift_events_rejected_total", "Messages sent to the dead-letter topic, by reason", ["reason", "topic"]),
    eventsLate: counter("drift_events_late_total", "Events older than the watermark minus the allowed lateness", ["model"]),
    driftEventsEmitted: counter("drift_drift_events_emitted_total", "Drift events emitted, by status", ["model", "version", "status"]),
    outcomeJoins: counter(
      "drift_outcome_joins_total",
      "Outcome join results per model: matched, expired (prediction without outcome within the label delay), early, unknown (early outcome whose prediction never came), duplicate, too_late, unconfirmed_jump (outcome far ahead of the outcome watermark that did not move it, still joined)",
      ["model", "result"],
    ),
    outcomesWaiting: gauge(
      "drift_outcome_join_waiting",
      "Entries waiting in the join: side=prediction (unmatched predictions), side=outcome (early outcomes)",
      ["model", "side"],
    ),
    retrainEmitted: counter("drift_retrain_requests_emitted_total", "Retrain requests emitted, by reason", ["model", "version", "reason"]),
    retrainSuppressed: counter(
      "drift_retrain_requests_suppressed_total",
      "Retrain requests not emitted because the cooldown lock was held",
      ["model"],
    ),
    consumerLag: gauge(
      "drift_consumer_lag_messages",
      "Consumer lag: high watermark minus the next offset to apply (Kafka's committed offset may trail it by a batch), from each " +
        "batch and from the log ends read every 10 s apart from the fetch, so it does not freeze when no batch comes",
      ["topic", "partition"],
    ),
    partitionStalled: gauge(
      "drift_partition_stalled_seconds",
      "How long records have waited in an assigned partition without it moving (log ends read from the brokers on a timer, apart " +
        "from the fetch); 0 when it is caught up or moving",
      ["topic", "partition"],
    ),
    redisErrors: counter("drift_redis_errors_total", "Redis operation failures", ["operation"]),
    kafkaErrors: counter("drift_kafka_errors_total", "Kafka operation failures", ["operation"]),
    consumerCrashes: consumerCrashes(),
    partitionsAssigned: gauge("drift_partitions_assigned", "Partitions currently assigned to this replica", ["topic"]),
    keyPartitionConflicts: gauge(
      "drift_key_partition_conflicts",
      "Distinct record keys this replica saw on one partition of the predictions topic and another of the outcomes topic since it started: " +
        "the producers place keys differently, and those outcomes cannot join their predictions",
      [],
    ),
    keyPartitionerFit: gauge(
      "drift_key_partitioner_fit",
      "1 while every keyed record of the topic seen since start sits where this producer partitioner puts its key " +
        "(murmur2: Java, kafkajs, franz-go; crc32: librdkafka's default, kcat, confluent-kafka; fnv1a: sarama), else 0",
      ["topic", "partitioner"],
    ),
    batchDuration: new Histogram({
      name: "drift_batch_duration_seconds",
      help: "Time to process one consumed batch (decode, apply, persist, publish)",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchEvents: new Histogram({
      name: "drift_batch_events",
      help: "Messages in one consumed batch",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    outboxPending: new Gauge({
      name: "drift_outbox_pending",
      help: "Output events waiting in the Redis outbox",
      registers,
      collect() {
        const r = readOutbox();
        if (r !== undefined) this.set(r.pending);
      },
    }),
    outboxOldestAge: new Gauge({
      name: "drift_outbox_oldest_age_seconds",
      help: "How long the oldest outbox write not yet published has waited (0 when drained); the partition waits with it",
      registers,
      collect() {
        const r = readOutbox();
        if (r !== undefined) this.set(r.oldestAgeMs / 1000);
      },
    }),
    outboxConsecutiveFailures: new Gauge({
      name: "drift_outbox_consecutive_failures",
      help: "Failed outbox drain attempts in a row (the worst partition); 0 after a drain succeeds",
      registers,
      collect() {
        const r = readOutbox();
        if (r !== undefined) this.set(r.consecutiveFailures);
      },
    }),
    outputFailures: counter("drift_output_failures_total", "Failed sends of outputs and dead letters, by Kafka error type", ["reason"]),
    outputFallbacks: counter(
      "drift_output_fallbacks_total",
      "Outputs or dead letters delivered as a small fallback record on the dead-letter topic instead of themselves, by cause",
      ["kind", "cause"],
    ),
    outputDropped: counter(
      "drift_output_dropped_total",
      "Outputs or dead letters dropped because even their fallback record was rejected (logged)",
      ["kind"],
    ),
    dependencyUp: gauge("drift_dependency_up", "Whether the last operation on a dependency succeeded (1) or failed (0)", ["dependency"]),
    dependencyErrors: counter(
      "drift_dependency_errors_total",
      "Failed operations on a dependency, by cause (auth, timeout, connection, other)",
      ["dependency", "reason"],
    ),
    stateLost: counter(
      "drift_state_lost_total",
      "Times Redis was found without (emptied) or behind (rolled back) the state of a partition it had acknowledged",
      ["partition"],
    ),
    sourceLogReplaced: counter(
      "drift_source_log_replaced_total",
      "Times a source partition's log was found rewritten under the stored state (topic recreated, another cluster): applied from its start",
      ["topic", "partition"],
    ),
    stateRebuildsInexact: counter(
      "drift_state_rebuilds_inexact_total",
      "Rebuilds of lost state that could not be exact: retention had deleted records the state was built from",
      ["partition"],
    ),
    stateRebuilding: gauge("drift_state_rebuilding", "1 while the partition's lost state is rebuilt from Kafka (not ready)", ["partition"]),
    modelsEvicted: counter(
      "drift_models_evicted_total",
      "Unconfigured models evicted (longest idle by event time) to admit a new one over limits.maxModels",
      [],
    ),
    cardinalityDropped: counter(
      "drift_cardinality_dropped_total",
      "Data or series left out at a cardinality cap (kind: model|feature|category from the engine, model_series|signal_series from the exporter)",
      ["kind"],
    ),
  };
}
