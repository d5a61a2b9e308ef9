// Drift statistics from sketches (never raw buffers). All functions are pure over their inputs (reading a
// digest may flush its buffer), never return NaN/Infinity, and document their degenerate cases.
export { numericStatistics, sigmaScale } from "./numeric.ts";
export type { NumericStatistics, NumericStatisticsDetail } from "./numeric.ts";
export { categoricalStatistics } from "./categorical.ts";
export type { CategoricalStatistics } from "./categorical.ts";
export {
  PSI_BIN_COUNT,
  PSI_EPSILON,
  referenceDecileBins,
  populationStabilityIndex,
  jensenShannonDistance,
  hellingerDistance,
} from "./binned.ts";
export type { DecileBins } from "./binned.ts";
export { cdfDistances } from "./cdf-distance.ts";
export type { CdfDistances } from "./cdf-distance.ts";
export { kolmogorovSurvival, kolmogorovInverse, effectiveSampleSize } from "./kolmogorov.ts";
export { chiSquareQuantile } from "./chi-square.ts";
export {
  ksPValue,
  chiSquarePValue,
  psiPValue,
  ksCriticalValue,
  psiCriticalValue,
  jsCriticalValue,
  hellingerCriticalValue,
  wassersteinCriticalValue,
  bonferroniAlpha,
  benjaminiHochberg,
} from "./thresholds.ts";
