// A numeric signal's sketch: t-digest for the distribution, moments for mean/σ/min/max/missing.
import { ByteReader, ByteWriter } from "./bytes.ts";
import { addMissingToMoments, addToMoments, createMoments, mergeMoments, readMoments, writeMoments } from "./moments.ts";
import type { Moments } from "./moments.ts";
import { addValue, createTDigest, mergeTDigests } from "./tdigest.ts";
import { decodeTDigest, encodeTDigest } from "./tdigest-format.ts";
import type { TDigest } from "./tdigest.ts";

export interface NumericSketch {
  digest: TDigest;
  moments: Moments;
}

export const NUMERIC_SKETCH_FORMAT_VERSION = 1;

export function createNumericSketch(compression?: number): NumericSketch {
  return { digest: createTDigest(compression), moments: createMoments() };
}

/** x must be finite. */
export function addNumeric(s: NumericSketch, x: number): void {
  addValue(s.digest, x);
  addToMoments(s.moments, x);
}

/** A missing value counts in moments.missing only (the digest holds present values). */
export function addNumericMissing(s: NumericSketch): void {
  addMissingToMoments(s.moments);
}

/** Union of the inputs; inputs are not modified (their digests may be flushed). */
export function mergeNumericSketches(list: readonly NumericSketch[], compression?: number): NumericSketch {
  // arrays built by push, not Array#map: map's result has another elements kind in optimised code than in
  // the interpreter, and the merges deoptimised on it
  const digests: TDigest[] = [];
  const moments: Moments[] = [];
  for (const s of list) {
    digests.push(s.digest);
    moments.push(s.moments);
  }
  return { digest: mergeTDigests(digests, compression), moments: mergeMoments(moments) };
}

// Format v1: u8 version = 1 | moments block | varint length | t-digest bytes (its own versioned format).

/** Versioned binary encoding (first byte = format version). Flushes the digest first. */
export function encodeNumericSketch(s: NumericSketch): Uint8Array {
  const digest = encodeTDigest(s.digest);
  const out = new ByteWriter(64 + digest.length);
  out.u8(NUMERIC_SKETCH_FORMAT_VERSION);
  writeMoments(out, s.moments);
  out.varint(digest.length);
  out.bytes(digest);
  return out.bytes();
}

/** Throws SketchDecodeError on malformed bytes or unknown version. */
export function decodeNumericSketch(bytes: Uint8Array): NumericSketch {
  const r = new ByteReader(bytes, "numeric-sketch");
  const version = r.u8();
  switch (version) {
    case 1: {
      const moments = readMoments(r);
      const digest = decodeTDigest(r.bytes(r.varint()));
      r.expectEnd();
      if (digest.count !== moments.count) {
        r.fail(`digest count ${digest.count} differs from moments count ${moments.count}`);
      }
      return { digest, moments };
    }
    default:
      return r.fail(`unknown format version ${version}`);
  }
}
