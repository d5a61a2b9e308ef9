// What a window of a seasonal model is compared with: the reference windows of its slot (with the slots'
// dependence factors), or — when the slot has fewer than `minSlotWindows` windows, or the reference was
// captured under another season than the one configured now — the whole reference (with its own). The
// rolling comparison of a seasonal model uses only the rolling windows of the same slot, and is skipped
// when there are none: the windows just before it are another part of the cycle.
import type { ClosedWindow } from "../windows/window.ts";
import { mergeSignalSketches, signalsOf, type SignalLimits } from "../windows/signals.ts";
import type { Baseline } from "./baseline.ts";
import { sameSeason, slotLabel, windowSlot, type Season } from "./season.ts";

/** The reference baseline for this window: its slot's, or the whole reference. */
export function referenceForWindow(reference: Baseline, window: ClosedWindow, season: Season | null, minSlotWindows: number): Baseline {
  const seasonal = reference.seasonal;
  if (seasonal === undefined || season === null || !sameSeason(seasonal, season)) return reference;
  const key = windowSlot(window, season);
  const slot = seasonal.slots.get(key);
  if (slot === undefined || slot.windows < minSlotWindows) return reference;
  return {
    kind: "reference",
    id: `${reference.id}/${slotLabel(key, season)}`,
    count: slot.count,
    start: slot.start,
    end: slot.end,
    source: reference.source,
    signals: slot.signals,
    dependence: seasonal.dependence,
  };
}

/** The merge of the rolling windows in the same slot as `window`, or null when there are none. */
export function sameSlotRolling(
  rolling: readonly ClosedWindow[],
  window: ClosedWindow,
  season: Season,
  modelId: string,
  modelVersion: string,
  limits: SignalLimits,
): Baseline | null {
  const key = windowSlot(window, season);
  const same = rolling.filter((w) => windowSlot(w, season) === key);
  if (same.length === 0) return null;
  const first = same[0];
  const last = same[same.length - 1];
  return {
    kind: "rolling",
    id: `${modelId}@${modelVersion}/rolling/${slotLabel(key, season)}/w${first.seq}-w${last.seq}`,
    count: same.reduce((n, w) => n + w.count, 0),
    start: Math.min(...same.map((w) => w.start)),
    end: Math.max(...same.map((w) => w.end)),
    source: "rolling",
    signals: same.length === 1 ? first.signals : mergeSignalSketches(signalsOf(same), limits),
  };
}
