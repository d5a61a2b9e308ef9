// Seeded test data for the sketch tests and benchmark (independent of the code under test).

import { mulberry32 } from "./random.ts";

/** mulberry32 uniforms in [0, 1) */
export const seededRandom = mulberry32;

function normalFrom(rand: () => number): () => number {
  return () => {
    const u = 1 - rand(); // (0, 1]
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export type DistributionName = "normal" | "lognormal" | "uniform" | "bimodal" | "exponential" | "sorted" | "bimodal-separated";
/** The shapes the accuracy targets are asserted on. */
export const DISTRIBUTIONS: readonly DistributionName[] = ["normal", "lognormal", "uniform", "bimodal", "exponential", "sorted"];

/**
 * n values of the named distribution; "sorted" is a normal sample in ascending order; "bimodal" is two
 * overlapping clusters 0.5·N(0,1) + 0.5·N(5,1); "bimodal-separated" (0.7·N(0,1) + 0.3·N(8,0.5), a
 * narrow second mode far from the first) is the known hard case, reported by the bench, not asserted.
 */
export function sample(name: DistributionName, n: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  const normal = normalFrom(rand);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (name) {
      case "normal":
      case "sorted":
        out[i] = 10 + 3 * normal();
        break;
      case "lognormal":
        out[i] = Math.exp(normal());
        break;
      case "uniform":
        out[i] = -5 + 10 * rand();
        break;
      case "bimodal":
        out[i] = rand() < 0.5 ? normal() : 5 + normal();
        break;
      case "bimodal-separated":
        out[i] = rand() < 0.7 ? normal() : 8 + 0.5 * normal();
        break;
      case "exponential":
        out[i] = -Math.log(1 - rand()) / 2;
        break;
    }
  }
  if (name === "sorted") out.sort();
  return out;
}

/** Exact empirical CDF P(X ≤ x) over an ascending array (binary search). */
export function empiricalCdf(sortedValues: Float64Array, x: number): number {
  let lo = 0;
  let hi = sortedValues.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedValues[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo / sortedValues.length;
}

/**
 * A reference of m values and a current window of n values of the same shape (independent seeds), the
 * current shifted by `shift` reference σ and scaled about the reference mean by `scale`.
 */
export function driftedPair(
  name: DistributionName,
  m: number,
  n: number,
  seed: number,
  shift: number,
  scale: number,
): { reference: Float64Array; current: Float64Array } {
  const reference = sample(name, m, 1000 * seed + 1);
  let mean = 0;
  for (const x of reference) mean += x / m;
  let variance = 0;
  for (const x of reference) variance += (x - mean) ** 2 / m;
  const sigma = Math.sqrt(variance);
  const current = sample(name, n, 1000 * seed + 2).map((x) => mean + (x - mean) * scale + shift * sigma);
  return { reference, current };
}
