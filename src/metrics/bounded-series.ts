// Bookkeeping that keeps the number of exported series bounded (design §4 "Cardinality is bounded"): which
// models, versions and signals have series, at most maxModels / maxVersionsPerModel / maxSignalsPerModel
// of them, and which series each owns so that they can be replaced or removed together. Free-text label
// values (reasons, topics, operations) pass through a LabelBudget.
import type { Counter, Gauge } from "prom-client";
import type { Status } from "../events/types.ts";

const OTHER_LABEL_VALUE = "other";

export type Labels = Record<string, string>;

export interface SeriesRef {
  metric: Gauge<string> | Counter<string>;
  labels: Labels;
}

export interface VersionSeries {
  /** per-window series of the last closed window (replaced by the next one) */
  windowSeries: Map<string, SeriesRef>;
  /** counter series with this version's label, removed when the version is evicted */
  counterSeries: Map<string, SeriesRef>;
  lastTouched: number;
  /** the engine's cumulative count of dropped feature values at the last window (for the counter's delta) */
  featureValuesDropped?: number;
  /** per-performance-window series of the last closed performance window (replaced by the next one) */
  performanceSeries: Map<string, SeriesRef>;
  /** statuses at the last prediction / performance window: drift_model_status is the worse of the two */
  driftStatus?: Status;
  performanceStatus?: Status;
}

export interface ModelSeriesEntry {
  signals: Set<string>;
  versions: Map<string, VersionSeries>;
  /** counter series with only the model label */
  counterSeries: Map<string, SeriesRef>;
}

const metricIds = new WeakMap<object, number>();
let nextMetricId = 0;

/** Identifies one series: the metric and its labels in key order. */
export function seriesKey(metric: Gauge<string> | Counter<string>, labels: Labels): string {
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
export class LabelBudget {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER_LABEL_VALUE;
    this.seen.add(v);
    return v;
  }
}

export interface SeriesCaps {
  maxModels: number;
  maxSignalsPerModel: number;
  maxVersionsPerModel: number;
}

export class BoundedModelSeries {
  private readonly models = new Map<string, ModelSeriesEntry>();
  private touch = 0;

  constructor(
    private readonly caps: SeriesCaps,
    /** a series was left out at a cap */
    private readonly onDropped: (kind: "model_series" | "signal_series") => void,
    /** a model got its entry (its zero-valued counter series start here) */
    private readonly onModelAdded: (model: string, entry: ModelSeriesEntry) => void = () => {},
  ) {}

  /** The model's entry, created while under maxModels; null (and counted) beyond it. */
  model(model: string): ModelSeriesEntry | null {
    let entry = this.models.get(model);
    if (entry !== undefined) return entry;
    if (this.models.size >= this.caps.maxModels) {
      this.onDropped("model_series");
      return null;
    }
    entry = { signals: new Set(), versions: new Map(), counterSeries: new Map() };
    this.models.set(model, entry);
    this.onModelAdded(model, entry);
    return entry;
  }

  /** The version's entry; beyond maxVersionsPerModel the least recently updated version's series go. */
  version(entry: ModelSeriesEntry, version: string): VersionSeries {
    let v = entry.versions.get(version);
    if (v === undefined) {
      if (entry.versions.size >= this.caps.maxVersionsPerModel) {
        // Mirror the engine, which evicts the version silent longest.
        let oldestName: string | undefined;
        let oldest: VersionSeries | undefined;
        for (const [name, candidate] of entry.versions) {
          if (oldest === undefined || candidate.lastTouched < oldest.lastTouched) {
            oldest = candidate;
            oldestName = name;
          }
        }
        if (oldest !== undefined && oldestName !== undefined) {
          removeSeries(oldest.windowSeries);
          removeSeries(oldest.counterSeries);
          removeSeries(oldest.performanceSeries);
          entry.versions.delete(oldestName);
        }
      }
      v = { windowSeries: new Map(), counterSeries: new Map(), performanceSeries: new Map(), lastTouched: 0 };
      entry.versions.set(version, v);
    }
    v.lastTouched = ++this.touch;
    return v;
  }

  /** Whether the signal has (or now gets) one of the model's maxSignalsPerModel slots. */
  admitSignal(entry: ModelSeriesEntry, signal: string): boolean {
    if (entry.signals.has(signal)) return true;
    if (entry.signals.size >= this.caps.maxSignalsPerModel) {
      this.onDropped("signal_series");
      return false;
    }
    entry.signals.add(signal);
    return true;
  }

  /** Every series of the model goes, and its slot under maxModels is free again. */
  remove(model: string): void {
    const entry = this.models.get(model);
    if (entry === undefined) return;
    for (const v of entry.versions.values()) {
      removeSeries(v.windowSeries);
      removeSeries(v.counterSeries);
      removeSeries(v.performanceSeries);
    }
    removeSeries(entry.counterSeries);
    this.models.delete(model);
  }
}

export function removeSeries(series: Map<string, SeriesRef>): void {
  for (const { metric, labels } of series.values()) metric.remove(labels);
  series.clear();
}

/** Increments a counter series and records it under its owner, so it is removed with the owner. */
export function incOwnedCounter(metric: Counter<string>, labels: Labels, count: number, owner: Map<string, SeriesRef>): void {
  if (!(count >= 0)) return;
  metric.inc(labels, count);
  const key = seriesKey(metric, labels);
  if (!owner.has(key)) owner.set(key, { metric, labels });
}

/** Makes `next` the version's per-window series, removing the previous window's series it lacks. */
export function replaceWindowSeries(v: VersionSeries, next: Map<string, SeriesRef>): void {
  for (const [key, ref] of v.windowSeries) if (!next.has(key)) ref.metric.remove(ref.labels);
  v.windowSeries = next;
}

/** Makes `next` the version's per-performance-window series, removing the previous window's series it lacks. */
export function replacePerformanceSeries(v: VersionSeries, next: Map<string, SeriesRef>): void {
  for (const [key, ref] of v.performanceSeries) if (!next.has(key)) ref.metric.remove(ref.labels);
  v.performanceSeries = next;
}
