// Significance that survives dependence (issue 10, item 2; README "Dependence").
//
// The KS and chi-square p-values assume the events of a window are independent. Real streams are not:
// consecutive events are autocorrelated and traffic has cycles, so ordinary window-to-window variation
// is larger than the iid null allows and every week "differs significantly" from the last.
//
// Calibration from the stream's own window-to-window variation: each closed window that enters the
// rolling baseline is first compared with the rolling baseline of the windows before it. Under the iid
// null the difference of the empirical CDFs at a point with baseline share p, scaled as
//     z² = (F_window − p)² · n_e / (p (1 − p)),   n_e = nm / (n + m),
// has mean 1; dependence inflates it by the design effect D(p) = n / n_eff at that point. A numeric
// window's *dispersion scores* are z² at the baseline's nine deciles, a categorical window's z² of each
// category's share. The dependence factor of a signal is the largest per-point mean over the windows the
// reference was captured from, pinned with it (so a later slow drift cannot raise it and mask itself;
// imported references carry none: D = 1) — the largest, because the tail of the KS statistic (a supremum) is set by the
// point with the largest variance, where a mean over points would understate it (AR(1), φ = 0.9: about
// 14 at the median, 5 averaged) — and it is used only when it is clearly above 1 (by three standard
// errors of a mean of k χ²₁ values, √(2/k)), so independent data keep the iid test's power:
//     D = max_j mean_i z²_ij   if D > 1 + 3 √(2 / k),   else 1
// used as n → n / D, m → m / D (KS) and X² → X² / D (chi-square). Missing-share and data-quality tests
// stay iid.
import type { SignalSketches } from "../windows/signals.ts";
import type { ClosedWindow } from "../windows/window.ts";
import { effectiveSampleSize } from "../stats/kolmogorov.ts";
import { cdfModelOf, modelCdf, modelQuantile, type CdfModel } from "../sketch/cdf-model.ts";
import type { TDigest } from "../sketch/tdigest.ts";

/** Scores needed at a point before a signal's dependence factor departs from 1. */
export const MIN_DISPERSION_WINDOWS = 4;

/** Categorical points are stored under `<signal>\u0000<category>`. */
const CATEGORY_SEPARATOR = "\u0000";

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** A window's dispersion scores per signal against the windows before it (−1: point not usable). */
export function dispersionScores(
  current: SignalSketches,
  before: SignalSketches,
  minCount: number,
  modelOf: (d: TDigest) => CdfModel = cdfModelOf,
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
    const refModel = modelOf(ref.digest);
    const curModel = modelOf(cur.digest);
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
