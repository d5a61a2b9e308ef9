// The `performance` signal (design §2, §4): a window of joined outcomes against the version's performance
// reference, significant AND material like every other signal, plus absolute thresholds per model. Pure.
//
// Significance is one-sided (only getting worse is drift): accuracy by a two-proportion z-test, MAE by a
// Welch z-test on the absolute errors. Outcomes of one window are not independent (a bad hour is bad for
// many predictions), so the test variance is multiplied by the reference's own dispersion: the between-
// window variance of its windows' accuracies (MAEs) over what independent outcomes would give, at least 1
// (a quasi-binomial correction; with fewer than two reference windows it is 1).
// Materiality: accuracy drop ≥ accuracyFloors (absolute, default 0.02 / 0.05); MAE rise ≥ maeFloors
// (relative to the reference MAE, default 10 % / 25 %). Absolute: accuracy < minAccuracy or MAE > maxMae is
// critical whether or not a reference exists.
import type { Status } from "../events/types.ts";
import type { PerformanceSettings } from "../detect/settings.ts";
import type { SignalEvaluation } from "../detect/evaluate.ts";
import { erfc } from "../detect/proportion-test.ts";
import { mergePerformanceAccumulators, summarizePerformance, type PerformanceAccumulator, type PerformanceSummary } from "./performance.ts";

export const PERFORMANCE_SIGNAL = "performance";

export type { PerformanceSettings };

interface WindowTotals {
  classified: number;
  correct: number;
  regressed: number;
  absoluteErrorSum: number;
}

export interface PerformanceReference {
  id: string;
  total: PerformanceAccumulator;
  summary: PerformanceSummary;
  windows: WindowTotals[];
  /** variance inflation of the accuracy / MAE tests, ≥ 1 */
  accuracyDispersion: number;
  maeDispersion: number;
}

/** Dispersion Σ (x_i − x̄)² / (σ² / n_i) / (k − 1) over windows with n_i > 0, at least 1. */
function dispersion(values: { n: number; x: number }[], mean: number, variance: number): number {
  const used = values.filter((v) => v.n > 0);
  if (used.length < 2 || !(variance > 0)) return 1;
  let chi = 0;
  for (const v of used) chi += ((v.x - mean) * (v.x - mean) * v.n) / variance;
  return Math.max(1, chi / (used.length - 1));
}

function absoluteErrorVariance(a: { regressed: number; absoluteErrorSum: number; squaredErrorSum: number }): number {
  if (a.regressed === 0) return 0;
  const mae = a.absoluteErrorSum / a.regressed;
  return Math.max(0, a.squaredErrorSum / a.regressed - mae * mae);
}

export function performanceReferenceFrom(
  id: string,
  windows: readonly PerformanceAccumulator[],
  calibrationBins: number,
  maxClasses: number,
): PerformanceReference {
  const total = mergePerformanceAccumulators(windows, calibrationBins, maxClasses);
  const summary = summarizePerformance(total);
  const accuracy = summary.accuracy ?? 0;
  const accuracyDispersion = dispersion(
    windows.map((w) => ({ n: w.classified, x: w.classified > 0 ? w.correct / w.classified : 0 })),
    accuracy,
    accuracy * (1 - accuracy),
  );
  const maeDispersion = dispersion(
    windows.map((w) => ({ n: w.regressed, x: w.regressed > 0 ? w.absoluteErrorSum / w.regressed : 0 })),
    summary.mae ?? 0,
    absoluteErrorVariance(total),
  );
  return {
    id,
    total,
    summary,
    windows: windows.map((w) => ({
      classified: w.classified,
      correct: w.correct,
      regressed: w.regressed,
      absoluteErrorSum: w.absoluteErrorSum,
    })),
    accuracyDispersion,
    maeDispersion,
  };
}

/** One-sided p-value that p1 = x1/n1 is not below p2 = x2/n2 (pooled z-test, variance × inflation). */
export function accuracyDropPValue(x1: number, n1: number, x2: number, n2: number, inflation = 1): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2) * inflation;
  if (!(variance > 0)) return 1;
  const z = (x2 / n2 - x1 / n1) / Math.sqrt(variance);
  return Math.min(1, 0.5 * erfc(z / Math.SQRT2));
}

/** One-sided Welch p-value that a window's mean absolute error is not above the reference's. */
export function maeRisePValue(
  window: { regressed: number; absoluteErrorSum: number; squaredErrorSum: number },
  reference: { regressed: number; absoluteErrorSum: number; squaredErrorSum: number },
  inflation = 1,
): number {
  if (window.regressed < 2 || reference.regressed < 2) return 1;
  const variance = (absoluteErrorVariance(window) / window.regressed + absoluteErrorVariance(reference) / reference.regressed) * inflation;
  if (!(variance > 0)) return 1;
  const z = (window.absoluteErrorSum / window.regressed - reference.absoluteErrorSum / reference.regressed) / Math.sqrt(variance);
  return Math.min(1, 0.5 * erfc(z / Math.SQRT2));
}

interface Gate {
  status: Status;
  statistic: string;
  value: number;
}

const RANK: Record<Status, number> = { ok: 0, warning: 1, critical: 2 };

function floorLevel(effect: number, floors: { warning: number; critical: number }): Status {
  if (effect >= floors.critical) return "critical";
  if (effect >= floors.warning) return "warning";
  return "ok";
}

/**
 * Evaluate a window of joined outcomes. `alpha` is the one-sided false-alarm rate per test. Null when the
 * window holds no classifier or regressor pair.
 */
export function evaluatePerformance(
  window: PerformanceAccumulator,
  reference: PerformanceReference | null,
  settings: PerformanceSettings,
  alpha: number,
): SignalEvaluation | null {
  const s = summarizePerformance(window);
  if (s.accuracy === undefined && s.mae === undefined) return null;
  const statistics: Record<string, number> = { outcomes: s.outcomes };
  const gates: Gate[] = [];
  const ref = reference?.summary;
  // Bonferroni over the tests this window runs (accuracy and/or MAE).
  const testsRun =
    (s.accuracy !== undefined && ref?.accuracy !== undefined ? 1 : 0) + (s.mae !== undefined && ref?.mae !== undefined ? 1 : 0);
  const alphaPerTest = alpha / Math.max(1, testsRun);

  if (s.accuracy !== undefined) {
    statistics.accuracy = s.accuracy;
    statistics.errorRate = 1 - s.accuracy;
    if (s.ece !== undefined) statistics.ece = s.ece;
    if (reference !== null && ref?.accuracy !== undefined) {
      const drop = ref.accuracy - s.accuracy;
      const p = accuracyDropPValue(
        window.correct,
        window.classified,
        reference.total.correct,
        reference.total.classified,
        reference.accuracyDispersion,
      );
      statistics.referenceAccuracy = ref.accuracy;
      statistics.accuracyDrop = drop;
      statistics.accuracyPValue = p;
      statistics.accuracyDispersion = reference.accuracyDispersion;
      const status = p < alphaPerTest ? floorLevel(drop, settings.accuracyFloors) : "ok";
      gates.push({
        status,
        statistic: "accuracyDrop",
        value: status === "critical" ? settings.accuracyFloors.critical : settings.accuracyFloors.warning,
      });
    }
    if (settings.minAccuracy !== undefined) {
      gates.push({ status: s.accuracy < settings.minAccuracy ? "critical" : "ok", statistic: "minAccuracy", value: settings.minAccuracy });
    }
  }
  if (s.mae !== undefined) {
    statistics.mae = s.mae;
    statistics.rmse = s.rmse ?? 0;
    if (reference !== null && ref?.mae !== undefined) {
      const p = maeRisePValue(window, reference.total, reference.maeDispersion);
      statistics.referenceMae = ref.mae;
      statistics.maePValue = p;
      statistics.maeDispersion = reference.maeDispersion;
      let rise = 0;
      if (ref.mae > 0) rise = (s.mae - ref.mae) / ref.mae;
      else if (s.mae > 0) rise = Number.MAX_VALUE; // any error against a perfect reference
      statistics.maeRise = rise;
      const status = p < alphaPerTest ? floorLevel(rise, settings.maeFloors) : "ok";
      gates.push({ status, statistic: "maeRise", value: status === "critical" ? settings.maeFloors.critical : settings.maeFloors.warning });
    }
    if (settings.maxMae !== undefined) {
      gates.push({ status: s.mae > settings.maxMae ? "critical" : "ok", statistic: "maxMae", value: settings.maxMae });
    }
  }
  if (s.labelDelayMs !== null) {
    statistics.labelDelayP50Ms = s.labelDelayMs.p50;
    statistics.labelDelayP90Ms = s.labelDelayMs.p90;
  }
  let gate: Gate = gates[0] ?? { status: "ok", statistic: s.accuracy !== undefined ? "accuracyDrop" : "maeRise", value: 0 };
  for (const g of gates) if (RANK[g.status] > RANK[gate.status]) gate = g;
  return {
    signal: PERFORMANCE_SIGNAL,
    kind: "numeric",
    status: gate.status,
    statistics,
    threshold: { statistic: gate.statistic, value: gate.value },
    baseline: { kind: "reference", id: reference?.id ?? "none", count: reference?.summary.outcomes ?? 0 },
    // the relative drop / rise that crossed its floor (absolute thresholds have no effect size: 0)
    effect: gate.status === "ok" ? 0 : Math.abs(statistics[gate.statistic] ?? 0),
  };
}
