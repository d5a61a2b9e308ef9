// Label-free performance estimate (design §4 "Outcomes": before labels arrive it is estimated from
// calibrated confidence). Pure.
//
// Calibration is histogram binning per model version: on the performance reference, the accuracy of the
// predictions whose confidence fell in each equal-width bin, placed at the bin's mean confidence. The map
// P(correct | confidence) is the piecewise-linear curve through those points (flat beyond the outer ones):
// plain binning (one accuracy per bin) is biased by up to the bin width when traffic moves inside a bin,
// e.g. towards the decision boundary. A window's estimated accuracy is the mean of the curve over the
// window's confidences, read from its confidence sketch at 100 quantiles — so it exists as soon as the
// prediction window closes, hours or days before its labels. With one populated bin it is that bin's accuracy.
// Assumption (and limitation): P(correct | confidence) is the same now as on the reference. That holds when
// inputs move and the input→label relation does not (covariate shift: traffic moving into low-confidence
// regions shows as a lower estimate). It does not hold under concept drift — the same inputs with other
// labels leave confidence, and so the estimate, unchanged; only the realised performance sees that.
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import { cdfModelOf, modelQuantile } from "../sketch/cdf-model.ts";
import type { CalibrationBins } from "./performance.ts";

export interface ConfidenceCalibration {
  /** accuracy per bin (b/B, (b+1)/B]; bins without reference outcomes take the nearest populated bin's */
  accuracy: number[];
  /** reference outcomes per bin */
  count: number[];
  /** populated bins as (mean confidence, accuracy), by confidence: the calibration curve */
  points: { confidence: number; accuracy: number }[];
}

/** quantiles of a window's confidence the estimate averages the curve over */
const ESTIMATE_QUANTILES = 100;

/** The calibration map of a reference's bins; null when the reference has no classifier outcome with a confidence. */
export function confidenceCalibrationFrom(bins: CalibrationBins): ConfidenceCalibration | null {
  const n = bins.count.length;
  const populated: number[] = [];
  for (let b = 0; b < n; b++) if (bins.count[b] > 0) populated.push(b);
  if (populated.length === 0) return null;
  const accuracy = new Array<number>(n).fill(0);
  for (let b = 0; b < n; b++) {
    let source = populated[0];
    for (const p of populated) if (Math.abs(p - b) < Math.abs(source - b)) source = p;
    accuracy[b] = bins.correct[source] / bins.count[source];
  }
  const points = populated.map((b) => ({ confidence: bins.confidenceSum[b] / bins.count[b], accuracy: bins.correct[b] / bins.count[b] }));
  points.sort((a, b) => a.confidence - b.confidence);
  return { accuracy, count: [...bins.count], points };
}

/** The calibration curve at confidence c: linear between the points, flat beyond them. */
function curveAt(points: readonly { confidence: number; accuracy: number }[], c: number): number {
  if (c <= points[0].confidence) return points[0].accuracy;
  for (let i = 1; i < points.length; i++) {
    const hi = points[i];
    if (c <= hi.confidence) {
      const lo = points[i - 1];
      const span = hi.confidence - lo.confidence;
      return span > 0 ? lo.accuracy + ((c - lo.confidence) / span) * (hi.accuracy - lo.accuracy) : hi.accuracy;
    }
  }
  return points[points.length - 1].accuracy;
}

/** Estimated accuracy of a window from its confidence sketch alone; null when the window has no confidence. */
export function estimateAccuracy(calibration: ConfidenceCalibration, confidence: NumericSketch): number | null {
  if (confidence.moments.count === 0) return null;
  const model = cdfModelOf(confidence.digest);
  let sum = 0;
  for (let k = 0; k < ESTIMATE_QUANTILES; k++) sum += curveAt(calibration.points, modelQuantile(model, (k + 0.5) / ESTIMATE_QUANTILES));
  return sum / ESTIMATE_QUANTILES;
}
