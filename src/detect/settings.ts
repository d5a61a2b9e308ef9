// What the engine needs to know about one model, defined by the core rather than by the config parser:
// src/config/ maps the validated config file onto this (see config/model-settings.ts), so the engine's
// types do not change when the file format does.
import type { WindowSettings } from "../windows/window.ts";
import type { Seasonality } from "../baseline/season.ts";
import type { SegmentSettings } from "../windows/segments.ts";

export interface EffectFloors {
  warning: number;
  critical: number;
}

export interface ModelWindowSettings extends WindowSettings {
  /** events older than the partition's max event time minus this are "late" */
  allowedLatenessMs: number;
}

export interface BaselineSettings {
  /** closed windows that make up the captured reference */
  warmupWindows: number;
  /** closed windows merged into the rolling baseline */
  rollingWindows: number;
  /**
   * event time the captured reference must span (windows starting before `first start + this`); with
   * warmupWindows the later of the two wins. Absent: the reference is the first warmupWindows windows.
   */
  referenceDurationMs?: number;
  /** seasonal reference: each window is compared with the reference windows of its slot (baseline/season.ts) */
  seasonality: Seasonality;
  /** added to event time (UTC) before slots are taken, e.g. 3 600 000 for UTC+1 */
  seasonOffsetMs: number;
  /** a slot with fewer reference windows than this falls back to the whole reference */
  minSlotWindows: number;
}

export interface DetectionSettings {
  falseAlarmRate: number;
  consecutiveWindows: number;
  /** while an incident goes on unchanged (same status, same drifting signals), a DriftEvent every this many windows */
  reportEveryWindows: number;
  correction: "bonferroni" | "benjamini-hochberg";
  /** a signal needs this many non-missing values on both sides to be tested */
  minSignalCount: number;
  /** Wasserstein-1 / σ_ref for numbers */
  numericFloors: EffectFloors;
  /** L∞ of class shares for categories */
  categoricalFloors: EffectFloors;
  /** absolute change of a feature's missing share */
  missingShareFloors: EffectFloors;
  /** share of numeric values outside the reference's [min, max] */
  outOfRangeFloors: EffectFloors;
  /** share of category values the reference never saw */
  unseenShareFloors: EffectFloors;
  /** rise of the share of values whose type disagrees with the feature's kind */
  typeChangeFloors: EffectFloors;
}

export interface RetrainSettings {
  consecutiveWindows: number;
  cooldownMs: number;
  /** signals whose critical drift may trigger a retrain; empty = any signal */
  signals: readonly string[];
  /** a reference whose data ends longer ago than this (event time) raises one `max_age` request; undefined = off */
  maxAgeMs?: number;
}

/** Outcomes joined to predictions and the `performance` signal (src/outcomes/). */
export interface PerformanceSettings {
  /** predictions wait for outcomes (when the shell feeds outcomes) */
  enabled: boolean;
  /** event time a prediction waits for its outcome, and an early outcome for its prediction */
  labelDelayMs: number;
  maxPending: number;
  maxEarlyOutcomes: number;
  /** a performance window closes at maxOutcomes joined outcomes or after maxDurationMs with minOutcomes */
  maxOutcomes: number;
  maxDurationMs: number;
  minOutcomes: number;
  /** performance windows that make up the version's performance reference */
  referenceWindows: number;
  /** accuracy drop against the reference (absolute) */
  accuracyFloors: EffectFloors;
  /** MAE rise relative to the reference MAE */
  maeFloors: EffectFloors;
  minAccuracy?: number;
  maxMae?: number;
  calibrationBins: number;
}

export interface ModelSettings {
  window: ModelWindowSettings;
  baseline: BaselineSettings;
  detection: DetectionSettings;
  retrain: RetrainSettings;
  performance: PerformanceSettings;
  /** per-segment signals and the segment mix for these attribute keys (windows/segments.ts); absent = off */
  segments?: SegmentSettings;
}
