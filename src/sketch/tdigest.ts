// STUB — API contract for the mergeable t-digest (merging variant). Implementation owned by the sketch work.
// Semantics:
//  - plain data over Float64Arrays; `addValue` buffers and compresses when the buffer is full;
//  - deterministic: same input sequence ⇒ same centroids ⇒ same bytes;
//  - exact mode: while the number of distinct values is ≤ compression, every distinct value is its own
//    centroid (weight = multiplicity), so statistics on tied data are exact at its values;
//  - cdfAt(d, x) = estimated P(X ≤ x) (right-continuous; exact in exact mode);
//  - quantileAt(d, q) for q in [0,1]; empty digest ⇒ NaN is NOT allowed: callers check count first, return 0.
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
  min: number;
  max: number;
}

export const DEFAULT_COMPRESSION = 100;

export function createTDigest(_compression: number = DEFAULT_COMPRESSION): TDigest {
  throw new Error("not implemented");
}
/** x must be finite (callers validate). */
export function addValue(_d: TDigest, _x: number): void {
  throw new Error("not implemented");
}
/** Merge the buffer into the centroids (deterministic). Idempotent. */
export function flushTDigest(_d: TDigest): void {
  throw new Error("not implemented");
}
/** New digest equal to the union of the inputs; inputs are not modified (they may be flushed). */
export function mergeTDigests(_digests: readonly TDigest[], _compression?: number): TDigest {
  throw new Error("not implemented");
}
export function cloneTDigest(_d: TDigest): TDigest {
  throw new Error("not implemented");
}
export function cdfAt(_d: TDigest, _x: number): number {
  throw new Error("not implemented");
}
export function quantileAt(_d: TDigest, _q: number): number {
  throw new Error("not implemented");
}
/** Versioned binary encoding (first byte = format version). */
export function encodeTDigest(_d: TDigest): Uint8Array {
  throw new Error("not implemented");
}
/** Throws SketchDecodeError on malformed bytes or unknown version. */
export function decodeTDigest(_bytes: Uint8Array): TDigest {
  throw new Error("not implemented");
}
