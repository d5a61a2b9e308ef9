// Age-based retraining (issue 11): retrain.maxAgeMs raises one `max_age` RetrainRequest per reference once
// the reference's data ends longer ago than maxAgeMs of event time; off by default.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput } from "../../../src/detect/engine.ts";
import { decideMaxAgeRetrain, type MaxAgeInput } from "../../../src/detect/max-age.ts";
import type { Baseline } from "../../../src/baseline/baseline.ts";
import type { RetrainRequest } from "../../../src/events/types.ts";
import type { ClosedWindow } from "../../../src/windows/window.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const reference = { id: "m@v1/reference/w0-w4", end: 1_000_000 } as Baseline;
const windowEnding = (end: number) => ({ id: `m@v1/p0/w${end}`, end, lastEventId: `e${end}` }) as ClosedWindow;
const input = (over: Partial<MaxAgeInput> = {}): MaxAgeInput => ({
  modelId: "m",
  modelVersion: "v1",
  reference,
  requestedFor: null,
  window: windowEnding(1_000_000 + 60_001),
  maxAgeMs: 60_000,
  cooldownUntil: 0,
  cooldownMs: 3_600_000,
  requestedAt: 42,
  ...over,
});

describe("decideMaxAgeRetrain", () => {
  it("raises max_age when the reference's data ends more than maxAgeMs before the window's end", () => {
    const r = decideMaxAgeRetrain(input());
    expect(r).toMatchObject({
      reason: "max_age",
      severity: "warning",
      modelId: "m",
      modelVersion: "v1",
      cooldownUntil: 1_060_001 + 3_600_000,
      requestedAt: 42,
      incidentId: null,
      evidence: { signals: [], windows: ["m@v1/p0/w1060001"], statistics: { "baseline:reference": { ageMs: 60_001, maxAgeMs: 60_000 } } },
    });
  });

  it("does nothing at exactly maxAgeMs, when off, without a reference, or inside the cooldown", () => {
    expect(decideMaxAgeRetrain(input({ window: windowEnding(1_060_000) }))).toBeNull();
    expect(decideMaxAgeRetrain(input({ maxAgeMs: undefined }))).toBeNull();
    expect(decideMaxAgeRetrain(input({ reference: null }))).toBeNull();
    expect(decideMaxAgeRetrain(input({ cooldownUntil: 1_060_002 }))).toBeNull();
  });

  it("asks once per reference: not again for the reference it asked for, again for a new one", () => {
    expect(decideMaxAgeRetrain(input({ requestedFor: reference.id }))).toBeNull();
    expect(decideMaxAgeRetrain(input({ requestedFor: "m@v1/reference/older" }))).not.toBeNull();
  });

  it("the request id is deterministic and depends on the reference and the window", () => {
    const a = decideMaxAgeRetrain(input())!;
    expect(decideMaxAgeRetrain(input())!.requestId).toBe(a.requestId);
    expect(decideMaxAgeRetrain(input({ window: windowEnding(2_000_000) }))!.requestId).not.toBe(a.requestId);
    expect(decideMaxAgeRetrain(input({ reference: { ...reference, id: "other" } }))!.requestId).not.toBe(a.requestId);
  });
});

describe("the engine with retrain.maxAgeMs", () => {
  // 1 000 events per window, 100 ms apart: a window spans 100 s; the reference is windows 0..4 (ends ≈ 500 s)
  function run(windows: number, retrain: Record<string, unknown>) {
    const config = resolveConfig({ defaults: { retrain } });
    const state = createPartitionState(0);
    const ctx = engineContextFrom(config, () => state.maxEventTime);
    const outputs: EngineOutput[] = [];
    let offset = 0;
    for (const e of predictionStream(windows * 1000, { seed: 7 }))
      outputs.push(...applyPrediction(state, e, String(offset++), ctx, STREAM_WALL_CLOCK_MS).outputs);
    const requests = outputs.filter((o): o is { kind: "retrain"; request: RetrainRequest } => o.kind === "retrain").map((o) => o.request);
    return { requests, version: state.models.get("m")!.versions.get("v1")! };
  }

  it("a stationary stream raises exactly one max_age request, in the first window past the age", () => {
    const { requests, version } = run(40, { maxAgeMs: 1_000_000 });
    expect(requests.map((r) => r.reason)).toEqual(["max_age"]);
    const ref = version.reference!;
    const age = requests[0].evidence.statistics["baseline:reference"].ageMs;
    expect(age).toBeGreaterThan(1_000_000);
    // the window before it was not yet past the age: windows span 100 s
    expect(age - 100_000).toBeLessThanOrEqual(1_000_000);
    expect(version.maxAgeRequestedFor).toBe(ref.id);
  }, 60_000);

  it("off by default: no request on the same stream", () => {
    expect(run(40, {}).requests).toEqual([]);
  }, 60_000);
});
