import { describe, expect, it } from "vitest";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { addCategory, addMissingCategory, createCategoryCounts, type CategoryCounts } from "../../../src/sketch/categories.ts";
import { addNumeric, addNumericMissing, createNumericSketch, type NumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import {
  addEventToNamedSignals,
  addEventToSignals,
  createFeatureRegistry,
  createSignalSketches,
  type SignalNames,
} from "../../../src/windows/signals.ts";

const limits = { maxFeaturesPerModel: 3, maxCategories: 50 };

function event(i: number, fields: Partial<PredictionEvent>): PredictionEvent {
  return { eventId: `e${i}`, modelId: "m", modelVersion: "v1", timestamp: 1000 + i, prediction: i / 10, ...fields };
}

// Features listed in changing orders, some absent, null, of the wrong type, or past the cap of 3 features.
const events: PredictionEvent[] = [
  event(0, { confidence: 0.5, features: { a: 1, b: "x", c: true } }),
  event(1, { features: { a: 2, b: "y", c: false } }),
  event(2, { predictedClass: "yes", features: { c: true, a: 3, b: "x" } }),
  event(3, { confidence: 0.7, features: { b: null, a: null, d: 9 } }),
  event(4, { features: { a: "oops", b: 5, c: null } }),
  event(5, { predictedClass: "no", features: { a: 4 } }),
  event(6, { latencyMs: 12, features: { d: 1, c: true, b: "z", a: 5 } }),
  event(7, { features: {} }),
  event(8, { features: { a: 6, b: "x", c: true } }),
];

/** The sketches the events must produce, built value by value in event order. */
function expectedSketches() {
  const numeric = new Map<string, NumericSketch>();
  const categorical = new Map<string, CategoryCounts>();
  const num = (name: string) => numeric.get(name) ?? numeric.set(name, createNumericSketch()).get(name)!;
  const cat = (name: string) => categorical.get(name) ?? categorical.set(name, createCategoryCounts(50)).get(name)!;
  const addNum = (name: string, v: number | null) => (v === null ? addNumericMissing(num(name)) : addNumeric(num(name), v));
  const addCat = (name: string, v: string | null) => (v === null ? addMissingCategory(cat(name)) : addCategory(cat(name), v));
  // prediction: every event; confidence: from e0 (missing afterwards when absent); latency: from e6; classes: from e2
  for (let i = 0; i <= 8; i++) addNumeric(num("prediction"), i / 10);
  const confidence: Record<number, number> = { 0: 0.5, 3: 0.7 };
  for (let i = 0; i <= 8; i++)
    if (i in confidence) addNumeric(num("confidence"), confidence[i]);
    else addNumericMissing(num("confidence"));
  addNumeric(num("latency"), 12);
  addNumericMissing(num("latency"));
  addNumericMissing(num("latency"));
  addCategory(cat("predictedClass"), "yes");
  for (const v of [null, null, "no", null, null, null]) addCat("predictedClass", v);
  const a: (number | null)[] = [1, 2, 3, null, 4, 5, 6]; // e4's "oops" is a type mismatch
  for (const v of a) addNum("feature:a", v);
  const b: (string | null)[] = ["x", "y", "x", null, "z", "x"]; // e4's 5 is a type mismatch
  for (const v of b) addCat("feature:b", v);
  const c: (string | null)[] = ["true", "false", "true", null, "true", "true"];
  for (const v of c) addCat("feature:c", v);
  return {
    numeric,
    categorical,
    typeMismatches: new Map([
      ["a", 1],
      ["b", 1],
    ]),
  };
}

const byName = <T>(m: Map<string, T>) => new Map([...m].sort(([x], [y]) => (x < y ? -1 : 1)));

describe("addEventToSignals", () => {
  it("adds each value to its signal's sketch whatever order the event lists its features in", () => {
    const s = createSignalSketches();
    const registry = createFeatureRegistry();
    for (const e of events) addEventToSignals(s, registry, e, limits);
    const want = expectedSketches();
    expect(byName(s.numeric)).toEqual(byName(want.numeric));
    expect(byName(s.categorical)).toEqual(byName(want.categorical));
    expect(s.typeMismatches).toEqual(want.typeMismatches);
    // d came after the cap of 3 features: its values are dropped and counted
    expect([...registry.kinds]).toEqual([
      ["a", "numeric"],
      ["b", "categorical"],
      ["c", "categorical"],
    ]);
    expect(registry.droppedValues).toBe(2);
  });

  it("keeps a segment's signals apart from the model's when both are fed into the same sketches in turn", () => {
    const s = createSignalSketches();
    const registry = createFeatureRegistry();
    const segment: SignalNames = {
      prediction: "seg:prediction",
      confidence: "seg:confidence",
      latency: "seg:latency",
      predictedClass: "seg:predictedClass",
      features: new Map(),
      feature: (name: string) => `seg:feature:${name}`,
    };
    for (const e of events) {
      addEventToSignals(s, registry, e, limits);
      if (e.timestamp % 2 === 0) addEventToNamedSignals(segment, s, registry, e, limits);
    }
    const want = expectedSketches();
    for (const [name, sketch] of want.numeric) expect(s.numeric.get(name)).toEqual(sketch);
    for (const [name, counts] of want.categorical) expect(s.categorical.get(name)).toEqual(counts);
    // the segment saw the even events only, and counts no type mismatch of its own
    const segmentA = createNumericSketch();
    for (const v of [1, 3, 5, 6]) addNumeric(segmentA, v);
    expect(s.numeric.get("seg:feature:a")).toEqual(segmentA);
    const segmentPrediction = createNumericSketch();
    for (const i of [0, 2, 4, 6, 8]) addNumeric(segmentPrediction, i / 10);
    expect(s.numeric.get("seg:prediction")).toEqual(segmentPrediction);
    expect(s.typeMismatches).toEqual(want.typeMismatches);
  });
});
