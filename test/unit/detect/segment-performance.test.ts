// Per-segment performance (issue 11 "Segments"): a classifier scored for three regions (eu 50 %, us 30 %,
// latam 20 %, by index, so the shares are exact), 500 predictions per window, labels 10 s of event time
// later, performance windows of 500 joined outcomes (the first 3 the reference). From window 10 on the
// accuracy of latam drops from 0.90 to 0.60 while eu and us hold 0.90: the model's accuracy moves by only
// 0.2 · 0.3 = 0.06, the segment's by 0.30, and the incident's events and the retrain request name latam.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import type { EngineOutput } from "../../../src/detect/engine.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";
import type { PerformanceWindowClosed } from "../../../src/outcomes/tracker.ts";
import { decodeModelOutcomes, encodeModelOutcomes } from "../../../src/state/outcome-state-codec.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot, encodePartitionMeta } from "../../../src/state/engine-state-codec.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type PartitionState } from "../../../src/detect/engine.ts";
import { applyOutcome } from "../../../src/detect/outcome-engine.ts";
import { classifierStream, OUTCOME_STREAM_WALL_CLOCK_MS, runWithOutcomes } from "../../support/outcome-streams.ts";
import { expectSameEncoding } from "../../support/state-comparison.ts";
import { formatStatusTable, versionStatuses } from "../../../src/cli/status.ts";
import { performanceGauges } from "../../../src/metrics/window-gauges.ts";
import { encodeWholeJoin } from "../../../src/state/join-entry-codec.ts";

const PER_WINDOW = 500;
const WINDOWS = 16;
const DROP_AT = 10;
const regionOf = (i: number) => (i % 10 < 5 ? "eu" : i % 10 < 8 ? "us" : "latam");

const config = resolveConfig({
  defaults: {
    window: { maxEvents: PER_WINDOW, minEvents: 100 },
    performance: { enabled: true, maxOutcomes: PER_WINDOW, minOutcomes: 50, referenceWindows: 3 },
    segments: { keys: ["region"] },
  },
});

function runOf(dropFor: string | null) {
  const inputs = classifierStream({
    seed: 23,
    count: WINDOWS * PER_WINDOW,
    labelDelayMs: 10_000,
    attributes: (i) => ({ region: regionOf(i) }),
    accuracy: (i, a) => (i >= DROP_AT * PER_WINDOW && a?.region === dropFor ? 0.6 : 0.9),
  });
  const outputs: EngineOutput[] = runWithOutcomes(inputs, config).outputs;
  return {
    inputs,
    performance: outputs.filter((o): o is PerformanceWindowClosed => o.kind === "performance"),
    drift: outputs.filter((o): o is { kind: "drift"; event: DriftEvent } => o.kind === "drift").map((o) => o.event),
    retrain: outputs.filter((o): o is { kind: "retrain"; request: RetrainRequest } => o.kind === "retrain").map((o) => o.request),
    state: runWithOutcomes(inputs, config).state,
  };
}

describe("per-segment performance: one segment's accuracy drops, the others hold", () => {
  const run = runOf("latam");
  const LATAM = "segment:region=latam/performance";

  it("each performance window evaluates every segment against its own reference, with its exact accuracy", () => {
    const w = run.performance[DROP_AT + 2];
    expect(w.segmentEvaluations?.map((s) => s.signal)).toEqual(["segment:region=eu/performance", LATAM, "segment:region=us/performance"]);
    // the window's outcomes are predictions [k·500, (k+1)·500) (joined in prediction order): count latam's hits
    const k = DROP_AT + 2;
    const preds = run.inputs.flatMap((x) => (x.kind === "prediction" ? [x] : [])).slice(k * PER_WINDOW, (k + 1) * PER_WINDOW);
    const latam = preds.filter((p) => p.event.attributes?.region === "latam");
    const latamStats = w.segmentEvaluations?.find((s) => s.signal === LATAM)?.statistics;
    expect(latamStats?.outcomes).toBe(latam.length);
    expect(latamStats?.accuracy).toBeCloseTo(latam.filter((p) => p.correct).length / latam.length, 12);
    // latam's reference: its outcomes in the 3 reference windows whose segments were chosen when they joined
    // (the discovering prediction window closed at prediction 499; its outcomes join 100 predictions later)
    const reference = run.inputs
      .flatMap((x) => (x.kind === "prediction" ? [x] : []))
      .slice(399, 3 * PER_WINDOW)
      .filter((p) => p.event.attributes?.region === "latam");
    expect(latamStats?.referenceAccuracy).toBeCloseTo(reference.filter((p) => p.correct).length / reference.length, 12);
  });

  it("raises a performance incident whose events name the dropping segment, and no other segment", () => {
    const raised = run.drift.find((e) => e.status !== "ok");
    expect(raised?.status).toBe("critical");
    const named = raised!.signals.map((s) => s.signal);
    expect(named).toContain(LATAM);
    expect(named.filter((s) => s.startsWith("segment:"))).toEqual([LATAM]);
    const latam = raised!.signals.find((s) => s.signal === LATAM);
    expect(latam?.statistics.accuracyDrop).toBeGreaterThan(0.15);
    expect(latam?.statistics.accuracyPValue).toBeLessThan(1e-6);
    expect(raised!.incident?.peakSignal).toBe(LATAM);
    // before the drop: nothing raised
    for (const w of run.performance.slice(3, DROP_AT)) expect(w.level).toBe("ok");
  });

  it("raises exactly one RetrainRequest, reason performance, with the segment as evidence", () => {
    expect(run.retrain).toHaveLength(1);
    expect(run.retrain[0].reason).toBe("performance");
    expect(run.retrain[0].evidence.signals).toContain(LATAM);
    expect(run.retrain[0].evidence.statistics[LATAM].accuracy).toBeLessThan(0.7);
  });

  it("status shows each segment of the last performance window: the dropping one critical with its accuracy", () => {
    const [row] = versionStatuses([run.state], config);
    const segments = row.performance?.lastWindow?.segments ?? [];
    expect(segments.map((s) => [s.signal, s.status])).toEqual([
      ["segment:region=eu/performance", "ok"],
      [LATAM, "critical"],
      ["segment:region=us/performance", "ok"],
    ]);
    const latam = segments[1];
    const last = run.performance.at(-1)!.segmentEvaluations!.find((s) => s.signal === LATAM)!;
    expect(latam).toEqual({
      signal: LATAM,
      status: "critical",
      outcomes: last.statistics.outcomes,
      accuracy: last.statistics.accuracy,
      referenceAccuracy: last.statistics.referenceAccuracy,
    });
    const line = formatStatusTable([row]).split("\n")[3];
    expect(line).toContain(`; segments region=eu ok acc=`);
    expect(line).toContain(
      `region=latam critical acc=${latam.accuracy!.toFixed(4)} ref=${latam.referenceAccuracy!.toFixed(4)} n=${latam.outcomes}`,
    );
  });

  it("exports each segment's accuracy and test status of the last performance window, bounded by the segments", () => {
    const last = run.performance.at(-1)!;
    const values = performanceGauges(last).filter((v) => v.gauge === "segmentPerformance" || v.gauge === "segmentPerformanceStatus");
    const latam = last.segmentEvaluations!.find((s) => s.signal === LATAM)!;
    expect(values.map((v) => [v.gauge, v.labels.segment, v.labels.metric ?? null, v.value])).toEqual([
      ["segmentPerformanceStatus", "region=eu", null, 0],
      ["segmentPerformance", "region=eu", "accuracy", last.segmentEvaluations![0].statistics.accuracy],
      ["segmentPerformanceStatus", "region=latam", null, 2],
      ["segmentPerformance", "region=latam", "accuracy", latam.statistics.accuracy],
      ["segmentPerformanceStatus", "region=us", null, 0],
      ["segmentPerformance", "region=us", "accuracy", last.segmentEvaluations![2].statistics.accuracy],
    ]);
  });

  it("keeps the segment accumulators and references in the outcome state, losslessly", () => {
    const outcomes = run.state.models.get("clf")!.outcomes!;
    const v = outcomes.versions.get("v1")!;
    expect([...(v.segmentReferences?.keys() ?? [])]).toEqual(["segment:region=eu/performance", LATAM, "segment:region=us/performance"]);
    const bytes = encodeModelOutcomes(outcomes);
    const back = decodeModelOutcomes("clf", bytes, encodeWholeJoin(outcomes.join));
    expect(Buffer.from(encodeModelOutcomes(back)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("per-segment performance: stationary", () => {
  it("no segment raises anything when every region holds 0.90", () => {
    const run = runOf(null);
    expect(run.drift.filter((e) => e.status !== "ok")).toEqual([]);
    expect(run.retrain).toEqual([]);
    expect(run.performance.at(-1)?.segmentEvaluations).toHaveLength(3);
  });
});

describe("per-segment performance: deterministic across restores", () => {
  it("a run restored from its encoded state every 777 inputs gives the same outputs and the same state bytes", () => {
    const inputs = classifierStream({
      seed: 23,
      count: 8 * PER_WINDOW,
      labelDelayMs: 10_000,
      attributes: (i) => ({ region: regionOf(i) }),
      accuracy: (i, a) => (i >= 5 * PER_WINDOW && a?.region === "latam" ? 0.6 : 0.9),
    });
    const ctx = { ...engineContextFrom(config, () => 0), outcomes: true };
    const encode = (state: PartitionState) => ({
      meta: encodePartitionMeta(state),
      models: new Map(
        [...state.models].map(([id, m]) => [
          id,
          {
            hot: encodeModelHot(m),
            cold: encodeModelCold(m),
            outcomes: m.outcomes === undefined ? null : encodeModelOutcomes(m.outcomes),
            ...(m.outcomes === undefined ? {} : { joinEntries: encodeWholeJoin(m.outcomes.join) }),
          },
        ]),
      ),
    });
    const feed = (restoreEvery: number | null) => {
      let state = createPartitionState(0);
      const outputs: string[] = [];
      let p = 0;
      let o = 0;
      inputs.forEach((x, k) => {
        const result =
          x.kind === "prediction"
            ? applyPrediction(state, x.event, String(p++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS)
            : applyOutcome(state, x.event, String(o++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS);
        for (const out of result.outputs) outputs.push(JSON.stringify(out));
        if (restoreEvery !== null && k % restoreEvery === 0) {
          const stored = encode(state);
          state = decodePartitionState(0, stored.meta, stored.models, config.limits);
        }
      });
      return { state, outputs };
    };
    const whole = feed(null);
    const restored = feed(777);
    expect(whole.outputs.some((x) => x.includes("segment:region=latam/performance"))).toBe(true);
    expect(restored.outputs).toEqual(whole.outputs);
    const a = encode(restored.state).models.get("clf")!;
    const b = encode(whole.state).models.get("clf")!;
    expectSameEncoding(a.hot, b.hot, "hot state");
    expectSameEncoding(a.cold, b.cold, "cold state");
    expectSameEncoding(a.outcomes!, b.outcomes!, "outcome state");
  });
});
