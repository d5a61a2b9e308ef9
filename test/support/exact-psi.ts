// Exact PSI on raw samples (sort and count), independent of the sketches: deciles are the reference value
// at 0-based rank ceil(q·m) − 1 (numpy's inverted_cdf), bins right-closed (−∞, e1], (e1, e2], …, floored
// proportions as in PSI. For tests and benchmarks that go beyond the committed scipy fixtures.
import { PSI_EPSILON, populationStabilityIndex } from "../../src/stats/index.ts";
import { empiricalCdf } from "../support/distributions.ts";

/** Bin proportions of an ascending sample over right-closed bins at `edges`. */
export function exactShares(sorted: Float64Array, edges: readonly number[]): number[] {
  const shares: number[] = [];
  let below = 0;
  for (const e of edges) {
    const atOrBelow = empiricalCdf(sorted, e);
    shares.push(atOrBelow - below);
    below = atOrBelow;
  }
  shares.push(1 - below);
  return shares;
}

/**
 * Reference deciles (deduplicated); `offset` 1 takes every edge one reference value higher — an equally
 * exact decile, which shows how far exact PSI moves with the choice.
 */
export function exactDecileEdges(sortedRef: Float64Array, offset = 0): number[] {
  const edges: number[] = [];
  for (let k = 1; k < 10; k++) {
    const e = sortedRef[Math.min(Math.ceil((k / 10) * sortedRef.length) - 1 + offset, sortedRef.length - 1)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

export function exactPsi(sortedRef: Float64Array, sortedCur: Float64Array, offset = 0): number {
  const edges = exactDecileEdges(sortedRef, offset);
  return populationStabilityIndex(exactShares(sortedRef, edges), exactShares(sortedCur, edges));
}

/**
 * Sampling standard deviation of exact PSI itself (delta method, both samples multinomial over fixed bins):
 * the statistic's own noise. ∂PSI/∂c = ln(c/p) + 1 − p/c and symmetrically for p, shares floored at
 * PSI_EPSILON as in PSI.
 */
export function psiSamplingSd(sortedRef: Float64Array, sortedCur: Float64Array): number {
  const edges = exactDecileEdges(sortedRef);
  const p = exactShares(sortedRef, edges).map((x) => Math.max(x, PSI_EPSILON));
  const c = exactShares(sortedCur, edges).map((x) => Math.max(x, PSI_EPSILON));
  const multinomialVariance = (shares: number[], gradient: number[], count: number) => {
    let second = 0;
    let first = 0;
    shares.forEach((share, k) => {
      second += gradient[k] * gradient[k] * share;
      first += gradient[k] * share;
    });
    return (second - first * first) / count;
  };
  const dc = c.map((ck, k) => Math.log(ck / p[k]) + 1 - p[k] / ck);
  const dp = p.map((pk, k) => Math.log(pk / c[k]) + 1 - c[k] / pk);
  return Math.sqrt(multinomialVariance(c, dc, sortedCur.length) + multinomialVariance(p, dp, sortedRef.length));
}
