// t-digest binary format 3 (little-endian), written after no flush — lossless, the buffer included:
//   u8 version = 3 | u8 flags | f64 compression | f64 min | f64 max | varint size
//   | a 2-bit tag per mean after the first (0 = f64, 1 = float32 step over the previous mean, 2 = 24-bit short
//     step, see short-step.ts), packed 4 to a byte | first mean f64 | the other means as tagged
//   | size × weight (varint, or f64 with FLAG_FLOAT_WEIGHTS) | varint buffered | buffered × f64
// flags: bit0 exact mode, bit1 weights as f64. The total count is the sum of the weights plus `buffered`.
// Compressed means are snapped to short steps at merge time, so nearly all take 3 bytes.
import type { ByteReader, ByteWriter } from "./bytes.ts";
import { shortStepCode, shortStepValue } from "./short-step.ts";
import { bufferCapacity, createUnbufferedTDigest, INITIAL_BUFFER } from "./tdigest.ts";
import type { TDigest } from "./tdigest.ts";

const FLAG_EXACT = 1;
const FLAG_FLOAT_WEIGHTS = 2;

const MEAN_FLOAT64 = 0;
const MEAN_FLOAT32_STEP = 1;
const MEAN_SHORT_STEP = 2;

/** Everything after the version byte, in format 3 (format 4 appends the atoms; see tdigest-format-v4.ts). */
export function writeTDigestV3(out: ByteWriter, d: TDigest, integerWeights: boolean): void {
  const n = d.size;
  out.u8((d.exact === true ? FLAG_EXACT : 0) | (integerWeights ? 0 : FLAG_FLOAT_WEIGHTS));
  out.f64(d.compression);
  out.f64(d.min);
  out.f64(d.max);
  out.varint(n);
  if (n > 0) {
    // the shortest form that gives each mean back exactly
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
}

function meanTag(prev: number, mean: number): number {
  const step = mean - prev;
  if (step >= 0 && prev + shortStepValue(shortStepCode(step)) === mean) return MEAN_SHORT_STEP;
  if (prev + Math.fround(step) === mean) return MEAN_FLOAT32_STEP;
  return MEAN_FLOAT64;
}

/** Reads everything after the version byte (the caller checks the end). Fails with SketchDecodeError. */
export function readTDigestV3(r: ByteReader): TDigest {
  const d = readTDigestV3Layout(r).digest;
  checkEmptyBounds(r, d);
  return d;
}

/** An empty digest must have min = max = 0. */
export function checkEmptyBounds(r: ByteReader, d: TDigest): void {
  if (d.count === 0 && (d.min !== 0 || d.max !== 0)) r.fail("empty digest must have min = max = 0");
}

/** The format-3 layout; returns the digest and whether weights were f64 (format 4 reads its atoms alike). */
export function readTDigestV3Layout(r: ByteReader): { digest: TDigest; floatWeights: boolean } {
  const flags = r.u8();
  if ((flags & ~(FLAG_EXACT | FLAG_FLOAT_WEIGHTS)) !== 0) r.fail(`unknown flags ${flags}`);
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
  const means = d.means;
  if (n > 0) {
    const tagBytes = new Uint8Array(Math.ceil((n - 1) / 4));
    for (let i = 0; i < tagBytes.length; i++) tagBytes[i] = r.u8();
    means[0] = r.f64();
    for (let i = 1; i < n; i++) {
      const bit = (i - 1) * 2;
      const tag = (tagBytes[bit >> 3] >> (bit & 7)) & 3;
      if (tag === MEAN_FLOAT64) means[i] = r.f64();
      else if (tag === MEAN_FLOAT32_STEP) means[i] = means[i - 1] + r.f32();
      else if (tag === MEAN_SHORT_STEP) means[i] = means[i - 1] + shortStepValue(r.u24());
      else r.fail(`unknown mean tag ${tag} at ${i}`);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(means[i]) || (i > 0 && means[i] < means[i - 1])) r.fail(`centroid means not finite and ascending at ${i}`);
  }
  if (n > 0 && (means[0] < min || means[n - 1] > max)) r.fail("centroid means outside [min, max]");
  const floatWeights = (flags & FLAG_FLOAT_WEIGHTS) !== 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const w = floatWeights ? r.f64() : r.varint();
    if (!(w > 0) || !Number.isFinite(w)) r.fail(`invalid centroid weight ${w} at ${i}`);
    d.weights[i] = w;
    count += w;
  }
  d.size = n;
  const buffered = r.varint();
  if (buffered * 8 > r.remaining()) r.fail(`buffer of ${buffered} values exceeds the remaining ${r.remaining()} bytes`);
  if (buffered > 0) {
    d.buffer = new Float64Array(Math.max(buffered, Math.min(INITIAL_BUFFER, bufferCapacity(compression))));
    for (let i = 0; i < buffered; i++) {
      const x = r.f64();
      if (!Number.isFinite(x) || x < min || x > max) r.fail(`buffered value ${x} not finite or outside [min, max]`);
      d.buffer[i] = x;
    }
  }
  d.buffered = buffered;
  d.count = count + buffered;
  return { digest: d, floatWeights };
}
