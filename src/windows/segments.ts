// Segments (design §3 `attributes`, issue 11 "Segments"): for each configured attribute key a window keeps
// - the segment mix, `segment_mix:<key>`: a categorical signal whose categories are the key's segments, so
//   a change of mix (one segment's share moving) is tested like any categorical signal, and
// - per segment, the model's signals again under `segment:<key>=<segment>/<signal>`, so drift within one
//   segment is tested against the same segment of the baseline.
// Cardinality is bounded per model version and key: the first `topK` distinct values in event order are
// segments of their own, every later value is folded into `__other__`. Event order (offset order within a
// partition) is the only input, so replay and a restarted replica fold the same values.
import type { PredictionEvent } from "../events/types.ts";
import { addCategory, addMissingCategory, OTHER_CATEGORY } from "../sketch/categories.ts";
import {
  addEventToNamedSignals,
  categorySketchFor,
  featureSignal,
  type FeatureRegistry,
  type SignalLimits,
  type SignalNames,
  type SignalSketches,
} from "./signals.ts";

export interface SegmentSettings {
  /** attribute keys whose values are segments; empty = segments off */
  keys: readonly string[];
  /** segments per key and model version with signals of their own; the rest are `__other__` */
  topK: number;
}

/** The segment all values beyond the top k are folded into. */
export const OTHER_SEGMENT = OTHER_CATEGORY;
/** Longer values (and values with "/") are folded into `__other__`: signal names stay parseable and ≤ 256 characters. */
export const MAX_SEGMENT_VALUE_LENGTH = 48;
export const SEGMENT_MIX_PREFIX = "segment_mix:";
export const SEGMENT_PREFIX = "segment:";

/** Per model version: the segments admitted per key, in the order they arrived (stored with the open window). */
export interface SegmentRegistry {
  admitted: Map<string, string[]>;
  /** derived, not stored: per key and segment, the segment's signal names */
  names?: Map<string, Map<string, SignalNames>>;
}

export function createSegmentRegistry(): SegmentRegistry {
  return { admitted: new Map() };
}

export function segmentMixSignal(key: string): string {
  return `${SEGMENT_MIX_PREFIX}${key}`;
}

export function segmentSignal(key: string, segment: string, signal: string): string {
  return `${SEGMENT_PREFIX}${key}=${segment}/${signal}`;
}

export function isSegmentMixSignal(signal: string): boolean {
  return signal.startsWith(SEGMENT_MIX_PREFIX);
}

/** Whether a signal is one segment's (`segment:<key>=<segment>/<signal>`). */
export function isSegmentSignal(signal: string): boolean {
  return signal.startsWith(SEGMENT_PREFIX);
}

/** The key, segment and model-level signal a segment's signal name stands for; null for other signals. */
export function parseSegmentSignal(signal: string): { key: string; segment: string; signal: string } | null {
  if (!isSegmentSignal(signal)) return null;
  // keys come from the config (no "=", no "/"); segments never contain "/" (admitSegment)
  const eq = signal.indexOf("=", SEGMENT_PREFIX.length);
  const slash = eq < 0 ? -1 : signal.indexOf("/", eq + 1);
  if (slash < 0) return null;
  return { key: signal.slice(SEGMENT_PREFIX.length, eq), segment: signal.slice(eq + 1, slash), signal: signal.slice(slash + 1) };
}

/** Top k within what a category sketch keeps: one category is reserved for `__other__`. */
export function effectiveTopK(settings: SegmentSettings, limits: SignalLimits): number {
  return Math.max(0, Math.min(settings.topK, limits.maxCategories - 1));
}

/**
 * The segment of an attribute value, admitting it when there is room: null for an absent or empty value.
 * Mutates the registry (admission); call once per event and key, in event order.
 */
function admitSegment(registry: SegmentRegistry, key: string, value: string | undefined, topK: number): string | null {
  if (value === undefined || value === "") return null;
  let admitted = registry.admitted.get(key);
  if (admitted === undefined) {
    admitted = [];
    registry.admitted.set(key, admitted);
  }
  if (admitted.includes(value)) return value;
  if (admitted.length < topK && value !== OTHER_SEGMENT && value.length <= MAX_SEGMENT_VALUE_LENGTH && !value.includes("/")) {
    admitted.push(value);
    return value;
  }
  return OTHER_SEGMENT;
}

/**
 * The segment per configured key of an event already applied (read-only: admits nothing), e.g. for the
 * outcome join to keep with a pending prediction so performance can be computed per segment.
 */
export function segmentsOf(registry: SegmentRegistry, settings: SegmentSettings, event: PredictionEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of settings.keys) {
    const value = event.attributes?.[key];
    if (value === undefined || value === "") continue;
    out[key] = registry.admitted.get(key)?.includes(value) === true ? value : OTHER_SEGMENT;
  }
  return out;
}

function namesOf(registry: SegmentRegistry, key: string, segment: string): SignalNames {
  const byKey = (registry.names ??= new Map());
  let bySegment = byKey.get(key);
  if (bySegment === undefined) {
    bySegment = new Map();
    byKey.set(key, bySegment);
  }
  let names = bySegment.get(segment);
  if (names === undefined) {
    names = {
      prediction: segmentSignal(key, segment, "prediction"),
      confidence: segmentSignal(key, segment, "confidence"),
      latency: segmentSignal(key, segment, "latency"),
      predictedClass: segmentSignal(key, segment, "predictedClass"),
      features: new Map(),
      feature: (name: string) => segmentSignal(key, segment, featureSignal(name)),
    };
    bySegment.set(segment, names);
  }
  return names;
}

/**
 * Feed an event (already added to the model's signals, so its feature kinds are registered) into the
 * segment mix and its segment's signals. An event without the attribute counts as missing in the mix.
 */
export function addEventToSegments(
  s: SignalSketches,
  registry: SegmentRegistry,
  features: FeatureRegistry,
  event: PredictionEvent,
  settings: SegmentSettings,
  limits: SignalLimits,
): void {
  const topK = effectiveTopK(settings, limits);
  for (const key of settings.keys) {
    const mix = categorySketchFor(s, segmentMixSignal(key), limits);
    const segment = admitSegment(registry, key, event.attributes?.[key], topK);
    if (segment === null) {
      addMissingCategory(mix);
      continue;
    }
    addCategory(mix, segment);
    addEventToNamedSignals(namesOf(registry, key, segment), s, features, event, limits);
  }
}

/** The model-level signals of the data (prediction, confidence, latency, classes, features): what a mix shift moves. */
export function isModelDataSignal(signal: string): boolean {
  return CORE_SIGNAL_NAMES.has(signal) || signal.startsWith("feature:");
}

const CORE_SIGNAL_NAMES: ReadonlySet<string> = new Set(["prediction", "confidence", "latency", "predictedClass"]);
