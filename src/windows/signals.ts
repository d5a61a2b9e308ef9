// The per-window sketches of one model version: one NumericSketch or CategoryCounts per signal.
// Signal names (design §2): "prediction", "predictedClass", "confidence", "latency", "feature:<name>".
import type { PredictionEvent } from "../events/types.ts";
import { addNumeric, addNumericMissing, createNumericSketch, mergeNumericSketches, type NumericSketch } from "../sketch/numeric-sketch.ts";
import { addCategory, addMissingCategory, createCategoryCounts, mergeCategoryCounts, type CategoryCounts } from "../sketch/categories.ts";

export interface SignalSketches {
  numeric: Map<string, NumericSketch>;
  categorical: Map<string, CategoryCounts>;
  /** feature name → values whose type disagreed with the feature's established kind */
  typeMismatches: Map<string, number>;
}

export interface SignalLimits {
  maxFeaturesPerModel: number;
  maxCategories: number;
}

/** Feature kinds are fixed by the first non-null value a model version sends; the cap bounds cardinality. */
export interface FeatureRegistry {
  kinds: Map<string, "numeric" | "categorical">;
  /** derived, not stored: the model's signal names, so the hot path builds no strings */
  names?: SignalNames;
  /** feature values dropped because the model already had maxFeaturesPerModel features */
  droppedValues: number;
}

export function createSignalSketches(): SignalSketches {
  return { numeric: new Map(), categorical: new Map(), typeMismatches: new Map() };
}

export function createFeatureRegistry(): FeatureRegistry {
  return { kinds: new Map(), droppedValues: 0 };
}

export function featureSignal(name: string): string {
  return `feature:${name}`;
}

function numericSketchFor(s: SignalSketches, signal: string): NumericSketch {
  let sketch = s.numeric.get(signal);
  if (sketch === undefined) {
    sketch = createNumericSketch();
    s.numeric.set(signal, sketch);
  }
  return sketch;
}

export function categorySketchFor(s: SignalSketches, signal: string, limits: SignalLimits): CategoryCounts {
  let counts = s.categorical.get(signal);
  if (counts === undefined) {
    counts = createCategoryCounts(limits.maxCategories);
    s.categorical.set(signal, counts);
  }
  return counts;
}

// A core signal's sketch exists once the model has sent a value; after that an absent value is "missing".
function addOptionalNumber(s: SignalSketches, signal: string, value: number | null | undefined): void {
  if (typeof value === "number") addNumeric(numericSketchFor(s, signal), value);
  else {
    const sketch = s.numeric.get(signal);
    if (sketch !== undefined) addNumericMissing(sketch);
  }
}

/** The names one set of signals goes by: the model's own, or one segment's (windows/segments.ts). */
export interface SignalNames {
  prediction: string;
  confidence: string;
  latency: string;
  predictedClass: string;
  /** feature name → signal name, filled as features arrive, so the hot path builds no strings */
  features: Map<string, string>;
  feature(name: string): string;
}

function modelSignalNames(): SignalNames {
  return {
    prediction: "prediction",
    confidence: "confidence",
    latency: "latency",
    predictedClass: "predictedClass",
    features: new Map(),
    feature: featureSignal,
  };
}

/** Feed one (already validated) event into the window's sketches. */
export function addEventToSignals(s: SignalSketches, registry: FeatureRegistry, event: PredictionEvent, limits: SignalLimits): void {
  addEventUnder((registry.names ??= modelSignalNames()), s, registry, event, limits, true);
}

/**
 * Feed an event into the sketches of `names` (one segment's signals). Feature kinds are the model's: a
 * feature the model has not registered (dropped at the cap) is left out, and nothing is counted twice.
 */
export function addEventToNamedSignals(
  names: SignalNames,
  s: SignalSketches,
  registry: FeatureRegistry,
  event: PredictionEvent,
  limits: SignalLimits,
): void {
  addEventUnder(names, s, registry, event, limits, false);
}

function addEventUnder(
  names: SignalNames,
  s: SignalSketches,
  registry: FeatureRegistry,
  event: PredictionEvent,
  limits: SignalLimits,
  register: boolean,
): void {
  addOptionalNumber(s, names.prediction, event.prediction);
  addOptionalNumber(s, names.confidence, event.confidence);
  addOptionalNumber(s, names.latency, event.latencyMs);
  if (typeof event.predictedClass === "string") addCategory(categorySketchFor(s, names.predictedClass, limits), event.predictedClass);
  else {
    const counts = s.categorical.get(names.predictedClass);
    if (counts !== undefined) addMissingCategory(counts);
  }
  const features = event.features;
  if (features == null) return;
  const slots = featureSlotsOf(s, registry, names);
  for (const name in features) {
    const value = features[name];
    const slot = slots.get(name);
    if (slot !== undefined) {
      // the common case: a feature of known kind whose sketch this window already has
      if (slot.numeric !== undefined) {
        if (typeof value === "number") addNumeric(slot.numeric, value);
        else if (value === null) addNumericMissing(slot.numeric);
        else if (register) s.typeMismatches.set(name, (s.typeMismatches.get(name) ?? 0) + 1);
      } else {
        const counts = slot.categorical!;
        if (typeof value === "string") addCategory(counts, value);
        else if (typeof value === "boolean") addCategory(counts, value ? "true" : "false");
        else if (value === null) addMissingCategory(counts);
        else if (register) s.typeMismatches.set(name, (s.typeMismatches.get(name) ?? 0) + 1);
      }
      continue;
    }
    let kind = registry.kinds.get(name);
    if (kind === undefined) {
      if (value === null || !register) continue; // kind unknown until a first value arrives
      if (registry.kinds.size >= limits.maxFeaturesPerModel) {
        registry.droppedValues++;
        continue;
      }
      kind = typeof value === "number" ? "numeric" : "categorical";
      registry.kinds.set(name, kind);
    }
    let signal = names.features.get(name);
    if (signal === undefined) {
      signal = names.feature(name);
      names.features.set(name, signal);
    }
    if (kind === "numeric") {
      if (typeof value === "number") addNumeric(numericSketchFor(s, signal), value);
      else if (value === null) addNumericMissing(numericSketchFor(s, signal));
      else if (register) s.typeMismatches.set(name, (s.typeMismatches.get(name) ?? 0) + 1);
      const sketch = s.numeric.get(signal);
      if (sketch !== undefined) slots.set(name, { numeric: sketch });
    } else {
      if (typeof value === "string") addCategory(categorySketchFor(s, signal, limits), value);
      else if (typeof value === "boolean") addCategory(categorySketchFor(s, signal, limits), value ? "true" : "false");
      else if (value === null) addMissingCategory(categorySketchFor(s, signal, limits));
      else if (register) s.typeMismatches.set(name, (s.typeMismatches.get(name) ?? 0) + 1);
      const counts = s.categorical.get(signal);
      if (counts !== undefined) slots.set(name, { categorical: counts });
    }
  }
}

/** A feature's sketch in one window, once its kind is known and the sketch exists (kinds never change). */
interface FeatureSlot {
  numeric?: NumericSketch;
  categorical?: CategoryCounts;
}

interface FeatureSlots {
  registry: FeatureRegistry;
  names: SignalNames;
  slots: Map<string, FeatureSlot>;
}

// Per window's sketches: feature name → its sketch, so an event costs one lookup per feature instead of
// three (kind, signal name, sketch). Derived, never stored: a restored window starts with none.
const featureSlots = new WeakMap<SignalSketches, FeatureSlots>();

function featureSlotsOf(s: SignalSketches, registry: FeatureRegistry, names: SignalNames): Map<string, FeatureSlot> {
  let cached = featureSlots.get(s);
  if (cached === undefined || cached.registry !== registry || cached.names !== names) {
    cached = { registry, names, slots: new Map() };
    featureSlots.set(s, cached);
  }
  return cached.slots;
}

/** Union of several windows' sketches (for baselines). */
export function mergeSignalSketches(list: readonly SignalSketches[], limits: SignalLimits): SignalSketches {
  const out = createSignalSketches();
  const numericNames = new Set<string>();
  const categoricalNames = new Set<string>();
  for (const s of list) {
    for (const name of s.numeric.keys()) numericNames.add(name);
    for (const name of s.categorical.keys()) categoricalNames.add(name);
    for (const [name, n] of s.typeMismatches) out.typeMismatches.set(name, (out.typeMismatches.get(name) ?? 0) + n);
  }
  for (const name of numericNames) {
    const parts = list.map((s) => s.numeric.get(name)).filter((x): x is NumericSketch => x !== undefined);
    out.numeric.set(name, mergeNumericSketches(parts));
  }
  for (const name of categoricalNames) {
    const parts = list.map((s) => s.categorical.get(name)).filter((x): x is CategoryCounts => x !== undefined);
    out.categorical.set(name, mergeCategoryCounts(parts, limits.maxCategories));
  }
  return out;
}
