import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput } from "../../../src/detect/engine.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const START = 1_763_769_600_000;
const junk = (i: number): PredictionEvent => ({
  eventId: `j${i}`,
  modelId: `junk-${i}`,
  modelVersion: "v",
  timestamp: START + i,
  prediction: 1,
});

describe("model admission", () => {
  it("after 100 000 junk model ids, a new configured model and a new unconfigured one are both monitored", () => {
    const config = resolveConfig({
      limits: { maxModels: 100 },
      models: { "legit-configured": {} },
      defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 2 } },
    });
    const state = createPartitionState(0);
    const ctx = engineContextFrom(config, () => 0);
    let offset = 0;
    for (let i = 0; i < 100_000; i++) applyPrediction(state, junk(i), String(offset++), ctx, STREAM_WALL_CLOCK_MS);
    expect(state.models.size).toBe(100);
    expect(state.counters.modelsEvicted).toBe(99_900);
    const outputs: EngineOutput[] = [];
    for (const [k, modelId] of ["legit-configured", "legit-new"].entries()) {
      for (const e of predictionStream(1000, {
        seed: 3,
        modelId,
        startTime: START + 100_000 * (k + 1),
        shiftSigma: (i) => (i >= 600 ? 2 : 0),
      })) {
        const r = applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS);
        expect(r.outcome).toBe("accepted");
        outputs.push(...r.outputs);
      }
    }
    const windows = (id: string) => outputs.filter((o) => o.kind === "window" && o.modelId === id).length;
    expect(windows("legit-configured")).toBe(5);
    expect(windows("legit-new")).toBe(5);
    const drifting = new Set(outputs.flatMap((o) => (o.kind === "drift" && o.event.status !== "ok" ? [o.event.modelId] : [])));
    expect([...drifting].sort()).toEqual(["legit-configured", "legit-new"]);
    // the configured model does not count against the cap; the unconfigured one took a junk model's slot
    expect(state.models.size).toBe(101);
  });
});
