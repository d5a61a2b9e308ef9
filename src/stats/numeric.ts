// Drift statistics between two numeric sketches (reference vs current).
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import { stdOf } from "../sketch/moments.ts";
import { freshCdfModels, type CdfModels } from "../sketch/cdf-model.ts";
import { cdfDistances } from "./cdf-distance.ts";
import { decileBinsInScratch, hellingerDistance, jensenShannonDistance, occupiedBins, populationStabilityIndex } from "./binned.ts";
import { ksPValue } from "./kolmogorov.ts";

export interface NumericStatistics {
  /** PSI over 10 bins at reference deciles, epsilon (PSI_EPSILON = 1e-4) for empty bins */
  psi: number;
  /** two-sample KS statistic sup|F_ref − F_cur| */
  ks: number;
  /** KS p-value with effective n = nm/(n+m) (Kolmogorov distribution, Stephens' correction) */
  ksPValue: number;
  /** Jensen–Shannon distance (base 2, in [0,1]) over the same bins as PSI */
  jsDistance: number;
  /** Wasserstein-1 divided by the reference standard deviation */
  wasserstein: number;
  /** Hellinger distance over the PSI bins, in [0,1] */
  hellinger: number;
  /** (mean_cur − mean_ref) / σ_ref (signed) */
  meanShiftSigma: number;
  /** (|Δmean|/σ_ref + |ln σ_cur/σ_ref|)/2 */
  meanSigmaScore: number;
}

/** NumericStatistics plus what a caller needs to calibrate them (sizes, bins actually used). */
export interface NumericStatisticsDetail extends NumericStatistics {
  /** values (not missing) in the reference / current sketch: the m and n of the thresholds */
  referenceCount: number;
  currentCount: number;
  /** bins with positive reference mass (≤ 10; fewer when ties merge deciles): the B of psiPValue */
  psiBins: number;
}

/**
 * All numeric drift statistics, from sketches only. Definitions:
 *  - bins: reference deciles quantileAt(ref, 0.1…0.9), equal edges merged, right-closed (see binned.ts);
 *    PSI, JS (base 2) and Hellinger are computed over these bins' proportions (cdfAt differences);
 *  - KS and Wasserstein-1 from the digests' piecewise CDFs (see cdf-distance.ts);
 *  - σ is the population standard deviation from the moments.
 * Degenerate inputs (never NaN/Infinity):
 *  - either side without values (empty window, all missing) ⇒ every statistic 0, ksPValue 1, psiBins 0;
 *  - identical sketches ⇒ every statistic exactly 0, ksPValue 1;
 *  - σ_ref = 0 (constant reference): W1 and the mean shift are divided by `sigmaScale` instead — σ_cur
 *    when the current window varies, else (both constant) 1e-3·max(1, |mean_ref|, |mean_cur|), so a
 *    constant that moves to another constant reads as a large, finite shift;
 *  - in the log σ ratio a zero σ is replaced by 1e-9·max(1, |mean_ref|, |mean_cur|) (0 when both are 0).
 */
export function numericStatistics(
  reference: NumericSketch,
  current: NumericSketch,
  models: CdfModels = freshCdfModels,
): NumericStatisticsDetail {
  const m = reference.digest.count;
  const n = current.digest.count;
  if (m === 0 || n === 0) return noDriftStatistics(m, n);

  const bins = decileBinsInScratch(reference.digest, current.digest, models);
  const { ks, wasserstein1 } = cdfDistances(reference.digest, current.digest, models);
  const meanRef = reference.moments.mean;
  const meanCur = current.moments.mean;
  const sigmaRef = stdOf(reference.moments);
  const sigmaCur = stdOf(current.moments);
  const scale = sigmaScale(sigmaRef, sigmaCur, meanRef, meanCur);
  const meanShiftSigma = (meanCur - meanRef) / scale;
  return {
    psi: populationStabilityIndex(bins.reference, bins.current),
    ks,
    ksPValue: ksPValue(ks, n, m),
    jsDistance: jensenShannonDistance(bins.reference, bins.current),
    wasserstein: wasserstein1 / scale,
    hellinger: hellingerDistance(bins.reference, bins.current),
    meanShiftSigma,
    meanSigmaScore: (Math.abs(meanShiftSigma) + Math.abs(logSigmaRatio(sigmaRef, sigmaCur, meanRef, meanCur))) / 2,
    referenceCount: m,
    currentCount: n,
    psiBins: occupiedBins(bins.reference),
  };
}

/** The σ that W1 and the mean shift are expressed in (σ_ref unless that is 0; see numericStatistics). */
export function sigmaScale(sigmaRef: number, sigmaCur: number, meanRef: number, meanCur: number): number {
  if (sigmaRef > 0) return sigmaRef;
  if (sigmaCur > 0) return sigmaCur;
  return 1e-3 * Math.max(1, Math.abs(meanRef), Math.abs(meanCur));
}

function logSigmaRatio(sigmaRef: number, sigmaCur: number, meanRef: number, meanCur: number): number {
  if (sigmaRef === 0 && sigmaCur === 0) return 0;
  const floor = 1e-9 * Math.max(1, Math.abs(meanRef), Math.abs(meanCur));
  return Math.log(Math.max(sigmaCur, floor) / Math.max(sigmaRef, floor));
}

function noDriftStatistics(referenceCount: number, currentCount: number): NumericStatisticsDetail {
  return {
    psi: 0,
    ks: 0,
    ksPValue: 1,
    jsDistance: 0,
    wasserstein: 0,
    hellinger: 0,
    meanShiftSigma: 0,
    meanSigmaScore: 0,
    referenceCount,
    currentCount,
    psiBins: 0,
  };
}
