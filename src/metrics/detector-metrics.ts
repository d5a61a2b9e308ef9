// Prometheus metrics of the detector (design §5). Names: prefix `drift_`, base units (seconds, ratios 0..1),
// `_total` for counters. Labels come only from bounded sets; model, version and signal values are capped
// (design §4 "Cardinality is bounded"): beyond the caps no series is created and
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
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WindowClosed } from "../detect/engine.ts";
import type { Status } from "../events/types.ts";
import { REJECTION_REASONS } from "../events/decode-result.ts";
import { quantileAt } from "../sketch/cdf-model.ts";
import { OTHER_CATEGORY, type CategoryCounts } from "../sketch/categories.ts";
import type { NumericSketch } from "../sketch/numeric-sketch.ts";

export interface DetectorMetrics {
  registry: Registry;
  /** gauges per closed window: statistics per signal, signal status, model status, quantiles, window size/close ts, baseline age */
  onWindowClosed(out: WindowClosed): void;
  onConsumed(topic: string, partition: number, count: number): void;
  onRejected(reason: string, topic: string, count?: number): void;
  onLate(model: string, count: number): void;
  onDriftEventEmitted(model: string, version: string, status: string): void;
  onRetrainRequestEmitted(model: string, version: string, reason: string): void;
  /** a retrain request was not emitted because another replica holds the model's cooldown lock */
  onRetrainSuppressed(model: string): void;
  setConsumerLag(topic: string, partition: number, lag: number): void;
  onRedisError(operation: string): void;
  onKafkaError(operation: string): void;
  /** the Kafka consumer crashed; `restarted`: kafkajs restarts it (retriable error), else the service exits */
  onConsumerCrash(restarted: boolean): void;
  /** also drops the lag series of partitions no longer assigned */
  setPartitionsAssigned(topic: string, partitions: number[]): void;
  observeBatch(seconds: number, events: number): void;
  setOutboxPending(count: number): void;
  /** the engine dropped data at one of its caps (counted by kind; the model is not a label: it is unbounded) */
  onCardinalityDropped(kind: "model" | "feature" | "category", model: string, count: number): void;
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

/** statistics keys of SignalResult.statistics → `statistic` label values; other keys are not exported */
export const EXPORTED_STATISTICS: Readonly<Record<string, string>> = {
  psi: "psi",
  ks: "ks",
  ksPValue: "ks_p_value",
  wasserstein: "wasserstein",
  jsDistance: "js_distance",
  hellinger: "hellinger",
  meanShiftSigma: "mean_shift_sigma",
  meanSigmaScore: "mean_sigma_score",
  lInf: "l_inf",
  chiSquare: "chi_square",
  chiSquarePValue: "chi_square_p_value",
  missingShare: "missing_share",
  referenceMissingShare: "reference_missing_share",
  outOfRangeShare: "out_of_range_share",
  unseenShare: "unseen_share",
};

export const STATUS_VALUE: Record<Status, number> = { ok: 0, warning: 1, critical: 2 };
export const CONFIDENCE_QUANTILES = [0.05, 0.25, 0.5] as const;
export const LATENCY_QUANTILES = [0.5, 0.95, 0.99] as const;
export const PREDICTION_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
/** signals that get their slots before features, so a model with too many features keeps its core series */
const CORE_SIGNALS = ["prediction", "predictedClass", "confidence", "latency"];
const FEATURE_PREFIX = "feature:";
const OTHER_LABEL_VALUE = "other";
/** operations the pipeline retries on an outage (src/pipeline/pipeline.ts), by the system that fails them */
export const REDIS_OPERATIONS = ["loadPartition", "getReferenceBaseline", "outboxRelay"] as const;
export const KAFKA_OPERATIONS = ["commitOffsets", "outboxRelay"] as const;
export const CARDINALITY_DROP_KINDS = ["model", "feature", "category", "model_series", "signal_series"] as const;

type Labels = Record<string, string>;
interface SeriesRef {
  metric: Gauge<string> | Counter<string>;
  labels: Labels;
}
interface VersionEntry {
  /** per-window series of the last closed window (replaced by the next one) */
  windowSeries: Map<string, SeriesRef>;
  /** counter series with this version's label, removed when the version is evicted */
  counterSeries: Map<string, SeriesRef>;
  lastTouched: number;
}
interface ModelEntry {
  signals: Set<string>;
  versions: Map<string, VersionEntry>;
  /** counter series with only the model label */
  counterSeries: Map<string, SeriesRef>;
}

const metricIds = new WeakMap<object, number>();
let nextMetricId = 0;
function seriesKey(metric: Gauge<string> | Counter<string>, labels: Labels): string {
  let id = metricIds.get(metric);
  if (id === undefined) {
    id = nextMetricId++;
    metricIds.set(metric, id);
  }
  return `${id}\u0000${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join("\u0000")}`;
}

/** Caps a free-text label: the first `max` distinct values pass, later ones become "other". */
class LabelBudget {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER_LABEL_VALUE;
    this.seen.add(v);
    return v;
  }
}

function quantileLabel(q: number): string {
  return String(q);
}

function missingRatioOfNumeric(s: NumericSketch): number {
  const total = s.moments.missing + s.moments.count;
  return total > 0 ? s.moments.missing / total : 0;
}

function missingRatioOfCategories(c: CategoryCounts): number {
  const total = c.missing + c.total;
  return total > 0 ? c.missing / total : 0;
}

/** class → share of the non-missing values; values folded at the category cap appear as OTHER_CATEGORY */
function classShares(c: CategoryCounts): Map<string, number> {
  const shares = new Map<string, number>();
  if (c.total <= 0) return shares;
  for (const [name, n] of c.counts) shares.set(name, n / c.total);
  if (!c.counts.has(OTHER_CATEGORY) && c.other > 0) shares.set(OTHER_CATEGORY, c.other / c.total);
  return shares;
}

export function createDetectorMetrics(opts: DetectorMetricsOptions = {}): DetectorMetrics {
  const registry = opts.registry ?? new Registry();
  const maxModels = opts.maxModels ?? 1000;
  const maxSignalsPerModel = opts.maxSignalsPerModel ?? 104;
  const maxVersionsPerModel = opts.maxVersionsPerModel ?? 5;
  const maxLabelValues = opts.maxLabelValues ?? 50;
  const now = opts.now ?? Date.now;
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers });

  // per window, per model version
  const signalStatistic = gauge("drift_signal_statistic", "Drift statistic of a signal in the last closed window against its driving baseline", ["model", "version", "signal", "statistic"]);
  const signalStatus = gauge("drift_signal_status", "Signal status in the last closed window before hysteresis (0 ok, 1 warning, 2 critical)", ["model", "version", "signal"]);
  const modelStatus = gauge("drift_model_status", "Model status after hysteresis (0 ok, 1 warning, 2 critical)", ["model", "version"]);
  const confidenceMean = gauge("drift_confidence_mean", "Mean confidence in the last closed window", ["model", "version"]);
  const confidenceQuantile = gauge("drift_confidence_quantile", "Confidence quantiles in the last closed window", ["model", "version", "quantile"]);
  const latencySeconds = gauge("drift_latency_seconds", "Inference latency quantiles in the last closed window", ["model", "version", "quantile"]);
  const predictionQuantile = gauge("drift_prediction_quantile", "Numeric prediction quantiles in the last closed window", ["model", "version", "quantile"]);
  const predictionClassShare = gauge("drift_prediction_class_share", "Share of each predicted class in the last closed window (ratio)", ["model", "version", "class"]);
  const featureMissingRatio = gauge("drift_feature_missing_ratio", "Share of events with the feature missing or null in the last closed window (ratio)", ["model", "version", "feature"]);
  const windowEvents = gauge("drift_window_events", "Events in the last closed window", ["model", "version"]);
  const windowCloseTimestamp = gauge("drift_window_close_timestamp_seconds", "Wall-clock time the last window was closed (unix seconds)", ["model", "version"]);
  const windowEndTimestamp = gauge("drift_window_end_timestamp_seconds", "Event time of the last event in the last closed window (unix seconds)", ["model", "version"]);
  const baselineAge = gauge("drift_baseline_age_seconds", "Event-time age of the reference baseline: last window end minus reference end", ["model", "version"]);
  const baselineEvents = gauge("drift_baseline_events", "Events the reference baseline was built from", ["model", "version"]);

  // counters and shell gauges
  const eventsConsumed = counter("drift_events_consumed_total", "Prediction events consumed and accepted (rejected messages count in drift_events_rejected_total)", ["topic", "partition"]);
  const eventsRejected = counter("drift_events_rejected_total", "Messages sent to the dead-letter topic, by reason", ["reason", "topic"]);
  const eventsLate = counter("drift_events_late_total", "Events older than the watermark minus the allowed lateness", ["model"]);
  const driftEventsEmitted = counter("drift_drift_events_emitted_total", "Drift events emitted, by status", ["model", "version", "status"]);
  const retrainEmitted = counter("drift_retrain_requests_emitted_total", "Retrain requests emitted, by reason", ["model", "version", "reason"]);
  const retrainSuppressed = counter("drift_retrain_requests_suppressed_total", "Retrain requests not emitted because the cooldown lock was held", ["model"]);
  const consumerLag = gauge("drift_consumer_lag_messages", "Consumer lag: high watermark minus the next offset to apply (Kafka's committed offset may trail it by a batch)", ["topic", "partition"]);
  const redisErrors = counter("drift_redis_errors_total", "Redis operation failures", ["operation"]);
  const kafkaErrors = counter("drift_kafka_errors_total", "Kafka operation failures", ["operation"]);
  const consumerCrashes = counter(
    "drift_consumer_crashes_total",
    "Kafka consumer crashes; restarted=\"true\": kafkajs restarted it, \"false\": the service exits non-zero",
    ["restarted"],
  );
  // both series exist from the start, so rate() and increase() see the first crash
  for (const restarted of ["true", "false"]) consumerCrashes.inc({ restarted }, 0);
  const partitionsAssigned = gauge("drift_partitions_assigned", "Partitions currently assigned to this replica", ["topic"]);
  const batchDuration = new Histogram({
    name: "drift_batch_duration_seconds",
    help: "Time to process one consumed batch (decode, apply, persist, publish)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const batchEvents = new Histogram({
    name: "drift_batch_events",
    help: "Messages in one consumed batch",
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers,
  });
  const outboxPending = new Gauge({ name: "drift_outbox_pending", help: "Output events waiting in the Redis outbox", registers });
  const cardinalityDropped = counter(
    "drift_cardinality_dropped_total",
    "Data or series left out at a cardinality cap (kind: model|feature|category from the engine, model_series|signal_series from the exporter)",
    ["kind"],
  );

  for (const operation of REDIS_OPERATIONS) redisErrors.inc({ operation }, 0);
  for (const operation of KAFKA_OPERATIONS) kafkaErrors.inc({ operation }, 0);
  for (const kind of CARDINALITY_DROP_KINDS) cardinalityDropped.inc({ kind }, 0);

  const models = new Map<string, ModelEntry>();
  const reasons = new LabelBudget(maxLabelValues);
  const topics = new LabelBudget(maxLabelValues);
  const operations = new LabelBudget(maxLabelValues);
  const assigned = new Map<string, Set<number>>();
  const topicsSeen = new Set<string>();
  /** every rejection reason of a topic starts at 0 once the topic is consumed */
  function seeTopic(label: string): void {
    if (topicsSeen.has(label)) return;
    topicsSeen.add(label);
    for (const reason of REJECTION_REASONS) eventsRejected.inc({ reason: reasons.value(reason), topic: label }, 0);
  }
  let touch = 0;

  function modelEntry(model: string): ModelEntry | null {
    let entry = models.get(model);
    if (entry !== undefined) return entry;
    if (models.size >= maxModels) {
      cardinalityDropped.inc({ kind: "model_series" });
      return null;
    }
    entry = { signals: new Set(), versions: new Map(), counterSeries: new Map() };
    models.set(model, entry);
    for (const metric of [eventsLate, retrainSuppressed]) {
      metric.inc({ model }, 0);
      entry.counterSeries.set(seriesKey(metric, { model }), { metric, labels: { model } });
    }
    return entry;
  }

  function removeSeries(series: Map<string, SeriesRef>): void {
    for (const { metric, labels } of series.values()) metric.remove(labels);
    series.clear();
  }

  function versionEntry(entry: ModelEntry, version: string): VersionEntry {
    let v = entry.versions.get(version);
    if (v === undefined) {
      if (entry.versions.size >= maxVersionsPerModel) {
        // Mirror the engine, which evicts the version silent longest.
        let oldestName: string | undefined;
        let oldest: VersionEntry | undefined;
        for (const [name, candidate] of entry.versions) {
          if (oldest === undefined || candidate.lastTouched < oldest.lastTouched) {
            oldest = candidate;
            oldestName = name;
          }
        }
        if (oldest !== undefined && oldestName !== undefined) {
          removeSeries(oldest.windowSeries);
          removeSeries(oldest.counterSeries);
          entry.versions.delete(oldestName);
        }
      }
      v = { windowSeries: new Map(), counterSeries: new Map(), lastTouched: 0 };
      entry.versions.set(version, v);
    }
    v.lastTouched = ++touch;
    return v;
  }

  function admitSignal(entry: ModelEntry, signal: string): boolean {
    if (entry.signals.has(signal)) return true;
    if (entry.signals.size >= maxSignalsPerModel) {
      cardinalityDropped.inc({ kind: "signal_series" });
      return false;
    }
    entry.signals.add(signal);
    return true;
  }

  function incCounter(metric: Counter<string>, labels: Labels, count: number, owner: Map<string, SeriesRef>): void {
    if (!(count > 0)) return;
    metric.inc(labels, count);
    const key = seriesKey(metric, labels);
    if (!owner.has(key)) owner.set(key, { metric, labels });
  }

  function onWindowClosed(out: WindowClosed): void {
    const model = out.modelId;
    const version = out.modelVersion;
    const entry = modelEntry(model);
    if (entry === null) return;
    const v = versionEntry(entry, version);
    const base = { model, version };
    const next = new Map<string, SeriesRef>();
    const set = (metric: Gauge<string>, labels: Labels, value: number) => {
      if (!Number.isFinite(value)) return;
      metric.set(labels, value);
      next.set(seriesKey(metric, labels), { metric, labels });
    };

    const { numeric, categorical } = out.window.signals;
    const signalNames = new Set<string>([...numeric.keys(), ...categorical.keys(), ...(out.evaluation?.signals.map((s) => s.signal) ?? [])]);
    const ordered = [...CORE_SIGNALS.filter((s) => signalNames.has(s)), ...[...signalNames].filter((s) => !CORE_SIGNALS.includes(s)).sort()];
    const exported = new Set(ordered.filter((s) => admitSignal(entry, s)));

    set(modelStatus, base, STATUS_VALUE[out.status]);
    set(windowEvents, base, out.window.count);
    set(windowCloseTimestamp, base, now() / 1000);
    set(windowEndTimestamp, base, out.window.end / 1000);
    if (out.reference !== null) {
      set(baselineAge, base, Math.max(0, out.window.end - out.reference.end) / 1000);
      set(baselineEvents, base, out.reference.count);
    }

    const confidence = numeric.get("confidence");
    if (confidence !== undefined && exported.has("confidence") && confidence.moments.count > 0) {
      set(confidenceMean, base, confidence.moments.mean);
      for (const q of CONFIDENCE_QUANTILES) set(confidenceQuantile, { ...base, quantile: quantileLabel(q) }, quantileAt(confidence.digest, q));
    }
    const latency = numeric.get("latency");
    if (latency !== undefined && exported.has("latency") && latency.moments.count > 0) {
      for (const q of LATENCY_QUANTILES) set(latencySeconds, { ...base, quantile: quantileLabel(q) }, quantileAt(latency.digest, q) / 1000);
    }
    const prediction = numeric.get("prediction");
    if (prediction !== undefined && exported.has("prediction") && prediction.moments.count > 0) {
      for (const q of PREDICTION_QUANTILES) set(predictionQuantile, { ...base, quantile: quantileLabel(q) }, quantileAt(prediction.digest, q));
    }
    const classes = categorical.get("predictedClass");
    if (classes !== undefined && exported.has("predictedClass")) {
      // bounded: the engine caps categories per signal (top-k + OTHER_CATEGORY)
      for (const [name, share] of classShares(classes)) set(predictionClassShare, { ...base, class: name }, share);
    }
    for (const [signal, sketch] of numeric) {
      if (signal.startsWith(FEATURE_PREFIX) && exported.has(signal)) {
        set(featureMissingRatio, { ...base, feature: signal.slice(FEATURE_PREFIX.length) }, missingRatioOfNumeric(sketch));
      }
    }
    for (const [signal, counts] of categorical) {
      if (signal.startsWith(FEATURE_PREFIX) && exported.has(signal)) {
        set(featureMissingRatio, { ...base, feature: signal.slice(FEATURE_PREFIX.length) }, missingRatioOfCategories(counts));
      }
    }

    for (const result of out.evaluation?.signals ?? []) {
      if (!exported.has(result.signal)) continue;
      const labels = { ...base, signal: result.signal };
      set(signalStatus, labels, STATUS_VALUE[result.status]);
      for (const [key, value] of Object.entries(result.statistics)) {
        const statistic = EXPORTED_STATISTICS[key];
        if (statistic !== undefined) set(signalStatistic, { ...labels, statistic }, value);
      }
    }

    for (const [key, ref] of v.windowSeries) if (!next.has(key)) ref.metric.remove(ref.labels);
    v.windowSeries = next;
  }

  return {
    registry,
    onWindowClosed,
    onConsumed(topic, partition, count) {
      seeTopic(topics.value(topic));
      if (count > 0) eventsConsumed.inc({ topic: topics.value(topic), partition: String(partition) }, count);
    },
    onRejected(reason, topic, count = 1) {
      if (count > 0) eventsRejected.inc({ reason: reasons.value(reason), topic: topics.value(topic) }, count);
    },
    onLate(model, count) {
      const entry = modelEntry(model);
      if (entry !== null) incCounter(eventsLate, { model }, count, entry.counterSeries);
    },
    onDriftEventEmitted(model, version, status) {
      const entry = modelEntry(model);
      if (entry !== null) incCounter(driftEventsEmitted, { model, version, status }, 1, versionEntry(entry, version).counterSeries);
    },
    onRetrainRequestEmitted(model, version, reason) {
      const entry = modelEntry(model);
      if (entry !== null) incCounter(retrainEmitted, { model, version, reason: reasons.value(reason) }, 1, versionEntry(entry, version).counterSeries);
    },
    onRetrainSuppressed(model) {
      const entry = modelEntry(model);
      if (entry !== null) incCounter(retrainSuppressed, { model }, 1, entry.counterSeries);
    },
    setConsumerLag(topic, partition, lag) {
      if (Number.isFinite(lag)) consumerLag.set({ topic: topics.value(topic), partition: String(partition) }, Math.max(0, lag));
    },
    onRedisError(operation) {
      redisErrors.inc({ operation: operations.value(operation) });
    },
    onConsumerCrash(restarted) {
      consumerCrashes.inc({ restarted: String(restarted) });
    },
    onKafkaError(operation) {
      kafkaErrors.inc({ operation: operations.value(operation) });
    },
    setPartitionsAssigned(topic, partitions) {
      const label = topics.value(topic);
      seeTopic(label);
      partitionsAssigned.set({ topic: label }, partitions.length);
      const now = new Set(partitions);
      for (const p of assigned.get(label) ?? []) if (!now.has(p)) consumerLag.remove({ topic: label, partition: String(p) });
      assigned.set(label, now);
    },
    observeBatch(seconds, events) {
      if (Number.isFinite(seconds) && seconds >= 0) batchDuration.observe(seconds);
      if (Number.isFinite(events) && events >= 0) batchEvents.observe(events);
    },
    setOutboxPending(count) {
      outboxPending.set(count);
    },
    onCardinalityDropped(kind, _model, count) {
      if (count > 0) cardinalityDropped.inc({ kind }, count);
    },
    removeModel(model) {
      const entry = models.get(model);
      if (entry === undefined) return;
      for (const v of entry.versions.values()) {
        removeSeries(v.windowSeries);
        removeSeries(v.counterSeries);
      }
      removeSeries(entry.counterSeries);
      models.delete(model);
    },
  };
}
