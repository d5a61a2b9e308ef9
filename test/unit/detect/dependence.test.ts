// Significance that survives dependence (issue 10, item 2; src/detect/dependence.ts). Seeded simulations
// of stationary streams whose events are not independent: the iid test alone raises drift in most
// windows; calibrated by the stream's own window-to-window variation, at most 1 false drift event per
// 1 000 windows. (The iid guarantees — 0.25σ shift within 2 windows — stay in detection-quality.test.ts.)
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import type { DriftEvent, PredictionEvent, RetrainRequest } from "../../../src/events/types.ts";
import { seededRandom } from "../../support/random.ts";
import { STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const START = 1_763_769_600_000;
const DAY = 86_400_000;

function run(events: Iterable<PredictionEvent>, defaults: Record<string, unknown>) {
  const config = resolveConfig({ defaults });
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => state.maxEventTime);
  const outputs: EngineOutput[] = [];
  let offset = 0;
  for (const e of events) outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
  const drift = outputs.filter((o): o is { kind: "drift"; event: DriftEvent } => o.kind === "drift").map((o) => o.event);
  const retrain = outputs.filter((o): o is { kind: "retrain"; request: RetrainRequest } => o.kind === "retrain").map((o) => o.request);
  const closed = outputs.filter((o): o is WindowClosed => o.kind === "window");
  return { drift, retrain, closed };
}

/** x: stationary AR(1) with φ between consecutive events and unit variance; level: a category of x. */
function* ar1Stream(count: number, phi: number, seed: number): Generator<PredictionEvent> {
  const r = seededRandom(seed);
  let x = r.normal();
  const innovation = Math.sqrt(1 - phi * phi);
  for (let i = 0; i < count; i++) {
    x = phi * x + innovation * r.normal();
    yield {
      eventId: `ar-${seed}-${i}`,
      modelId: "m",
      modelVersion: "v1",
      timestamp: START + i * 100,
      prediction: 1 / (1 + Math.exp(-x)),
      features: { x, level: x < -0.5 ? "low" : x < 0.5 ? "mid" : "high", noise: r.normal() },
    };
  }
}

/** A strong daily cycle: mean 2σ·sin(2π·t/day), class shares following it; 1 000 events per hour. */
function* dailyCycleStream(count: number, seed: number, shiftSigma: (i: number) => number = () => 0): Generator<PredictionEvent> {
  const r = seededRandom(seed);
  const step = 3_600;
  for (let i = 0; i < count; i++) {
    const t = START + i * step;
    const phase = Math.sin((2 * Math.PI * (t - START)) / DAY);
    const x = 2 * phase + r.normal() + shiftSigma(i);
    yield {
      eventId: `day-${seed}-${i}`,
      modelId: "m",
      modelVersion: "v1",
      timestamp: t,
      latencyMs: Math.exp(r.normal(2.5 + 0.3 * phase, 0.4)),
      features: { x, channel: r.uniform() < 0.5 + 0.3 * phase ? "web" : "app" },
    };
  }
}

describe("significance under dependence", () => {
  it("a stationary AR(1) stream (φ = 0.9 between consecutive events): at most 1 false drift event in 1 000 windows", () => {
    const r = run(ar1Stream(1000 * 500, 0.9, 201), { window: { maxEvents: 500, minEvents: 50 } });
    expect(r.closed).toHaveLength(1000);
    // the dependence factor is found (for the mean of an AR(1) it is (1 + φ)/(1 − φ) = 19; for the CDF less)
    const x = r.closed[500].evaluation!.signals.find((s) => s.signal === "feature:x")!;
    expect(x.statistics.dependence).toBeGreaterThan(4);
    const noise = r.closed[500].evaluation!.signals.find((s) => s.signal === "feature:noise")!;
    expect(noise.statistics.dependence).toBeLessThan(1.5);
    // without the correction, the iid p-value calls most windows significant
    const iidSignificant = r.closed.filter(
      (w) => (w.evaluation?.signals.find((s) => s.signal === "feature:x")?.statistics.ksPValue ?? 1) < 1e-4,
    );
    expect(iidSignificant.length).toBeGreaterThan(300);
    expect(r.drift.length).toBeLessThanOrEqual(1);
    expect(r.retrain).toHaveLength(0);
  }, 300_000);

  it("a stationary daily cycle with hourly windows and a reference of whole days: at most 1 false drift event in 1 000 windows", () => {
    const r = run(dailyCycleStream(1000 * 1000, 202), {
      window: { maxDurationMs: 3_600_000 },
      baseline: { warmupWindows: 48, rollingWindows: 48 },
    });
    expect(r.closed.length).toBeGreaterThanOrEqual(999);
    const hourly = r.closed
      .filter((w) => w.evaluation !== null)
      .flatMap((w) => w.evaluation!.signals.filter((s) => s.signal === "feature:x"));
    // each hour really differs from the whole day (the cycle), and the iid test says so
    expect(hourly.filter((s) => s.statistics.wasserstein > 0.2 && s.statistics.ksPValue < 1e-6).length).toBeGreaterThan(500);
    expect(r.drift.length).toBeLessThanOrEqual(1);
    expect(r.retrain).toHaveLength(0);
  }, 300_000);
});
