// The distribution a t-digest stands for, as one piecewise-linear CDF with jumps, and every query of it:
// cdfAt, quantileAt, spreadWeightAt and the knots the CDF distances sweep all read the same CdfModel.
//
// The model of a flushed digest:
//  - exact mode: every centroid is a point mass (all its weight at its mean): the empirical CDF;
//  - otherwise a centroid is a point mass when its weight is 1, or when its mean equals min (first) or max
//    (last) — then every value in it equals that extreme; any other centroid has half its weight on each
//    side of its mean, spread uniformly up to the neighbouring centroid's mean; at the ends one sample sits
//    exactly at min (max) and the rest of the outer half is spread over (min, mean₀) ((meanₗₐₛₜ, max)),
//    as in the reference MergingDigest.
//  - atoms (tdigest.ts) are point masses added on top: with atoms, the centroids' own extremes (the first
//    and last centroid, which compression never merges) bound the spread part instead of the digest's min
//    and max, and the CDF steps by each atom's weight at its value.
// As knots: at each knot x the weight strictly below it and the weight at or below it (the jump between
// them is a point mass); between consecutive knots the weight runs linearly from the one to the other.
import { atomWeight, flushTDigest } from "./tdigest.ts";
import type { TDigest } from "./tdigest.ts";

export interface CdfModel {
  /** knot positions, strictly ascending, valid in [0, length) */
  x: Float64Array;
  /** weight strictly below x[k] (the left limit of the CDF, unnormalised) */
  below: Float64Array;
  /** weight at or below x[k] */
  atOrBelow: Float64Array;
  length: number;
  /** total weight: F(x) = weight / total */
  total: number;
  /** the digest's exact min and max (quantiles 0 and 1) */
  min: number;
  max: number;
}

/** The CDF model of `d` (flushes its buffer first). O(size + atoms); read many points from one model. */
export function cdfModelOf(d: TDigest): CdfModel {
  return modelIn(d, null);
}

/** cdfModelOf with its arrays from `pool` (null: allocated). */
function modelIn(d: TDigest, pool: KnotPool | null): CdfModel {
  flushTDigest(d);
  const total = d.count;
  const centroids = centroidKnots(d, total - atomWeight(d), pool);
  if (d.atomCount === 0) {
    const { x, below, atOrBelow, length } = centroids;
    // a literal, not a spread: the same shape as withAtoms' models, and no copy loop over the keys
    return { x, below, atOrBelow, length, total, min: d.min, max: d.max };
  }
  return withAtoms(centroids, d, total, pool);
}

/** Where the statistics take each digest's CDF model from: built afresh, or remembered (cdfModelMemo). */
export interface CdfModels {
  of(d: TDigest): CdfModel;
}

/** Every model built afresh (cdfModelOf). */
export const freshCdfModels: CdfModels = { of: cdfModelOf };

/** CdfModels for one evaluation; `release` ends it (see cdfModelMemo). */
export interface CdfModelMemo extends CdfModels {
  release(): void;
}

/**
 * cdfModelOf remembered per digest: for one evaluation, where each digest is read by several statistics and
 * baselines and none is changed in between (a digest changed after its model was taken would read stale).
 * The digests in `lasting` (a pinned reference's, read at every window close) keep their model across
 * evaluations too, for as long as the digest lives (lastingCdfModelOf). `release()` ends the evaluation: the
 * other models' arrays go back to a pool the next evaluation's models are built in, so no model of this
 * memo but the lasting ones may be read after it.
 */
export function cdfModelMemo(lasting: ReadonlySet<TDigest> = new Set()): CdfModelMemo {
  return new EvaluationModels(lasting);
}

// A class, not a closure per memo: the statistics then call one function for every window (a new closure
// per window was a new call target at each call site, and that deoptimised them)
class EvaluationModels implements CdfModelMemo {
  private readonly models = new Map<TDigest, CdfModel>();
  private readonly pool = new KnotPool();
  constructor(private readonly lasting: ReadonlySet<TDigest>) {}

  release(): void {
    this.models.clear();
    this.pool.release();
  }

  of(d: TDigest): CdfModel {
    let m = this.models.get(d);
    if (m === undefined) {
      m = this.lasting.has(d) ? lastingCdfModelOf(d) : modelIn(d, this.pool);
      this.models.set(d, m);
    }
    return m;
  }
}

/** A remembered model, with what it was built from: any change to the digest changes one of these. */
interface LastingModel {
  model: CdfModel;
  means: Float64Array;
  weights: Float64Array;
  size: number;
  count: number;
  exact: boolean;
  atomValues: Float64Array;
  atomWeights: Float64Array;
  atomCount: number;
}

const lastingModels = new WeakMap<TDigest, LastingModel>();
const lastingModelSet = new WeakSet<CdfModel>();

/** Whether `m` came from lastingCdfModelOf: it is never changed, so what is derived from it may be kept with it. */
export function isLastingCdfModel(m: CdfModel): boolean {
  return lastingModelSet.has(m);
}

/**
 * cdfModelOf, kept with the digest for as long as it lives: for digests that are no longer changed (a pinned
 * reference's). A digest changed anyway gets a new model: every change adds values (count), flushes (its
 * buffer), compresses (size, exact) or merges into new arrays, and the check compares all of those.
 */
export function lastingCdfModelOf(d: TDigest): CdfModel {
  flushTDigest(d);
  const kept = lastingModels.get(d);
  if (
    kept !== undefined &&
    kept.means === d.means &&
    kept.weights === d.weights &&
    kept.size === d.size &&
    kept.count === d.count &&
    kept.exact === (d.exact === true) &&
    kept.atomValues === d.atomValues &&
    kept.atomWeights === d.atomWeights &&
    kept.atomCount === d.atomCount
  )
    return kept.model;
  const model = cdfModelOf(d);
  lastingModelSet.add(model);
  lastingModels.set(d, {
    model,
    means: d.means,
    weights: d.weights,
    size: d.size,
    count: d.count,
    exact: d.exact === true,
    atomValues: d.atomValues,
    atomWeights: d.atomWeights,
    atomCount: d.atomCount,
  });
  return model;
}

interface Knots {
  x: Float64Array;
  below: Float64Array;
  atOrBelow: Float64Array;
  length: number;
}

/**
 * The three knot arrays of `cap` entries each, views of one allocation (a typed array's own allocation costs
 * ~0.7 µs, and every window close builds a model per signal and baseline), taken from `pool` when given.
 */
function knotArrays(cap: number, pool: KnotPool | null): [Float64Array, Float64Array, Float64Array] {
  if (pool !== null) return pool.take(cap);
  const all = new Float64Array(3 * cap);
  return [all.subarray(0, cap), all.subarray(cap, 2 * cap), all.subarray(2 * cap)];
}

/**
 * Knot buffers by size class (3 × 2^k entries), lent to one evaluation's models and given back when it ends:
 * the models of the current window and of the rolling baseline live for one window close.
 */
class KnotPool {
  private readonly lent: Float64Array[] = [];

  take(cap: number): [Float64Array, Float64Array, Float64Array] {
    const k = Math.max(MIN_KNOT_CLASS, 32 - Math.clz32(Math.max(cap, 1) - 1));
    const all = freeKnotBuffers[k]?.pop() ?? new Float64Array(3 << k);
    this.lent.push(all);
    const c = 1 << k;
    return [all.subarray(0, cap), all.subarray(c, c + cap), all.subarray(2 * c, 2 * c + cap)];
  }

  release(): void {
    for (const all of this.lent) {
      const k = 31 - Math.clz32(all.length / 3);
      const free = (freeKnotBuffers[k] ??= []);
      if (free.length < MAX_FREE_PER_CLASS) free.push(all);
    }
    this.lent.length = 0;
  }
}
const MIN_KNOT_CLASS = 4;
/** bounds what the pool keeps: more than one close's models of a class are never needed at once */
const MAX_FREE_PER_CLASS = 64;
const freeKnotBuffers: Float64Array[][] = [];

/** Knots of the centroids alone, whose weights sum to `total`. */
function centroidKnots(d: TDigest, total: number, pool: KnotPool | null): Knots {
  const n = d.size;
  const [x, belowAt, atOrBelow] = knotArrays(n + 2, pool);
  const model: Knots = { x, below: belowAt, atOrBelow, length: 0 };
  if (total <= 0 || n === 0) return model;
  const means = d.means;
  const weights = d.weights;
  if (d.exact === true) {
    // every closed window's digest is read this way: written straight into the arrays
    let below = 0;
    for (let i = 0; i < n; i++) {
      const next = below + weights[i];
      x[i] = means[i];
      belowAt[i] = below;
      atOrBelow[i] = i === n - 1 ? total : next;
      below = next;
    }
    model.length = n;
    return model;
  }
  // the spread part's bounds: the digest's min and max, or with atoms the centroids' own extremes
  const lo = d.atomCount > 0 ? means[0] : d.min;
  const hi = d.atomCount > 0 ? means[n - 1] : d.max;
  const last = n - 1;
  // atMean: weight at or below the current centroid's mean
  let atMean = isPointMass(means, weights, 0, last, lo, hi) ? weights[0] : weights[0] / 2;
  const lastIsPoint = isPointMass(means, weights, last, last, lo, hi);
  let k = 0;
  if (means[0] > lo) {
    // one sample at min, the rest of centroid 0 spread up to m₀
    x[k] = lo;
    belowAt[k] = 0;
    atOrBelow[k++] = 1;
  }
  x[k] = means[0];
  belowAt[k] = means[0] > lo ? atMean : 0;
  atOrBelow[k++] = n === 1 && lastIsPoint ? total : atMean;
  let pointHere = isPointMass(means, weights, 0, last, lo, hi);
  for (let i = 0; i < last; i++) {
    const pointNext = isPointMass(means, weights, i + 1, last, lo, hi);
    const leftLimit = atMean + (pointHere ? 0 : weights[i] / 2) + (pointNext ? 0 : weights[i + 1] / 2);
    atMean = leftLimit + (pointNext ? weights[i + 1] : 0);
    x[k] = means[i + 1];
    belowAt[k] = leftLimit;
    // from the last mean on: all of it for a point mass, else w/2 − 1 spread up to the one sample at max
    atOrBelow[k++] = i + 1 === last ? (lastIsPoint ? total : total - weights[last] / 2) : atMean;
    pointHere = pointNext;
  }
  if (!lastIsPoint && hi > means[last]) {
    x[k] = hi;
    belowAt[k] = total - 1;
    atOrBelow[k++] = total;
  }
  model.length = k;
  return model;
}

/** Whether centroid i is a point mass: weight 1, or at the spread part's bound (all its values equal it). */
function isPointMass(means: Float64Array, weights: Float64Array, i: number, last: number, lo: number, hi: number): boolean {
  return weights[i] === 1 || (i === 0 && means[0] <= lo) || (i === last && means[i] >= hi);
}

/** The centroids' knots with every atom's step added (a knot at each atom value). */
function withAtoms(c: Knots, d: TDigest, total: number, pool: KnotPool | null): CdfModel {
  const [x, below, atOrBelow] = knotArrays(c.length + d.atomCount, pool);
  const m: CdfModel = {
    x,
    below,
    atOrBelow,
    length: 0,
    total,
    min: d.min,
    max: d.max,
  };
  const continuous = c.length > 0 ? c.atOrBelow[c.length - 1] : 0;
  let i = 0;
  let j = 0;
  let atoms = 0; // atom weight strictly below the current position
  while (i < c.length || j < d.atomCount) {
    const cx = i < c.length ? c.x[i] : Infinity;
    const ax = j < d.atomCount ? d.atomValues[j] : Infinity;
    const x = cx < ax ? cx : ax;
    let below: number;
    let atOrBelow: number;
    if (cx === x) {
      below = c.below[i];
      atOrBelow = c.atOrBelow[i];
      i++;
    } else if (i === 0) {
      below = atOrBelow = 0;
    } else if (i >= c.length) {
      below = atOrBelow = continuous;
    } else {
      // inside the centroids' segment (x[i−1], x[i])
      const x0 = c.x[i - 1];
      below = atOrBelow = c.atOrBelow[i - 1] + ((c.below[i] - c.atOrBelow[i - 1]) * (x - x0)) / (c.x[i] - x0);
    }
    const step = ax === x ? d.atomWeights[j++] : 0;
    const k = m.length++;
    m.x[k] = x;
    m.below[k] = below + atoms;
    m.atOrBelow[k] = atOrBelow + atoms + step;
    atoms += step;
  }
  m.atOrBelow[m.length - 1] = total;
  return m;
}

/** Largest k with x[k] ≤ x, or −1. */
function floorKnot(m: CdfModel, x: number): number {
  let lo = -1;
  let hi = m.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (m.x[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Weight at or below x (unnormalised, in [0, total]); linear between knots. */
function weightAtOrBelow(m: CdfModel, x: number): number {
  const k = floorKnot(m, x);
  if (k < 0) return 0;
  if (k === m.length - 1) return m.total;
  const x0 = m.x[k];
  return m.atOrBelow[k] + ((m.below[k + 1] - m.atOrBelow[k]) * (x - x0)) / (m.x[k + 1] - x0);
}

/** P(X ≤ x) in [0, 1]: 0 below the first knot (and for an empty model), 1 from the last; right-continuous. */
export function modelCdf(m: CdfModel, x: number): number {
  if (m.length === 0 || Number.isNaN(x)) return 0;
  return clamp01(weightAtOrBelow(m, x) / m.total);
}

/** P(X < x): the left limit of modelCdf at x. */
export function modelCdfBelow(m: CdfModel, x: number): number {
  if (m.length === 0 || Number.isNaN(x)) return 0;
  const k = floorKnot(m, x);
  if (k >= 0 && m.x[k] === x) return clamp01(m.below[k] / m.total);
  return modelCdf(m, x);
}

/**
 * The smallest x with F(x) ≥ q (q clamped to [0, 1], NaN read as 0): min for q = 0, max for q = 1, a knot
 * where F jumps across q (in exact mode an actual data value), else the linear interpolation; 0 when empty.
 */
export function modelQuantile(m: CdfModel, q: number): number {
  if (m.length === 0) return 0;
  const qc = Number.isNaN(q) ? 0 : q < 0 ? 0 : q > 1 ? 1 : q;
  if (qc === 0) return m.min;
  if (qc === 1) return m.max;
  const target = qc * m.total;
  // smallest k with atOrBelow[k] ≥ target
  let lo = -1;
  let hi = m.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (m.atOrBelow[mid] >= target) hi = mid;
    else lo = mid;
  }
  const k = hi;
  if (k === 0 || target > m.below[k]) return m.x[k];
  // inside the segment (x[k−1], x[k]), where the weight runs from atOrBelow[k−1] < target up to below[k]
  const from = m.atOrBelow[k - 1];
  return m.x[k - 1] + ((target - from) / (m.below[k] - from)) * (m.x[k] - m.x[k - 1]);
}

/**
 * Weight spread uniformly over the segment containing x: the resolution of the CDF at x (the true empirical
 * CDF wanders around the straight line by ~√(that)/total inside it). 0 in exact mode, outside the knots,
 * and on segments between point masses.
 */
export function modelSpreadWeight(m: CdfModel, x: number): number {
  const k = floorKnot(m, x);
  if (k < 0 || k >= m.length - 1) return 0;
  return Math.max(m.below[k + 1] - m.atOrBelow[k], 0);
}

/** Estimated P(X ≤ x) of a digest (see modelCdf). Flushes the buffer first. */
export function cdfAt(d: TDigest, x: number): number {
  return modelCdf(cdfModelOf(d), x);
}

/** Estimated q-quantile of a digest (see modelQuantile). Flushes the buffer first. */
export function quantileAt(d: TDigest, q: number): number {
  return modelQuantile(cdfModelOf(d), q);
}

/** Samples spread over the segment of the digest's CDF containing x (see modelSpreadWeight). */
export function spreadWeightAt(d: TDigest, x: number): number {
  return modelSpreadWeight(cdfModelOf(d), x);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
