import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { excessShareP, outOfRangeNullShare, poissonUpperTail, unseenNullShare } from "../../../src/detect/data-quality.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import { evaluateWindow } from "../../../src/detect/evaluate.ts";
import type { Baseline } from "../../../src/baseline/baseline.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { createSignalSketches, type SignalSketches } from "../../../src/windows/signals.ts";
import { categoryCountsOf, numericSketchOf } from "../../support/sketch-builders.ts";
import { predictionStream } from "../../support/engine-streams.ts";
import { seededRandom } from "../../support/random.ts";

const config = resolveConfig({});
const settings = config.settingsFor("m");

function baselineOf(signals: SignalSketches): Baseline {
  return { kind: "reference", id: "ref", count: 5000, start: 0, end: 0, source: "warmup", signals };
}

function runEngine(windows: number, mutate: (e: PredictionEvent, i: number) => PredictionEvent) {
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => state.maxEventTime);
  const outputs: EngineOutput[] = [];
  let i = 0;
  for (const e of predictionStream(windows * 1000, { seed: 5 })) {
    {
      const event = mutate(e, i);
      outputs.push(...applyPrediction(state, event, String(i), ctx, event.timestamp).outputs);
    }
    i++;
  }
  return outputs.filter((o): o is WindowClosed => o.kind === "window");
}

describe("data-quality nulls", () => {
  // expected values: Python, Σ_{j≥k} exp(−λ + j ln λ − lgamma(j + 1)) with math.fsum
  it("gives the Poisson upper tail, keeping precision for tiny p-values", () => {
    expect(poissonUpperTail(3, 0.4)).toBeCloseTo(0.007926331867253836, 12);
    expect(poissonUpperTail(50, 0.4) / 2.8159571298631066e-85).toBeCloseTo(1, 9);
    expect(poissonUpperTail(2, (30 * 2) / 5001) / 7.139813576149713e-5).toBeCloseTo(1, 9);
    expect(poissonUpperTail(5, 8)).toBeCloseTo(0.900367599512954, 12);
    expect(poissonUpperTail(0, 3)).toBe(1);
  });

  it("expects 2/(m+1) of exchangeable new values outside the reference's range (simulation)", () => {
    const rnd = seededRandom(17);
    const m = 99;
    let outside = 0;
    const trials = 20_000;
    for (let t = 0; t < trials; t++) {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < m; i++) {
        const x = rnd.normal();
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const y = rnd.normal();
      if (y < min || y > max) outside++;
    }
    // 0.02 expected; binomial sd at 20 000 trials ≈ 0.001
    expect(Math.abs(outside / trials - outOfRangeNullShare(m))).toBeLessThan(0.003);
  });

  it("estimates the unseen mass as Good–Turing singletons plus the reference's overflow share", () => {
    expect(unseenNullShare(categoryCountsOf({ a: 50, b: 30, c: 1, d: 1, e: 17 }))).toBeCloseTo(2 / 100, 12);
    expect(unseenNullShare(categoryCountsOf({ a: 99 }))).toBeCloseTo(1 / 100, 12);
    expect(excessShareP(0, 1000, 0.01)).toBe(1);
  });
});

describe("data quality as gated signals", () => {
  const rnd = seededRandom(23);
  const refValues = Array.from({ length: 5000 }, () => rnd.normal());

  it("flags numeric values outside the reference range as a data-quality problem", () => {
    const max = Math.max(...refValues);
    const ref = createSignalSketches();
    ref.numeric.set("feature:x", numericSketchOf(refValues));
    const cur = createSignalSketches();
    const values = Array.from({ length: 1000 }, (_, i) => (i < 120 ? max + 0.01 : rnd.normal()));
    cur.numeric.set("feature:x", numericSketchOf(values));
    const e = evaluateWindow(cur, [baselineOf(ref)], settings);
    const x = e?.signals.find((s) => s.signal === "feature:x");
    expect(x?.statistics.outOfRangeShare).toBeCloseTo(0.12, 2);
    expect(x?.status).toBe("critical");
    // the moved mass also moves W1; the data-quality status comes from the out-of-range test alone
    expect(e?.dataQuality).toBe("critical");
    const inRange = createSignalSketches();
    inRange.numeric.set("feature:x", numericSketchOf(Array.from({ length: 1000 }, () => rnd.normal())));
    expect(evaluateWindow(inRange, [baselineOf(ref)], settings)?.dataQuality).toBe("ok");
  });

  it("flags a share of unseen categories spread too thin to move any one class share", () => {
    const ref = createSignalSketches();
    ref.categorical.set("feature:c", categoryCountsOf({ a: 2000, b: 1500, c: 1500 }));
    const cur = createSignalSketches();
    const counts: Record<string, number> = { a: 370, b: 280, c: 270 };
    for (let k = 0; k < 20; k++) counts[`new${k}`] = 4; // 8 % unseen, 0.4 % each
    cur.categorical.set("feature:c", categoryCountsOf(counts));
    const e = evaluateWindow(cur, [baselineOf(ref)], settings);
    const c = e?.signals.find((s) => s.signal === "feature:c");
    expect(c?.statistics.unseenShare).toBeCloseTo(0.08, 12);
    expect(c?.statistics.lInf).toBeLessThan(0.05);
    expect(c?.status).toBe("warning");
    expect(c?.threshold.statistic).toBe("unseenShare");
    expect(e?.dataQuality).toBe("warning");
  });

  it("raises a data-quality event from the engine on a null explosion in one feature", () => {
    const windows = runEngine(12, (e, i) => (i >= 8000 && i % 4 === 0 ? { ...e, features: { ...e.features, x1: null } } : e));
    expect(windows.slice(5, 8).map((w) => w.evaluation?.dataQuality)).toEqual(["ok", "ok", "ok"]);
    const after = windows.slice(8);
    expect(after.map((w) => w.evaluation?.dataQuality)).toEqual(["critical", "critical", "critical", "critical"]);
    const x1 = after[0].evaluation?.signals.find((s) => s.signal === "feature:x1");
    expect(x1?.threshold).toEqual({ statistic: "missingShare", value: 0.1 });
    expect(x1?.statistics.missingShare).toBeCloseTo(0.25, 12);
  });

  it("gates a type change (a numeric feature arriving as strings) and exports its share", () => {
    const windows = runEngine(8, (e, i) => (i >= 6000 && i % 50 === 0 ? { ...e, features: { ...e.features, x1: "n/a" } } : e));
    const w = windows[6];
    const x1 = w.evaluation?.signals.find((s) => s.signal === "feature:x1");
    expect(x1?.statistics.typeChangeShare).toBeCloseTo(0.02, 12);
    expect(x1?.status).toBe("warning");
    expect(x1?.threshold).toEqual({ statistic: "typeChangeShare", value: 0.01 });
    expect(w.evaluation?.dataQuality).toBe("warning");
    expect(windows[5].evaluation?.dataQuality).toBe("ok");
  });
});
