// Exactly-once state at the unit level: saving the engine state (as the pipeline does after every chunk)
// and restoring it at any point gives the same outputs and the same final bytes as an uninterrupted run.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type PartitionState } from "../../../src/detect/engine.ts";
import {
  coldPartsOf,
  decodePartitionState,
  encodeColdPart,
  encodeColdChange,
  encodeModelCold,
  encodeModelColdRecord,
  encodeModelHot,
  encodePartitionMeta,
  EngineStateDecodeError,
  storedColdParts,
} from "../../../src/state/engine-state-codec.ts";
import type { ClosedWindow } from "../../../src/windows/window.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { driftEventSchema } from "../../../src/events/schemas.ts";
import { predictionStream, STREAM_WALL_CLOCK_MS } from "../../support/engine-streams.ts";

const config = resolveConfig({
  defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3, rollingWindows: 6 } },
});
const ctx = engineContextFrom(config, () => 0);

function snapshot(state: PartitionState) {
  const models = new Map<string, { hot: Uint8Array; cold: Uint8Array }>();
  for (const [id, m] of state.models) models.set(id, { hot: encodeModelHot(m), cold: encodeModelCold(m) });
  return { meta: encodePartitionMeta(state), models };
}

function outputsKey(outputs: EngineOutput[]): string[] {
  return outputs.map((o) =>
    o.kind === "drift"
      ? `drift:${o.event.eventId}`
      : o.kind === "retrain"
        ? `retrain:${o.request.requestId}`
        : o.kind === "window"
          ? `window:${o.window.id}:${o.status}`
          : `performance:${o.windowId}:${o.status}`,
  );
}

describe("engine state codec", () => {
  const events: PredictionEvent[] = [
    ...predictionStream(4000, { seed: 31, modelId: "a", shiftSigma: (i) => (i > 2400 ? 0.8 : 0) }),
    ...predictionStream(3000, { seed: 32, modelId: "b", classShift: (i) => (i > 1800 ? 0.15 : 0) }),
  ].sort((x, y) => x.timestamp - y.timestamp || (x.modelId < y.modelId ? -1 : 1));

  function uninterrupted() {
    const state = createPartitionState(0);
    const outputs: EngineOutput[] = [];
    events.forEach((e, i) => outputs.push(...applyPrediction(state, e, String(i), ctx, STREAM_WALL_CLOCK_MS).outputs));
    return { state, outputs };
  }

  it("a state restored after every 997 events gives the same outputs and final bytes as an uninterrupted run", () => {
    const reference = uninterrupted();
    expect(reference.outputs.some((o) => o.kind === "drift")).toBe(true);
    let state = createPartitionState(0);
    const outputs: EngineOutput[] = [];
    events.forEach((e, i) => {
      outputs.push(...applyPrediction(state, e, String(i), ctx, STREAM_WALL_CLOCK_MS).outputs);
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

  it("a value whose square overflows (1e300, a bit-flipped Avro double) leaves state that still loads, and the run goes on as if uninterrupted", () => {
    const huge = events.map((e, i) => (i === 500 ? { ...e, prediction: 1e300, features: { ...e.features, x0: -1e300 } } : e));
    const run = (restoreEvery: number) => {
      let state = createPartitionState(0);
      const outputs: EngineOutput[] = [];
      huge.forEach((e, i) => {
        outputs.push(...applyPrediction(state, e, String(i), ctx, STREAM_WALL_CLOCK_MS).outputs);
        if (i % restoreEvery === restoreEvery - 1) {
          const s = snapshot(state);
          state = decodePartitionState(0, s.meta, s.models, config.limits);
        }
      });
      return { state, outputs };
    };
    const clean = run(Number.MAX_SAFE_INTEGER);
    const restored = run(997);
    expect(outputsKey(restored.outputs)).toEqual(outputsKey(clean.outputs));
    expect(
      Buffer.from(snapshot(restored.state).models.get("a")!.cold).equals(Buffer.from(snapshot(clean.state).models.get("a")!.cold)),
    ).toBe(true);
    // every drift event still satisfies the output contract (finite statistics)
    for (const o of clean.outputs) if (o.kind === "drift") expect(driftEventSchema.safeParse(o.event).success, o.event.eventId).toBe(true);
    // the other model is unaffected and still detects its class shift
    expect(clean.outputs.some((o) => o.kind === "drift" && o.event.modelId === "b")).toBe(true);
  });

  // What the pipeline does: format-2 records, each closed window stored once as a part, parts deleted
  // when they leave the rolling baseline; `store` plays the StateStore's models.
  type StoredModels = Map<string, { hot: Uint8Array; cold: Uint8Array; parts: Map<string, Uint8Array> }>;
  function persistByReference(state: PartitionState, store: StoredModels, stored: Map<string, Map<string, ClosedWindow | null>>) {
    let puts = 0;
    let deletes = 0;
    for (const [id, m] of state.models) {
      const change = encodeColdChange(m, stored.get(id));
      const parts = store.get(id)?.parts ?? new Map<string, Uint8Array>();
      for (const [key, bytes] of change.putParts) parts.set(key, bytes);
      for (const key of change.deleteParts) parts.delete(key);
      puts += change.putParts.size;
      deletes += change.deleteParts.length;
      store.set(id, { hot: encodeModelHot(m), cold: change.cold, parts });
      stored.set(id, change.parts);
    }
    return { puts, deletes };
  }

  it("a state stored by reference (windows as parts) and restored after every 997 events gives the same outputs and final bytes as an uninterrupted run, writing each window once", () => {
    const reference = uninterrupted();
    let state = createPartitionState(0);
    const store: StoredModels = new Map();
    let stored = new Map<string, Map<string, ClosedWindow | null>>();
    const outputs: EngineOutput[] = [];
    let puts = 0;
    let deletes = 0;
    events.forEach((e, i) => {
      outputs.push(...applyPrediction(state, e, String(i), ctx, STREAM_WALL_CLOCK_MS).outputs);
      if (i % 997 === 996 || i === events.length - 1) {
        const written = persistByReference(state, store, stored);
        puts += written.puts;
        deletes += written.deletes;
        state = decodePartitionState(0, encodePartitionMeta(state), store, config.limits);
        stored = new Map([...state.models].map(([id, m]) => [id, storedColdParts(m, store.get(id)!.parts.keys())]));
      }
    });
    expect(outputsKey(outputs)).toEqual(outputsKey(reference.outputs));
    const a = snapshot(reference.state);
    const b = snapshot(state);
    for (const [id, parts] of a.models) {
      expect(Buffer.from(b.models.get(id)!.hot).equals(Buffer.from(parts.hot))).toBe(true);
      expect(Buffer.from(b.models.get(id)!.cold).equals(Buffer.from(parts.cold))).toBe(true);
    }
    // 4000 + 3000 events at 200 per window: 35 windows; those not evaluated as drifted (warmup or ok) enter
    // warmup/rolling and are each stored once; all but the last 6 per model deleted
    expect(reference.state.counters.windowsClosed).toBe(35);
    const kept = reference.outputs.filter((o) => o.kind === "window" && (o.evaluation === null || o.evaluation.level === "ok")).length;
    expect(kept).toBeLessThan(35);
    expect(puts).toBe(kept);
    expect(deletes).toBe(kept - 2 * 6);
    expect([...store.values()].map((m) => m.parts.size)).toEqual([6, 6]);
  });

  it("a window close writes the closed window and a record without the other windows", () => {
    const { state } = uninterrupted();
    const model = state.models.get("a")!;
    const before = encodeColdChange(model, undefined);
    const stored = new Map<string, ClosedWindow | null>(before.parts);
    const version = [...model.versions.values()][0];
    const next = events
      .filter((e) => e.modelId === "a")
      .slice(0, 200)
      .map((e, i) => ({ ...e, timestamp: version.lastEventTime + 1 + i }));
    const closes = next
      .flatMap((e, i) => applyPrediction(state, e, String(100_000 + i), ctx, STREAM_WALL_CLOCK_MS).outputs)
      .filter((o) => o.kind === "window");
    expect(closes).toHaveLength(1);
    const change = encodeColdChange(model, stored);
    expect([...change.putParts.keys()]).toEqual([`w20@100000/${version.modelVersion}`]);
    expect(change.deleteParts).toEqual([...stored.keys()].slice(0, 1));
    // the record names 6 windows and holds the reference inline; the self-contained form holds all 6 windows too
    expect(change.cold.byteLength * 3).toBeLessThan(encodeModelCold(model).byteLength);
  });

  it("cold state written inline (format 1, before windows were parts) is still read, and its first write by reference stores every window", () => {
    const { state } = uninterrupted();
    const models = new Map([...state.models].map(([id, m]) => [id, { hot: encodeModelHot(m), cold: encodeModelCold(m) }]));
    const restored = decodePartitionState(0, encodePartitionMeta(state), models, config.limits);
    for (const [id, m] of restored.models) {
      expect(Buffer.from(encodeModelCold(m)).equals(Buffer.from(models.get(id)!.cold))).toBe(true);
      const change = encodeColdChange(m, undefined);
      expect([...change.putParts.keys()]).toEqual([...coldPartsOf(m).keys()]);
      expect(change.putParts.size).toBe(6);
      expect(change.deleteParts).toEqual([]);
    }
  });

  it("a cold record whose window part is not stored is a typed error naming the model and the part", () => {
    const { state } = uninterrupted();
    const m = state.models.get("b")!;
    const parts = new Map([...coldPartsOf(m)].map(([key, w]) => [key, encodeColdPart(w)]));
    const missing = [...parts.keys()][2];
    parts.delete(missing);
    const models = new Map([["b", { hot: encodeModelHot(m), cold: encodeModelColdRecord(m), parts }]]);
    let error: unknown;
    try {
      decodePartitionState(0, null, models);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EngineStateDecodeError);
    expect((error as EngineStateDecodeError).context).toEqual({ part: "coldPart", modelId: "b", partKey: missing });
  });

  it("stored state in an unknown format is a typed error naming the part", () => {
    const bad = new TextEncoder().encode(JSON.stringify({ v: 99 }));
    expect(() => decodePartitionState(0, bad, new Map())).toThrowError(EngineStateDecodeError);
    expect(() => decodePartitionState(0, null, new Map([["a", { hot: new TextEncoder().encode("{oops"), cold: null }]]))).toThrowError(
      /stored hot state is not JSON/,
    );
  });

  // A seasonal reference captured by duration: one event a minute, hour-long windows of 60 events, a
  // 1-day capture by hour of day; restored during the capture (the capture's running merges and
  // dispersion sums) and after it (the slots).
  it("a seasonal capture by duration restored after every 499 events gives the same outputs and final bytes as an uninterrupted run", () => {
    const seasonalConfig = resolveConfig({
      defaults: {
        window: { maxEvents: 1000, minEvents: 30, maxDurationMs: 3_600_000 },
        baseline: { referenceDurationMs: 86_400_000, seasonality: "hourOfDay", minSlotWindows: 2, rollingWindows: 6 },
      },
    });
    const seasonalCtx = engineContextFrom(seasonalConfig, () => 0);
    const stream = [...predictionStream(3000, { seed: 33, modelId: "s", stepMs: 60_000, shiftSigma: (i) => (i > 2400 ? 0.8 : 0) })];
    const runWith = (restoreEvery: number | null) => {
      let state = createPartitionState(0);
      const outputs: EngineOutput[] = [];
      let sawCapture = false;
      stream.forEach((e, i) => {
        outputs.push(...applyPrediction(state, e, String(i), seasonalCtx, STREAM_WALL_CLOCK_MS).outputs);
        if (restoreEvery !== null && i % restoreEvery === restoreEvery - 1) {
          sawCapture ||= [...state.models.values()].some((m) => [...m.versions.values()].some((v) => v.capture !== null));
          const s = snapshot(state);
          state = decodePartitionState(0, s.meta, s.models, seasonalConfig.limits);
        }
      });
      return { state, outputs, sawCapture };
    };
    const a = runWith(null);
    const b = runWith(499);
    expect(b.sawCapture).toBe(true);
    expect(outputsKey(b.outputs)).toEqual(outputsKey(a.outputs));
    expect(a.outputs.some((o) => o.kind === "drift")).toBe(true);
    const reference = [...a.state.models.get("s")!.versions.values()][0].reference!;
    expect(reference.seasonal?.slots.size).toBe(24);
    const sa = snapshot(a.state).models.get("s")!;
    const sb = snapshot(b.state).models.get("s")!;
    expect(Buffer.from(sb.cold).equals(Buffer.from(sa.cold))).toBe(true);
    expect(Buffer.from(sb.hot).equals(Buffer.from(sa.hot))).toBe(true);
    // lossless: decode → encode gives the same bytes, slots and dependence included
    const again = decodePartitionState(0, null, new Map([["s", { hot: sa.hot, cold: sa.cold }]]), seasonalConfig.limits);
    expect(Buffer.from(encodeModelCold(again.models.get("s")!)).equals(Buffer.from(sa.cold))).toBe(true);
    expect([...again.models.get("s")!.versions.values()][0].reference?.seasonal?.slots.size).toBe(24);
  });
});
