// The t-digest's versioned binary format: the first byte is the format version, each version has its own
// module (tdigest-format-v<N>.ts) pinned by golden bytes (test/fixtures/sketch/). Format 4 (with atoms) is
// written; format 3 is what state stored by 0.1.0 holds (read as a digest without atoms); formats 1 and 2
// were never part of a release and are no longer read.
import { ByteReader, ByteWriter } from "./bytes.ts";
import type { TDigest } from "./tdigest.ts";
import { readTDigestV3 } from "./tdigest-format-v3.ts";
import { readTDigestV4, writeTDigestV4 } from "./tdigest-format-v4.ts";

/** Serialisation format written by encodeTDigest. */
export const TDIGEST_FORMAT_VERSION = 4;

/**
 * Versioned binary encoding (first byte = format version); same data ⇒ same bytes. Lossless: centroids as
 * they are and the unmerged buffer verbatim — no flush — so a digest persisted and restored at any point
 * continues exactly like one that never left memory.
 */
export function encodeTDigest(d: TDigest): Uint8Array {
  const out = new ByteWriter(48 + d.size * 12 + d.buffered * 8 + d.atomCount * 12);
  out.u8(TDIGEST_FORMAT_VERSION);
  writeTDigestV4(out, d);
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
    case 4: {
      const d = readTDigestV4(r);
      r.expectEnd();
      return d;
    }
    default:
      return r.fail(`unknown format version ${version}`);
  }
}
