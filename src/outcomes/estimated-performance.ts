// Label-free performance estimate (design §4 "Outcomes": before labels arrive it is estimated from
// calibrated confidence). Pure.
//
// Calibration is histogram binning per model version: on the performance reference, the accuracy of the
// predictions whose confidence fell in each equal-width bin. A window's estimated accuracy is the sum over
// bins of the window's share of confidences in the bin times that bin's reference accuracy — read from
// the prediction window's confidence sketch, so it exists as soon as the window closes, hours or days
// before its labels.
// Assumption (and limitation): P(correct | confidence) is the same now as on the reference. That holds when
// inputs move and the input→label relation does not (covariate shift: traffic moving into low-confidence
// regions shows as a lower estimate). It does not hold under concept drift — the same inputs with other
// labels leave confidence, and so the estimate, unchanged; only the realised performance sees that.
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import { cdfAt } from "../sketch/cdf-model.ts";
import type { CalibrationBins } from "./performance.ts";

export interface ConfidenceCalibration {
  /** accuracy per bin (b/B, (b+1)/B]; bins without reference outcomes take the nearest populated bin's */
  accuracy: number[];
  /** reference outcomes per bin */
  count: number[];
}

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
  return { accuracy, count: [...bins.count] };
}

/** Estimated accuracy of a window from its confidence sketch alone; null when the window has no confidence. */
export function estimateAccuracy(calibration: ConfidenceCalibration, confidence: NumericSketch): number | null {
  if (confidence.moments.count === 0) return null;
  const bins = calibration.accuracy.length;
  let below = 0;
  let estimate = 0;
  for (let b = 0; b < bins; b++) {
    const upTo = b === bins - 1 ? 1 : cdfAt(confidence.digest, (b + 1) / bins);
    estimate += (upTo - below) * calibration.accuracy[b];
    below = upTo;
  }
  return estimate;
}
