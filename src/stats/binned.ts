// Divergences over the reference-decile bins (10, and one more per large reference atom): PSI, Jensen–Shannon
// distance, Hellinger distance.
import {
  freshCdfModels,
  isLastingCdfModel,
  modelCdf,
  modelCdfBelow,
  modelQuantile,
  type CdfModel,
  type CdfModels,
} from "../sketch/cdf-model.ts";
import type { TDigest } from "../sketch/tdigest.ts";

export const PSI_BIN_COUNT = 10;
/** Floor for empty-bin proportions in PSI (PSI only; JS and Hellinger are finite at 0). */
export const PSI_EPSILON = 1e-4;

/**
 * A reference point mass holding at least this share at a decile edge gets a bin of its own: without it the
 * right-closed bin (e_{k−1}, e] holds the atom and the values just below it together, so values moving from
 * the atom to just below it (a fill value replaced by real readings below it) read PSI, JS and Hellinger 0.
 * One decile's mass: an atom that size always lands on an edge, and smaller repeats stay in their bins.
 */
export const ATOM_BIN_SHARE = 1 / PSI_BIN_COUNT;

export interface DecileBins {
  /**
   * Cut points, non-decreasing: each reads P(X ≤ e), or P(X < e) where `belowCut[k]` is 1. The reference
   * deciles e1 < … < ek (k ≤ 9), and before a decile holding an atom of ≥ ATOM_BIN_SHARE the same value as a
   * "below" cut, so the bins are (−∞, e1], …, (e_{j−1}, e_j), [e_j, e_j], (e_j, e_{j+1}], …, (ek, +∞).
   */
  edges: number[];
  /** 1 where edges[k] is a "below" cut (P(X < e)), else 0 */
  belowCut: Uint8Array;
  /** reference proportion per bin (sums to 1) */
  reference: Float64Array;
  /** current proportion per bin (sums to 1) */
  current: Float64Array;
}

/**
 * Bins at the reference deciles: edges = quantileAt(ref, 0.1 … 0.9), equal edges (ties in the data)
 * merged, bins right-closed like cdfAt (x ≤ e), and an edge where the reference holds a point mass of at
 * least ATOM_BIN_SHARE split into "below it" and "at it". Proportions are differences of the CDFs at the
 * cuts. Both digests must be non-empty (callers check counts).
 */
export function referenceDecileBins(reference: TDigest, current: TDigest, models: CdfModels = freshCdfModels): DecileBins {
  const bins = decileBinsInScratch(reference, current, models);
  return { edges: [...bins.edges], belowCut: bins.belowCut.slice(), reference: bins.reference.slice(), current: bins.current.slice() };
}

/**
 * referenceDecileBins with its arrays this module's own, valid until the next call and not to be changed: for a
 * caller that reads them at once (numericStatistics runs per signal and baseline at every window close, and a
 * typed array costs ~0.7 µs to allocate). A pinned reference's side is computed once and kept with its model.
 */
export function decileBinsInScratch(reference: TDigest, current: TDigest, models: CdfModels = freshCdfModels): DecileBins {
  const ref = models.of(reference);
  const side = isLastingCdfModel(ref) ? lastingReferenceBins(ref) : referenceBins(ref, true);
  const cur = scratchFor(side.edges.length).current;
  binProportions(models.of(current), side.edges, side.belowCut, cur);
  return { edges: side.edges, belowCut: side.belowCut, reference: side.reference, current: cur };
}

type ReferenceBins = Omit<DecileBins, "current">;

/** The reference's side of the bins: its cuts and proportions, in the scratch or in arrays of their own. */
function referenceBins(ref: CdfModel, inScratch: boolean): ReferenceBins {
  const deciles: number[] = [];
  for (let k = 1; k < PSI_BIN_COUNT; k++) {
    const e = modelQuantile(ref, k / PSI_BIN_COUNT);
    if (deciles.length === 0 || e > deciles[deciles.length - 1]) deciles.push(e);
  }
  const edges: number[] = [];
  const below: number[] = [];
  for (const e of deciles) {
    if (modelCdf(ref, e) - modelCdfBelow(ref, e) >= ATOM_BIN_SHARE) {
      edges.push(e);
      below.push(1);
    }
    edges.push(e);
    below.push(0);
  }
  const out = inScratch
    ? scratchFor(edges.length)
    : { belowCut: new Uint8Array(edges.length), reference: new Float64Array(edges.length + 1) };
  out.belowCut.set(below);
  binProportions(ref, edges, out.belowCut, out.reference);
  return { edges, belowCut: out.belowCut, reference: out.reference };
}

const lastingReferences = new WeakMap<CdfModel, ReferenceBins>();

function lastingReferenceBins(ref: CdfModel): ReferenceBins {
  let bins = lastingReferences.get(ref);
  if (bins === undefined) {
    bins = referenceBins(ref, false);
    lastingReferences.set(ref, bins);
  }
  return bins;
}

interface BinScratch {
  belowCut: Uint8Array;
  reference: Float64Array;
  current: Float64Array;
}

/** Per edge count (at most 2 per decile): arrays of exactly that many cuts and bins, as the divergences read lengths. */
const binScratch: BinScratch[] = [];

function scratchFor(edgeCount: number): BinScratch {
  return (binScratch[edgeCount] ??= {
    belowCut: new Uint8Array(edgeCount),
    reference: new Float64Array(edgeCount + 1),
    current: new Float64Array(edgeCount + 1),
  });
}

/** The proportion of each bin into `out` (edges.length + 1 entries, every one written). */
function binProportions(d: CdfModel, edges: readonly number[], belowCut: Uint8Array, out: Float64Array): void {
  let under = 0;
  for (let i = 0; i < edges.length; i++) {
    const f = belowCut[i] === 1 ? modelCdfBelow(d, edges[i]) : modelCdf(d, edges[i]);
    out[i] = Math.max(f - under, 0);
    under = Math.max(f, under);
  }
  out[edges.length] = Math.max(1 - under, 0);
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
