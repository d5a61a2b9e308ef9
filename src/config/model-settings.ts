// Maps one model's validated config section onto the engine's own settings type (detect/settings.ts).
import type { ModelSettings } from "../detect/settings.ts";
import type { ModelSettingsConfig } from "./schema.ts";

export function modelSettingsFrom(c: ModelSettingsConfig): ModelSettings {
  return {
    window: {
      maxEvents: c.window.maxEvents,
      maxDurationMs: c.window.maxDurationMs,
      minEvents: c.window.minEvents,
      allowedLatenessMs: c.window.allowedLatenessMs,
    },
    baseline: {
      warmupWindows: c.baseline.warmupWindows,
      rollingWindows: c.baseline.rollingWindows,
      ...(c.baseline.referenceDurationMs === undefined ? {} : { referenceDurationMs: c.baseline.referenceDurationMs }),
      seasonality: c.baseline.seasonality,
      seasonOffsetMs: c.baseline.seasonOffsetMs,
      minSlotWindows: c.baseline.minSlotWindows,
    },
    detection: {
      falseAlarmRate: c.detection.falseAlarmRate,
      consecutiveWindows: c.detection.consecutiveWindows,
      reportEveryWindows: c.detection.reportEveryWindows,
      correction: c.detection.correction,
      minSignalCount: c.detection.minSignalCount,
      numericFloors: { ...c.detection.numericFloors },
      categoricalFloors: { ...c.detection.categoricalFloors },
      missingShareFloors: { ...c.detection.missingShareFloors },
      outOfRangeFloors: { ...c.detection.outOfRangeFloors },
      unseenShareFloors: { ...c.detection.unseenShareFloors },
      typeChangeFloors: { ...c.detection.typeChangeFloors },
    },
    retrain: {
      consecutiveWindows: c.retrain.consecutiveWindows,
      cooldownMs: c.retrain.cooldownMs,
      signals: [...c.retrain.signals],
      ...(c.retrain.maxAgeMs === undefined ? {} : { maxAgeMs: c.retrain.maxAgeMs }),
    },
    performance: {
      ...c.performance,
      accuracyFloors: { ...c.performance.accuracyFloors },
      maeFloors: { ...c.performance.maeFloors },
    },
    ...(c.segments.keys.length > 0 ? { segments: { keys: [...c.segments.keys], topK: c.segments.topK } } : {}),
  };
}
