// Mergeable t-digest, merging variant (Dunning's MergingDigest).
//
// Semantics:
//  - plain data over Float64Arrays; `addValue` buffers and compresses when the buffer is full;
//  - deterministic: same input sequence ⇒ same centroids ⇒ same bytes (no randomness anywhere);
//  - exact mode: while the number of distinct values is ≤ compression — or the digest holds at most
//    10 × compression values (a 1 000-event window at compression 100) — every distinct value is its own
//    centroid (weight = multiplicity), so statistics on tied data and on windows are exact at their
//    values; compactTDigest (a closed window, after its evaluation) compresses a digest kept exact by count;
//  - cdfAt(d, x) = estimated P(X ≤ x) (right-continuous; exact in exact mode);
//  - quantileAt(d, q) for q in [0,1] (clamped);
//  - empty digest: cdfAt returns 0 and quantileAt returns 0 (never NaN); callers check `count` when
//    they need to tell "empty" from "zero".
//
// Compression uses the k2 scale function k(q) = δ/Z · ln(q/(1−q)), Z = 4·ln(n/δ) + 24 (as in the
// reference implementation) for the tails, bounded in the middle by the k1 (arcsin) scale at 4δ:
// a centroid may not span more than one unit of *either* scale. k2 alone gives singleton tails (rank
// error at q = 0.001 well below 1e-4) but centroids ~15 % wide at the median at n = 10^6; the k1
// bound keeps the middle at ≤ π/(4δ) ≈ 0.8 % of the mass per centroid, which is what holds the CDF
// error under 3e-3 (typical shapes; see the README for well-separated mixtures) and PSI's bins sharp,
// while the serialised digest stays ≤ 2 KiB at δ = 100 (≤ 380 centroids at n = 10^6; format below).
//
// Interpolation (cdfAt/quantileAt) follows the reference MergingDigest: half of a centroid's weight lies
// on each side of its mean, spread uniformly up to the neighbouring centroid's mean; weight-1 centroids
// (and every centroid in exact mode) are point masses; one sample sits exactly at min and at max.
import { ByteReader, ByteWriter } from "./bytes.ts";
import { sortFloat64 } from "./float-sort.ts";

export interface TDigest {
  compression: number;
  /** centroid means, sorted ascending, valid in [0, size) */
  means: Float64Array;
  /** centroid weights, valid in [0, size) */
  weights: Float64Array;
  size: number;
  /** unmerged values, valid in [0, buffered) */
  buffer: Float64Array;
  buffered: number;
  /** total weight including the buffer */
  count: number;
  /** exact minimum (0 while count is 0, so the digest never holds ±Infinity) */
  min: number;
  /** exact maximum (0 while count is 0) */
  max: number;
  /**
   * true while every centroid holds copies of a single value (exact mode). Absent is read as false.
   * Optional only so that hand-built digests (test fixtures) stay valid; every function here sets it.
   */
  exact?: boolean;
}

export const DEFAULT_COMPRESSION = 100;
/** Values buffered before a merge, per unit of compression: bigger buffers amortise the merge pass. */
const BUFFER_PER_COMPRESSION = 20;
/** The k1 bound uses this multiple of the compression (see the header comment). */
const K1_FACTOR = 4;
/** Serialisation format written by encodeTDigest. */
export const TDIGEST_FORMAT_VERSION = 3;

export function createTDigest(compression: number = DEFAULT_COMPRESSION): TDigest {
  if (!Number.isFinite(compression) || compression < 10) {
    throw new RangeError(`t-digest compression must be a finite number >= 10, got ${compression}`);
  }
  const capacity = initialCentroidCapacity(compression);
  return {
    compression,
    means: new Float64Array(capacity),
    weights: new Float64Array(capacity),
    size: 0,
    buffer: new Float64Array(Math.min(INITIAL_BUFFER, bufferCapacity(compression))),
    buffered: 0,
    count: 0,
    min: 0,
    max: 0,
    exact: true,
  };
}

function bufferCapacity(compression: number): number {
  return Math.ceil(compression * BUFFER_PER_COMPRESSION);
}

/** A digest without an ingest buffer (allocated on the first addValue): for merge results and decoded state. */
function createUnbufferedTDigest(compression: number): TDigest {
  const d = createTDigest(compression);
  d.buffer = EMPTY_BUFFER;
  return d;
}
const EMPTY_BUFFER = new Float64Array(0);
const EXACT_COUNT_PER_COMPRESSION = 10;
/**
 * The most extreme values on each side kept as singletons (≤ 64 extra centroids, ~250 bytes): the far
 * tails decide PSI bins that hold a tiny share of a shifted window, where PSI is most sensitive.
 */
const TAIL_SINGLETONS = 32;
const INITIAL_BUFFER = 128;

/**
 * Flush and drop the ingest buffer and spare centroid capacity: for digests that will only be read or
 * merged from now on (closed windows). A later addValue allocates a buffer again.
 */
export function compactTDigest(d: TDigest): void {
  flushTDigest(d);
  // a small digest kept exact by count is compressed now: it will be stored and merged many times
  if (d.exact === true && d.size > d.compression) {
    ensureScratch(d.size);
    scratchMeans.set(d.means.subarray(0, d.size));
    scratchWeights.set(d.weights.subarray(0, d.size));
    d.size = compressScratch(d.size, d.compression);
    canonicaliseMeans(d.size);
    d.means.set(scratchMeans.subarray(0, d.size));
    d.weights.set(scratchWeights.subarray(0, d.size));
    d.exact = false;
  }
  d.buffer = EMPTY_BUFFER;
  if (d.means.length > d.size) {
    d.means = d.means.slice(0, d.size);
    d.weights = d.weights.slice(0, d.size);
  }
}

function initialCentroidCapacity(compression: number): number {
  return Math.ceil(compression) + 1;
}

/** x must be finite (callers validate). */
export function addValue(d: TDigest, x: number): void {
  if (d.buffered === d.buffer.length) {
    // The buffer starts small and doubles up to its capacity (most windows never fill it; digests that
    // only receive merges have none). It flushes only at full capacity, so flush points, and with them
    // the centroids, do not depend on the growth steps.
    const capacity = bufferCapacity(d.compression);
    if (d.buffer.length < capacity) {
      const grown = new Float64Array(Math.min(capacity, Math.max(INITIAL_BUFFER, d.buffer.length * 2)));
      grown.set(d.buffer);
      d.buffer = grown;
    } else flushTDigest(d);
  }
  d.buffer[d.buffered++] = x;
  if (d.count === 0) {
    d.min = x;
    d.max = x;
  } else if (x < d.min) {
    d.min = x;
  } else if (x > d.max) {
    d.max = x;
  }
  d.count++;
}

// Scratch space shared by all digests: merging is synchronous, so one set of arrays suffices and the
// hot path allocates nothing once they have grown to the largest merge seen.
let scratchMeans = new Float64Array(4096);
let scratchWeights = new Float64Array(4096);

function ensureScratch(n: number): void {
  if (scratchMeans.length >= n) return;
  const len = Math.max(n, scratchMeans.length * 2);
  scratchMeans = new Float64Array(len);
  scratchWeights = new Float64Array(len);
}

/** Merge the buffer into the centroids (deterministic). Idempotent. */
export function flushTDigest(d: TDigest): void {
  const nb = d.buffered;
  if (nb === 0) return;
  const buf = nb === d.buffer.length ? d.buffer : d.buffer.subarray(0, nb);
  sortFloat64(buf);
  ensureScratch(d.size + nb);
  // Two-way merge of sorted buffer and sorted centroids into scratch, combining equal values
  // (a run of equal values is a point mass: combining loses nothing).
  const sm = scratchMeans;
  const sw = scratchWeights;
  const means = d.means;
  const weights = d.weights;
  const buffer = d.buffer;
  const size = d.size;
  let i = 0;
  let j = 0;
  let m = -1;
  let lastMean = NaN;
  while (i < nb || j < size) {
    let x: number;
    let w: number;
    if (j >= size || (i < nb && buffer[i] < means[j])) {
      x = buffer[i++];
      w = 1;
    } else {
      x = means[j];
      w = weights[j++];
    }
    if (x === lastMean) {
      sw[m] += w;
    } else {
      m++;
      sm[m] = x;
      sw[m] = w;
      lastMean = x;
    }
  }
  d.buffered = 0;
  storeCentroids(d, m + 1, d.exact === true);
}

/**
 * Puts the `n` sorted, distinct-mean items in scratch into `d`: kept as they are while there are at most
 * `compression` of them, otherwise compressed by the scale function (which ends exact mode).
 */
function storeCentroids(d: TDigest, n: number, exactSoFar: boolean): void {
  let size = n;
  // Exact while there are at most `compression` distinct values, or while the digest holds at most
  // EXACT_COUNT_PER_COMPRESSION × compression values (a window of 1 000 events is then exact).
  if (n > d.compression && !(exactSoFar && d.count <= d.compression * EXACT_COUNT_PER_COMPRESSION)) {
    size = compressScratch(n, d.compression);
    canonicaliseMeans(size);
    d.exact = false;
  } else {
    d.exact = exactSoFar;
  }
  if (d.means.length < size) {
    const len = Math.max(size, Math.ceil(d.means.length * 1.5));
    d.means = new Float64Array(len);
    d.weights = new Float64Array(len);
  }
  d.means.set(scratchMeans.subarray(0, size));
  d.weights.set(scratchWeights.subarray(0, size));
  d.size = size;
}

/**
 * Snap compressed means to "previous mean + a short step" (see shortStepCode), keeping them ascending, so
 * the binary format stores them losslessly in 3 bytes each (encodeTDigest checks every step and falls
 * back to 4 or 8 bytes). The shift is ≤ 2⁻¹⁷ of the gap to the previous mean, rounded to nearest so that
 * the re-snapping at every merge does not drift one way (16-bit steps, tried, moved centroids by ~1 % of
 * a gap over 50 merges and cost the accuracy that the bytes bought). It happens at merge time, a point
 * fixed by the input alone, so an encode/decode at any moment (a persisted state) changes nothing afterwards.
 */
function canonicaliseMeans(size: number): void {
  const means = scratchMeans;
  for (let k = 1; k < size - 1; k++) {
    const prev = means[k - 1];
    const step = means[k] - prev;
    if (!(step > 0)) {
      means[k] = prev;
      continue;
    }
    const short = nearestShortStep(step);
    if (!Number.isFinite(short)) continue; // beyond float32 range: kept as it is (stored as float64)
    const snapped = prev + short;
    means[k] = snapped < prev ? prev : snapped;
  }
  // the last mean stays exact (it sits at or next to max); keep the order
  if (size > 1 && means[size - 2] > means[size - 1]) means[size - 2] = means[size - 1];
}

// Short steps: a non-negative float32 without its sign bit and its low 7 mantissa bits — 8 exponent and
// 16 mantissa bits (relative precision 2⁻¹⁷ when rounded) in 24 bits; decodes exactly as float32 bits code·2⁷.
const stepFloat = new Float32Array(1);
const stepBits = new Uint32Array(stepFloat.buffer);

/** 24-bit code of the short step nearest to fround(step), for a finite step ≥ 0 (may round up to +∞). */
function shortStepCode(step: number): number {
  stepFloat[0] = step;
  return (stepBits[0] + 0x40) >>> 7;
}

function shortStepValue(code: number): number {
  stepBits[0] = code << 7;
  return stepFloat[0];
}

/** shortStepValue(shortStepCode(step)) in one pass (the merge loop snaps every mean). */
function nearestShortStep(step: number): number {
  stepFloat[0] = step;
  stepBits[0] = ((stepBits[0] + 0x40) >>> 7) << 7;
  return stepFloat[0];
}

/**
 * Greedy left-to-right merge of scratch[0, n), in place (the write index never passes the read index):
 * an item joins the current centroid while the centroid stays within one unit of both scale functions
 * (k2 for the tails, k1 at 4δ for the middle); the first and last items never merge, so min and max stay
 * singletons. Returns the number of centroids.
 */
function compressScratch(n: number, delta: number): number {
  const means = scratchMeans;
  const weights = scratchWeights;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  const k2Norm = delta / (4 * Math.log(Math.max(total / delta, 1)) + 24);
  const k1Norm = (K1_FACTOR * delta) / (2 * Math.PI);
  let out = 0;
  let wSoFar = 0; // weight of completed centroids
  let wLimit = total * centroidLimitQ(0, k1Norm, k2Norm);
  for (let i = 1; i < n; i++) {
    const w = weights[i];
    const proposed = weights[out] + w;
    // the TAIL_SINGLETONS most extreme values on each side stay singletons
    if (i !== 1 && i !== n - 1 && wSoFar + proposed <= wLimit && wSoFar >= TAIL_SINGLETONS && wSoFar + proposed <= total - TAIL_SINGLETONS) {
      // incremental mean: exact when the means are equal, and stays inside [mean, means[i]]
      weights[out] = proposed;
      means[out] += ((means[i] - means[out]) * w) / proposed;
    } else {
      wSoFar += weights[out];
      wLimit = total * centroidLimitQ(wSoFar / total, k1Norm, k2Norm);
      out++;
      means[out] = means[i];
      weights[out] = w;
    }
  }
  return out + 1;
}

/** Upper q-bound of a centroid starting at q0: one unit further along the tighter of the two scales. */
function centroidLimitQ(q0: number, k1Norm: number, k2Norm: number): number {
  // k1: k = norm·asin(2q−1) ⇒ q(k) = (sin(k/norm) + 1) / 2
  const a = Math.asin(2 * q0 - 1) + 1 / k1Norm;
  const qk1 = a >= Math.PI / 2 ? 1 : (Math.sin(a) + 1) / 2;
  // k2: k = norm·ln(q/(1−q)) ⇒ q(k) = 1 / (1 + e^(−k/norm)); e^(−k/norm) = (1−q0)/q0 · e^(−1/norm)
  const qk2 = q0 <= 0 ? 0 : q0 >= 1 ? 1 : q0 / (q0 + (1 - q0) * Math.exp(-1 / k2Norm));
  return qk1 < qk2 ? qk1 : qk2;
}

/** New digest equal to the union of the inputs; inputs are not modified (they may be flushed). */
export function mergeTDigests(digests: readonly TDigest[], compression?: number): TDigest {
  const delta = compression ?? digests[0]?.compression ?? DEFAULT_COMPRESSION;
  const result = createUnbufferedTDigest(delta);
  let total = 0;
  let exact = true;
  let min = Infinity;
  let max = -Infinity;
  for (const d of digests) {
    flushTDigest(d);
    if (d.count === 0) continue;
    total += d.size;
    exact = exact && d.exact === true;
    if (d.min < min) min = d.min;
    if (d.max > max) max = d.max;
  }
  if (total === 0) return result;
  // k-way merge of the inputs' sorted centroids (ties: earlier input first — the same order as a stable
  // sort over the concatenation, so the result depends only on the inputs' contents and order), combining
  // equal means, then compress like a flush.
  ensureScratch(total);
  const sources = digests.filter((d) => d.count > 0 && d.size > 0);
  if (sources.length <= 2) {
    // the common case (sliding-window aggregates): a plain two-pointer merge, ties from the first input
    const a = sources[0];
    const b = sources.length === 2 ? sources[1] : undefined;
    let i = 0;
    let j = 0;
    let m = -1;
    let count = 0;
    const an = a.size;
    const bn = b === undefined ? 0 : b.size;
    while (i < an || j < bn) {
      let mean: number;
      let weight: number;
      if (j >= bn || (i < an && a.means[i] <= (b as TDigest).means[j])) {
        mean = a.means[i];
        weight = a.weights[i++];
      } else {
        mean = (b as TDigest).means[j];
        weight = (b as TDigest).weights[j++];
      }
      count += weight;
      if (m >= 0 && scratchMeans[m] === mean) scratchWeights[m] += weight;
      else {
        m++;
        scratchMeans[m] = mean;
        scratchWeights[m] = weight;
      }
    }
    result.count = count;
    result.min = min;
    result.max = max;
    storeCentroids(result, m + 1, exact);
    return result;
  }
  const heap = new Int32Array(sources.length); // source indices, ordered by (current mean, index)
  const cursor = new Int32Array(sources.length);
  const before = (a: number, b: number) => {
    const ma = sources[a].means[cursor[a]];
    const mb = sources[b].means[cursor[b]];
    return ma < mb || (ma === mb && a < b);
  };
  const siftDown = (start: number, size: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const c = r < size && before(heap[r], heap[l]) ? r : l;
      if (!before(heap[c], heap[i])) return;
      const t = heap[i];
      heap[i] = heap[c];
      heap[c] = t;
      i = c;
    }
  };
  let heapSize = sources.length;
  for (let i = 0; i < heapSize; i++) heap[i] = i;
  for (let i = (heapSize >> 1) - 1; i >= 0; i--) siftDown(i, heapSize);
  let m = -1;
  let count = 0;
  while (heapSize > 0) {
    const src = heap[0];
    const d = sources[src];
    const mean = d.means[cursor[src]];
    const weight = d.weights[cursor[src]];
    count += weight;
    if (m >= 0 && scratchMeans[m] === mean) {
      scratchWeights[m] += weight;
    } else {
      m++;
      scratchMeans[m] = mean;
      scratchWeights[m] = weight;
    }
    if (++cursor[src] >= d.size) heap[0] = heap[--heapSize];
    siftDown(0, heapSize);
  }
  result.count = count;
  result.min = min;
  result.max = max;
  storeCentroids(result, m + 1, exact);
  return result;
}

export function cloneTDigest(d: TDigest): TDigest {
  return {
    compression: d.compression,
    means: d.means.slice(),
    weights: d.weights.slice(),
    size: d.size,
    buffer: d.buffer.slice(),
    buffered: d.buffered,
    count: d.count,
    min: d.min,
    max: d.max,
    exact: d.exact === true,
  };
}

// The distribution a flushed digest stands for (shared by cdfAt and quantileAt):
//  - a centroid is a point mass (all its weight at its mean) in exact mode, when its weight is 1, or when
//    its mean equals min (first) or max (last) — then every value in it equals that extreme;
//  - any other centroid has half its weight on each side of its mean, spread uniformly up to the
//    neighbouring centroid's mean; at the ends one sample sits exactly at min (max) and the rest of the
//    outer half is spread over (min, mean₀) ((meanₗₐₛₜ, max)).

function isPointMass(d: TDigest, i: number): boolean {
  const w = d.weights[i];
  if (w === 1 || d.exact === true) return true;
  return (i === 0 && d.means[0] <= d.min) || (i === d.size - 1 && d.means[i] >= d.max);
}

/** Weight that a centroid spreads over each of its two neighbouring gaps (0 for a point mass). */
function halfSpread(d: TDigest, i: number): number {
  return isPointMass(d, i) ? 0 : d.weights[i] / 2;
}

/**
 * Number of samples the interpolation spreads uniformly over the segment containing x: the resolution of
 * cdfAt at x (the true empirical CDF wanders around the straight line by ~√(that)/count inside it).
 * 0 in exact mode, outside [min, max], and on segments between point masses. Flushes the buffer first.
 */
export function spreadWeightAt(d: TDigest, x: number): number {
  flushTDigest(d);
  const n = d.size;
  if (d.count === 0 || n === 0 || d.exact === true || !(x >= d.min && x < d.max)) return 0;
  const means = d.means;
  if (x < means[0]) return Math.max(halfSpread(d, 0) - 1, 0);
  if (x >= means[n - 1]) return Math.max(halfSpread(d, n - 1) - 1, 0);
  // binary search: means[lo] ≤ x < means[lo + 1]
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (means[mid] <= x) lo = mid;
    else hi = mid;
  }
  return halfSpread(d, lo) + halfSpread(d, lo + 1);
}

/**
 * Estimated P(X ≤ x), in [0, 1]: 0 below min (and for an empty digest), 1 at and above max;
 * right-continuous, exactly the empirical CDF in exact mode. Flushes the buffer first.
 */
export function cdfAt(d: TDigest, x: number): number {
  flushTDigest(d);
  const n = d.size;
  if (d.count === 0 || n === 0 || Number.isNaN(x)) return 0;
  if (x < d.min) return 0;
  if (x >= d.max) return 1;
  const means = d.means;
  const weights = d.weights;
  const total = d.count;

  if (d.exact === true) {
    let below = 0;
    for (let i = 0; i < n && means[i] <= x; i++) below += weights[i];
    return below / total;
  }

  const m0 = means[0];
  if (x < m0) {
    // only reachable when centroid 0 is spread: one sample at min, w₀/2 − 1 over (min, m₀)
    const spread = weights[0] / 2 - 1;
    return clamp01((1 + (spread * (x - d.min)) / (m0 - d.min)) / total);
  }
  const last = n - 1;
  if (x >= means[last]) {
    if (isPointMass(d, last)) return 1;
    const spread = weights[last] / 2 - 1;
    const above = 1 + (spread * (d.max - x)) / (d.max - means[last]);
    return clamp01(1 - above / total);
  }
  // interior: F(mᵢ) accumulated until mᵢ ≤ x < mᵢ₊₁, then linear across the gap
  let atMean = isPointMass(d, 0) ? weights[0] : weights[0] / 2;
  let i = 0;
  while (means[i + 1] <= x) {
    atMean += halfSpread(d, i) + halfSpread(d, i + 1) + (isPointMass(d, i + 1) ? weights[i + 1] : 0);
    i++;
  }
  const gap = halfSpread(d, i) + halfSpread(d, i + 1);
  const below = atMean + (gap * (x - means[i])) / (means[i + 1] - means[i]);
  return clamp01(below / total);
}

/**
 * The digest's CDF (the same model as cdfAt) as knots: at each knot x the left limit F(x−) and the value
 * F(x); between consecutive knots F runs linearly from the value at one to the left limit at the next;
 * 0 before the first knot, 1 from the last. Lets two digests be compared in one linear sweep.
 */
export interface CdfKnots {
  x: Float64Array;
  left: Float64Array;
  value: Float64Array;
  length: number;
}

export function cdfKnots(d: TDigest): CdfKnots {
  flushTDigest(d);
  const n = d.size;
  const total = d.count;
  const x = new Float64Array(n + 2);
  const left = new Float64Array(n + 2);
  const value = new Float64Array(n + 2);
  let k = 0;
  const push = (at: number, l: number, v: number) => {
    x[k] = at;
    left[k] = clamp01(l);
    value[k] = clamp01(v);
    k++;
  };
  if (total === 0 || n === 0) return { x, left, value, length: 0 };
  const means = d.means;
  const weights = d.weights;
  if (d.exact === true) {
    let below = 0;
    for (let i = 0; i < n; i++) {
      const next = below + weights[i];
      push(means[i], below / total, i === n - 1 ? 1 : next / total);
      below = next;
    }
    return { x, left, value, length: k };
  }
  // atMean as in cdfAt
  let atMean = isPointMass(d, 0) ? weights[0] : weights[0] / 2;
  if (means[0] > d.min) push(d.min, 0, 1 / total); // one sample at min, the rest of centroid 0 spread up to m₀
  const last = n - 1;
  const lastIsPoint = isPointMass(d, last);
  push(means[0], means[0] > d.min ? atMean / total : 0, n === 1 && lastIsPoint ? 1 : atMean / total);
  for (let i = 0; i < last; i++) {
    const gap = halfSpread(d, i) + halfSpread(d, i + 1);
    const leftLimit = (atMean + gap) / total;
    atMean += gap + (isPointMass(d, i + 1) ? weights[i + 1] : 0);
    if (i + 1 === last) {
      // cdfAt from the last mean on: 1 for a point mass, else 1 − (w/2)/total falling to 1 − 1/total at max
      push(means[last], leftLimit, lastIsPoint ? 1 : 1 - weights[last] / 2 / total);
    } else push(means[i + 1], leftLimit, atMean / total);
  }
  if (!lastIsPoint && d.max > means[last]) push(d.max, 1 - 1 / total, 1);
  return { x, left, value, length: k };
}

/**
 * cdfAt for many points of one digest: precomputes the CDF at every centroid (the same running sums, in
 * the same order, as cdfAt — so results are bit-identical) and answers each query by binary search, so
 * reading k points costs O(n + k log n) instead of O(k·n). The digest must not change while it is used.
 */
export function cdfEvaluator(d: TDigest): (x: number) => number {
  flushTDigest(d);
  const n = d.size;
  const total = d.count;
  if (total === 0 || n === 0) return () => 0;
  const means = d.means;
  const weights = d.weights;
  const min = d.min;
  const max = d.max;
  const exact = d.exact === true;
  // atMean[i] = weight at or below means[i] (exact mode: cumulative weights)
  const atMean = new Float64Array(n);
  if (exact) {
    let below = 0;
    for (let i = 0; i < n; i++) atMean[i] = below += weights[i];
  } else {
    atMean[0] = isPointMass(d, 0) ? weights[0] : weights[0] / 2;
    for (let i = 0; i + 1 < n; i++) atMean[i + 1] = atMean[i] + halfSpread(d, i) + halfSpread(d, i + 1) + (isPointMass(d, i + 1) ? weights[i + 1] : 0);
  }
  const last = n - 1;
  const lastIsPoint = isPointMass(d, last);
  const halves = new Float64Array(n);
  for (let i = 0; i < n; i++) halves[i] = halfSpread(d, i);
  // Callers mostly read ascending points (a sweep): continue from the last answer when x did not go back.
  let hint = -1;
  /** largest i with means[i] ≤ x, or −1 */
  const floorIndex = (x: number): number => {
    if (hint >= 0 && means[hint] <= x) {
      let i = hint;
      while (i + 1 < n && means[i + 1] <= x && i - hint < 8) i++;
      if (i + 1 >= n || means[i + 1] > x) return (hint = i);
    }
    let lo = -1;
    let hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (means[mid] <= x) lo = mid;
      else hi = mid;
    }
    return (hint = lo);
  };
  return (x: number): number => {
    if (Number.isNaN(x) || x < min) return 0;
    if (x >= max) return 1;
    if (exact) {
      const i = floorIndex(x);
      return i < 0 ? 0 : atMean[i] / total;
    }
    if (x < means[0]) {
      const spread = weights[0] / 2 - 1;
      return clamp01((1 + (spread * (x - min)) / (means[0] - min)) / total);
    }
    if (x >= means[last]) {
      if (lastIsPoint) return 1;
      const spread = weights[last] / 2 - 1;
      const above = 1 + (spread * (max - x)) / (max - means[last]);
      return clamp01(1 - above / total);
    }
    const i = floorIndex(x);
    const gap = halves[i] + halves[i + 1];
    return clamp01((atMean[i] + (gap * (x - means[i])) / (means[i + 1] - means[i])) / total);
  };
}

/**
 * Estimated q-quantile (q clamped to [0, 1], NaN read as 0): the smallest x with F(x) ≥ q for the same
 * distribution as cdfAt. min for q = 0, max for q = 1, an actual data value in exact mode, and 0 for an
 * empty digest. Flushes the buffer first.
 */
export function quantileAt(d: TDigest, q: number): number {
  flushTDigest(d);
  const n = d.size;
  if (d.count === 0 || n === 0) return 0;
  const qc = Number.isNaN(q) ? 0 : q < 0 ? 0 : q > 1 ? 1 : q;
  if (qc === 0) return d.min;
  if (qc === 1) return d.max;
  const means = d.means;
  const weights = d.weights;
  const target = qc * d.count;

  if (d.exact === true) {
    let cum = 0;
    for (let i = 0; i < n; i++) {
      cum += weights[i];
      if (cum >= target) return means[i];
    }
    return d.max;
  }

  let atMean: number; // F(m₀)
  if (isPointMass(d, 0)) {
    atMean = weights[0];
    if (target <= atMean) return means[0];
  } else {
    if (target <= 1) return d.min;
    atMean = weights[0] / 2;
    if (target <= atMean) return d.min + ((target - 1) / (atMean - 1)) * (means[0] - d.min);
  }
  for (let i = 0; i < n - 1; i++) {
    const gap = halfSpread(d, i) + halfSpread(d, i + 1);
    if (target <= atMean + gap) {
      return means[i] + ((target - atMean) / gap) * (means[i + 1] - means[i]);
    }
    atMean += gap;
    if (isPointMass(d, i + 1)) {
      atMean += weights[i + 1];
      if (target <= atMean) return means[i + 1];
    }
  }
  const last = n - 1;
  if (isPointMass(d, last)) return means[last];
  const spread = weights[last] / 2 - 1;
  if (spread <= 0 || target >= atMean + spread) return d.max;
  return means[last] + ((target - atMean) / spread) * (d.max - means[last]);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

// ---------------------------------------------------------------------------------------------------
// Binary format v1 (little-endian), written after a flush:
//   u8 version = 1 | u8 flags | f64 compression | f64 min | f64 max | varint size
//   | means | size × weight
// flags: bit0 exact mode, bit1 weights as f64 (else varint: weights are sample counts), bit2 means as
// deltas (else size × f64).
// Delta means (used outside exact mode): first and last mean as f64, the size − 2 means between as f32
// increments over the previous *decoded* mean (so rounding does not accumulate; |error| ≲ 6e-8 of the
// gap between neighbours, far below a centroid's own spread). Exact mode keeps every mean as f64 so
// data values round-trip bit for bit. The total count is the sum of the weights.
// Format 2 (lossless): header as v1 without the delta flag | varint size | a bit per mean after the first
// (1 = float32 step over the previous mean, 0 = f64) | first mean f64 | the other means | weights | varint
// buffered | buffered × f64. Format 3 (written now): as 2 with a 2-bit tag per mean (0 = f64, 1 = float32
// step, 2 = 24-bit short step), since compressed means are snapped to short steps at merge time.

const FLAG_EXACT = 1;
const FLAG_FLOAT_WEIGHTS = 2;
const FLAG_DELTA_MEANS = 4;
const KNOWN_FLAGS = FLAG_EXACT | FLAG_FLOAT_WEIGHTS | FLAG_DELTA_MEANS;

/** Versioned binary encoding (first byte = format version). Flushes `d` first; same data ⇒ same bytes. */
export function encodeTDigest(d: TDigest): Uint8Array {
  // Lossless (format 3): centroids as they are and the unmerged buffer verbatim — no flush — so a digest
  // persisted and restored at any point continues exactly like one that never left memory.
  const n = d.size;
  const exact = d.exact === true;
  let integerWeights = true;
  for (let i = 0; i < n; i++) {
    const w = d.weights[i];
    if (!Number.isSafeInteger(w) || w < 1) integerWeights = false;
  }
  const out = new ByteWriter(48 + n * 12 + d.buffered * 8);
  out.u8(TDIGEST_FORMAT_VERSION);
  out.u8((exact ? FLAG_EXACT : 0) | (integerWeights ? 0 : FLAG_FLOAT_WEIGHTS));
  out.f64(d.compression);
  out.f64(d.min);
  out.f64(d.max);
  out.varint(n);
  if (n > 0) {
    // a 2-bit tag per mean after the first: the shortest form that gives the mean back exactly
    const tags = new Uint8Array(n);
    const packed = new Uint8Array(Math.ceil((n - 1) / 4));
    for (let i = 1; i < n; i++) {
      tags[i] = meanTag(d.means[i - 1], d.means[i]);
      packed[(i - 1) >> 2] |= tags[i] << (((i - 1) & 3) * 2);
    }
    for (const b of packed) out.u8(b);
    out.f64(d.means[0]);
    for (let i = 1; i < n; i++) {
      const step = d.means[i] - d.means[i - 1];
      if (tags[i] === MEAN_SHORT_STEP) out.u24(shortStepCode(step));
      else if (tags[i] === MEAN_FLOAT32_STEP) out.f32(Math.fround(step));
      else out.f64(d.means[i]);
    }
  }
  for (let i = 0; i < n; i++) {
    if (integerWeights) out.varint(d.weights[i]);
    else out.f64(d.weights[i]);
  }
  out.varint(d.buffered);
  for (let i = 0; i < d.buffered; i++) out.f64(d.buffer[i]);
  return out.bytes();
}

/** Format 3 mean tags: how a mean after the first is stored. */
const MEAN_FLOAT64 = 0;
const MEAN_FLOAT32_STEP = 1;
const MEAN_SHORT_STEP = 2;

function meanTag(prev: number, mean: number): number {
  const step = mean - prev;
  if (step >= 0 && prev + shortStepValue(shortStepCode(step)) === mean) return MEAN_SHORT_STEP;
  if (prev + Math.fround(step) === mean) return MEAN_FLOAT32_STEP;
  return MEAN_FLOAT64;
}

/** Throws SketchDecodeError on malformed bytes or unknown version. */
export function decodeTDigest(bytes: Uint8Array): TDigest {
  const r = new ByteReader(bytes, "tdigest");
  const version = r.u8();
  switch (version) {
    case 1: {
      const d = decodeTDigestV1(r);
      r.expectEnd();
      return d;
    }
    case 2:
    case 3: {
      const d = decodeLosslessTDigest(r, version);
      r.expectEnd();
      return d;
    }
    default:
      return r.fail(`unknown format version ${version}`);
  }
}

/** Header shared by formats 1 and 2: flags, compression, min, max, centroid count; a digest sized for it. */
function readDigestHeader(r: ByteReader, knownFlags: number): { flags: number; d: TDigest; n: number } {
  const flags = r.u8();
  if ((flags & ~knownFlags) !== 0) r.fail(`unknown flags ${flags}`);
  const compression = r.f64();
  if (!Number.isFinite(compression) || compression < 10) r.fail(`invalid compression ${compression}`);
  const min = r.f64();
  const max = r.f64();
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) r.fail(`invalid min/max ${min}/${max}`);
  const n = r.varint();
  if (n * 3 > r.remaining()) r.fail(`centroid count ${n} exceeds the remaining ${r.remaining()} bytes`);
  const d = createUnbufferedTDigest(compression);
  if (d.means.length < n) {
    d.means = new Float64Array(n);
    d.weights = new Float64Array(n);
  }
  d.min = min;
  d.max = max;
  d.exact = (flags & FLAG_EXACT) !== 0;
  return { flags, d, n };
}

/** Checks the decoded means, reads the weights; returns their sum. */
function readCentroidWeights(r: ByteReader, d: TDigest, n: number, floatWeights: boolean): number {
  const means = d.means;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(means[i]) || (i > 0 && means[i] < means[i - 1])) r.fail(`centroid means not finite and ascending at ${i}`);
  }
  if (n > 0 && (means[0] < d.min || means[n - 1] > d.max)) r.fail("centroid means outside [min, max]");
  let count = 0;
  for (let i = 0; i < n; i++) {
    const w = floatWeights ? r.f64() : r.varint();
    if (!(w > 0) || !Number.isFinite(w)) r.fail(`invalid centroid weight ${w} at ${i}`);
    d.weights[i] = w;
    count += w;
  }
  d.size = n;
  return count;
}

function decodeTDigestV1(r: ByteReader): TDigest {
  const { flags, d, n } = readDigestHeader(r, KNOWN_FLAGS);
  const means = d.means;
  if ((flags & FLAG_DELTA_MEANS) !== 0) {
    if (n < 3) r.fail(`delta-coded means need at least 3 centroids, got ${n}`);
    means[0] = r.f64();
    for (let i = 1; i < n - 1; i++) means[i] = means[i - 1] + r.f32();
    means[n - 1] = r.f64();
    // f32 rounding may overshoot the exact last mean by a hair: clamp, do not reject
    for (let i = n - 2; i > 0 && means[i] > means[n - 1]; i--) means[i] = means[n - 1];
  } else {
    for (let i = 0; i < n; i++) means[i] = r.f64();
  }
  const count = readCentroidWeights(r, d, n, (flags & FLAG_FLOAT_WEIGHTS) !== 0);
  if ((n === 0) !== (count === 0)) r.fail("empty digest with centroids");
  if (n === 0 && (d.min !== 0 || d.max !== 0)) r.fail("empty digest must have min = max = 0");
  d.count = count;
  return d;
}

/**
 * Formats 2 and 3: lossless means and the unmerged buffer. Format 2 tags each mean after the first with one
 * bit (float32 step or float64), format 3 with two (short step, float32 step or float64).
 */
function decodeLosslessTDigest(r: ByteReader, version: 2 | 3): TDigest {
  const { flags, d, n } = readDigestHeader(r, FLAG_EXACT | FLAG_FLOAT_WEIGHTS);
  const means = d.means;
  if (n > 0) {
    const bitsPerTag = version === 2 ? 1 : 2;
    const tagBytes = new Uint8Array(Math.ceil(((n - 1) * bitsPerTag) / 8));
    for (let i = 0; i < tagBytes.length; i++) tagBytes[i] = r.u8();
    means[0] = r.f64();
    for (let i = 1; i < n; i++) {
      const bit = (i - 1) * bitsPerTag;
      const tag = (tagBytes[bit >> 3] >> (bit & 7)) & (bitsPerTag === 1 ? 1 : 3);
      if (tag === MEAN_FLOAT64) means[i] = r.f64();
      else if (tag === MEAN_FLOAT32_STEP) means[i] = means[i - 1] + r.f32();
      else if (tag === MEAN_SHORT_STEP) means[i] = means[i - 1] + shortStepValue(r.u24());
      else r.fail(`unknown mean tag ${tag} at ${i}`);
    }
  }
  const count = readCentroidWeights(r, d, n, (flags & FLAG_FLOAT_WEIGHTS) !== 0);
  const buffered = r.varint();
  if (buffered * 8 > r.remaining()) r.fail(`buffer of ${buffered} values exceeds the remaining ${r.remaining()} bytes`);
  if (buffered > 0) {
    d.buffer = new Float64Array(Math.max(buffered, Math.min(INITIAL_BUFFER, bufferCapacity(d.compression))));
    for (let i = 0; i < buffered; i++) {
      const x = r.f64();
      if (!Number.isFinite(x) || x < d.min || x > d.max) r.fail(`buffered value ${x} not finite or outside [min, max]`);
      d.buffer[i] = x;
    }
  }
  if (n === 0 && buffered === 0 && (d.min !== 0 || d.max !== 0)) r.fail("empty digest must have min = max = 0");
  d.buffered = buffered;
  d.count = count + buffered;
  return d;
}
