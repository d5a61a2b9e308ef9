import { describe, expect, it } from "vitest";
import {
  categoricalStatistics,
  hellingerCriticalValue,
  jsCriticalValue,
  numericStatistics,
  psiCriticalValue,
  wassersteinCriticalValue,
} from "../../../src/stats/index.ts";
import { addNumeric, createNumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import type { NumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import { addCategory, createCategoryCounts } from "../../../src/sketch/categories.ts";
import { seededRandom } from "../../support/random.ts";
import type { Random } from "../../support/random.ts";

// Stationary data: reference (m values) and window (n values) drawn from the same N(0, 1) each repetition,
// sketched with the real API. The observed false-alarm rate at alpha = 0.01 must lie in [0.5α, 2α] for KS
// and PSI at every size; m = n, 5n and 24n are the engine's window-vs-window, window-vs-reference (1 000
// vs 5 000) and window-vs-rolling-baseline (1 000 vs 24 000) comparisons.
// Binomial noise: 4 000 repetitions ⇒ σ ≈ 0.16α; 1 500 ⇒ σ ≈ 0.26α; 1 200 ⇒ σ ≈ 0.29α.
const ALPHA = 0.01;

type Draw = (rng: Random) => number;
const normal: Draw = (rng) => rng.normal();
/** 30 % zeros, the rest N(0, 1): a point mass inside the range */
const zeroInflated: Draw = (rng) => (rng.uniform() < 0.3 ? 0 : rng.normal());
/** N(0, 1) capped at 1: 16 % at the cap, a point mass at the maximum */
const capped: Draw = (rng) => Math.min(rng.normal(), 1);

function sketchOf(rng: Random, count: number, draw: Draw): NumericSketch {
  const s = createNumericSketch();
  for (let i = 0; i < count; i++) addNumeric(s, draw(rng));
  return s;
}

interface Rates {
  ks: number;
  psi: number;
  js: number;
  hellinger: number;
  wasserstein: number;
}

function stationaryRates(n: number, m: number, reps: number, seed: number, draw: Draw = normal): Rates {
  const rng = seededRandom(seed);
  const hits = { ks: 0, psi: 0, js: 0, hellinger: 0, wasserstein: 0 };
  for (let r = 0; r < reps; r++) {
    const s = numericStatistics(sketchOf(rng, m, draw), sketchOf(rng, n, draw));
    if (s.ksPValue < ALPHA) hits.ks++;
    if (s.psi > psiCriticalValue(n, m, ALPHA, s.psiBins)) hits.psi++;
    if (s.jsDistance > jsCriticalValue(n, m, ALPHA, s.psiBins)) hits.js++;
    if (s.hellinger > hellingerCriticalValue(n, m, ALPHA, s.psiBins)) hits.hellinger++;
    if (s.wasserstein > wassersteinCriticalValue(n, m, ALPHA)) hits.wasserstein++;
  }
  return {
    ks: hits.ks / reps,
    psi: hits.psi / reps,
    js: hits.js / reps,
    hellinger: hits.hellinger / reps,
    wasserstein: hits.wasserstein / reps,
  };
}

describe("false-alarm rates on stationary data at alpha = 0.01", () => {
  for (const [n, m, reps] of [
    [100, 500, 4000],
    [1000, 1000, 4000],
    [1000, 5000, 4000],
    [1000, 24_000, 1200],
    [10_000, 10_000, 1500],
  ] as const) {
    it(`n = ${n}, m = ${m}: KS and PSI alarm on 0.5–2 % of ${reps} stationary windows`, () => {
      const rates = stationaryRates(n, m, reps, 1000 + n);
      process.stdout.write(JSON.stringify({ n, m, reps, alpha: ALPHA, ...rates }) + "\n");
      expect(rates.psi).toBeGreaterThanOrEqual(0.5 * ALPHA);
      expect(rates.psi).toBeLessThanOrEqual(2 * ALPHA);
      // KS on compressed digests carries the resolution correction of cdfDistances (without it the
      // interpolated D reads ~0.002 low and the rate fell to 0.48α at n = 1 000, m = 5 000)
      expect(rates.ks).toBeGreaterThanOrEqual(0.5 * ALPHA);
      expect(rates.ks).toBeLessThanOrEqual(2 * ALPHA);
      // JS, Hellinger and W1 thresholds are second-order / normal-null approximations; measured 0.6–1.33α
      for (const key of ["js", "hellinger", "wasserstein"] as const) {
        expect(rates[key], key).toBeGreaterThanOrEqual(0.5 * ALPHA);
        expect(rates[key], key).toBeLessThanOrEqual(2 * ALPHA);
      }
    });
  }

  // Point masses: the compressed reference keeps them as exact steps (atoms), so the tests keep their level;
  // interpolated across (before atoms), the 30 % zero mass inside the range alarmed on every window (KS
  // ≈ 0.15). KS on data with atoms is conservative (the sup skips the atom's jump): its rate sits lower.
  for (const [name, draw] of [
    ["30 % zeros", zeroInflated],
    ["16 % at a cap", capped],
  ] as const) {
    it(`${name}, n = 1000, m = 5000 (compressed reference): PSI, JS, Hellinger and W1 alarm on 0.5–2 %, KS on 0.25–2 % of 2 000 stationary windows`, () => {
      const rates = stationaryRates(1000, 5000, 2000, 4242, draw);
      process.stdout.write(JSON.stringify({ data: name, n: 1000, m: 5000, reps: 2000, alpha: ALPHA, ...rates }) + "\n");
      for (const key of ["psi", "js", "hellinger", "wasserstein"] as const) {
        expect(rates[key], key).toBeGreaterThanOrEqual(0.5 * ALPHA);
        expect(rates[key], key).toBeLessThanOrEqual(2 * ALPHA);
      }
      // the KS test is conservative on a distribution with jumps (its null is the bridge's sup over the
      // CDF's range only, Noether 1963): measured 0.45α with 30 % zeros, 0.6α at the cap
      expect(rates.ks).toBeGreaterThanOrEqual(0.25 * ALPHA);
      expect(rates.ks).toBeLessThanOrEqual(2 * ALPHA);
    });
  }

  it("the chi-square test on category counts alarms on 0.5–2 % of 4 000 stationary windows", () => {
    const rng = seededRandom(77);
    const shares = [0.4, 0.25, 0.15, 0.1, 0.06, 0.04];
    const draw = (count: number) => {
      const c = createCategoryCounts();
      for (let i = 0; i < count; i++) {
        let u = rng.uniform();
        let k = 0;
        while (k < shares.length - 1 && u >= shares[k]) u -= shares[k++];
        addCategory(c, `c${k}`);
      }
      return c;
    };
    let hits = 0;
    const reps = 4000;
    for (let r = 0; r < reps; r++) if (categoricalStatistics(draw(2000), draw(400)).chiSquarePValue < ALPHA) hits++;
    console.log(JSON.stringify({ test: "chi-square", n: 400, m: 2000, reps, alpha: ALPHA, rate: hits / reps }));
    expect(hits / reps).toBeGreaterThanOrEqual(0.5 * ALPHA);
    expect(hits / reps).toBeLessThanOrEqual(2 * ALPHA);
  });
});
