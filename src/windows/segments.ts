// Segments (design §3 `attributes`, issue 11 "Segments"): for each configured attribute key a window keeps
// - the segment mix, `segment_mix:<key>`: a categorical signal whose categories are the key's segments, so
//   a change of mix (one segment's share moving) is tested like any categorical signal, and
// - per segment, the model's signals again under `segment:<key>=<segment>/<signal>`, so drift within one
//   segment is tested against the same segment of the baseline.
// Cardinality is bounded per model version and key, by the `topK` most frequent values: the version's first
// window *discovers* them — a Space-Saving heavy-hitter summary of 4·topK counters per key counts the
// values (sketch/heavy-hitters.ts), and no segment signals are kept yet — and when that window closes the
// topK values with the largest counts (ties: the smallest value) become the segments, most frequent first;
// from then on every other value is folded into `__other__` until `baseline reset`/`repin` starts a new discovery.
// Trade-off (README "Segments"): the choice is fixed before the reference is built from the windows after
// it, so every segment has one consistent meaning in the reference and in every window (sketches cannot be
// split after the fact), at the price of the first window's segment signals and of a segment that becomes
// frequent later reading as `__other__`. State: 4·topK (value, count, error) triples per key during the
// first window, topK values after it. Event order (offset order within a partition) is the only input,
// and the summary is persisted with the offset, so replay, redelivery and a restarted replica choose the
// same segments.
import type { PredictionEvent } from "../events/types.ts";
import { addCategory, addMissingCategory, OTHER_CATEGORY } from "../sketch/categories.ts";
import { addHeavyHitter, createHeavyHitters, topHeavyHitters, type HeavyHitters } from "../sketch/heavy-hitters.ts";
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

/** Heavy-hitter counters per key while the segments are discovered: this many per segment wanted. */
export const DISCOVERY_COUNTERS_PER_SEGMENT = 4;

/** Per model version (stored with the open window). */
export interface SegmentRegistry {
  /** the segments per key, most frequent first; empty while discovering */
  admitted: Map<string, string[]>;
  /** while the first window discovers the segments: per key the heavy-hitter summary; absent once chosen */
  discovery?: Map<string, HeavyHitters>;
  /** derived, not stored: per key and segment, the segment's signal names */
  names?: Map<string, Map<string, SignalNames>>;
}

/** A registry that discovers its segments in the window now open. */
export function createSegmentRegistry(): SegmentRegistry {
  return { admitted: new Map(), discovery: new Map() };
}

/** Whether the segments are still being discovered (no segment signals yet). */
export function isDiscoveringSegments(registry: SegmentRegistry): boolean {
  return registry.discovery !== undefined;
}

/**
 * End of discovery (the version's window closed): per configured key the topK values with the largest
 * counts become its segments. Idempotent once chosen.
 */
export function chooseSegments(registry: SegmentRegistry, settings: SegmentSettings, limits: SignalLimits): void {
  if (registry.discovery === undefined) return;
  const topK = effectiveTopK(settings, limits);
  for (const key of settings.keys) {
    const summary = registry.discovery.get(key);
    registry.admitted.set(key, summary === undefined ? [] : topHeavyHitters(summary, topK).map((e) => e.value));
  }
  delete registry.discovery;
  delete registry.names;
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

/** Whether an attribute value can be a segment of its own (names stay parseable and short). */
export function isSegmentValue(value: string): boolean {
  return value !== OTHER_SEGMENT && value.length <= MAX_SEGMENT_VALUE_LENGTH && !value.includes("/");
}

/** Per configured key, an event's attribute value when it can be a segment, else __other__ (absent: left out). */
export function attributeSegments(settings: SegmentSettings, event: PredictionEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of settings.keys) {
    const value = event.attributes?.[key];
    if (value !== undefined && value !== "") out[key] = isSegmentValue(value) ? value : OTHER_SEGMENT;
  }
  return out;
}

/** The segment of an attribute value among a key's chosen segments: null for an absent or empty value. */
export function segmentOfValue(registry: SegmentRegistry, key: string, value: string | undefined): string | null {
  if (value === undefined || value === "") return null;
  return registry.admitted.get(key)?.includes(value) === true ? value : OTHER_SEGMENT;
}

/**
 * The segment per configured key of an event (read-only), e.g. for the outcome join to resolve a pending
 * prediction's segment; none while the segments are discovered.
 */
export function segmentsOf(registry: SegmentRegistry, settings: SegmentSettings, event: PredictionEvent): Record<string, string> {
  const out: Record<string, string> = {};
  if (isDiscoveringSegments(registry)) return out;
  for (const key of settings.keys) {
    const segment = segmentOfValue(registry, key, event.attributes?.[key]);
    if (segment !== null) out[key] = segment;
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
 * segment mix and its segment's signals — or, while discovering, into the heavy-hitter counts only. An
 * event without the attribute counts as missing in the mix.
 */
export function addEventToSegments(
  s: SignalSketches,
  registry: SegmentRegistry,
  features: FeatureRegistry,
  event: PredictionEvent,
  settings: SegmentSettings,
  limits: SignalLimits,
): void {
  const discovery = registry.discovery;
  if (discovery !== undefined) {
    const capacity = DISCOVERY_COUNTERS_PER_SEGMENT * effectiveTopK(settings, limits);
    for (const key of settings.keys) {
      const value = event.attributes?.[key];
      if (value === undefined || value === "" || !isSegmentValue(value) || capacity === 0) continue;
      let summary = discovery.get(key);
      if (summary === undefined) discovery.set(key, (summary = createHeavyHitters(capacity)));
      addHeavyHitter(summary, value);
    }
    return;
  }
  for (const key of settings.keys) {
    const mix = categorySketchFor(s, segmentMixSignal(key), limits);
    const segment = segmentOfValue(registry, key, event.attributes?.[key]);
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
