// Running moments (Welford) plus a missing-value counter; merged with Chan's parallel formula.
// An empty Moments has count = 0 and mean = m2 = min = max = 0 (not ±Infinity), so it serialises to
// JSON and binary without special values; read min/max only when count > 0.
import type { ByteReader, ByteWriter } from "./bytes.ts";

export interface Moments {
  count: number;
  mean: number;
  /** sum of squared deviations from the mean */
  m2: number;
  /** exact minimum; 0 while count is 0 */
  min: number;
  /** exact maximum; 0 while count is 0 */
  max: number;
  /** values reported missing (null/absent); not part of count */
  missing: number;
}

export function createMoments(): Moments {
  return { count: 0, mean: 0, m2: 0, min: 0, max: 0, missing: 0 };
}

/** x must be finite (callers validate). */
export function addToMoments(m: Moments, x: number): void {
  const count = m.count + 1;
  const delta = x - m.mean;
  const mean = m.mean + delta / count;
  m.m2 += delta * (x - mean);
  m.mean = mean;
  if (m.count === 0) {
    m.min = x;
    m.max = x;
  } else if (x < m.min) {
    m.min = x;
  } else if (x > m.max) {
    m.max = x;
  }
  m.count = count;
}

export function addMissingToMoments(m: Moments): void {
  m.missing++;
}

/** Union of the inputs (Chan et al.); inputs are not modified. */
export function mergeMoments(list: readonly Moments[]): Moments {
  const out = createMoments();
  for (const m of list) {
    out.missing += m.missing;
    if (m.count === 0) continue;
    if (out.count === 0) {
      out.count = m.count;
      out.mean = m.mean;
      out.m2 = m.m2;
      out.min = m.min;
      out.max = m.max;
      continue;
    }
    const count = out.count + m.count;
    const delta = m.mean - out.mean;
    out.mean += (delta * m.count) / count;
    out.m2 += m.m2 + (delta * delta * out.count * m.count) / count;
    out.count = count;
    if (m.min < out.min) out.min = m.min;
    if (m.max > out.max) out.max = m.max;
  }
  return out;
}

/** Population variance (m2 / count); 0 when count < 2. */
export function varianceOf(m: Moments): number {
  return m.count < 2 ? 0 : Math.max(m.m2, 0) / m.count;
}

/** Population standard deviation; 0 when count < 2. */
export function stdOf(m: Moments): number {
  return Math.sqrt(varianceOf(m));
}

/** Body of the moments block inside versioned sketch formats (no version byte of its own). */
export function writeMoments(out: ByteWriter, m: Moments): void {
  out.varint(m.count);
  out.varint(m.missing);
  out.f64(m.mean);
  out.f64(m.m2);
  out.f64(m.min);
  out.f64(m.max);
}

export function readMoments(r: ByteReader): Moments {
  const count = r.varint();
  const missing = r.varint();
  const mean = r.f64();
  const m2 = r.f64();
  const min = r.f64();
  const max = r.f64();
  // min and max are input values, always finite. mean and m2 overflow when values' squares exceed the
  // double range (|x| beyond ~1e154, e.g. a bit-flipped Avro double): what the engine computed is stored
  // as is, so the state still loads (refusing it would stall the partition for good).
  if (![min, max].every(Number.isFinite)) r.fail("moments hold a non-finite minimum or maximum");
  if (m2 < 0 || min > max) r.fail(`inconsistent moments (m2 ${m2}, min ${min}, max ${max})`);
  if (count === 0 && (mean !== 0 || m2 !== 0 || min !== 0 || max !== 0)) r.fail("empty moments must be all zero");
  return { count, mean, m2, min, max, missing };
}
