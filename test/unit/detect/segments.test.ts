// Segments (issue 11): seeded simulations through the engine (no broker), streams of test/support/
// segment-streams.ts: a burst scores one region far more often with every region's distribution unchanged,
// and a real shift moves a feature within one region only.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import {
  applyPrediction,
  createPartitionState,
  type EngineOutput,
  type PartitionState,
  type WindowClosed,
} from "../../../src/detect/engine.ts";
import type { DriftEvent, PredictionEvent } from "../../../src/events/types.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot, encodePartitionMeta } from "../../../src/state/engine-state-codec.ts";
import { OTHER_SEGMENT, parseSegmentSignal, segmentsOf } from "../../../src/windows/segments.ts";
import { windowGauges } from "../../../src/metrics/window-gauges.ts";
import { applyReferenceCommand } from "../../../src/detect/reference-commands.ts";
import { burstMix as burst, NORMAL_MIX, regionStream, SEGMENT_STREAM_START, type Region } from "../../support/segment-streams.ts";
import { expectSameEncoding } from "../../support/state-comparison.ts";

const START = SEGMENT_STREAM_START;
const WALL_CLOCK = Date.UTC(2100, 0, 1);

const segmentConfig = resolveConfig({ models: { m: { segments: { keys: ["region"] } } } });
const plainConfig = resolveConfig({});

function run(config: typeof segmentConfig, events: Iterable<PredictionEvent>): { outputs: EngineOutput[]; state: PartitionState } {
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => 0);
  const outputs: EngineOutput[] = [];
  let i = 0;
  for (const e of events) outputs.push(...applyPrediction(state, e, String(i++), ctx, WALL_CLOCK).outputs);
  return { outputs, state };
}

const windowsOf = (outputs: EngineOutput[]) => outputs.filter((o): o is WindowClosed => o.kind === "window");
const driftEventsOf = (outputs: EngineOutput[]) => outputs.filter((o) => o.kind === "drift").map((o) => (o as { event: DriftEvent }).event);
const nonOk = (w: WindowClosed) => (w.evaluation?.signals ?? []).filter((s) => s.status !== "ok").map((s) => s.signal);

describe("segments: a burst of one segment", () => {
  const { outputs } = run(segmentConfig, regionStream({ seed: 11, windows: 30, mix: burst }));
  const windows = windowsOf(outputs);

  it("reads as a change of segment mix: the mix signal drives, no feature or segment signal drifts", () => {
    expect(windows).toHaveLength(30);
    for (const w of windows.slice(15, 20)) {
      expect(w.evaluation?.level).toBe("critical");
      expect(nonOk(w)).toEqual(["segment_mix:region"]);
      const mix = w.evaluation?.signals.find((s) => s.signal === "segment_mix:region");
      // L∞ of the shares: latam 0.1 → 0.6 in expectation
      expect(mix?.statistics.lInf).toBeGreaterThan(0.45);
      expect(mix?.statistics.lInf).toBeLessThan(0.55);
    }
    const events = driftEventsOf(outputs);
    expect(events.length).toBeGreaterThanOrEqual(2); // the raise and the recovery
    for (const e of events) for (const s of e.signals) expect(s.signal).toBe("segment_mix:region");
    expect(events[0].status).toBe("critical");
    expect(events[0].incident?.peakSignal).toBe("segment_mix:region");
    expect(events.at(-1)?.status).toBe("ok");
    // a mix change alone raises no retrain request (retrain.signals may name it)
    expect(outputs.some((o) => o.kind === "retrain")).toBe(false);
  });

  it("keeps the model-level statistics that moved with the mix, marked as attributed to it", () => {
    const amount = windows[16].evaluation?.signals.find((s) => s.signal === "feature:amount");
    expect(amount?.status).toBe("ok");
    expect(amount?.statistics.segmentMixAttributed).toBe(1);
    // the mixture's mean moved by (0.6 − 0.1)·3 − … ≈ 1.1 σ_ref: far past the floors had it been counted
    expect(amount?.statistics.wasserstein).toBeGreaterThan(0.5);
  });

  it("is ok outside the burst, with no false drift in the 20 ordinary windows", () => {
    for (const w of [...windows.slice(5, 15), ...windows.slice(21)]) expect(nonOk(w)).toEqual([]);
  });

  it("exports segment shares and per-segment status, bounded, with no per-segment signal series", () => {
    const gauges = windowGauges(windows[16], 0);
    const shares = gauges.values.filter((v) => v.gauge === "segmentShare");
    expect(shares.map((v) => v.labels.segment).sort()).toEqual(["region=eu", "region=latam", "region=us"]);
    expect(shares.find((v) => v.labels.segment === "region=latam")?.value).toBeCloseTo(0.6, 1);
    const status = gauges.values.filter((v) => v.gauge === "segmentStatus");
    expect(status.map((v) => [v.labels.segment, v.value])).toEqual([
      ["region=eu", 0],
      ["region=latam", 0],
      ["region=us", 0],
    ]);
    expect(gauges.signals.filter((s) => s.startsWith("segment"))).toEqual(["segment_mix:region"]);
    expect(gauges.values.filter((v) => v.labels.signal?.startsWith("segment:") === true)).toEqual([]);
    expect(gauges.values.find((v) => v.gauge === "signalStatus" && v.labels.signal === "segment_mix:region")?.value).toBe(2);
  });

  it("without segments configured, the same burst reads as drift of the features (what segments fix)", () => {
    const plain = windowsOf(run(plainConfig, regionStream({ seed: 11, windows: 30, mix: burst })).outputs);
    const drifting = nonOk(plain[16]);
    expect(drifting).toEqual(expect.arrayContaining(["feature:amount", "feature:channel", "prediction"]));
  });
});

describe("segments: a shift within one segment", () => {
  // amount of "us" moves by 1 σ from window 15 on; mix unchanged
  const shift = (w: number, region: Region) => (w >= 15 && region === "us" ? 1 : 0);
  const { outputs, state } = run(segmentConfig, regionStream({ seed: 12, windows: 20, mix: () => NORMAL_MIX, shift }));
  const windows = windowsOf(outputs);

  it("is attributed to that segment: the event names segment region=us and its feature", () => {
    const first = driftEventsOf(outputs)[0];
    expect(first.status).toBe("critical");
    const segmentSignals = first.signals.map((s) => parseSegmentSignal(s.signal)).filter((s) => s !== null);
    expect(segmentSignals).toContainEqual({ key: "region", segment: "us", signal: "feature:amount" });
    for (const s of segmentSignals) expect(s.segment).toBe("us");
    expect(first.signals.map((s) => s.signal)).not.toContain("segment_mix:region");
    const us = windows[16].evaluation?.signals.find((s) => s.signal === "segment:region=us/feature:amount");
    expect(us?.status).toBe("critical");
    // Wasserstein-1 / σ_ref of a 1 σ shift of a normal within the segment
    expect(us?.statistics.wasserstein).toBeGreaterThan(0.8);
    expect(us?.statistics.wasserstein).toBeLessThan(1.2);
    for (const region of ["eu", "latam"]) {
      expect(windows[16].evaluation?.signals.find((s) => s.signal === `segment:region=${region}/feature:amount`)?.status).toBe("ok");
    }
  });

  it("reports the shifted segment's status in drift_segment_status", () => {
    const status = windowGauges(windows[16], 0).values.filter((v) => v.gauge === "segmentStatus");
    expect(Object.fromEntries(status.map((v) => [v.labels.segment, v.value]))).toEqual({
      "region=eu": 0,
      "region=us": 2,
      "region=latam": 0,
    });
  });

  it("gives the segment of an event to whoever needs it (the outcome join)", () => {
    const registry = state.models.get("m")?.versions.get("v1")?.segments;
    expect(registry?.admitted.get("region")).toEqual(["eu", "us", "latam"]);
    const event = { eventId: "x", modelId: "m", modelVersion: "v1", timestamp: START, attributes: { region: "us" } };
    expect(segmentsOf(registry!, { keys: ["region"], topK: 10 }, event)).toEqual({ region: "us" });
    expect(segmentsOf(registry!, { keys: ["region"], topK: 10 }, { ...event, attributes: { region: "mars" } })).toEqual({
      region: OTHER_SEGMENT,
    });
  });
});

describe("segments: bounded and deterministic", () => {
  const config = resolveConfig({ models: { m: { segments: { keys: ["region", "tenant"], topK: 2 } } } });
  const events = [...regionStream({ seed: 13, windows: 8, mix: () => NORMAL_MIX })];

  it("chooses the topK most frequent values of each key in the first window (not the first seen) and folds the rest into __other__", () => {
    // the first five events carry values seen nowhere else: first-seen admission would have made two of them segments
    const rare = events.map((e, i) => (i < 5 ? { ...e, attributes: { region: `rare${i}`, tenant: `rare${i}` } } : e));
    const { state, outputs } = run(config, rare);
    const version = state.models.get("m")?.versions.get("v1");
    // exact counts of the first window (1 000 events), largest first, ties by value
    const topOfFirstWindow = (key: "region" | "tenant") => {
      const counts = new Map<string, number>();
      for (const e of rare.slice(0, 1000)) counts.set(e.attributes![key], (counts.get(e.attributes![key]) ?? 0) + 1);
      return [...counts]
        .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : 1))
        .slice(0, 2)
        .map(([v]) => v);
    };
    expect(topOfFirstWindow("region")).toEqual(["eu", "us"]);
    expect(version?.segments?.admitted.get("region")).toEqual(["eu", "us"]);
    expect(version?.segments?.admitted.get("tenant")).toEqual(topOfFirstWindow("tenant"));
    expect(version?.segments?.discovery).toBeUndefined();
    const windows = windowsOf(outputs);
    // the discovering window keeps no segment signals; every later one keeps 2 keys × (2 segments + __other__)
    const segmentsIn = (w: WindowClosed) =>
      new Set(
        [...w.window.signals.numeric.keys()]
          .map((name) => parseSegmentSignal(name))
          .flatMap((p) => (p === null ? [] : [`${p.key}=${p.segment}`])),
      );
    expect(segmentsIn(windows[0]).size).toBe(0);
    expect(windows[0].window.signals.categorical.has("segment_mix:region")).toBe(false);
    for (const w of windows.slice(1)) expect(segmentsIn(w).size).toBe(6);
    const mix = windows.at(-1)!.window.signals.categorical.get("segment_mix:region");
    expect([...(mix?.counts.keys() ?? [])].sort()).toEqual(["eu", "us", OTHER_SEGMENT].sort());
  });

  it("round-trips the segment registry through the engine-state codec, restoring mid-stream gives the same bytes", () => {
    const ctx = engineContextFrom(config, () => 0);
    const whole = run(config, events).state;
    let state = createPartitionState(0);
    events.forEach((e, i) => {
      applyPrediction(state, e, String(i), ctx, WALL_CLOCK);
      if (i % 1777 === 0) {
        const models = new Map([...state.models].map(([id, m]) => [id, { hot: encodeModelHot(m), cold: encodeModelCold(m) }]));
        state = decodePartitionState(0, encodePartitionMeta(state), models);
        // discovering (heavy-hitter counts) in the first window, chosen segments after it
        const segments = state.models.get("m")?.versions.get("v1")?.segments;
        expect(i < 1000 ? segments?.discovery?.get("region")?.total : segments?.admitted.get("region")?.length).toBeGreaterThan(0);
      }
    });
    const m = state.models.get("m")!;
    const expected = whole.models.get("m")!;
    expectSameEncoding(encodeModelHot(m), encodeModelHot(expected), "hot state");
    expectSameEncoding(encodeModelCold(m), encodeModelCold(expected), "cold state");
    expect(JSON.parse(Buffer.from(encodeModelHot(m)).toString("utf8")).versions[0].segments).toEqual([
      ["region", expected.versions.get("v1")?.segments?.admitted.get("region")],
      ["tenant", expected.versions.get("v1")?.segments?.admitted.get("tenant")],
    ]);
  });

  it("writes no segment state without segments configured", () => {
    const { state } = run(plainConfig, events.slice(0, 1500));
    const hot = JSON.parse(Buffer.from(encodeModelHot(state.models.get("m")!)).toString("utf8"));
    expect(Object.keys(hot.versions[0])).not.toContain("segments");
  });
});

describe("segments: a new reference discovers them again", () => {
  it("after baseline repin the segments are the new normal's most frequent values, chosen when the open window closes", () => {
    const config = resolveConfig({ models: { m: { segments: { keys: ["region"], topK: 2 } } } });
    const ctx = engineContextFrom(config, () => 0);
    const shifted = { eu: 0.1, us: 0.2, latam: 0.7 };
    const events = [...regionStream({ seed: 14, windows: 9, mix: (w) => (w < 5 ? NORMAL_MIX : shifted) })];
    const state = createPartitionState(0);
    const apply = (from: number, to: number) => {
      for (let i = from; i < to; i++) applyPrediction(state, events[i], String(i), ctx, WALL_CLOCK);
    };
    apply(0, 6500);
    const version = () => state.models.get("m")!.versions.get("v1")!;
    expect(version().segments?.admitted.get("region")).toEqual(["eu", "us"]);
    applyReferenceCommand(
      state,
      { type: "control", command: "baseline.repin", requestId: "r", modelId: "m", modelVersion: "v1", requestedAt: 0 },
      ctx,
    );
    apply(6500, 6999);
    // discovering over the rest of window 6 (events 6 500..6 999)
    expect(version().segments?.discovery?.get("region")?.total).toBe(499);
    apply(6999, 9000);
    expect(version().segments?.admitted.get("region")).toEqual(["latam", "us"]);
  });
});
