// Significance that survives dependence: window-to-window dispersion scores calibrate a dependence
// factor D per signal, pinned with the reference, which shrinks the KS sample sizes (n/D, m/D) and the
// chi-square statistic (X²/D). Derivation and the rule for D: deploy/docs/statistics.md, "Dependence".
import type { SignalSketches } from "../windows/signals.ts";
import type { ClosedWindow } from "../windows/window.ts";
import { effectiveSampleSize } from "../stats/kolmogorov.ts";
import { freshCdfModels, modelCdf, modelQuantile, type CdfModels } from "../sketch/cdf-model.ts";

/** Scores needed at a point before a signal's dependence factor departs from 1. */
export const MIN_DISPERSION_WINDOWS = 4;

/**
 * Windows a captured reference needs for its dependence factors to be measured at all: the first window has
 * no windows before it to be scored against, so k windows give at most k − 1 scores. Fewer: D = 1 everywhere.
 */
export const MIN_DEPENDENCE_WINDOWS = MIN_DISPERSION_WINDOWS + 1;

/** Categorical points are stored under `<signal>\u0000<category>`. */
const CATEGORY_SEPARATOR = "\u0000";

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** A window's dispersion scores per signal against the windows before it (−1: point not usable). */
export function dispersionScores(
  current: SignalSketches,
  before: SignalSketches,
  minCount: number,
  models: CdfModels = freshCdfModels,
): Record<string, number[]> {
  const scores: Record<string, number[]> = {};
  for (const [signal, cur] of current.numeric) {
    const ref = before.numeric.get(signal);
    if (ref === undefined) continue;
    const n = cur.digest.count;
    const m = ref.digest.count;
    if (n < minCount || m < minCount) continue;
    const ne = effectiveSampleSize(n, m);
    // one CDF model per digest for all nine points (building one is O(size))
    const refModel = models.of(ref.digest);
    const curModel = models.of(cur.digest);
    scores[signal] = DECILES.map((q) => {
      const x = modelQuantile(refModel, q);
      const p = modelCdf(refModel, x);
      if (!(p > 0 && p < 1)) return -1;
      const d = modelCdf(curModel, x) - p;
      return (d * d * ne) / (p * (1 - p));
    });
  }
  for (const [signal, cur] of current.categorical) {
    const ref = before.categorical.get(signal);
    if (ref === undefined || cur.total < minCount || ref.total < minCount) continue;
    const ne = effectiveSampleSize(cur.total, ref.total);
    // one point per category of the baseline, keyed by name (the set can change between windows); in
    // sorted order, so the stored scores do not depend on the order categories were first seen in (a
    // restored sketch lists them in another order than the live one, and state must be byte-equal)
    for (const category of [...ref.counts.keys()].sort()) {
      const count = ref.counts.get(category) ?? 0;
      const p = count / ref.total;
      if (!(p > 0 && p < 1)) continue;
      const d = (cur.counts.get(category) ?? 0) / cur.total - p;
      scores[`${signal}${CATEGORY_SEPARATOR}${category}`] = [(d * d * ne) / (p * (1 - p))];
    }
  }
  return scores;
}

/** Per point of each signal, the sum and number of usable dispersion scores (accumulated window by window). */
export type DispersionSums = Map<string, { sum: number[]; n: number[] }>;

/** Adds one window's dispersion scores to the sums (in place). */
export function addDispersion(sums: DispersionSums, scores: Record<string, number[]> | undefined): void {
  for (const [key, points] of Object.entries(scores ?? {})) {
    let acc = sums.get(key);
    if (acc === undefined) {
      acc = { sum: points.map(() => 0), n: points.map(() => 0) };
      sums.set(key, acc);
    }
    for (let j = 0; j < points.length && j < acc.sum.length; j++) {
      if (points[j] < 0) continue;
      acc.sum[j] += points[j];
      acc.n[j]++;
    }
  }
}

/** Dependence factor per signal from accumulated scores (see the module comment); absent = 1. */
export function factorsFromDispersion(sums: DispersionSums): Map<string, number> {
  const signalOf = (key: string) => {
    const i = key.indexOf(CATEGORY_SEPARATOR);
    return i < 0 ? key : key.slice(0, i);
  };
  const factors = new Map<string, number>();
  for (const [key, { sum, n }] of sums) {
    let d = 1;
    for (let j = 0; j < sum.length; j++) {
      if (n[j] < MIN_DISPERSION_WINDOWS) continue;
      const mean = sum[j] / n[j];
      if (mean > 1 + 3 * Math.sqrt(2 / n[j]) && mean > d) d = mean;
    }
    const signal = signalOf(key);
    if (d > (factors.get(signal) ?? 1)) factors.set(signal, d);
  }
  return factors;
}

/** Dependence factor per signal from the windows' scores (see the module comment); absent = 1. */
export function dependenceFactors(windows: readonly ClosedWindow[]): Map<string, number> {
  const sums: DispersionSums = new Map();
  for (const w of windows) addDispersion(sums, w.dispersion);
  return factorsFromDispersion(sums);
}
