// Divergences over the 10 reference-decile bins: PSI, Jensen–Shannon distance, Hellinger distance.
import { freshCdfModels, modelCdf, modelQuantile, type CdfModel, type CdfModels } from "../sketch/cdf-model.ts";
import type { TDigest } from "../sketch/tdigest.ts";

export const PSI_BIN_COUNT = 10;
/** Floor for empty-bin proportions in PSI (PSI only; JS and Hellinger are finite at 0). */
export const PSI_EPSILON = 1e-4;

export interface DecileBins {
  /** strictly increasing inner edges e1 < … < ek (k ≤ 9); bins (−∞, e1], (e1, e2], …, (ek, +∞) */
  edges: number[];
  /** reference proportion per bin (sums to 1) */
  reference: Float64Array;
  /** current proportion per bin (sums to 1) */
  current: Float64Array;
}

/**
 * Bins at the reference deciles: edges = quantileAt(ref, 0.1 … 0.9), equal edges (ties in the data)
 * merged, bins right-closed like cdfAt (x ≤ e). Proportions are differences of cdfAt at the edges.
 * Both digests must be non-empty (callers check counts).
 */
export function referenceDecileBins(reference: TDigest, current: TDigest, models: CdfModels = freshCdfModels): DecileBins {
  const ref = models.of(reference);
  const edges: number[] = [];
  for (let k = 1; k < PSI_BIN_COUNT; k++) {
    const e = modelQuantile(ref, k / PSI_BIN_COUNT);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return { edges, reference: binProportions(ref, edges), current: binProportions(models.of(current), edges) };
}

/** A Float64Array, so the divergences always read one kind of array (see categorical.ts). */
function binProportions(d: CdfModel, edges: readonly number[]): Float64Array {
  const out = new Float64Array(edges.length + 1);
  let below = 0;
  for (let i = 0; i < edges.length; i++) {
    const f = modelCdf(d, edges[i]);
    out[i] = Math.max(f - below, 0);
    below = Math.max(f, below);
  }
  out[edges.length] = Math.max(1 - below, 0);
  return out;
}

/** PSI = Σ (c − p)·ln(c/p) with both proportions floored at PSI_EPSILON. 0 for identical inputs. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = Math.max(reference[i], PSI_EPSILON);
    const c = Math.max(current[i], PSI_EPSILON);
    psi += (c - p) * Math.log(c / p);
  }
  return psi;
}

/**
 * Jensen–Shannon distance, base 2 (√JSD, in [0, 1]) — scipy.spatial.distance.jensenshannon(p, q, base=2).
 * Inputs are proportion vectors (each summing to 1); zero entries contribute 0.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const mid = (p[i] + q[i]) / 2;
    if (p[i] > 0) divergence += p[i] * Math.log2(p[i] / mid);
    if (q[i] > 0) divergence += q[i] * Math.log2(q[i] / mid);
  }
  divergence /= 2;
  return Math.sqrt(divergence <= 0 ? 0 : divergence >= 1 ? 1 : divergence);
}

/** Hellinger distance √(½ Σ (√p − √q)²), in [0, 1]; exactly 0 for identical inputs. */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    sum += d * d;
  }
  return Math.min(Math.sqrt(sum / 2), 1);
}

/** Bins with positive reference mass: the B in the PSI null (1/n + 1/m)·χ²(B − 1). */
export function occupiedBins(reference: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] > 0) n++;
  return n;
}
