// t-digest binary format 4 (written now): format 3's layout (tdigest-format-v3.ts) followed by the atoms —
//   varint atomCount | atomCount × f64 value (strictly ascending) | atomCount × weight
// weights as varints, or all weights (centroids' and atoms') as f64 when any is not a positive safe integer.
// A digest without atoms costs one byte more than in format 3.
import type { ByteReader, ByteWriter } from "./bytes.ts";
import { checkEmptyBounds, readTDigestV3Layout, writeTDigestV3 } from "./tdigest-format-v3.ts";
import type { TDigest } from "./tdigest.ts";
import { MAX_ATOMS } from "./tdigest.ts";

const isCount = (w: number) => Number.isSafeInteger(w) && w >= 1;

/** Everything after the version byte. */
export function writeTDigestV4(out: ByteWriter, d: TDigest): void {
  let integerWeights = true;
  for (let i = 0; i < d.size; i++) if (!isCount(d.weights[i])) integerWeights = false;
  for (let i = 0; i < d.atomCount; i++) if (!isCount(d.atomWeights[i])) integerWeights = false;
  writeTDigestV3(out, d, integerWeights);
  out.varint(d.atomCount);
  for (let i = 0; i < d.atomCount; i++) out.f64(d.atomValues[i]);
  for (let i = 0; i < d.atomCount; i++) {
    if (integerWeights) out.varint(d.atomWeights[i]);
    else out.f64(d.atomWeights[i]);
  }
}

/** Reads everything after the version byte (the caller checks the end). Fails with SketchDecodeError. */
export function readTDigestV4(r: ByteReader): TDigest {
  const { digest: d, floatWeights } = readTDigestV3Layout(r);
  const count = r.varint();
  if (count > MAX_ATOMS) r.fail(`atom count ${count} exceeds ${MAX_ATOMS}`);
  if (count > 0 && d.exact === true) r.fail("an exact digest has no atoms");
  const values = new Float64Array(count);
  const weights = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = r.f64();
    if (!Number.isFinite(v) || v < d.min || v > d.max || (i > 0 && !(v > values[i - 1]))) {
      r.fail(`atom values not finite, ascending and inside [min, max] at ${i}`);
    }
    values[i] = v;
  }
  for (let i = 0; i < count; i++) {
    const w = floatWeights ? r.f64() : r.varint();
    if (!(w > 0) || !Number.isFinite(w)) r.fail(`invalid atom weight ${w} at ${i}`);
    weights[i] = w;
    d.count += w;
  }
  d.atomValues = values;
  d.atomWeights = weights;
  d.atomCount = count;
  checkEmptyBounds(r, d);
  return d;
}
