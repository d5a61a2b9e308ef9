// The per-window gauge values of one closed window, as plain data: which gauge, which labels, which value,
// and which signal a value belongs to (so the exporter can leave out signals beyond its cap). Pure: the
// exporter (detector-metrics.ts) decides what becomes a series.
import type { WindowClosed } from "../detect/engine.ts";
import type { PerformanceWindowClosed } from "../outcomes/tracker.ts";
import type { Status } from "../events/types.ts";
import { OTHER_CATEGORY, type CategoryCounts } from "../sketch/categories.ts";
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import { quantileAt } from "../sketch/cdf-model.ts";
import { isSegmentSignal, parseSegmentSignal, SEGMENT_MIX_PREFIX } from "../windows/segments.ts";

export type WindowGaugeName =
  | "signalStatistic"
  | "signalStatus"
  | "modelStatus"
  | "dataQualityStatus"
  | "confidenceMean"
  | "confidenceQuantile"
  | "latencySeconds"
  | "predictionQuantile"
  | "predictionClassShare"
  | "featureMissingRatio"
  | "segmentShare"
  | "segmentStatus"
  | "windowEvents"
  | "windowCloseTimestamp"
  | "windowEndTimestamp"
  | "baselineAge"
  | "baselineEvents"
  | "estimatedPerformance"
  | "performance"
  | "performanceReference"
  | "performanceStatus"
  | "performanceClassRecall"
  | "performanceOutcomes"
  | "segmentPerformance"
  | "segmentPerformanceStatus"
  | "labelDelaySeconds";

export interface WindowGaugeValue {
  gauge: WindowGaugeName;
  labels: Record<string, string>;
  value: number;
  /** the signal this value describes; absent for model-level values, which are always exported */
  signal?: string;
}

export interface WindowGauges {
  /** signals of the window, core signals first then the rest sorted: the order they claim export slots */
  signals: string[];
  /** finite values only */
  values: WindowGaugeValue[];
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
  typeChangeShare: "type_change_share",
};

export const STATUS_VALUE: Record<Status, number> = { ok: 0, warning: 1, critical: 2 };
export const CONFIDENCE_QUANTILES = [0.05, 0.25, 0.5] as const;
export const LATENCY_QUANTILES = [0.5, 0.95, 0.99] as const;
export const PREDICTION_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
/** signals that get their slots before features, so a model with too many features keeps its core series */
export const CORE_SIGNALS: readonly string[] = ["prediction", "predictedClass", "confidence", "latency"];
const FEATURE_PREFIX = "feature:";

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

/**
 * `closedAtMs`: the wall-clock time the window closed (drift_window_close_timestamp_seconds);
 * `performanceStatus`: the version's performance status, so drift_model_status is the worse of drift and performance.
 */
export function windowGauges(out: WindowClosed, closedAtMs: number, performanceStatus: Status = "ok"): WindowGauges {
  const base = { model: out.modelId, version: out.modelVersion };
  const values: WindowGaugeValue[] = [];
  const put = (gauge: WindowGaugeName, labels: Record<string, string>, value: number, signal?: string) => {
    if (!Number.isFinite(value)) return;
    values.push(signal === undefined ? { gauge, labels, value } : { gauge, labels, value, signal });
  };

  const { numeric, categorical } = out.window.signals;
  const names = new Set<string>([...numeric.keys(), ...categorical.keys(), ...(out.evaluation?.signals.map((s) => s.signal) ?? [])]);
  // a segment's own signals are summarised per segment (segmentStatus), so they claim no signal slots
  for (const name of names) if (isSegmentSignal(name)) names.delete(name);
  const signals = [...CORE_SIGNALS.filter((s) => names.has(s)), ...[...names].filter((s) => !CORE_SIGNALS.includes(s)).sort()];

  put("modelStatus", base, Math.max(STATUS_VALUE[out.status], STATUS_VALUE[performanceStatus]));
  if (out.estimatedAccuracy !== undefined) put("estimatedPerformance", { ...base, metric: "accuracy" }, out.estimatedAccuracy);
  if (out.evaluation !== null) put("dataQualityStatus", base, STATUS_VALUE[out.evaluation.dataQuality]);
  put("windowEvents", base, out.window.count);
  put("windowCloseTimestamp", base, closedAtMs / 1000);
  put("windowEndTimestamp", base, out.window.end / 1000);
  if (out.reference !== null) {
    put("baselineAge", base, Math.max(0, out.window.end - out.reference.end) / 1000);
    put("baselineEvents", base, out.reference.count);
  }

  const confidence = numeric.get("confidence");
  if (confidence !== undefined && confidence.moments.count > 0) {
    put("confidenceMean", base, confidence.moments.mean, "confidence");
    for (const q of CONFIDENCE_QUANTILES)
      put("confidenceQuantile", { ...base, quantile: String(q) }, quantileAt(confidence.digest, q), "confidence");
  }
  const latency = numeric.get("latency");
  if (latency !== undefined && latency.moments.count > 0) {
    for (const q of LATENCY_QUANTILES)
      put("latencySeconds", { ...base, quantile: String(q) }, quantileAt(latency.digest, q) / 1000, "latency");
  }
  const prediction = numeric.get("prediction");
  if (prediction !== undefined && prediction.moments.count > 0) {
    for (const q of PREDICTION_QUANTILES)
      put("predictionQuantile", { ...base, quantile: String(q) }, quantileAt(prediction.digest, q), "prediction");
  }
  const classes = categorical.get("predictedClass");
  if (classes !== undefined) {
    // bounded: the engine caps categories per signal (top-k + OTHER_CATEGORY)
    for (const [name, share] of classShares(classes)) put("predictionClassShare", { ...base, class: name }, share, "predictedClass");
  }
  for (const [signal, sketch] of numeric) {
    if (signal.startsWith(FEATURE_PREFIX))
      put("featureMissingRatio", { ...base, feature: signal.slice(FEATURE_PREFIX.length) }, missingRatioOfNumeric(sketch), signal);
  }
  for (const [signal, counts] of categorical) {
    if (signal.startsWith(FEATURE_PREFIX)) {
      put("featureMissingRatio", { ...base, feature: signal.slice(FEATURE_PREFIX.length) }, missingRatioOfCategories(counts), signal);
    }
  }

  // segments: bounded by the configured keys × (topK + __other__)
  for (const [signal, counts] of categorical) {
    if (!signal.startsWith(SEGMENT_MIX_PREFIX)) continue;
    const key = signal.slice(SEGMENT_MIX_PREFIX.length);
    for (const [segment, share] of classShares(counts)) put("segmentShare", { ...base, segment: `${key}=${segment}` }, share);
  }
  const segmentStatus = new Map<string, Status>();
  for (const result of out.evaluation?.signals ?? []) {
    const parsed = parseSegmentSignal(result.signal);
    if (parsed === null) continue;
    const segment = `${parsed.key}=${parsed.segment}`;
    const before = segmentStatus.get(segment) ?? "ok";
    if (STATUS_VALUE[result.status] >= STATUS_VALUE[before]) segmentStatus.set(segment, result.status);
  }
  for (const [segment, status] of [...segmentStatus].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    put("segmentStatus", { ...base, segment }, STATUS_VALUE[status]);

  for (const result of out.evaluation?.signals ?? []) {
    if (isSegmentSignal(result.signal)) continue;
    const labels = { ...base, signal: result.signal };
    put("signalStatus", labels, STATUS_VALUE[result.status], result.signal);
    for (const [key, value] of Object.entries(result.statistics)) {
      const statistic = EXPORTED_STATISTICS[key];
      if (statistic !== undefined) put("signalStatistic", { ...labels, statistic }, value, result.signal);
    }
  }
  return { signals, values };
}

export const LABEL_DELAY_QUANTILES = ["0.5", "0.9", "0.99"] as const;

/** The gauge values of one closed performance window (drift_performance*, drift_label_delay_seconds). */
export function performanceGauges(out: PerformanceWindowClosed): WindowGaugeValue[] {
  const base = { model: out.modelId, version: out.modelVersion };
  const values: WindowGaugeValue[] = [];
  const put = (gauge: WindowGaugeName, labels: Record<string, string>, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) values.push({ gauge, labels, value });
  };
  const s = out.summary;
  put("performanceStatus", base, STATUS_VALUE[out.status]);
  put("performanceOutcomes", base, s.outcomes);
  put("performance", { ...base, metric: "accuracy" }, s.accuracy);
  put("performance", { ...base, metric: "error_rate" }, s.errorRate);
  put("performance", { ...base, metric: "ece" }, s.ece);
  put("performance", { ...base, metric: "mae" }, s.mae);
  put("performance", { ...base, metric: "rmse" }, s.rmse);
  put("performanceReference", { ...base, metric: "accuracy" }, out.reference?.summary.accuracy);
  put("performanceReference", { ...base, metric: "mae" }, out.reference?.summary.mae);
  // bounded: the tracker keeps at most maxCategories classes (the rest under __other__)
  for (const [name, recall] of Object.entries(s.recall)) put("performanceClassRecall", { ...base, class: name }, recall);
  // bounded: keys × (topK + __other__) segments, the ones with minOutcomes outcomes in the window
  for (const e of out.segmentEvaluations ?? []) {
    const p = parseSegmentSignal(e.signal);
    if (p === null) continue;
    const segment = `${p.key}=${p.segment}`;
    put("segmentPerformanceStatus", { ...base, segment }, STATUS_VALUE[e.status]);
    put("segmentPerformance", { ...base, segment, metric: "accuracy" }, e.statistics.accuracy);
    put("segmentPerformance", { ...base, segment, metric: "mae" }, e.statistics.mae);
  }
  if (s.labelDelayMs !== null) {
    const d = s.labelDelayMs;
    put("labelDelaySeconds", { ...base, quantile: "0.5" }, d.p50 / 1000);
    put("labelDelaySeconds", { ...base, quantile: "0.9" }, d.p90 / 1000);
    put("labelDelaySeconds", { ...base, quantile: "0.99" }, d.p99 / 1000);
  }
  return values;
}
