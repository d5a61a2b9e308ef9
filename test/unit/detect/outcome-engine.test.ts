// The engine's outcome API (issue 11): what applyOutcome reports for each kind of outcome, that predictions
// wait for outcomes only when the shell feeds them, that nothing changes for a stream without outcomes, and
// that the outcome state survives the store (lossless codec, and a restore mid-stream gives the same run).
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type PartitionState } from "../../../src/detect/engine.ts";
import { applyOutcome, isOutcomeRejected } from "../../../src/detect/outcome-engine.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import {
  decodePartitionState,
  encodeModelCold,
  encodeModelHot,
  encodePartitionMeta,
  EngineStateDecodeError,
} from "../../../src/state/engine-state-codec.ts";
import { decodeModelOutcomes, encodeModelOutcomes } from "../../../src/state/outcome-state-codec.ts";
import { encodeWholeJoin } from "../../../src/state/join-entry-codec.ts";
import { createJoinChanges } from "../../../src/outcomes/join.ts";
import type { ModelOutcomeState } from "../../../src/outcomes/tracker.ts";
import type { PerformanceAccumulator } from "../../../src/outcomes/performance.ts";
import { encodeNumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";
import { classifierStream, OUTCOME_STREAM_WALL_CLOCK_MS, runWithOutcomes, type StreamInput } from "../../support/outcome-streams.ts";

const config = resolveConfig({ defaults: { performance: { enabled: true, maxOutcomes: 500, minOutcomes: 50, referenceWindows: 3 } } });
const ctx = { ...engineContextFrom(config, () => 0), outcomes: true };

function prediction(id: string, timestamp: number): PredictionEvent {
  return { eventId: id, modelId: "clf", modelVersion: "v1", timestamp, predictedClass: "pos", confidence: 0.8, features: { x: 1 } };
}

describe("applyOutcome", () => {
  it("reports joined, early, duplicate and too late outcomes and counts them in the model's join counters", () => {
    const state = createPartitionState(0);
    const t = 1_763_769_600_000;
    applyPrediction(state, prediction("a", t), "0", ctx, STREAM_WALL_CLOCK_MS);
    const joined = applyOutcome(
      state,
      { eventId: "a", modelId: "clf", timestamp: t + 1000, actualClass: "pos" },
      "0",
      ctx,
      STREAM_WALL_CLOCK_MS,
    );
    expect(joined.outcome).toBe("joined");
    expect(isOutcomeRejected(joined) ? null : joined.counts).toEqual({ matched: 1 });
    const dup = applyOutcome(
      state,
      { eventId: "a", modelId: "clf", timestamp: t + 2000, actualClass: "neg" },
      "1",
      ctx,
      STREAM_WALL_CLOCK_MS,
    );
    expect(dup.outcome).toBe("duplicate");
    const early = applyOutcome(
      state,
      { eventId: "b", modelId: "clf", timestamp: t + 3000, actualClass: "pos" },
      "2",
      ctx,
      STREAM_WALL_CLOCK_MS,
    );
    expect(early.outcome).toBe("early");
    // the early outcome joins when its prediction comes
    applyPrediction(state, prediction("b", t + 2500), "1", ctx, STREAM_WALL_CLOCK_MS);
    applyPrediction(state, prediction("c", t + 3000), "2", ctx, STREAM_WALL_CLOCK_MS);
    const eightDays = 8 * 86_400_000;
    const late = applyOutcome(
      state,
      { eventId: "c", modelId: "clf", timestamp: t + eightDays, actualClass: "pos" },
      "3",
      ctx,
      STREAM_WALL_CLOCK_MS,
    );
    expect(late.outcome).toBe("too_late");
    expect(state.models.get("clf")?.outcomes?.join.counters).toMatchObject({
      predictions: 3,
      matched: 2,
      duplicateOutcomes: 1,
      early: 1,
      tooLate: 1,
      expired: 1,
    });
    expect(state.dirtyOutcomes.has("clf")).toBe(true);
  });

  it("refuses an outcome stamped beyond the wall clock plus maxFutureSkewMs, with the range in the message", () => {
    const state = createPartitionState(0);
    const now = 1_763_769_600_000;
    const r = applyOutcome(state, { eventId: "x", modelId: "clf", timestamp: now + 86_400_000, actualClass: "pos" }, "0", ctx, now);
    expect(r.outcome).toBe("timestamp_out_of_range");
    expect(isOutcomeRejected(r) && r.message).toContain("later than the wall clock");
    expect(state.models.size).toBe(0);
  });

  it("refuses outcomes of a model with performance.enabled false", () => {
    const off = resolveConfig({ models: { clf: { performance: { enabled: false } } } });
    const c = { ...engineContextFrom(off, () => 0), outcomes: true };
    const state = createPartitionState(0);
    const r = applyOutcome(state, { eventId: "x", modelId: "clf", timestamp: 1, actualClass: "pos" }, "0", c, STREAM_WALL_CLOCK_MS);
    expect(r.outcome).toBe("performance_disabled");
  });
});

function outputKeys(outputs: readonly EngineOutput[]): string[] {
  return outputs.map((o) =>
    o.kind === "drift"
      ? `drift:${o.event.eventId}`
      : o.kind === "retrain"
        ? `retrain:${o.request.requestId}:${o.request.reason}`
        : o.kind === "window"
          ? `window:${o.window.id}:${o.status}`
          : `performance:${o.windowId}:${o.status}`,
  );
}

describe("without outcomes nothing changes", () => {
  it("a stream with outcomes on but no outcome gives the same outputs and stored bytes as with outcomes off", () => {
    const off = engineContextFrom(config, () => 0);
    const run = (c: typeof off) => {
      const state = createPartitionState(0);
      const outputs: EngineOutput[] = [];
      let i = 0;
      for (const e of predictionStream(12_000, { seed: 7, shiftSigma: (k) => (k >= 5000 ? 1 : 0) }))
        outputs.push(...applyPrediction(state, e, String(i++), c, STREAM_WALL_CLOCK_MS).outputs);
      return { state, outputs };
    };
    const a = run(off);
    const b = run(ctx);
    expect(outputKeys(b.outputs)).toEqual(outputKeys(a.outputs));
    expect(a.outputs.some((o) => o.kind === "retrain")).toBe(true);
    const m = (s: PartitionState) => s.models.get("m")!;
    expect(Buffer.from(encodeModelCold(m(b.state)))).toEqual(Buffer.from(encodeModelCold(m(a.state))));
    expect(Buffer.from(encodeModelHot(m(b.state)))).toEqual(Buffer.from(encodeModelHot(m(a.state))));
    expect(m(a.state).outcomes).toBeUndefined();
    // with outcomes on the predictions wait for theirs
    expect(m(b.state).outcomes?.join.pending.size).toBe(12_000);
  }, 60_000);
});

/** The state with each label-delay sketch as its encoding (a decoded sketch drops unused buffer capacity). */
function comparable(o: ModelOutcomeState) {
  const acc = (a: PerformanceAccumulator) => ({ ...a, labelDelay: Buffer.from(encodeNumericSketch(a.labelDelay)) });
  return [...o.versions.values()].map((v) => ({
    ...v,
    window: { ...v.window, accumulator: acc(v.window.accumulator) },
    warmup: v.warmup.map(acc),
    reference: v.reference === null ? null : { ...v.reference, total: acc(v.reference.total) },
  }));
}

describe("outcome state in the store", () => {
  const inputs = classifierStream({ seed: 11, count: 6000, accuracy: (i) => (i < 3500 ? 0.9 : 0.75) });

  it("encodes losslessly: decode(encode(s)) equals s and encodes to the same bytes", () => {
    const { state } = runWithOutcomes(inputs, config);
    const o = state.models.get("clf")!.outcomes!;
    expect(o.versions.get("v1")?.reference).not.toBeNull();
    expect(o.versions.get("v1")?.incident).not.toBeNull();
    const bytes = encodeModelOutcomes(o);
    const back = decodeModelOutcomes("clf", bytes, encodeWholeJoin(o.join));
    const { changes: _changes, ...join } = o.join;
    expect(back.join).toEqual({ ...join, changes: createJoinChanges() });
    expect([...back.join.pending.keys()]).toEqual([...o.join.pending.keys()]);
    expect([...back.join.joined.keys()]).toEqual([...o.join.joined.keys()]);
    expect(comparable(back)).toEqual(comparable(o));
    expect(Buffer.from(encodeModelOutcomes(back))).toEqual(Buffer.from(bytes));
    expect(() => decodeModelOutcomes("clf", new TextEncoder().encode("{"))).toThrow(EngineStateDecodeError);
  }, 60_000);

  it("a partition restored from its stored parts mid-stream continues exactly like the uninterrupted run", () => {
    const whole = runWithOutcomes(inputs, config);
    const cut = 7000;
    const state = createPartitionState(0);
    const outputs: EngineOutput[] = [];
    const offsets = { p: 0, o: 0 };
    const feed = (s: PartitionState, list: readonly StreamInput[]) => {
      for (const input of list) {
        if (input.kind === "prediction")
          outputs.push(...applyPrediction(s, input.event, String(offsets.p++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS).outputs);
        else outputs.push(...applyOutcome(s, input.event, String(offsets.o++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS).outputs);
      }
    };
    feed(state, inputs.slice(0, cut));
    const models = new Map<
      string,
      { hot: Uint8Array; cold: Uint8Array; outcomes: Uint8Array | null; joinEntries?: Map<string, Uint8Array> }
    >();
    for (const [id, m] of state.models)
      models.set(id, {
        hot: encodeModelHot(m),
        cold: encodeModelCold(m),
        outcomes: m.outcomes ? encodeModelOutcomes(m.outcomes) : null,
        ...(m.outcomes ? { joinEntries: encodeWholeJoin(m.outcomes.join) } : {}),
      });
    const restored = decodePartitionState(0, encodePartitionMeta(state), models);
    feed(restored, inputs.slice(cut));
    // the uninterrupted run flushed at its end; compare what came before the flush
    const expected = outputKeys(whole.outputs).slice(0, outputs.length);
    expect(outputKeys(outputs)).toEqual(expected);
    expect(outputs.some((o) => o.kind === "retrain" && o.request.reason === "performance")).toBe(true);
  }, 60_000);
});
