// Incidents instead of timers (issue 10, items 4–6): a burst does not stay alive through the rolling
// baseline, one retrain request per incident (more only on materially worse evidence, never because the
// cooldown expired), DriftEvents on changes and periodically, every signal naming its baseline.
// Defaults unless stated: 1 000 events per window, 100 ms apart (a window spans 100 s of event time).
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS, type StreamOptions } from "../../support/engine-streams.ts";

const WINDOW = 1000;

function runEngine(windows: number, opts: StreamOptions, defaults: Record<string, unknown> = {}) {
  const config = resolveConfig({ defaults });
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => state.maxEventTime);
  const outputs: EngineOutput[] = [];
  let offset = 0;
  for (const e of predictionStream(windows * WINDOW, opts))
    outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
  const drift = outputs.filter((o): o is { kind: "drift"; event: DriftEvent } => o.kind === "drift").map((o) => o.event);
  const retrain = outputs.filter((o): o is { kind: "retrain"; request: RetrainRequest } => o.kind === "retrain").map((o) => o.request);
  const closed = outputs.filter((o): o is WindowClosed => o.kind === "window");
  return { drift, retrain, closed, state };
}

const seqOf = (windowId: string) => Number(windowId.split("/w")[1]);

describe("the rolling baseline does not keep an incident alive", () => {
  it("after a 5-window burst the status clears within consecutiveWindows + 1 windows and nothing more is raised", () => {
    // windows 0..4 warmup, 5..29 normal (the rolling baseline fills), burst of 1σ in windows 30..34
    const r = runEngine(90, { seed: 101, shiftSigma: (i) => (i >= 30 * WINDOW && i < 35 * WINDOW ? 1 : 0) });
    const statusAt = (seq: number) => r.closed[seq].status;
    expect(statusAt(31)).toBe("critical");
    const firstOk = r.closed.findIndex((w, i) => i > 34 && w.status === "ok");
    expect(firstOk).toBeGreaterThan(34);
    expect(firstOk).toBeLessThanOrEqual(34 + 2 + 1);
    for (let i = firstOk; i < 90; i++) expect(statusAt(i)).toBe("ok");
    // no retrain request after the burst ended, and nothing but the recovery event after it
    for (const q of r.retrain) for (const w of q.evidence.windows) expect(seqOf(w)).toBeLessThanOrEqual(34);
    const after = r.drift.filter((e) => seqOf(e.window.id) >= firstOk);
    expect(after.map((e) => e.status)).toEqual(["ok"]);
    expect(after[0].incident?.ended).toBe(true);
  }, 60_000);

  it("windows evaluated as drifted are not in the rolling baseline", () => {
    const r = runEngine(45, { seed: 102, shiftSigma: (i) => (i >= 30 * WINDOW && i < 35 * WINDOW ? 1 : 0) });
    const rolling = r.state.models
      .get("m")!
      .versions.get("v1")!
      .rolling.windows.map((w) => w.seq);
    const drifted = r.closed.filter((w) => w.evaluation !== null && w.evaluation.level !== "ok").map((w) => w.window.seq);
    expect(drifted).toEqual(expect.arrayContaining([30, 31, 32, 33, 34]));
    for (const seq of drifted) expect(rolling).not.toContain(seq);
    expect(rolling).toContain(44);
  }, 60_000);
});

describe("incidents, not timers", () => {
  // cooldown 1 h of event time = 36 windows: a timer would ask again every 36 windows
  const shortCooldown = { retrain: { cooldownMs: 3_600_000 } };

  it("a drift that goes on for 150 windows is one incident with one retrain request, reported every 12 windows", () => {
    const r = runEngine(180, { seed: 103, shiftSigma: (i) => (i >= 30 * WINDOW ? 0.5 : 0) }, shortCooldown);
    expect(r.retrain).toHaveLength(1);
    const ids = new Set(r.drift.map((e) => e.incident?.id));
    expect(ids.size).toBe(1);
    expect(r.retrain[0].incidentId).toBe(r.drift[0].incident?.id);
    const first = r.drift[0];
    expect(first).toMatchObject({ status: "critical", previousStatus: "ok" });
    expect(first.incident).toMatchObject({
      startWindow: "m@v1/p0/w30",
      windows: 2,
      peakStatus: "critical",
      peakSignal: "feature:x0",
      ended: false,
    });
    expect(first.incident?.start).toBe(r.closed[30].window.start);
    // unchanged drift: one event per 12 windows (the drifting set is x0 throughout)
    const seqs = r.drift.map((e) => seqOf(e.window.id));
    expect(seqs[0]).toBe(31);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i] - seqs[i - 1]).toBeLessThanOrEqual(12);
    expect(r.drift.length).toBeLessThanOrEqual(Math.ceil(149 / 12) + 1);
    expect(r.drift.length).toBeGreaterThanOrEqual(Math.floor(149 / 12));
    const last = r.drift[r.drift.length - 1];
    expect(last.incident!.windows).toBe(seqOf(last.window.id) - 30 + 1);
    expect(last.incident!.durationMs).toBe(last.window.end - first.incident!.start);
  }, 120_000);

  it("a second retrain request only when the evidence becomes materially worse: a new critical signal", () => {
    const r = runEngine(
      140,
      { seed: 104, shiftSigma: (i) => (i >= 30 * WINDOW ? 0.5 : 0), classShift: (i) => (i >= 90 * WINDOW ? 0.15 : 0) },
      shortCooldown,
    );
    expect(r.retrain).toHaveLength(2);
    expect(r.retrain[0].evidence.signals).toEqual(["feature:x0"]);
    expect(r.retrain[1].evidence.signals).toContain("feature:segment");
    expect(seqOf(r.retrain[1].evidence.windows[2])).toBeGreaterThanOrEqual(90);
    expect(r.retrain[1].incidentId).toBe(r.retrain[0].incidentId);
    // the drifting set changed, so that was reported when it happened
    expect(
      r.drift.some((e) => seqOf(e.window.id) >= 90 && seqOf(e.window.id) <= 92 && e.signals.some((s) => s.signal === "feature:segment")),
    ).toBe(true);
  }, 120_000);

  it("a second retrain request when the driving effect size doubles", () => {
    const r = runEngine(110, { seed: 105, shiftSigma: (i) => (i >= 30 * WINDOW ? (i >= 80 * WINDOW ? 1.5 : 0.4) : 0) }, shortCooldown);
    expect(r.retrain).toHaveLength(2);
    const effect = (q: RetrainRequest) => q.evidence.statistics["feature:x0"].wasserstein;
    expect(effect(r.retrain[1])).toBeGreaterThanOrEqual(2 * effect(r.retrain[0]));
    expect(seqOf(r.retrain[1].evidence.windows[2])).toBeGreaterThanOrEqual(80);
  }, 120_000);

  it("the cooldown stays an upper bound: a worse incident inside it waits", () => {
    const r = runEngine(110, { seed: 105, shiftSigma: (i) => (i >= 30 * WINDOW ? (i >= 80 * WINDOW ? 1.5 : 0.4) : 0) });
    expect(r.retrain).toHaveLength(1);
  }, 120_000);

  it("two bursts are two incidents with their own ids, each with at most one retrain request", () => {
    const burst = (i: number) => (i >= 30 * WINDOW && i < 40 * WINDOW) || (i >= 70 * WINDOW && i < 80 * WINDOW);
    const r = runEngine(100, { seed: 106, shiftSigma: (i) => (burst(i) ? 1 : 0) }, shortCooldown);
    const ids = [...new Set(r.drift.map((e) => e.incident?.id))];
    expect(ids).toHaveLength(2);
    expect(r.retrain).toHaveLength(2);
    expect(r.retrain.map((q) => q.incidentId)).toEqual(ids);
    expect(r.drift.filter((e) => e.incident?.ended).map((e) => e.status)).toEqual(["ok", "ok"]);
  }, 120_000);
});

describe("truthful evidence", () => {
  it("every signal result names the baseline it was computed against; the event's baseline drove the status", () => {
    const r = runEngine(60, {
      seed: 107,
      shiftSigma: (i) => (i >= 30 * WINDOW ? 0.5 : 0),
      classShift: (i) => (i >= 30 * WINDOW ? 0.15 : 0),
    });
    const signals = r.drift.flatMap((e) => e.signals);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.some((s) => s.kind === "categorical")).toBe(true);
    for (const e of r.drift) {
      for (const s of e.signals) {
        expect(s.baseline?.id).toMatch(/^m@v1\/(reference|rolling)\//);
        expect(s.baseline?.count).toBeGreaterThan(0);
      }
      if (e.status !== "ok") {
        const driving = e.signals.filter((s) => s.status === e.status);
        expect(driving.some((s) => s.baseline?.id === e.baseline.id)).toBe(true);
      }
    }
  }, 60_000);

  it("the rolling comparison on its own raises at most a warning", () => {
    const r = runEngine(60, { seed: 108, shiftSigma: (i) => (i >= 30 * WINDOW ? 1 : 0) });
    const all = r.closed.flatMap((w) => w.evaluation?.signals ?? []);
    expect(all.some((s) => s.status === "critical")).toBe(true);
    for (const s of all) if (s.baseline.kind === "rolling") expect(s.status).not.toBe("critical");
  }, 60_000);
});
