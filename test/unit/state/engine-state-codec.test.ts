// Exactly-once state at the unit level: saving the engine state (as the pipeline does after every chunk)
// and restoring it at any point gives the same outputs and the same final bytes as an uninterrupted run.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/detect/context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type PartitionState } from "../../../src/detect/engine.ts";
import {
  decodePartitionState,
  encodeModelCold,
  encodeModelHot,
  encodePartitionMeta,
  EngineStateDecodeError,
} from "../../../src/state/engine-state-codec.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { predictionStream } from "../../support/engine-streams.ts";

const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3, rollingWindows: 6 } } });
const ctx = engineContextFrom(config, () => 0);

function snapshot(state: PartitionState) {
  const models = new Map<string, { hot: Uint8Array; cold: Uint8Array }>();
  for (const [id, m] of state.models) models.set(id, { hot: encodeModelHot(m), cold: encodeModelCold(m) });
  return { meta: encodePartitionMeta(state), models };
}

function outputsKey(outputs: EngineOutput[]): string[] {
  return outputs.map((o) => (o.kind === "drift" ? `drift:${o.event.eventId}` : o.kind === "retrain" ? `retrain:${o.request.requestId}` : `window:${o.window.id}:${o.status}`));
}

describe("engine state codec", () => {
  const events: PredictionEvent[] = [
    ...predictionStream(4000, { seed: 31, modelId: "a", shiftSigma: (i) => (i > 2400 ? 0.8 : 0) }),
    ...predictionStream(3000, { seed: 32, modelId: "b", classShift: (i) => (i > 1800 ? 0.15 : 0) }),
  ].sort((x, y) => x.timestamp - y.timestamp || (x.modelId < y.modelId ? -1 : 1));

  function uninterrupted() {
    const state = createPartitionState(0);
    const outputs: EngineOutput[] = [];
    events.forEach((e, i) => outputs.push(...applyPrediction(state, e, String(i), ctx)));
    return { state, outputs };
  }

  it("a state restored after every 997 events gives the same outputs and final bytes as an uninterrupted run", () => {
    const reference = uninterrupted();
    expect(reference.outputs.some((o) => o.kind === "drift")).toBe(true);
    let state = createPartitionState(0);
    const outputs: EngineOutput[] = [];
    events.forEach((e, i) => {
      outputs.push(...applyPrediction(state, e, String(i), ctx));
      if (i % 997 === 996) {
        const s = snapshot(state);
        state = decodePartitionState(0, s.meta, s.models, config.limits);
      }
    });
    expect(outputsKey(outputs)).toEqual(outputsKey(reference.outputs));
    const a = snapshot(reference.state);
    const b = snapshot(state);
    expect(Buffer.from(b.meta).toString()).toBe(Buffer.from(a.meta).toString());
    expect([...b.models.keys()]).toEqual([...a.models.keys()]);
    for (const [id, parts] of a.models) {
      expect(Buffer.from(b.models.get(id)!.hot).equals(Buffer.from(parts.hot))).toBe(true);
      expect(Buffer.from(b.models.get(id)!.cold).equals(Buffer.from(parts.cold))).toBe(true);
    }
  });

  it("stored state in an unknown format is a typed error naming the part", () => {
    const bad = new TextEncoder().encode(JSON.stringify({ v: 99 }));
    expect(() => decodePartitionState(0, bad, new Map())).toThrowError(EngineStateDecodeError);
    expect(() => decodePartitionState(0, null, new Map([["a", { hot: new TextEncoder().encode("{oops"), cold: null }]]))).toThrowError(/stored hot state is not JSON/);
  });
});
