// The rolling baseline — the merge of the last `rollingWindows` closed windows — kept as a sliding-window
// aggregate ("two stacks"), because sketches can be merged but not subtracted. Windows are pushed at the
// back; the front holds suffix merges, rebuilt from the back when it runs empty. Each close then costs
// about three two-way merges per signal instead of one `rollingWindows`-way merge.
//
// t-digest merging is deterministic but not exactly associative, so the aggregate depends on where the
// front/back split falls. That split (`frontCount`) is part of the stored state, and the aggregates are
// rebuilt from the stored windows in the same order, so a reload gives the same baseline as an
// uninterrupted run.
import type { ClosedWindow } from "../windows/window.ts";
import { mergeSignalSketches, type SignalLimits, type SignalSketches } from "../windows/signals.ts";
import type { Baseline } from "./baseline.ts";

export interface RollingBaseline {
  /** oldest first */
  windows: ClosedWindow[];
  /** windows[0, frontCount) form the front stack */
  frontCount: number;
  /** frontAggregates[i] = merge of windows[i, frontCount) — derived, not stored */
  frontAggregates: SignalSketches[];
  /** merge of windows[frontCount, end), a left fold — derived, not stored */
  backAggregate: SignalSketches | null;
}

export function createRollingBaseline(): RollingBaseline {
  return { windows: [], frontCount: 0, frontAggregates: [], backAggregate: null };
}

function suffixAggregates(windows: readonly ClosedWindow[], limits: SignalLimits): SignalSketches[] {
  const out: SignalSketches[] = new Array(windows.length);
  for (let i = windows.length - 1; i >= 0; i--) {
    out[i] = i === windows.length - 1 ? windows[i].signals : mergeSignalSketches([windows[i].signals, out[i + 1]], limits);
  }
  return out;
}

function foldBack(acc: SignalSketches | null, w: ClosedWindow, limits: SignalLimits): SignalSketches {
  return acc === null ? w.signals : mergeSignalSketches([acc, w.signals], limits);
}

/** Rebuild the derived aggregates from stored windows and split (after loading state). */
export function restoreRollingBaseline(windows: ClosedWindow[], frontCount: number, limits: SignalLimits): RollingBaseline {
  const front = Math.max(0, Math.min(frontCount, windows.length));
  let back: SignalSketches | null = null;
  for (let i = front; i < windows.length; i++) back = foldBack(back, windows[i], limits);
  return { windows, frontCount: front, frontAggregates: suffixAggregates(windows.slice(0, front), limits), backAggregate: back };
}

/** Append a closed window and evict the oldest beyond `size`. Mutates `r`. */
export function pushRollingWindow(r: RollingBaseline, w: ClosedWindow, size: number, limits: SignalLimits): void {
  r.windows.push(w);
  r.backAggregate = foldBack(r.backAggregate, w, limits);
  while (r.windows.length > size) {
    if (r.frontCount === 0) {
      // flip: everything becomes the front, with fresh suffix merges
      r.frontCount = r.windows.length;
      r.frontAggregates = suffixAggregates(r.windows, limits);
      r.backAggregate = null;
    }
    r.windows.shift();
    r.frontAggregates.shift();
    r.frontCount--;
  }
}

/** The rolling baseline over the current windows, or null when there are none. */
export function rollingBaselineOf(r: RollingBaseline, modelId: string, modelVersion: string, limits: SignalLimits): Baseline | null {
  if (r.windows.length === 0) return null;
  const parts: SignalSketches[] = [];
  if (r.frontCount > 0) parts.push(r.frontAggregates[0]);
  if (r.backAggregate !== null) parts.push(r.backAggregate);
  const first = r.windows[0];
  const last = r.windows[r.windows.length - 1];
  let start = first.start;
  let end = last.end;
  let count = 0;
  for (const w of r.windows) {
    count += w.count;
    if (w.start < start) start = w.start;
    if (w.end > end) end = w.end;
  }
  return {
    kind: "rolling",
    id: `${modelId}@${modelVersion}/rolling/w${first.seq}-w${last.seq}`,
    count,
    start,
    end,
    source: "rolling",
    signals: parts.length === 1 ? parts[0] : mergeSignalSketches(parts, limits),
  };
}
