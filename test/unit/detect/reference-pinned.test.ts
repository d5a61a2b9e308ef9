// A captured reference says at its pinning whether its dependence factors could be measured (detect/dependence.ts:
// a window is scored against the windows before it, and a factor needs MIN_DISPERSION_WINDOWS scores), so the
// shell can warn about a reference whose tests silently assume independent events.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type WindowClosed } from "../../../src/detect/engine.ts";
import { MIN_DEPENDENCE_WINDOWS } from "../../../src/detect/dependence.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

function closedWindows(windows: number, baseline: Record<string, unknown>): WindowClosed[] {
  const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline } });
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => state.maxEventTime);
  const outputs: EngineOutput[] = [];
  let offset = 0;
  for (const e of predictionStream(windows * 200, { seed: 7 }))
    outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
  return outputs.filter((o): o is WindowClosed => o.kind === "window");
}

const pins = (ws: WindowClosed[]) =>
  ws.flatMap((w) => (w.referencePinned === undefined ? [] : [{ seq: w.window.seq, ...w.referencePinned }]));

describe("a pinned reference reports whether its dependence could be measured", () => {
  it("needs 5 windows: 4 scores against the windows before them", () => {
    expect(MIN_DEPENDENCE_WINDOWS).toBe(5);
  });

  it("warmupWindows 3: pinned at the close of window 2, dependence not measured", () => {
    expect(pins(closedWindows(8, { warmupWindows: 3 }))).toEqual([
      { seq: 2, id: "m@v1/reference/w0-w2", windows: 3, dependenceMeasured: false },
    ]);
  });

  it("warmupWindows 5 (the default): measured", () => {
    expect(pins(closedWindows(8, {}))).toEqual([{ seq: 4, id: "m@v1/reference/w0-w4", windows: 5, dependenceMeasured: true }]);
  });

  it("a capture by duration: counted in the windows of the span, reported on the window that pinned it", () => {
    // 200 events 100 ms apart: a window spans 20 s; a 60 s span holds windows 0–2, pinned when window 3 closes
    expect(pins(closedWindows(8, { warmupWindows: 1, referenceDurationMs: 60_000 }))).toEqual([
      { seq: 3, id: "m@v1/reference/w0-w2", windows: 3, dependenceMeasured: false },
    ]);
  });
});
