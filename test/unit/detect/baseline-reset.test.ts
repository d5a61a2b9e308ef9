// baseline reset as the service applies it (detect/baseline-reset.ts): a version drops its reference and
// warmup once per requested generation, captures a new reference from its next windows, and a version
// created after the request is not reset by it.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyBaselineResets } from "../../../src/detect/baseline-reset.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

function engine(generations: Map<string, number>) {
  const config = resolveConfig({});
  const state = createPartitionState(0);
  const ctx = engineContextFrom(
    config,
    () => 0,
    undefined,
    (m, v) => generations.get(`${m}\u0000${v}`) ?? 0,
  );
  let offset = 0;
  const feed = (events: number, from: number) => {
    const outputs: EngineOutput[] = [];
    for (const e of [...predictionStream(from + events, { seed: 11 })].slice(from))
      outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
    return outputs.filter((o): o is WindowClosed => o.kind === "window");
  };
  return { state, feed, lookup: (m: string, v: string) => generations.get(`${m}\u0000${v}`) ?? 0 };
}

describe("applyBaselineResets", () => {
  it("drops the reference once per generation; the next warmupWindows windows capture a new one", () => {
    const generations = new Map<string, number>();
    const e = engine(generations);
    e.feed(6000, 0); // windows 0..4 capture the reference (5 warmup windows of 1 000), window 5 is evaluated
    const version = e.state.models.get("m")!.versions.get("v1")!;
    expect(version.reference?.id).toBe("m@v1/reference/w0-w4");
    e.state.dirtyCold.clear();

    expect(applyBaselineResets(e.state, e.lookup)).toEqual([]);
    generations.set("m\u0000v1", 1);
    expect(applyBaselineResets(e.state, e.lookup)).toEqual([
      { modelId: "m", modelVersion: "v1", generation: 1, dropped: "m@v1/reference/w0-w4" },
    ]);
    expect(version.reference).toBeNull();
    expect(version.warmup).toEqual([]);
    expect(version.rolling.windows).toEqual([]);
    expect(version.resetGeneration).toBe(1);
    expect(e.state.dirtyCold.has("m")).toBe(true);
    // idempotent: the same generation again changes nothing
    expect(applyBaselineResets(e.state, e.lookup)).toEqual([]);

    const closed = e.feed(5000, 6000);
    expect(closed.map((w) => w.evaluation === null)).toEqual([true, true, true, true, true]);
    expect(version.reference?.id).toBe("m@v1/reference/w6-w10");
    // the rolling baseline restarted with the reset: only the windows after it
    expect(version.rolling.windows.map((w) => w.seq)).toEqual([6, 7, 8, 9, 10]);
  }, 60_000);

  it("a version created after the request starts at its generation and is not reset by it", () => {
    const generations = new Map([["m\u0000v1", 3]]);
    const e = engine(generations);
    e.feed(5000, 0);
    const version = e.state.models.get("m")!.versions.get("v1")!;
    expect(version.resetGeneration).toBe(3);
    expect(applyBaselineResets(e.state, e.lookup)).toEqual([]);
    expect(version.reference?.id).toBe("m@v1/reference/w0-w4");
  }, 60_000);
});
