// Baselines that respect cycles (issue 10, item 3): a reference captured over an event-time span, and a
// seasonal reference that compares each window with the reference windows of the same hour of the day.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import type { DriftEvent, PredictionEvent } from "../../../src/events/types.ts";
import { seededRandom } from "../../support/random.ts";
import { STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

// Monday 2026-11-30 00:00 UTC
const START = Date.UTC(2026, 10, 30);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVENTS_PER_HOUR = 1000;

function run(events: Iterable<PredictionEvent>, defaults: Record<string, unknown>) {
  const config = resolveConfig({ defaults });
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => state.maxEventTime);
  const outputs: EngineOutput[] = [];
  let offset = 0;
  for (const e of events) outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
  const drift = outputs.filter((o): o is { kind: "drift"; event: DriftEvent } => o.kind === "drift").map((o) => o.event);
  const closed = outputs.filter((o): o is WindowClosed => o.kind === "window");
  return { drift, closed, outputs };
}

/**
 * A strong daily cycle, 1 000 events per hour: x has mean 2σ·sin(2π·hour/24) (σ = 1 within the hour),
 * latency follows it, the share of channel "web" goes 0.2 → 0.8; `shift(t)` adds to x (in σ).
 */
function* dailyCycle(days: number, seed: number, shift: (t: number) => number = () => 0): Generator<PredictionEvent> {
  const r = seededRandom(seed);
  const step = HOUR / EVENTS_PER_HOUR;
  const count = days * 24 * EVENTS_PER_HOUR;
  for (let i = 0; i < count; i++) {
    const t = START + i * step;
    const phase = Math.sin((2 * Math.PI * (t - START)) / DAY);
    yield {
      eventId: `cycle-${seed}-${i}`,
      modelId: "m",
      modelVersion: "v1",
      timestamp: t,
      latencyMs: Math.exp(r.normal(2.5 + 0.3 * phase, 0.4)),
      features: { x: 2 * phase + r.normal() + shift(t), channel: r.uniform() < 0.5 + 0.3 * phase ? "web" : "app" },
    };
  }
}

const hourly = { maxEvents: 5000, maxDurationMs: HOUR };
const seasonal = { window: hourly, baseline: { referenceDurationMs: 7 * DAY, seasonality: "hourOfDay" } };

describe("seasonal reference (hourOfDay)", () => {
  it("a stationary daily cycle in hourly windows: no drift event in 30 days, every window compared with its hour's 7 reference windows", () => {
    const r = run(dailyCycle(30, 301), seasonal);
    expect(r.closed.length).toBeGreaterThanOrEqual(719);
    const evaluated = r.closed.filter((w) => w.evaluation !== null);
    // 7 days captured, then evaluated: 23 days of hourly windows
    expect(evaluated.length).toBeGreaterThanOrEqual(23 * 24 - 1);
    const x = evaluated.map((w) => w.evaluation!.signals.find((s) => s.signal === "feature:x")!);
    expect(x.every((s) => /\/reference\/w0-w167\/h\d\d$/.test(s.baseline.id))).toBe(true);
    expect(x.every((s) => s.baseline.count === 7 * EVENTS_PER_HOUR)).toBe(true);
    // within an hour's slot the days are independent: the slots' dependence factor stays 1
    expect(Math.max(...x.map((s) => s.statistics.dependence))).toBe(1);
    expect(r.drift).toHaveLength(0);
  }, 120_000);

  it("a 0.25σ shift of x on top of the cycle is detected within 2 windows", () => {
    const shiftAt = START + 20 * DAY + 5 * HOUR;
    const r = run(
      dailyCycle(21, 302, (t) => (t >= shiftAt ? 0.25 : 0)),
      seasonal,
    );
    const before = r.drift.filter((e) => e.window.start < shiftAt);
    expect(before).toHaveLength(0);
    const first = r.drift[0];
    expect(first.status).not.toBe("ok");
    expect(first.signals.map((s) => s.signal)).toContain("feature:x");
    const delay = r.closed.filter((w) => w.window.start >= shiftAt && w.window.start <= first.window.start).length;
    expect(delay).toBeLessThanOrEqual(2);
  }, 120_000);

  it("without seasonality, a reference of the first 5 hours calls the cycle drift", () => {
    const r = run(dailyCycle(3, 303), { window: hourly });
    expect(r.drift.length).toBeGreaterThan(0);
  }, 60_000);
});

describe("reference captured by event-time duration", () => {
  it("referenceDurationMs of 1 day with hourly windows pins the first 24 windows; the first evaluated window starts a day after the first", () => {
    const r = run(dailyCycle(2, 304), { window: hourly, baseline: { referenceDurationMs: DAY } });
    const firstEvaluated = r.closed.find((w) => w.evaluation !== null)!;
    expect(firstEvaluated.window.seq).toBe(24);
    expect(firstEvaluated.window.start).toBe(START + DAY);
    expect(firstEvaluated.reference!.id).toBe("m@v1/reference/w0-w23");
    expect(firstEvaluated.reference!.count).toBe(24 * EVENTS_PER_HOUR);
    expect(firstEvaluated.reference!.start).toBe(START);
    expect(firstEvaluated.reference!.seasonal).toBeUndefined();
  }, 60_000);

  it("with warmupWindows above the windows of the span, the later of the two wins (30 windows)", () => {
    const r = run(dailyCycle(2, 305), { window: hourly, baseline: { referenceDurationMs: DAY, warmupWindows: 30 } });
    expect(r.closed.find((w) => w.evaluation !== null)!.reference!.id).toBe("m@v1/reference/w0-w29");
  }, 60_000);
});

/** The mean Gregorian month (365.2425 days / 12): windows of this length have their midpoints in successive months. */
const MONTH = 2_629_746_000;
const YEAR_START = Date.UTC(2020, 0, 1);
const EVENTS_PER_MONTH = 1000;

/** A strong yearly cycle, 1 000 events per month: x has mean 2σ·sin(2π·t/year) (σ = 1 within the month). */
function* yearlyCycle(months: number, seed: number, shift: (t: number) => number = () => 0): Generator<PredictionEvent> {
  const r = seededRandom(seed);
  const step = MONTH / EVENTS_PER_MONTH;
  for (let i = 0; i < months * EVENTS_PER_MONTH; i++) {
    const t = YEAR_START + Math.floor(i * step);
    yield {
      eventId: `year-${seed}-${i}`,
      modelId: "m",
      modelVersion: "v1",
      timestamp: t,
      features: { x: 2 * Math.sin((2 * Math.PI * (t - YEAR_START)) / (12 * MONTH)) + r.normal() + shift(t) },
    };
  }
}

const monthly = {
  window: { maxEvents: 5000, maxDurationMs: MONTH },
  baseline: { referenceDurationMs: 3 * 12 * MONTH, seasonality: "monthOfYear" },
};

describe("seasonal reference (monthOfYear)", () => {
  it("a stationary yearly cycle in monthly windows: no drift event in 2 years, every window compared with its month of 3 years", () => {
    const r = run(yearlyCycle(60, 311), monthly);
    const evaluated = r.closed.filter((w) => w.evaluation !== null);
    expect(evaluated.length).toBeGreaterThanOrEqual(23);
    const x = evaluated.map((w) => w.evaluation!.signals.find((s) => s.signal === "feature:x")!);
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    expect(x.map((s) => s.baseline.id.split("/").pop())).toEqual(evaluated.map((_, i) => months[i % 12]));
    expect(x.every((s) => /\/reference\/w0-w35\/[A-Z][a-z]{2}$/.test(s.baseline.id) && s.baseline.count === 3 * EVENTS_PER_MONTH)).toBe(
      true,
    );
    expect(Math.max(...x.map((s) => s.statistics.dependence))).toBe(1);
    expect(r.drift).toHaveLength(0);
  }, 60_000);

  it("a 0.25σ shift of x on top of the cycle is detected within 2 windows", () => {
    const shiftAt = YEAR_START + 40 * MONTH;
    const r = run(
      yearlyCycle(46, 312, (t) => (t >= shiftAt ? 0.25 : 0)),
      monthly,
    );
    expect(r.drift.filter((e) => e.window.start < shiftAt)).toHaveLength(0);
    const first = r.drift[0];
    expect(first.signals.map((s) => s.signal)).toContain("feature:x");
    const delay = r.closed.filter((w) => w.window.start >= shiftAt && w.window.start <= first.window.start).length;
    expect(delay).toBeLessThanOrEqual(2);
  }, 60_000);

  it("without seasonality the same 3-year reference counts the cycle as dependence (D > 50): the 0.25σ shift goes unseen", () => {
    const shiftAt = YEAR_START + 40 * MONTH;
    const r = run(
      yearlyCycle(46, 312, (t) => (t >= shiftAt ? 0.25 : 0)),
      { window: monthly.window, baseline: { referenceDurationMs: 3 * 12 * MONTH } },
    );
    const x = r.closed.filter((w) => w.evaluation !== null).map((w) => w.evaluation!.signals.find((s) => s.signal === "feature:x")!);
    expect(Math.min(...x.map((s) => s.statistics.dependence))).toBeGreaterThan(50);
    expect(r.drift).toHaveLength(0);
  }, 60_000);
});
