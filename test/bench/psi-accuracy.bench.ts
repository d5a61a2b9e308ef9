// PSI accuracy beyond the 20 oracle fixtures: many seeded reference/current pairs, PSI from our sketches
// against exact PSI on the raw data (deciles = inverted_cdf; test/support/exact-psi.ts sorts and counts), with
// the tdigest npm package in the same run as the baseline sketch. Also reports the resolution of exact PSI
// itself: how far it moves when every decile edge moves to the next reference value (an equally exact
// decile), and the sampling standard deviation of exact PSI. One JSON object per line.
// Run: npx tsx test/bench/psi-accuracy.bench.ts   (PRINT_MISSES=1 also lists every case over 0.002)
import { numericStatistics, populationStabilityIndex } from "../../src/stats/index.ts";
import { sortFloat64 } from "../../src/sketch/float-sort.ts";
import { numericSketchOf } from "../support/sketch-builders.ts";
import { exactPsi, psiSamplingSd } from "../support/exact-psi.ts";
import { driftedPair } from "../support/distributions.ts";
import type { DistributionName } from "../support/distributions.ts";
// @ts-expect-error tdigest 0.1.3 ships no types (baseline only)
import tdigestNpm from "tdigest";

interface NpmDigest {
  push(x: number[]): void;
  percentile(p: number): number;
  p_rank(x: number): number;
}
const { TDigest: NpmTDigest } = tdigestNpm as { TDigest: new (delta?: number) => NpmDigest };

const SHAPES: readonly DistributionName[] = ["normal", "lognormal", "uniform", "bimodal", "exponential"];
/** current = reference shape, then shifted by `shift` reference σ and scaled about the mean by `scale` */
const DRIFTS = [
  { name: "none", shift: 0, scale: 1 },
  { name: "shift 0.25σ", shift: 0.25, scale: 1 },
  { name: "shift 1σ", shift: 1, scale: 1 },
  { name: "scale 1.5", shift: 0, scale: 1.5 },
] as const;
/** n = current window, m = reference; n = 1 000 is the default window (held exactly), m = 10⁵ a merged baseline */
const SIZES = [
  { n: 1_000, m: 100_000, seeds: 8 },
  { n: 10_000, m: 10_000, seeds: 20 },
  { n: 100_000, m: 100_000, seeds: 4 },
] as const;
const TOLERANCE = 0.002;
/** PSI's conventional bands: < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 significant (and ≥ 1: bins nearly emptied). */
const PSI_BANDS = [
  { name: "< 0.1", below: 0.1 },
  { name: "0.1 - 0.25", below: 0.25 },
  { name: "0.25 - 1", below: 1 },
  { name: ">= 1", below: Infinity },
] as const;

function npmPsi(ref: Float64Array, cur: Float64Array): number {
  const r = new NpmTDigest(0.01); // compression 100
  const c = new NpmTDigest(0.01);
  r.push(Array.from(ref));
  c.push(Array.from(cur));
  const edges: number[] = [];
  for (let k = 1; k < 10; k++) edges.push(r.percentile(k / 10));
  const shares = (d: NpmDigest) => {
    const out: number[] = [];
    let below = 0;
    for (const e of edges) {
      const f = d.p_rank(e);
      out.push(Math.max(f - below, 0));
      below = Math.max(f, below);
    }
    out.push(Math.max(1 - below, 0));
    return out;
  };
  return populationStabilityIndex(shares(r), shares(c));
}

function quantile(sortedErrors: number[], q: number): number {
  return sortedErrors[Math.min(Math.floor(q * sortedErrors.length), sortedErrors.length - 1)];
}

function summary(errors: number[]): Record<string, number> {
  const s = [...errors].sort((a, b) => a - b);
  const f = (x: number) => Number(x.toExponential(2));
  return {
    p50: f(quantile(s, 0.5)),
    p90: f(quantile(s, 0.9)),
    p99: f(quantile(s, 0.99)),
    max: f(s[s.length - 1]),
    withinTolerance: s.filter((e) => e <= TOLERANCE).length,
  };
}

// every case over the tolerance, one line each, with PRINT_MISSES=1
const PRINT_MISSES = process.env.PRINT_MISSES === "1";
for (const { n, m, seeds } of SIZES) {
  const ours: number[] = [];
  const npm: number[] = [];
  const misses: Record<string, unknown>[] = [];
  const bands = PSI_BANDS.map(() => ({ ours: [] as number[], relative: [] as number[], inSd: [] as number[] }));
  let illDefined = 0;
  for (const shape of SHAPES) {
    for (const drift of DRIFTS) {
      for (let seed = 1; seed <= seeds; seed++) {
        const { reference: ref, current: cur } = driftedPair(shape, m, n, seed, drift.shift, drift.scale);
        const sortedRef = ref.slice();
        const sortedCur = cur.slice();
        sortFloat64(sortedRef);
        sortFloat64(sortedCur);
        const exact = exactPsi(sortedRef, sortedCur, 0);
        const resolution = Math.abs(exactPsi(sortedRef, sortedCur, 1) - exact);
        if (resolution > TOLERANCE) illDefined++;
        const got = numericStatistics(numericSketchOf(ref), numericSketchOf(cur)).psi;
        const error = Math.abs(got - exact);
        ours.push(error);
        const band = bands[PSI_BANDS.findIndex((b) => exact < b.below)];
        band.ours.push(error);
        band.relative.push(error / Math.max(exact, 1e-12));
        band.inSd.push(error / psiSamplingSd(sortedRef, sortedCur));
        npm.push(Math.abs(npmPsi(ref, cur) - exact));
        if (error > TOLERANCE)
          misses.push({
            shape,
            drift: drift.name,
            seed,
            exact: Number(exact.toFixed(5)),
            error: Number(error.toExponential(2)),
            resolution: Number(resolution.toExponential(2)),
          });
      }
    }
  }
  const cases = ours.length;
  console.log(
    JSON.stringify({ bench: "psi accuracy", sketch: "tdigest npm 0.1.3, compression 100 (baseline)", n, m, cases, ...summary(npm) }),
  );
  console.log(
    JSON.stringify({
      bench: "psi accuracy",
      sketch: "ours, compression 100",
      n,
      m,
      cases,
      ...summary(ours),
      exactPsiMovesOverToleranceByOneReferenceValue: illDefined,
      target: `|PSI - exact| <= ${TOLERANCE}`,
    }),
  );
  PSI_BANDS.forEach((b, i) => {
    if (bands[i].ours.length === 0) return;
    const worst = (xs: number[]) => Number(Math.max(...xs).toExponential(2));
    console.log(
      JSON.stringify({
        bench: "psi accuracy by exact psi",
        n,
        m,
        exactPsi: b.name,
        cases: bands[i].ours.length,
        ...summary(bands[i].ours),
        maxRelativeError: worst(bands[i].relative),
        maxErrorInSamplingSd: worst(bands[i].inSd),
      }),
    );
  });
  if (PRINT_MISSES) for (const miss of misses) console.log(JSON.stringify({ bench: "psi accuracy miss", n, m, ...miss }));
}
