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
import { cdfAt } from "../sketch/cdf-model.ts";
import { benjaminiHochberg, categoricalStatistics, numericStatistics } from "../stats/index.ts";
import { twoProportionPValue } from "./proportion-test.ts";

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
}

function missingShare(missing: number, present: number): number {
  const total = missing + present;
  return total > 0 ? missing / total : 0;
}

function nextBelow(x: number): number {
  return x - Math.max(Math.abs(x) * Number.EPSILON, Number.MIN_VALUE);
}

function numericSignal(signal: string, ref: NumericSketch, cur: NumericSketch, baseline: Baseline, settings: ModelSettings): PendingSignal | null {
  const minCount = settings.detection.minSignalCount;
  const refN = ref.moments.count;
  const curN = cur.moments.count;
  const tests: PendingTest[] = [];
  const statistics: Record<string, number> = {};
  if (refN >= minCount && curN >= minCount) {
    const s = numericStatistics(ref, cur);
    Object.assign(statistics, s);
    const below = cur.moments.min < ref.moments.min ? cdfAt(cur.digest, nextBelow(ref.moments.min)) : 0;
    const above = cur.moments.max > ref.moments.max ? 1 - cdfAt(cur.digest, ref.moments.max) : 0;
    statistics.outOfRangeShare = below + above;
    tests.push({ pValue: s.ksPValue, effect: s.wasserstein, floors: settings.detection.numericFloors, statistic: "wasserstein" });
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
    });
  }
  if (tests.length === 0) return null;
  return { signal, kind: "numeric", baseline, statistics, tests };
}

function categoricalSignal(signal: string, ref: CategoryCounts, cur: CategoryCounts, baseline: Baseline, settings: ModelSettings): PendingSignal | null {
  const minCount = settings.detection.minSignalCount;
  const tests: PendingTest[] = [];
  const statistics: Record<string, number> = {};
  if (ref.total >= minCount && cur.total >= minCount) {
    const s = categoricalStatistics(ref, cur);
    Object.assign(statistics, s);
    let unseen = 0;
    for (const [category, n] of cur.counts) if (category !== OTHER_CATEGORY && !ref.counts.has(category)) unseen += n;
    statistics.unseenShare = cur.total > 0 ? unseen / cur.total : 0;
    tests.push({ pValue: s.chiSquarePValue, effect: s.lInf, floors: settings.detection.categoricalFloors, statistic: "lInf" });
  }
  statistics.missingShare = missingShare(cur.missing, cur.total);
  statistics.referenceMissingShare = missingShare(ref.missing, ref.total);
  if (ref.missing + cur.missing > 0) {
    tests.push({
      pValue: twoProportionPValue(cur.missing, cur.missing + cur.total, ref.missing, ref.missing + ref.total),
      effect: Math.abs(statistics.missingShare - statistics.referenceMissingShare),
      floors: settings.detection.missingShareFloors,
      statistic: "missingShare",
    });
  }
  if (tests.length === 0) return null;
  return { signal, kind: "categorical", baseline, statistics, tests };
}

function levelOf(test: PendingTest, significant: boolean): Status {
  if (!significant) return "ok";
  if (test.effect >= test.floors.critical) return "critical";
  if (test.effect >= test.floors.warning) return "warning";
  return "ok";
}

/** Evaluate a window's sketches against the given baselines (reference first). Pure. */
export function evaluateWindow(current: SignalSketches, baselines: readonly Baseline[], settings: ModelSettings): WindowEvaluation | null {
  if (baselines.length === 0) return null;
  const pending: PendingSignal[] = [];
  for (const baseline of baselines) {
    for (const [signal, cur] of current.numeric) {
      const ref = baseline.signals.numeric.get(signal);
      if (ref === undefined) continue;
      const p = numericSignal(signal, ref, cur, baseline, settings);
      if (p !== null) pending.push(p);
    }
    for (const [signal, cur] of current.categorical) {
      const ref = baseline.signals.categorical.get(signal);
      if (ref === undefined) continue;
      const p = categoricalSignal(signal, ref, cur, baseline, settings);
      if (p !== null) pending.push(p);
    }
  }
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
  let drivingBaseline = baselines[0];
  for (const p of pending) {
    let status: Status = "ok";
    let gate = p.tests[0];
    for (const t of p.tests) {
      const l = levelOf(t, significant(t));
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
    const existing = bySignal.get(p.signal);
    if (existing === undefined || STATUS_RANK[status] > STATUS_RANK[existing.status]) bySignal.set(p.signal, candidate);
    if (STATUS_RANK[status] > STATUS_RANK[level]) {
      level = status;
      drivingBaseline = p.baseline;
    }
  }
  const signals = [...bySignal.values()].sort((a, b) => (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : 0));
  return { level, signals, drivingBaseline, tests: allTests.length, alphaPerTest };
}
