// Capture of a reference by event-time duration and/or by seasonal slot (README "Reference capture").
// Used when `baseline.referenceDurationMs` or `baseline.seasonality` is set; otherwise the reference is the
// merge of the first `warmupWindows` windows, kept as a list (engine.ts), exactly as before.
//
// A capture folds each closed window in as it comes (sketches merge, so memory stays that of one
// reference plus one per slot, however many windows a 7-day span has), with two sums of dispersion scores:
// - against the windows before it (the rolling baseline): the whole reference's dependence factor;
// - against the earlier windows of its own slot: the slots' dependence factor. A seasonal comparison is
//   window vs same-slot reference, so its null variation is the day-to-day variation at the same hour,
//   not the cycle. Pooled over slots (a 7-day hourOfDay capture has only 6 scores per slot).
// Completion: at least `warmupWindows` windows, and, with a duration, windows starting at least
// `referenceDurationMs` after the first — the later of the two wins.
import type { ClosedWindow } from "../windows/window.ts";
import { mergeSignalSketches, type SignalLimits, type SignalSketches } from "../windows/signals.ts";
import { addDispersion, dispersionScores, factorsFromDispersion, type DispersionSums } from "../detect/dependence.ts";
import type { Baseline, ReferenceSlot } from "./baseline.ts";
import { windowSlot, type Season } from "./season.ts";

export interface ReferenceCapture {
  firstSeq: number;
  lastSeq: number;
  windows: number;
  count: number;
  start: number;
  end: number;
  /** merge of every captured window */
  signals: SignalSketches;
  /** null: not seasonal */
  season: Season | null;
  slots: Map<number, ReferenceSlot>;
  /** scores of each window against the windows before it */
  dispersion: DispersionSums;
  /** scores of each window against the earlier captured windows of its slot */
  slotDispersion: DispersionSums;
}

export interface CaptureRule {
  warmupWindows: number;
  referenceDurationMs?: number;
}

/** Folds a closed (compacted) window into the capture, starting one when `capture` is null. */
export function addToCapture(
  capture: ReferenceCapture | null,
  w: ClosedWindow,
  season: Season | null,
  minCount: number,
  limits: SignalLimits,
): ReferenceCapture {
  const c: ReferenceCapture = capture ?? {
    firstSeq: w.seq,
    lastSeq: w.seq,
    windows: 0,
    count: 0,
    start: w.start,
    end: w.end,
    signals: w.signals,
    season,
    slots: new Map(),
    dispersion: new Map(),
    slotDispersion: new Map(),
  };
  if (capture !== null) c.signals = mergeSignalSketches([c.signals, w.signals], limits);
  c.lastSeq = w.seq;
  c.windows++;
  c.count += w.count;
  if (w.start < c.start) c.start = w.start;
  if (w.end > c.end) c.end = w.end;
  addDispersion(c.dispersion, w.dispersion);
  if (c.season !== null) {
    const key = windowSlot(w, c.season);
    const slot = c.slots.get(key);
    if (slot === undefined) c.slots.set(key, { windows: 1, count: w.count, start: w.start, end: w.end, signals: w.signals });
    else {
      addDispersion(c.slotDispersion, dispersionScores(w.signals, slot.signals, minCount));
      slot.signals = mergeSignalSketches([slot.signals, w.signals], limits);
      slot.windows++;
      slot.count += w.count;
      if (w.start < slot.start) slot.start = w.start;
      if (w.end > slot.end) slot.end = w.end;
    }
  }
  return c;
}

/**
 * Whether the capture is complete before a window starting at `nextStart` (null: right after the last
 * window was added, which settles only a rule without a duration).
 */
export function isCaptureComplete(c: ReferenceCapture, rule: CaptureRule, nextStart: number | null): boolean {
  if (c.windows < rule.warmupWindows) return false;
  if (rule.referenceDurationMs === undefined) return true;
  return nextStart !== null && nextStart - c.start >= rule.referenceDurationMs;
}

/** The reference a complete capture pins. */
export function referenceFromCapture(c: ReferenceCapture, modelId: string, modelVersion: string, source: "warmup" | "repin"): Baseline {
  const reference: Baseline = {
    kind: "reference",
    id: `${modelId}@${modelVersion}/reference/w${c.firstSeq}-w${c.lastSeq}`,
    count: c.count,
    start: c.start,
    end: c.end,
    source,
    signals: c.signals,
    dependence: Object.fromEntries(factorsFromDispersion(c.dispersion)),
  };
  if (c.season !== null) {
    reference.seasonal = { ...c.season, slots: c.slots, dependence: Object.fromEntries(factorsFromDispersion(c.slotDispersion)) };
  }
  return reference;
}
