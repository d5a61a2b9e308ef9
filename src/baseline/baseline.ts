// Baselines (design §4 "Baselines").
// reference: pinned — imported, or the merge of the first `warmupWindows` windows of a model version.
// rolling: the merge of the last `rollingWindows` closed windows (kept incrementally: rolling.ts).
import type { ClosedWindow } from "../windows/window.ts";
import { mergeSignalSketches, signalsOf, type SignalLimits, type SignalSketches } from "../windows/signals.ts";
import type { Season } from "./season.ts";

/** The reference windows of one seasonal slot, merged. */
export interface ReferenceSlot {
  windows: number;
  count: number;
  start: number;
  end: number;
  signals: SignalSketches;
}

/** A seasonal reference's slots (baseline/season.ts), next to the whole reference they partition. */
export interface SeasonalReference extends Season {
  slots: Map<number, ReferenceSlot>;
  /** per signal, the dependence factor of a window against the earlier windows of its own slot */
  dependence: Record<string, number>;
}

export interface Baseline {
  kind: "reference" | "rolling";
  id: string;
  /** events the baseline was built from */
  count: number;
  /** event-time span of the data it was built from */
  start: number;
  end: number;
  source: "warmup" | "import" | "rolling" | "repin";
  signals: SignalSketches;
  /** per signal, the dependence factor measured while a captured reference was built (detect/dependence.ts) */
  dependence?: Record<string, number>;
  /** a seasonal reference: its slots (absent: one reference for every window) */
  seasonal?: SeasonalReference;
}

export function baselineFromWindows(
  kind: "reference" | "rolling",
  modelId: string,
  modelVersion: string,
  windows: readonly ClosedWindow[],
  limits: SignalLimits,
): Baseline {
  const first = windows[0];
  const last = windows[windows.length - 1];
  return {
    kind,
    id: `${modelId}@${modelVersion}/${kind}/w${first?.seq ?? 0}-w${last?.seq ?? 0}`,
    count: windows.reduce((n, w) => n + w.count, 0),
    start: windows.reduce((t, w) => Math.min(t, w.start), first?.start ?? 0),
    end: windows.reduce((t, w) => Math.max(t, w.end), last?.end ?? 0),
    source: kind === "reference" ? "warmup" : "rolling",
    signals: mergeSignalSketches(signalsOf(windows), limits),
  };
}
