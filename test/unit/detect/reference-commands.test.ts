// The operator's reference commands (src/detect/reference-commands.ts). `baseline repin`: after a lasting
// shift the operator accepts the new normal; the reference is captured again from the next windows and the
// shifted data is then ok. `baseline reset`: the same capture, but the status and an open incident stay until
// windows are compared with the new reference.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import { applyReferenceCommand } from "../../../src/detect/reference-commands.ts";
import type { ControlRecord } from "../../../src/events/control-record.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const config = resolveConfig({ defaults: { window: { maxEvents: 1000 }, baseline: { warmupWindows: 5 } } });
const repin: ControlRecord = {
  type: "control",
  command: "baseline.repin",
  requestId: "req-1",
  modelId: "m",
  modelVersion: "v1",
  requestedAt: 1_700_000_000_000,
};

/** A partition fed a stream whose inputs shift by 1σ from event 10 000 on; `apply(from, to)` feeds a range. */
function shiftedStream(partition: number, now: number) {
  const state = createPartitionState(partition);
  const ctx = engineContextFrom(config, () => now);
  const events = [...predictionStream(40_000, { seed: 71, shiftSigma: (i) => (i >= 10_000 ? 1 : 0) })];
  const outputs: EngineOutput[] = [];
  const apply = (from: number, to: number) => {
    for (let i = from; i < to; i++) outputs.push(...applyPrediction(state, events[i], String(i), ctx, STREAM_WALL_CLOCK_MS).outputs);
  };
  return { state, ctx, outputs, apply };
}

describe("baseline repin", () => {
  it("after a lasting 1σ shift, a repin drops the reference; 5 windows later the shifted stream is the new normal and ok", () => {
    const { state, ctx, outputs, apply } = shiftedStream(3, 42);
    apply(0, 20_000);
    const version = state.models.get("m")!.versions.get("v1")!;
    expect(version.hysteresis.status).toBe("critical");
    const incident = version.incident!.id;
    const before = outputs.length;

    const event = applyReferenceCommand(state, repin, ctx)!;
    expect(event).toEqual({
      type: "baseline",
      eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
      kind: "reference_repinned",
      modelId: "m",
      modelVersion: "v1",
      partition: 3,
      requestId: "req-1",
      requestedAt: 1_700_000_000_000,
      previousReference: { kind: "reference", id: "m@v1/reference/w0-w4", count: 5000 },
      endedIncidentId: incident,
      capture: { warmupWindows: 5, referenceDurationMs: null, seasonality: "none" },
      emittedAt: 42,
    });
    expect(applyReferenceCommand(state, repin, ctx)!.eventId).toBe(event.eventId);
    expect(version.reference).toBeNull();
    expect(version.hysteresis.status).toBe("ok");

    apply(20_000, 40_000);
    const after = outputs.slice(before);
    const windows = after.filter((o): o is WindowClosed => o.kind === "window");
    expect(windows).toHaveLength(20);
    // the first 5 windows after the repin capture the new reference (not evaluated), the other 15 are ok
    expect(windows.slice(0, 5).every((w) => w.evaluation === null)).toBe(true);
    expect(windows[5].reference!.id).toBe("m@v1/reference/w20-w24");
    expect(windows.slice(5).every((w) => w.evaluation!.level === "ok" && w.status === "ok")).toBe(true);
    expect(after.filter((o) => o.kind === "drift" || o.kind === "retrain")).toEqual([]);
  });

  it("a partition without state of the model version has nothing to repin", () => {
    const state = createPartitionState(0);
    expect(
      applyReferenceCommand(
        state,
        repin,
        engineContextFrom(config, () => 0),
      ),
    ).toBeNull();
  });
});

describe("baseline reset", () => {
  const reset: ControlRecord = { ...repin, command: "baseline.reset", requestId: "reset-1" };

  it("drops the reference of a critical version but keeps its status and incident until the new reference is compared", () => {
    const { state, ctx, outputs, apply } = shiftedStream(1, 7);
    apply(0, 20_000);
    const version = state.models.get("m")!.versions.get("v1")!;
    const incident = version.incident!.id;
    const before = outputs.length;

    const event = applyReferenceCommand(state, reset, ctx)!;
    expect(event.kind).toBe("reference_reset");
    expect(event.previousReference).toEqual({ kind: "reference", id: "m@v1/reference/w0-w4", count: 5000 });
    expect(event.endedIncidentId).toBeNull();
    expect(version.reference).toBeNull();
    expect(version.warmup).toEqual([]);
    expect(version.rolling.windows).toEqual([]);
    expect(version.hysteresis.status).toBe("critical");
    expect(version.incident).toMatchObject({ id: incident, open: true });
    expect(state.dirtyCold.has("m")).toBe(true);

    apply(20_000, 40_000);
    const windows = outputs.slice(before).filter((o): o is WindowClosed => o.kind === "window");
    expect(windows).toHaveLength(20);
    // windows 20-24 capture the new reference from the shifted stream; compared with it, the stream is ok again
    expect(windows.slice(0, 5).every((w) => w.evaluation === null)).toBe(true);
    expect(windows[5].reference!.id).toBe("m@v1/reference/w20-w24");
    expect(windows.slice(5).every((w) => w.evaluation!.level === "ok")).toBe(true);
    expect(version.hysteresis.status).toBe("ok");
    expect(version.incident?.open ?? false).toBe(false);
    expect(outputs.slice(before).filter((o) => o.kind === "retrain")).toEqual([]);
  });

  it("restarts the warmup of a version still capturing its first reference", () => {
    const state = createPartitionState(0);
    const ctx = engineContextFrom(config, () => 0);
    for (const [i, e] of [...predictionStream(3000, { seed: 5 })].entries())
      applyPrediction(state, e, String(i), ctx, STREAM_WALL_CLOCK_MS);
    const version = state.models.get("m")!.versions.get("v1")!;
    expect(version.warmup).toHaveLength(3);
    const event = applyReferenceCommand(state, reset, ctx)!;
    expect(event.previousReference).toBeNull();
    expect(version.warmup).toEqual([]);
  });
});
