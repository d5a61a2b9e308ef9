// Evaluation of one closed window against one or more baselines (design §4 "Decisions").
// A signal drifts only when its test is significant at the false-alarm rate corrected for the number of
// tests in this evaluation (Bonferroni or Benjamini–Hochberg) AND its effect size passes a practical floor:
// the warning floor for "warning", the critical floor for "critical". PSI and the other statistics are
// reported but do not gate.
// The rolling comparison on its own raises at most "warning": it says the window differs from recent
// behaviour, while only a difference from the pinned reference can make a signal critical (and so drive a
// retrain request).
import type { BaselineRef, SignalKind, SignalResult, Status } from "../events/types.ts";
import type { ModelSettings } from "./settings.ts";
import type { Baseline } from "../baseline/baseline.ts";
import type { SignalSketches } from "../windows/signals.ts";
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import type { CategoryCounts } from "../sketch/categories.ts";
import { OTHER_CATEGORY } from "../sketch/categories.ts";
import { freshCdfModels, modelCdf, type CdfModels } from "../sketch/cdf-model.ts";
import { benjaminiHochberg, categoricalStatistics, chiSquarePValue, ksPValue, numericStatistics } from "../stats/index.ts";
import { twoProportionPValue } from "./proportion-test.ts";
import { excessShareP, outOfRangeNullShare, unseenNullShare } from "./data-quality.ts";
import { featureSignal } from "../windows/signals.ts";

export const STATUS_RANK: Record<Status, number> = { ok: 0, warning: 1, critical: 2 };

export function worstStatus(a: Status, b: Status): Status {
  return STATUS_RANK[a] >= STATUS_RANK[b] ? a : b;
}

interface PendingTest {
  pValue: number;
  /** effect size compared with the floors */
  effect: number;
  floors: { warning: number; critical: number };
  statistic: string;
  /** a data-quality test (missing, out-of-range, unseen, type change): feeds the model's data_quality status */
  dataQuality?: true;
}

interface PendingSignal {
  signal: string;
  kind: SignalKind;
  baseline: Baseline;
  statistics: Record<string, number>;
  tests: PendingTest[];
}

export interface SignalEvaluation extends SignalResult {
  baseline: BaselineRef;
  /** effect size of the test that set the status (0 when ok): compared across windows for "materially worse" */
  effect: number;
  /** the test that set the status is a data-quality test (missing, out-of-range, unseen, type change) */
  dataQuality?: true;
}

export interface WindowEvaluation {
  /** worst signal status in this window (before hysteresis) */
  level: Status;
  /** per signal, the worst result over the baselines (ties: the reference) */
  signals: SignalEvaluation[];
  /** the baseline behind the worst signal */
  drivingBaseline: Baseline;
  /** number of hypothesis tests the correction accounted for */
  tests: number;
  /** per-test significance level after correction (Bonferroni), or the BH step-up level */
  alphaPerTest: number;
  /** worst data-quality test of the window (missing, out-of-range, unseen categories, type changes) */
  dataQuality: Status;
}

function missingShare(missing: number, present: number): number {
  const total = missing + present;
  return total > 0 ? missing / total : 0;
}

function nextBelow(x: number): number {
  return x - Math.max(Math.abs(x) * Number.EPSILON, Number.MIN_VALUE);
}

function numericSignal(
  signal: string,
  ref: NumericSketch,
  cur: NumericSketch,
  baseline: Baseline,
  settings: ModelSettings,
  dependence: number,
  models: CdfModels,
): PendingSignal | null {
  const minCount = settings.detection.minSignalCount;
  const refN = ref.moments.count;
  const curN = cur.moments.count;
  const tests: PendingTest[] = [];
  const statistics: Record<string, number> = {};
  if (refN >= minCount && curN >= minCount) {
    const s = numericStatistics(ref, cur, models);
    Object.assign(statistics, s);
    const below = cur.moments.min < ref.moments.min ? modelCdf(models.of(cur.digest), nextBelow(ref.moments.min)) : 0;
    const above = cur.moments.max > ref.moments.max ? 1 - modelCdf(models.of(cur.digest), ref.moments.max) : 0;
    statistics.outOfRangeShare = below + above;
    // dependent events: both sample sizes shrink to their effective sizes (detect/dependence.ts)
    const pValue = dependence > 1 ? ksPValue(s.ks, s.currentCount / dependence, s.referenceCount / dependence) : s.ksPValue;
    statistics.dependence = dependence;
    statistics.pValue = pValue;
    tests.push({ pValue, effect: s.wasserstein, floors: settings.detection.numericFloors, statistic: "wasserstein" });
    if (statistics.outOfRangeShare > 0) {
      tests.push({
        pValue: excessShareP(Math.round(statistics.outOfRangeShare * curN), curN, outOfRangeNullShare(refN)),
        effect: statistics.outOfRangeShare,
        floors: settings.detection.outOfRangeFloors,
        statistic: "outOfRangeShare",
        dataQuality: true,
      });
    }
  }
  const refMissing = ref.moments.missing;
  const curMissing = cur.moments.missing;
  statistics.missingShare = missingShare(curMissing, curN);
  statistics.referenceMissingShare = missingShare(refMissing, refN);
  if (refMissing + curMissing > 0) {
    tests.push({
      pValue: twoProportionPValue(curMissing, curMissing + curN, refMissing, refMissing + refN),
      effect: Math.abs(statistics.missingShare - statistics.referenceMissingShare),
      floors: settings.detection.missingShareFloors,
      statistic: "missingShare",
      dataQuality: true,
    });
  }
  if (tests.length === 0) return null;
  return { signal, kind: "numeric", baseline, statistics, tests };
}

function categoricalSignal(
  signal: string,
  ref: CategoryCounts,
  cur: CategoryCounts,
  baseline: Baseline,
  settings: ModelSettings,
  dependence: number,
): PendingSignal | null {
  const minCount = settings.detection.minSignalCount;
  const tests: PendingTest[] = [];
  const statistics: Record<string, number> = {};
  if (ref.total >= minCount && cur.total >= minCount) {
    const s = categoricalStatistics(ref, cur);
    Object.assign(statistics, s);
    let unseen = 0;
    for (const [category, n] of cur.counts) if (category !== OTHER_CATEGORY && !ref.counts.has(category)) unseen += n;
    statistics.unseenShare = cur.total > 0 ? unseen / cur.total : 0;
    const pValue =
      dependence > 1 && s.degreesOfFreedom > 0 ? chiSquarePValue(s.chiSquare / dependence, s.degreesOfFreedom) : s.chiSquarePValue;
    statistics.dependence = dependence;
    statistics.pValue = pValue;
    tests.push({ pValue, effect: s.lInf, floors: settings.detection.categoricalFloors, statistic: "lInf" });
    if (unseen > 0) {
      tests.push({
        pValue: excessShareP(unseen, cur.total, unseenNullShare(ref)),
        effect: statistics.unseenShare,
        floors: settings.detection.unseenShareFloors,
        statistic: "unseenShare",
        dataQuality: true,
      });
    }
  }
  statistics.missingShare = missingShare(cur.missing, cur.total);
  statistics.referenceMissingShare = missingShare(ref.missing, ref.total);
  if (ref.missing + cur.missing > 0) {
    tests.push({
      pValue: twoProportionPValue(cur.missing, cur.missing + cur.total, ref.missing, ref.missing + ref.total),
      effect: Math.abs(statistics.missingShare - statistics.referenceMissingShare),
      floors: settings.detection.missingShareFloors,
      statistic: "missingShare",
      dataQuality: true,
    });
  }
  if (tests.length === 0) return null;
  return { signal, kind: "categorical", baseline, statistics, tests };
}

/** Share of values of the wrong type (a string for a numeric feature, a number for a categorical one). */
function valuesOf(sketches: SignalSketches, signal: string): number {
  const n = sketches.numeric.get(signal);
  if (n !== undefined) return n.moments.count + n.moments.missing;
  const c = sketches.categorical.get(signal);
  return c !== undefined ? c.total + c.missing : 0;
}

function addTypeChangeTests(pending: PendingSignal[], current: SignalSketches, baseline: Baseline, settings: ModelSettings): void {
  for (const [feature, wrong] of current.typeMismatches) {
    if (wrong <= 0) continue;
    const signal = featureSignal(feature);
    const kind: SignalKind | null = baseline.signals.numeric.has(signal)
      ? "numeric"
      : baseline.signals.categorical.has(signal)
        ? "categorical"
        : null;
    if (kind === null) continue;
    const n = wrong + valuesOf(current, signal);
    const refWrong = baseline.signals.typeMismatches.get(feature) ?? 0;
    const refN = refWrong + valuesOf(baseline.signals, signal);
    const share = wrong / n;
    const refShare = refN > 0 ? refWrong / refN : 0;
    let p = pending.find((x) => x.signal === signal && x.baseline === baseline);
    if (p === undefined) {
      p = { signal, kind, baseline, statistics: {}, tests: [] };
      pending.push(p);
    }
    p.statistics.typeChangeShare = share;
    p.statistics.referenceTypeChangeShare = refShare;
    p.tests.push({
      pValue: share > refShare ? twoProportionPValue(wrong, n, refWrong, refN) : 1,
      effect: share - refShare,
      floors: settings.detection.typeChangeFloors,
      statistic: "typeChangeShare",
      dataQuality: true,
    });
  }
}

function levelOf(test: PendingTest, significant: boolean): Status {
  if (!significant) return "ok";
  if (test.effect >= test.floors.critical) return "critical";
  if (test.effect >= test.floors.warning) return "warning";
  return "ok";
}

/**
 * Evaluate a window's sketches against the given baselines (reference first). `dependence` holds each
 * signal's dependence factor D ≥ 1 (absent = 1, independent events); `models` may remember each digest's
 * CDF model (cdfModelMemo) across the baselines and statistics. Pure.
 */
export function evaluateWindow(
  current: SignalSketches,
  baselines: readonly Baseline[],
  settings: ModelSettings,
  dependence: ReadonlyMap<string, number> = new Map(),
  models: CdfModels = freshCdfModels,
): WindowEvaluation | null {
  if (baselines.length === 0) return null;
  const pending: PendingSignal[] = [];
  for (const baseline of baselines) {
    for (const [signal, cur] of current.numeric) {
      const ref = baseline.signals.numeric.get(signal);
      if (ref === undefined) continue;
      const p = numericSignal(signal, ref, cur, baseline, settings, dependence.get(signal) ?? 1, models);
      if (p !== null) pending.push(p);
    }
    for (const [signal, cur] of current.categorical) {
      const ref = baseline.signals.categorical.get(signal);
      if (ref === undefined) continue;
      const p = categoricalSignal(signal, ref, cur, baseline, settings, dependence.get(signal) ?? 1);
      if (p !== null) pending.push(p);
    }
  }
  for (const baseline of baselines) addTypeChangeTests(pending, current, baseline, settings);
  const allTests = pending.flatMap((p) => p.tests);
  const alpha = settings.detection.falseAlarmRate;
  let significant: (t: PendingTest) => boolean;
  let alphaPerTest: number;
  if (settings.detection.correction === "benjamini-hochberg") {
    const rejected = benjaminiHochberg(
      allTests.map((t) => t.pValue),
      alpha,
    );
    const set = new Set(allTests.filter((_, i) => rejected[i]));
    significant = (t) => set.has(t);
    alphaPerTest = alpha / Math.max(1, allTests.length);
  } else {
    alphaPerTest = alpha / Math.max(1, allTests.length);
    significant = (t) => t.pValue < alphaPerTest;
  }

  const bySignal = new Map<string, SignalEvaluation>();
  let level: Status = "ok";
  let dataQuality: Status = "ok";
  let drivingBaseline = baselines[0];
  for (const p of pending) {
    let status: Status = "ok";
    let gate = p.tests[0];
    for (const t of p.tests) {
      const l = levelOf(t, significant(t));
      if (t.dataQuality === true && STATUS_RANK[l] > STATUS_RANK[dataQuality]) dataQuality = l;
      if (STATUS_RANK[l] > STATUS_RANK[status]) {
        status = l;
        gate = t;
      }
    }
    if (status === "critical" && p.baseline.kind === "rolling") status = "warning";
    const threshold = { statistic: gate.statistic, value: status === "critical" ? gate.floors.critical : gate.floors.warning };
    const candidate: SignalEvaluation = {
      signal: p.signal,
      kind: p.kind,
      status,
      statistics: p.statistics,
      threshold,
      baseline: { kind: p.baseline.kind, id: p.baseline.id, count: p.baseline.count },
      effect: status === "ok" ? 0 : gate.effect,
    };
    if (status !== "ok" && gate.dataQuality === true) candidate.dataQuality = true;
    const existing = bySignal.get(p.signal);
    if (existing === undefined || STATUS_RANK[status] > STATUS_RANK[existing.status]) bySignal.set(p.signal, candidate);
    if (STATUS_RANK[status] > STATUS_RANK[level]) {
      level = status;
      drivingBaseline = p.baseline;
    }
  }
  const signals = [...bySignal.values()].sort((a, b) => (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : 0));
  return { level, signals, drivingBaseline, tests: allTests.length, alphaPerTest, dataQuality };
}
