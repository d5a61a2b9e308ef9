// STUB — a numeric signal's sketch: t-digest for the distribution, moments for mean/σ/min/max/missing.
import type { TDigest } from "./tdigest.ts";
import type { Moments } from "./moments.ts";
export interface NumericSketch {
  digest: TDigest;
  moments: Moments;
}
export function createNumericSketch(_compression?: number): NumericSketch {
  throw new Error("not implemented");
}
/** x must be finite. */
export function addNumeric(_s: NumericSketch, _x: number): void {
  throw new Error("not implemented");
}
export function addNumericMissing(_s: NumericSketch): void {
  throw new Error("not implemented");
}
export function mergeNumericSketches(_list: readonly NumericSketch[], _compression?: number): NumericSketch {
  throw new Error("not implemented");
}
export function encodeNumericSketch(_s: NumericSketch): Uint8Array {
  throw new Error("not implemented");
}
export function decodeNumericSketch(_bytes: Uint8Array): NumericSketch {
  throw new Error("not implemented");
}
