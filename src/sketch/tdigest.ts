// Mergeable t-digest, merging variant (Dunning's MergingDigest): the digest itself — ingest, flush,
// compression, merge. What distribution a digest stands for, and every query of it (cdfAt, quantileAt, the
// knots the CDF distances sweep), is cdf-model.ts; the binary format is tdigest-format.ts.
//
// Semantics:
//  - plain data over Float64Arrays; `addValue` buffers and compresses when the buffer is full;
//  - deterministic: same input sequence ⇒ same centroids ⇒ same bytes (no randomness anywhere);
//  - exact mode: while the number of distinct values is ≤ compression — or the digest holds at most
//    10 × compression values (a 1 000-event window at compression 100) — every distinct value is its own
//    centroid (weight = multiplicity), so statistics on tied data and on windows are exact at their
//    values; compactTDigest (a closed window, after its evaluation) compresses a digest kept exact by count;
//  - atoms: values carrying ≥ 1/(2δ) of the mass being compressed are kept as exact point masses
//    (≤ MAX_ATOMS), merged exactly; the CDF steps at each (cdf-model.ts).
// Compression: the k2 scale function for the tails, bounded in the middle by the k1 (arcsin) scale at 4δ.
// Why atoms, and why both scales: deploy/docs/statistics.md, "Sketches".
import { sortFloat64 } from "./float-sort.ts";
import { nearestShortStep } from "./short-step.ts";
import { mergeSortedRuns, type SortedRun } from "./sorted-runs.ts";

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
  /** atom values, strictly ascending, valid in [0, atomCount); none in exact mode */
  atomValues: Float64Array;
  /** atom weights (copies of each value), valid in [0, atomCount) */
  atomWeights: Float64Array;
  atomCount: number;
}

/** At most this many atoms per digest (64 × ~11 bytes serialised). */
export const MAX_ATOMS = 64;
/** An atom holds at least this many copies: a repeat seen in a handful of values is not a point mass yet. */
const ATOM_MIN_WEIGHT = 4;

/** Weight from which a value among `weight` values being compressed becomes an atom: 1/(2δ) of them. */
function atomThreshold(compression: number, weight: number): number {
  return Math.max(ATOM_MIN_WEIGHT, weight / (2 * compression));
}

/** Total weight held by atoms. */
export function atomWeight(d: TDigest): number {
  let w = 0;
  for (let i = 0; i < d.atomCount; i++) w += d.atomWeights[i];
  return w;
}

export const DEFAULT_COMPRESSION = 100;
/** Values buffered before a merge, per unit of compression: bigger buffers amortise the merge pass. */
const BUFFER_PER_COMPRESSION = 20;
/** The k1 bound uses this multiple of the compression (see the header comment). */
const K1_FACTOR = 4;

export function createTDigest(compression: number = DEFAULT_COMPRESSION): TDigest {
  return emptyTDigest(compression, new Float64Array(Math.min(INITIAL_BUFFER, bufferCapacity(compression))));
}

// The centroid arrays start empty and are allocated at the size the first flush or merge stores
// (storeCentroids): a typed array costs ~0.7 µs to allocate, and a window close makes hundreds of digests.
function emptyTDigest(compression: number, buffer: Float64Array): TDigest {
  if (!Number.isFinite(compression) || compression < 10) {
    throw new RangeError(`t-digest compression must be a finite number >= 10, got ${compression}`);
  }
  return {
    compression,
    means: NO_CENTROIDS,
    weights: NO_CENTROIDS,
    size: 0,
    buffer,
    buffered: 0,
    count: 0,
    min: 0,
    max: 0,
    exact: true,
    atomValues: EMPTY_ATOMS,
    atomWeights: EMPTY_ATOMS,
    atomCount: 0,
  };
}
const EMPTY_ATOMS = new Float64Array(0);
/** Shared and never written: every write into a digest's centroids follows storeCentroids' capacity check. */
const NO_CENTROIDS = new Float64Array(0);

/** Values a digest of this compression buffers before it flushes. */
export function bufferCapacity(compression: number): number {
  return Math.ceil(compression * BUFFER_PER_COMPRESSION);
}

/** A digest without an ingest buffer (allocated on the first addValue): for merge results and decoded state. */
export function createUnbufferedTDigest(compression: number): TDigest {
  return emptyTDigest(compression, EMPTY_BUFFER);
}
const EMPTY_BUFFER = new Float64Array(0);
const EXACT_COUNT_PER_COMPRESSION = 10;
/**
 * The most extreme values on each side kept as singletons (≤ 64 extra centroids, ~250 bytes): the far
 * tails decide PSI bins that hold a tiny share of a shifted window, where PSI is most sensitive.
 */
const TAIL_SINGLETONS = 32;
/** First buffer allocation; it doubles up to bufferCapacity. */
export const INITIAL_BUFFER = 128;

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
    d.size = compressPureScratch(d, d.size);
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
/** weight 1 for every buffered value (the buffer as a sorted run) */
let unitWeights = new Float64Array(4096).fill(1);

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
  let buf = nb === d.buffer.length ? d.buffer : d.buffer.subarray(0, nb);
  sortFloat64(buf);
  ensureScratch(d.size + nb);
  if (d.exact !== true) {
    // a compressed digest: copies of atoms, and values repeated in ≥ 1/(2δ) of the buffer, become atoms
    if (unitWeights.length < nb) unitWeights = new Float64Array(Math.max(nb, unitWeights.length * 2)).fill(1);
    buf = buf.subarray(0, routeToAtoms(d, buf, unitWeights, nb, atomThreshold(d.compression, nb)));
  }
  const left = buf.length;
  // centroids first: on a tie the centroid's weight comes first (either way equal values are combined)
  if (unitWeights.length < nb) unitWeights = new Float64Array(Math.max(nb, unitWeights.length * 2)).fill(1);
  const n = mergeSortedRuns(
    [
      { means: d.means, weights: d.weights, size: d.size },
      { means: buf, weights: unitWeights, size: left },
    ],
    scratchMeans,
    scratchWeights,
  );
  d.buffered = 0;
  storeCentroids(d, n, d.exact === true);
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
    size = exactSoFar ? compressPureScratch(d, n) : compressAndSnap(n, d.compression);
    d.exact = false;
  } else {
    d.exact = exactSoFar;
  }
  if (d.means.length < size) {
    // means and weights as views of one allocation (see emptyTDigest)
    const len = Math.max(size, Math.ceil(d.means.length * 1.5));
    const both = new Float64Array(2 * len);
    d.means = both.subarray(0, len);
    d.weights = both.subarray(len);
  }
  d.means.set(scratchMeans.subarray(0, size));
  d.weights.set(scratchWeights.subarray(0, size));
  d.size = size;
}

/** Compresses scratch[0, n) of distinct values (a digest leaving exact mode): atoms out first. */
function compressPureScratch(d: TDigest, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += scratchWeights[i];
  const rest = routeToAtoms(d, scratchMeans, scratchWeights, n, atomThreshold(d.compression, total));
  return compressAndSnap(rest, d.compression);
}

function compressAndSnap(n: number, compression: number): number {
  if (n === 0) return 0;
  const size = compressScratch(n, compression);
  canonicaliseMeans(size);
  return size;
}

/**
 * Moves the items of sorted means/weights[0, n) (equal neighbours read as one value) that are atoms of `d`
 * already, or weigh ≥ threshold (the heaviest first while the table has room), into d's atoms; compacts the
 * rest in place and returns its length. Deterministic: depends only on the items and the table.
 */
function routeToAtoms(d: TDigest, means: Float64Array, weights: Float64Array, n: number, threshold: number): number {
  // pass 1: candidates for new atoms (start index, weight)
  const candidates: number[] = [];
  const atomCount = d.atomCount;
  const atomValues = d.atomValues;
  let ai = 0;
  for (let i = 0; i < n;) {
    const v = means[i];
    let w = 0;
    let j = i;
    while (j < n && means[j] === v) w += weights[j++];
    while (ai < atomCount && atomValues[ai] < v) ai++;
    if (!(ai < atomCount && atomValues[ai] === v) && w >= threshold) candidates.push(i, w);
    i = j;
  }
  if (candidates.length === 0 && atomCount === 0) return n;
  const room = MAX_ATOMS - d.atomCount;
  let chosen: Set<number> | undefined;
  if (candidates.length > 0 && room > 0) {
    const order: number[] = [];
    for (let k = 0; k < candidates.length; k += 2) order.push(k);
    // heaviest first, then by position
    if (order.length > room) order.sort((a, b) => candidates[b + 1] - candidates[a + 1] || a - b);
    chosen = new Set(order.slice(0, room).map((k) => candidates[k]));
  }
  // pass 2: route and compact
  const promotedValues: number[] = [];
  const promotedWeights: number[] = [];
  let out = 0;
  ai = 0;
  for (let i = 0; i < n;) {
    const v = means[i];
    let w = 0;
    let j = i;
    while (j < n && means[j] === v) w += weights[j++];
    while (ai < d.atomCount && d.atomValues[ai] < v) ai++;
    if (ai < d.atomCount && d.atomValues[ai] === v) d.atomWeights[ai] += w;
    else if (chosen?.has(i) === true) {
      promotedValues.push(v);
      promotedWeights.push(w);
    } else {
      for (let k = i; k < j; k++) {
        means[out] = means[k];
        weights[out++] = weights[k];
      }
    }
    i = j;
  }
  if (promotedValues.length > 0) insertAtoms(d, promotedValues, promotedWeights);
  return out;
}

/** Adds new atoms (values ascending, none in the table yet) to d's table, keeping it sorted. */
function insertAtoms(d: TDigest, values: readonly number[], weights: readonly number[]): void {
  const total = d.atomCount + values.length;
  const nv = new Float64Array(total);
  const nw = new Float64Array(total);
  let i = 0;
  let j = 0;
  for (let k = 0; k < total; k++) {
    if (j >= values.length || (i < d.atomCount && d.atomValues[i] < values[j])) {
      nv[k] = d.atomValues[i];
      nw[k] = d.atomWeights[i++];
    } else {
      nv[k] = values[j];
      nw[k] = weights[j++];
    }
  }
  d.atomValues = nv;
  d.atomWeights = nw;
  d.atomCount = total;
}

/**
 * Snap compressed means to "previous mean + a short step" (see shortStepCode), keeping them ascending, so
 * the binary format stores them losslessly in 3 bytes each (short-step.ts; the encoder checks every step
 * and falls back to 4 or 8 bytes). The shift is ≤ 2⁻¹⁷ of the gap to the previous mean, rounded to nearest so that
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
  // the scales' per-unit steps, the same for every centroid of this pass
  const k1Step = 1 / k1Norm;
  const k2Factor = Math.exp(-1 / k2Norm);
  let wLimit = total * centroidLimitQ(0, k1Step, k2Factor);
  for (let i = 1; i < n; i++) {
    const w = weights[i];
    const proposed = weights[out] + w;
    // the TAIL_SINGLETONS most extreme values on each side stay singletons
    if (
      i !== 1 &&
      i !== n - 1 &&
      wSoFar + proposed <= wLimit &&
      wSoFar >= TAIL_SINGLETONS &&
      wSoFar + proposed <= total - TAIL_SINGLETONS
    ) {
      // incremental mean: exact when the means are equal, and stays inside [mean, means[i]]
      weights[out] = proposed;
      means[out] += ((means[i] - means[out]) * w) / proposed;
    } else {
      wSoFar += weights[out];
      wLimit = total * centroidLimitQ(wSoFar / total, k1Step, k2Factor);
      out++;
      means[out] = means[i];
      weights[out] = w;
    }
  }
  return out + 1;
}

/**
 * Upper q-bound of a centroid starting at q0: one unit further along the tighter of the two scales.
 * k1Step = 1/k1Norm; k2Factor = e^(−1/k2Norm).
 */
function centroidLimitQ(q0: number, k1Step: number, k2Factor: number): number {
  // k1: k = norm·asin(2q−1) ⇒ q(k) = (sin(k/norm) + 1) / 2
  const a = Math.asin(2 * q0 - 1) + k1Step;
  const qk1 = a >= Math.PI / 2 ? 1 : (Math.sin(a) + 1) / 2;
  // k2: k = norm·ln(q/(1−q)) ⇒ q(k) = 1 / (1 + e^(−k/norm)); e^(−k/norm) = (1−q0)/q0 · e^(−1/norm)
  const qk2 = q0 <= 0 ? 0 : q0 >= 1 ? 1 : q0 / (q0 + (1 - q0) * k2Factor);
  return qk1 < qk2 ? qk1 : qk2;
}

/** New digest equal to the union of the inputs; inputs are not modified (they may be flushed). */
export function mergeTDigests(digests: readonly TDigest[], compression?: number): TDigest {
  const delta = compression ?? digests[0]?.compression ?? DEFAULT_COMPRESSION;
  const result = createUnbufferedTDigest(delta);
  let total = 0;
  let count = 0;
  let exact = true;
  let min = Infinity;
  let max = -Infinity;
  const inputs: TDigest[] = [];
  for (const d of digests) {
    flushTDigest(d);
    if (d.count === 0) continue;
    inputs.push(d);
    total += d.size;
    count += d.count;
    exact = exact && d.exact === true;
    if (d.min < min) min = d.min;
    if (d.max > max) max = d.max;
  }
  if (count === 0) return result;
  result.count = count;
  result.min = min;
  result.max = max;
  // atoms: counts add; beyond MAX_ATOMS the lightest go back to the centroids (a run of their own)
  const demoted = mergeAtomTables(result, inputs);
  // the inputs' sorted centroids merged (equal means combined), then compressed like a flush; when the
  // result is compressed, an exact input's values are routed to the atoms like a flushed buffer's
  const runs: SortedRun[] = [];
  for (const d of inputs) {
    if (exact || d.exact !== true || d.size === 0) {
      // a run of its own, not the digest: mergeSortedRuns then only ever sees objects of one shape
      runs.push({ means: d.means, weights: d.weights, size: d.size });
      continue;
    }
    const means = d.means.slice(0, d.size);
    const weights = d.weights.slice(0, d.size);
    runs.push({ means, weights, size: routeToAtoms(result, means, weights, d.size, atomThreshold(delta, d.count)) });
  }
  if (demoted.size > 0) runs.push(demoted);
  ensureScratch(total + demoted.size);
  const n = mergeSortedRuns(runs, scratchMeans, scratchWeights);
  storeCentroids(result, n, exact);
  return result;
}

/** The union of the inputs' atom tables into `result`; returns the atoms demoted beyond MAX_ATOMS as a run. */
function mergeAtomTables(result: TDigest, inputs: readonly TDigest[]): SortedRun {
  // the tables are sorted: merged pairwise in input order, so equal values' weights add up in that order
  // and keep the first input's value (−0 and +0 are one value), like a running sum per value would
  let values = EMPTY_ATOMS;
  let weights = EMPTY_ATOMS;
  let n = 0;
  for (const d of inputs) {
    if (d.atomCount === 0) continue;
    if (n === 0) {
      values = d.atomValues.slice(0, d.atomCount);
      weights = d.atomWeights.slice(0, d.atomCount);
      n = d.atomCount;
      continue;
    }
    const mv = new Float64Array(n + d.atomCount);
    const mw = new Float64Array(n + d.atomCount);
    const bv = d.atomValues;
    const bw = d.atomWeights;
    const bn = d.atomCount;
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < n || j < bn) {
      if (j >= bn || (i < n && values[i] < bv[j])) {
        mv[k] = values[i];
        mw[k++] = weights[i++];
      } else if (i >= n || bv[j] < values[i]) {
        mv[k] = bv[j];
        mw[k++] = bw[j++];
      } else {
        mv[k] = values[i];
        mw[k++] = weights[i++] + bw[j++];
      }
    }
    values = k === mv.length ? mv : mv.slice(0, k);
    weights = k === mw.length ? mw : mw.slice(0, k);
    n = k;
  }
  const none: SortedRun = { means: EMPTY_ATOMS, weights: EMPTY_ATOMS, size: 0 };
  if (n === 0) return none;
  // a merged atom at zero is +0 (as it was when the tables were summed in a Map), whichever zero the inputs held
  for (let i = 0; i < n; i++) if (values[i] === 0) values[i] = 0;
  if (n <= MAX_ATOMS) {
    result.atomValues = values;
    result.atomWeights = weights;
    result.atomCount = n;
    return none;
  }
  // beyond MAX_ATOMS the heaviest stay (ties: the smaller value); the rest go back to the centroids
  const ranked: number[] = [];
  for (let i = 0; i < n; i++) ranked.push(i);
  ranked.sort((a, b) => weights[b] - weights[a] || values[a] - values[b]);
  const kept = new Uint8Array(n);
  for (let r = 0; r < MAX_ATOMS; r++) kept[ranked[r]] = 1;
  const keptValues = new Float64Array(MAX_ATOMS);
  const keptWeights = new Float64Array(MAX_ATOMS);
  const demotedValues = new Float64Array(n - MAX_ATOMS);
  const demotedWeights = new Float64Array(n - MAX_ATOMS);
  let k = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (kept[i] === 1) {
      keptValues[k] = values[i];
      keptWeights[k++] = weights[i];
    } else {
      demotedValues[m] = values[i];
      demotedWeights[m++] = weights[i];
    }
  }
  result.atomValues = keptValues;
  result.atomWeights = keptWeights;
  result.atomCount = MAX_ATOMS;
  return { means: demotedValues, weights: demotedWeights, size: m };
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
    atomValues: d.atomValues.slice(0, d.atomCount),
    atomWeights: d.atomWeights.slice(0, d.atomCount),
    atomCount: d.atomCount,
  };
}
