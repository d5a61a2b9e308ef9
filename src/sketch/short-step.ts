// Short steps: how compressed t-digest means are stored (format 3 on) and snapped (at merge time).
// A short step is a non-negative float32 without its sign bit and its low 7 mantissa bits — 8 exponent and
// 16 mantissa bits (relative precision 2⁻¹⁷ when rounded) in 24 bits; it decodes exactly as float32 bits code·2⁷.
const stepFloat = new Float32Array(1);
const stepBits = new Uint32Array(stepFloat.buffer);

/** 24-bit code of the short step nearest to fround(step), for a finite step ≥ 0 (may round up to +∞). */
export function shortStepCode(step: number): number {
  stepFloat[0] = step;
  return (stepBits[0] + 0x40) >>> 7;
}

export function shortStepValue(code: number): number {
  stepBits[0] = code << 7;
  return stepFloat[0];
}

/** shortStepValue(shortStepCode(step)) in one pass (the merge loop snaps every mean). */
export function nearestShortStep(step: number): number {
  stepFloat[0] = step;
  stepBits[0] = ((stepBits[0] + 0x40) >>> 7) << 7;
  return stepFloat[0];
}
