// Performance of a model version over joined outcomes: a mergeable accumulator (windows merge into the
// performance reference) and the summary the metrics and the performance signal read. Pure.
// Classifier pairs (predictedClass and actualClass both present) give accuracy, error rate, per-class
// recall and, with a confidence, calibration; regressor pairs (prediction and actual) give MAE and RMSE.
import { OTHER_CATEGORY } from "../sketch/categories.ts";
import { addNumeric, createNumericSketch, mergeNumericSketches, type NumericSketch } from "../sketch/numeric-sketch.ts";
import { quantileAt } from "../sketch/cdf-model.ts";
import type { JoinedOutcome } from "./join.ts";

export interface ClassRecall {
  /** outcomes with this actual class */
  support: number;
  /** of those, predicted as this class */
  hits: number;
}

/** Per equal-width confidence bin (a, b], bin 0 = [0, 1/B]: classifier pairs with a confidence. */
export interface CalibrationBins {
  count: number[];
  confidenceSum: number[];
  correct: number[];
}

export interface PerformanceAccumulator {
  outcomes: number;
  classified: number;
  correct: number;
  /** by actual class; at most maxClasses entries, the rest under __other__ */
  classes: Map<string, ClassRecall>;
  regressed: number;
  absoluteErrorSum: number;
  squaredErrorSum: number;
  calibration: CalibrationBins;
  /** label delays (ms) */
  labelDelay: NumericSketch;
  /** outcome event times of the first and last joined outcome */
  start: number;
  end: number;
}

export interface PerformanceSummary {
  outcomes: number;
  classified: number;
  regressed: number;
  accuracy?: number;
  errorRate?: number;
  /** actual class → recall */
  recall: Record<string, number>;
  mae?: number;
  rmse?: number;
  /** expected calibration error of confidence (classifier pairs with a confidence) */
  ece?: number;
  labelDelayMs: { p50: number; p90: number; p99: number } | null;
}

export function createCalibrationBins(bins: number): CalibrationBins {
  return {
    count: new Array<number>(bins).fill(0),
    confidenceSum: new Array<number>(bins).fill(0),
    correct: new Array<number>(bins).fill(0),
  };
}

export function createPerformanceAccumulator(calibrationBins: number): PerformanceAccumulator {
  return {
    outcomes: 0,
    classified: 0,
    correct: 0,
    classes: new Map(),
    regressed: 0,
    absoluteErrorSum: 0,
    squaredErrorSum: 0,
    calibration: createCalibrationBins(calibrationBins),
    labelDelay: createNumericSketch(),
    start: 0,
    end: 0,
  };
}

/** Index of the bin (b/B, (b+1)/B] holding x; 0 holds [0, 1/B]. Matches a CDF read at the bin edges. */
export function confidenceBin(x: number, bins: number): number {
  let i = Math.ceil(x * bins) - 1;
  if (i < 0) i = 0;
  if (i > bins - 1) i = bins - 1;
  if (i > 0 && x <= i / bins) i--;
  else if (i < bins - 1 && x > (i + 1) / bins) i++;
  return i;
}

function classEntry(acc: PerformanceAccumulator, actualClass: string, maxClasses: number): ClassRecall {
  let key = actualClass;
  if (!acc.classes.has(key) && acc.classes.size >= maxClasses) key = OTHER_CATEGORY;
  let entry = acc.classes.get(key);
  if (entry === undefined) {
    entry = { support: 0, hits: 0 };
    acc.classes.set(key, entry);
  }
  return entry;
}

export function addJoinedOutcome(acc: PerformanceAccumulator, o: JoinedOutcome, maxClasses: number): void {
  if (acc.outcomes === 0 || o.outcomeTime < acc.start) acc.start = o.outcomeTime;
  if (o.outcomeTime > acc.end) acc.end = o.outcomeTime;
  acc.outcomes++;
  addNumeric(acc.labelDelay, o.labelDelayMs);
  if (o.predictedClass !== null && o.actualClass !== null) {
    const hit = o.predictedClass === o.actualClass;
    acc.classified++;
    if (hit) acc.correct++;
    const entry = classEntry(acc, o.actualClass, maxClasses);
    entry.support++;
    if (hit) entry.hits++;
    if (o.confidence !== null) {
      const b = confidenceBin(o.confidence, acc.calibration.count.length);
      acc.calibration.count[b]++;
      acc.calibration.confidenceSum[b] += o.confidence;
      if (hit) acc.calibration.correct[b]++;
    }
  }
  if (o.prediction !== null && o.actual !== null) {
    const e = o.prediction - o.actual;
    acc.regressed++;
    acc.absoluteErrorSum += Math.abs(e);
    acc.squaredErrorSum += e * e;
  }
}

/** Union of accumulators with the same number of calibration bins; inputs are not modified. */
export function mergePerformanceAccumulators(
  list: readonly PerformanceAccumulator[],
  calibrationBins: number,
  maxClasses: number,
): PerformanceAccumulator {
  const out = createPerformanceAccumulator(calibrationBins);
  for (const a of list) {
    if (a.outcomes === 0) continue;
    if (out.outcomes === 0 || a.start < out.start) out.start = a.start;
    if (a.end > out.end) out.end = a.end;
    out.outcomes += a.outcomes;
    out.classified += a.classified;
    out.correct += a.correct;
    out.regressed += a.regressed;
    out.absoluteErrorSum += a.absoluteErrorSum;
    out.squaredErrorSum += a.squaredErrorSum;
    for (const [name, r] of a.classes) {
      const entry = classEntry(out, name, maxClasses);
      entry.support += r.support;
      entry.hits += r.hits;
    }
    for (let b = 0; b < calibrationBins && b < a.calibration.count.length; b++) {
      out.calibration.count[b] += a.calibration.count[b];
      out.calibration.confidenceSum[b] += a.calibration.confidenceSum[b];
      out.calibration.correct[b] += a.calibration.correct[b];
    }
  }
  out.labelDelay = mergeNumericSketches(list.map((a) => a.labelDelay));
  return out;
}

/** Expected calibration error: Σ_b (n_b / N)·|accuracy_b − mean confidence_b|; undefined without data. */
export function expectedCalibrationError(c: CalibrationBins): number | undefined {
  let total = 0;
  let sum = 0;
  for (let b = 0; b < c.count.length; b++) {
    const n = c.count[b];
    if (n === 0) continue;
    total += n;
    sum += Math.abs(c.correct[b] - c.confidenceSum[b]);
  }
  return total > 0 ? sum / total : undefined;
}

export function summarizePerformance(acc: PerformanceAccumulator): PerformanceSummary {
  const summary: PerformanceSummary = {
    outcomes: acc.outcomes,
    classified: acc.classified,
    regressed: acc.regressed,
    recall: {},
    labelDelayMs: null,
  };
  if (acc.classified > 0) {
    summary.accuracy = acc.correct / acc.classified;
    summary.errorRate = 1 - summary.accuracy;
    const names = [...acc.classes.keys()].sort();
    for (const name of names) {
      const r = acc.classes.get(name);
      if (r !== undefined && r.support > 0) summary.recall[name] = r.hits / r.support;
    }
    const ece = expectedCalibrationError(acc.calibration);
    if (ece !== undefined) summary.ece = ece;
  }
  if (acc.regressed > 0) {
    summary.mae = acc.absoluteErrorSum / acc.regressed;
    summary.rmse = Math.sqrt(acc.squaredErrorSum / acc.regressed);
  }
  if (acc.labelDelay.moments.count > 0) {
    const d = acc.labelDelay.digest;
    summary.labelDelayMs = { p50: quantileAt(d, 0.5), p90: quantileAt(d, 0.9), p99: quantileAt(d, 0.99) };
  }
  return summary;
}
