// Windows of one model version within one partition (design §4 "Windows").
// A window closes at `maxEvents` events or when event time reaches `start + maxDurationMs`, whichever first.
// A window that reaches its time limit with fewer than `minEvents` is merged forward: it stays open and its
// deadline moves on by another maxDurationMs, so its events are evaluated with the next window's.
import type { PredictionEvent } from "../events/types.ts";
import { compactTDigest } from "../sketch/tdigest.ts";

/**
 * After its evaluation a closed window is only stored and merged: drop the ingest buffers and compress
 * digests that were kept exact by count (the evaluation used the exact values).
 */
export function compactClosedWindow(w: ClosedWindow): void {
  for (const sketch of w.signals.numeric.values()) compactTDigest(sketch.digest);
}
import { addEventToSignals, createSignalSketches, type FeatureRegistry, type SignalLimits, type SignalSketches } from "./signals.ts";

export interface WindowSettings {
  maxEvents: number;
  maxDurationMs: number;
  minEvents: number;
}

export interface OpenWindow {
  /** 0-based sequence number of this window within its model version and partition */
  seq: number;
  /** event time of the first event (ms); 0 while empty */
  start: number;
  /** largest event time seen in the window */
  end: number;
  /** the window closes when event time reaches this (start + maxDurationMs, extended when merged forward) */
  deadline: number;
  count: number;
  /** input positions (Kafka offsets / replay line numbers) of the first and last event, as decimal strings */
  firstOffset: string;
  lastOffset: string;
  /** eventIds of the first and last event: with the offsets they tie output ids to the input's content */
  firstEventId: string;
  lastEventId: string;
  /** events folded in although they were late (older than the watermark) */
  late: number;
  /** how many times the window reached its deadline under minEvents and was merged forward */
  mergedForward: number;
  signals: SignalSketches;
}

export interface ClosedWindow {
  id: string;
  seq: number;
  start: number;
  end: number;
  count: number;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  firstEventId: string;
  lastEventId: string;
  late: number;
  signals: SignalSketches;
  /** per signal, how far this window was from the windows before it (detect/dependence.ts); set at close */
  dispersion?: Record<string, number[]>;
}

export function createOpenWindow(seq: number): OpenWindow {
  return {
    seq,
    start: 0,
    end: 0,
    deadline: 0,
    count: 0,
    firstOffset: "",
    lastOffset: "",
    firstEventId: "",
    lastEventId: "",
    late: 0,
    mergedForward: 0,
    signals: createSignalSketches(),
  };
}

/** Whether the event must first close the open window by time (it belongs to the next window). */
export function reachesDeadline(w: OpenWindow, eventTime: number): boolean {
  return w.count > 0 && eventTime >= w.deadline;
}

export function addToWindow(
  w: OpenWindow,
  event: PredictionEvent,
  offset: string,
  late: boolean,
  settings: WindowSettings,
  registry: FeatureRegistry,
  limits: SignalLimits,
): void {
  if (w.count === 0) {
    w.start = event.timestamp;
    w.end = event.timestamp;
    w.deadline = event.timestamp + settings.maxDurationMs;
    w.firstOffset = offset;
    w.firstEventId = event.eventId;
  }
  if (event.timestamp > w.end) w.end = event.timestamp;
  w.count++;
  w.lastOffset = offset;
  w.lastEventId = event.eventId;
  if (late) w.late++;
  addEventToSignals(w.signals, registry, event, limits);
}

export function isFull(w: OpenWindow, settings: WindowSettings): boolean {
  return w.count >= settings.maxEvents;
}

/**
 * Decide what happens to a window that reached its time deadline: evaluate it, or (under minEvents)
 * merge it forward by extending the deadline in whole maxDurationMs steps until `eventTime` falls inside it.
 */
export function closeOrMergeForward(w: OpenWindow, eventTime: number, settings: WindowSettings): "close" | "merged" {
  if (w.count >= settings.minEvents) return "close";
  // Arithmetic, never a loop: the gap to eventTime may be years of event time (or 2^52 ms).
  if (w.deadline <= eventTime) {
    const steps = Math.floor((eventTime - w.deadline) / settings.maxDurationMs) + 1;
    w.deadline += steps * settings.maxDurationMs;
    w.mergedForward += steps;
  }
  return "merged";
}

export function windowId(modelId: string, modelVersion: string, partition: number, seq: number): string {
  return `${modelId}@${modelVersion}/p${partition}/w${seq}`;
}

export function closeWindow(w: OpenWindow, modelId: string, modelVersion: string, partition: number): ClosedWindow {
  return {
    id: windowId(modelId, modelVersion, partition, w.seq),
    seq: w.seq,
    start: w.start,
    end: w.end,
    count: w.count,
    partition,
    firstOffset: w.firstOffset,
    lastOffset: w.lastOffset,
    firstEventId: w.firstEventId,
    lastEventId: w.lastEventId,
    late: w.late,
    signals: w.signals,
  };
}
