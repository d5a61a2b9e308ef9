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
  names: SignalNames;
  /** feature values dropped because the model already had maxFeaturesPerModel features */
  droppedValues: number;
}

export function createSignalSketches(): SignalSketches {
  return { numeric: new Map(), categorical: new Map(), typeMismatches: new Map() };
}

/**
 * Every registry, fresh or restored, is built here with its names: one hidden class, and the per-event code
 * makes no names object (created lazily, the first call had no type feedback and deoptimised a later replay).
 */
export function createFeatureRegistry(kinds = new Map<string, "numeric" | "categorical">(), droppedValues = 0): FeatureRegistry {
  return { kinds, names: modelSignalNames(), droppedValues };
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
// `known` is the sketch the slot cache holds (undefined until it exists); returns the sketch, if any, to cache.
function addOptionalNumber(
  s: SignalSketches,
  signal: string,
  known: NumericSketch | undefined,
  value: number | null | undefined,
): NumericSketch | undefined {
  if (typeof value === "number") {
    const sketch = known ?? numericSketchFor(s, signal);
    addNumeric(sketch, value);
    return sketch;
  }
  const sketch = known ?? s.numeric.get(signal);
  if (sketch !== undefined) addNumericMissing(sketch);
  return sketch;
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
  addEventUnder(registry.names, s, registry, event, limits, true);
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
  const slots = signalSlotsOf(s, registry, names);
  slots.prediction = addOptionalNumber(s, names.prediction, slots.prediction, event.prediction);
  slots.confidence = addOptionalNumber(s, names.confidence, slots.confidence, event.confidence);
  slots.latency = addOptionalNumber(s, names.latency, slots.latency, event.latencyMs);
  if (typeof event.predictedClass === "string") {
    const counts = (slots.predictedClass ??= categorySketchFor(s, names.predictedClass, limits));
    addCategory(counts, event.predictedClass);
  } else {
    const counts = (slots.predictedClass ??= s.categorical.get(names.predictedClass));
    if (counts !== undefined) addMissingCategory(counts);
  }
  const features = event.features;
  if (features == null) return;
  const order = slots.order;
  const orderSlots = slots.orderSlots;
  let i = 0;
  for (const name in features) {
    const value = features[name];
    // the common case: the same feature as at this position in the previous event, of known kind and with a sketch
    let slot = i < order.length && order[i] === name ? orderSlots[i] : null;
    if (slot === null) {
      slot = slots.features.get(name) ?? null;
      if (slot === null) {
        // not seen in this window yet: added on the slow path
        orderSlots[i] = addFeatureFirst(names, s, registry, slots, name, value, limits, register);
        order[i++] = name;
        continue;
      }
      orderSlots[i] = slot;
      order[i] = name;
    }
    i++;
    const numeric = slot.numeric;
    if (numeric !== null) {
      if (typeof value === "number") addNumeric(numeric, value);
      else if (value === null) addNumericMissing(numeric);
      else if (register) countTypeMismatch(s, name);
    } else {
      const counts = slot.categorical!;
      if (typeof value === "string") addCategory(counts, value);
      else if (typeof value === "boolean") addCategory(counts, value ? "true" : "false");
      else if (value === null) addMissingCategory(counts);
      else if (register) countTypeMismatch(s, name);
    }
  }
}

function countTypeMismatch(s: SignalSketches, name: string): void {
  s.typeMismatches.set(name, (s.typeMismatches.get(name) ?? 0) + 1);
}

/**
 * A feature value that has no slot in this window yet (with the slot already present it is added directly):
 * registers the feature's kind when it is new, adds the value, and returns its slot once the sketch exists.
 */
function addFeatureFirst(
  names: SignalNames,
  s: SignalSketches,
  registry: FeatureRegistry,
  slots: SignalSlots,
  name: string,
  value: unknown,
  limits: SignalLimits,
  register: boolean,
): FeatureSlot | null {
  let kind = registry.kinds.get(name);
  if (kind === undefined) {
    if (value === null || !register) return null; // kind unknown until a first value arrives
    if (registry.kinds.size >= limits.maxFeaturesPerModel) {
      registry.droppedValues++;
      return null;
    }
    kind = typeof value === "number" ? "numeric" : "categorical";
    registry.kinds.set(name, kind);
  }
  let signal = names.features.get(name);
  if (signal === undefined) {
    signal = names.feature(name);
    names.features.set(name, signal);
  }
  let slot: FeatureSlot | null = null;
  if (kind === "numeric") {
    if (typeof value === "number") addNumeric(numericSketchFor(s, signal), value);
    else if (value === null) addNumericMissing(numericSketchFor(s, signal));
    else if (register) countTypeMismatch(s, name);
    const sketch = s.numeric.get(signal);
    if (sketch !== undefined) slot = new FeatureSlot(sketch, null);
  } else {
    if (typeof value === "string") addCategory(categorySketchFor(s, signal, limits), value);
    else if (typeof value === "boolean") addCategory(categorySketchFor(s, signal, limits), value ? "true" : "false");
    else if (value === null) addMissingCategory(categorySketchFor(s, signal, limits));
    else if (register) countTypeMismatch(s, name);
    const counts = s.categorical.get(signal);
    if (counts !== undefined) slot = new FeatureSlot(null, counts);
  }
  if (slot !== null) slots.features.set(name, slot);
  return slot;
}

/** A feature's sketch in one window, once its kind is known and the sketch exists (kinds never change). */
class FeatureSlot {
  constructor(
    readonly numeric: NumericSketch | null,
    readonly categorical: CategoryCounts | null,
  ) {}
}

/**
 * One window's sketches under one set of names, found without building or looking up signal names: the
 * core signals' sketches once they exist, each feature's slot, and the feature names in the order the
 * last event listed them (events of a model mostly list the same features in the same order).
 */
class SignalSlots {
  prediction: NumericSketch | undefined = undefined;
  confidence: NumericSketch | undefined = undefined;
  latency: NumericSketch | undefined = undefined;
  predictedClass: CategoryCounts | undefined = undefined;
  readonly features = new Map<string, FeatureSlot>();
  readonly order: string[] = [];
  /** the slot of order[i]; null when that feature had none */
  readonly orderSlots: (FeatureSlot | null)[] = [];
  /** the slots of the same sketches under other names (segments), keyed by those names */
  others: Map<SignalNames, SignalSlots> | undefined = undefined;
  constructor(
    readonly registry: FeatureRegistry,
    readonly names: SignalNames,
  ) {}
}

// Per window's sketches, derived and never stored: a restored window starts with none. Sketches are only
// ever added to these maps (never replaced or removed), so a slot stays valid for the window's life.
const signalSlots = new WeakMap<SignalSketches, SignalSlots>();

function signalSlotsOf(s: SignalSketches, registry: FeatureRegistry, names: SignalNames): SignalSlots {
  let slots = signalSlots.get(s);
  if (slots === undefined || slots.registry !== registry) {
    slots = new SignalSlots(registry, names);
    signalSlots.set(s, slots);
    return slots;
  }
  if (slots.names === names) return slots;
  const others = (slots.others ??= new Map());
  let other = others.get(names);
  if (other === undefined) others.set(names, (other = new SignalSlots(registry, names)));
  return other;
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
  // parts built by push, not Array#map/filter: their results have another elements kind in optimised code
  // than in the interpreter, and the merges deoptimised on it
  for (const name of numericNames) {
    const parts: NumericSketch[] = [];
    for (const s of list) {
      const part = s.numeric.get(name);
      if (part !== undefined) parts.push(part);
    }
    out.numeric.set(name, mergeNumericSketches(parts));
  }
  for (const name of categoricalNames) {
    const parts: CategoryCounts[] = [];
    for (const s of list) {
      const part = s.categorical.get(name);
      if (part !== undefined) parts.push(part);
    }
    out.categorical.set(name, mergeCategoryCounts(parts, limits.maxCategories));
  }
  return out;
}

/** The windows' sketches, in order (an array built by push, like every list mergeSignalSketches gets). */
export function signalsOf(windows: readonly { signals: SignalSketches }[]): SignalSketches[] {
  const out: SignalSketches[] = [];
  for (const w of windows) out.push(w.signals);
  return out;
}
