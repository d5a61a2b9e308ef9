// The t-digest's versioned binary format: the first byte is the format version, each version has its own
// module (tdigest-format-v<N>.ts) pinned by golden bytes (test/fixtures/sketch/). Format 3 is what state
// stored in Redis holds; formats 1 and 2 were never part of a release and are no longer read.
import { ByteReader, ByteWriter } from "./bytes.ts";
import type { TDigest } from "./tdigest.ts";
import { readTDigestV3, writeTDigestV3 } from "./tdigest-format-v3.ts";

/** Serialisation format written by encodeTDigest. */
export const TDIGEST_FORMAT_VERSION = 3;

/**
 * Versioned binary encoding (first byte = format version); same data ⇒ same bytes. Lossless: centroids as
 * they are and the unmerged buffer verbatim — no flush — so a digest persisted and restored at any point
 * continues exactly like one that never left memory.
 */
export function encodeTDigest(d: TDigest): Uint8Array {
  const out = new ByteWriter(48 + d.size * 12 + d.buffered * 8);
  out.u8(TDIGEST_FORMAT_VERSION);
  writeTDigestV3(out, d);
  return out.bytes();
}

/** Throws SketchDecodeError on malformed bytes or an unknown version. */
export function decodeTDigest(bytes: Uint8Array): TDigest {
  const r = new ByteReader(bytes, "tdigest");
  const version = r.u8();
  switch (version) {
    case 3: {
      const d = readTDigestV3(r);
      r.expectEnd();
      return d;
    }
    default:
      return r.fail(`unknown format version ${version}`);
  }
}
