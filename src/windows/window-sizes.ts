// Sizes of the windows that closed, per model (issue 10 item 7): how many events and how much event time
// each window actually held, so a user sees when windows close by time far below maxEvents.
// Bounded memory: medians are over the last RECENT_WINDOWS windows of a model; counts, min and max over all.
import type { ClosedWindow } from "./window.ts";

/** Windows kept per model for the medians (odd, so the median is one of them). */
export const RECENT_WINDOWS = 101;
/** A model's windows are "far below maxEvents" when their median event count is under this share of it. */
export const SMALL_WINDOW_SHARE = 0.1;
/** Windows a model must have closed before its sizes are judged. */
export const MIN_WINDOWS_JUDGED = 3;

export interface Range {
  median: number;
  min: number;
  max: number;
}

export interface ModelWindowSizes {
  modelId: string;
  maxEvents: number;
  windows: number;
  /** windows that closed at maxEvents; the others closed by time (or at the end of a replay's input) */
  closedAtMaxEvents: number;
  events: Range;
  /** end − start, event time (ms) */
  durationMs: Range;
  /** the earliest start and the latest end of its windows, event time (ms) */
  eventTimeMs: { first: number; last: number };
}

interface ModelTally {
  maxEvents: number;
  windows: number;
  closedAtMaxEvents: number;
  minEvents: number;
  maxEventsSeen: number;
  minDuration: number;
  maxDuration: number;
  recentEvents: number[];
  recentDurations: number[];
  firstStart: number;
  lastEnd: number;
}

/** The median of a non-empty list (mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export class WindowSizes {
  private readonly models = new Map<string, ModelTally>();

  add(modelId: string, window: Pick<ClosedWindow, "count" | "start" | "end">, maxEvents: number): void {
    const duration = window.end - window.start;
    let t = this.models.get(modelId);
    if (t === undefined) {
      t = {
        maxEvents,
        windows: 0,
        closedAtMaxEvents: 0,
        minEvents: window.count,
        maxEventsSeen: window.count,
        minDuration: duration,
        maxDuration: duration,
        recentEvents: [],
        recentDurations: [],
        firstStart: window.start,
        lastEnd: window.end,
      };
      this.models.set(modelId, t);
    }
    t.maxEvents = maxEvents;
    t.windows++;
    if (window.count >= maxEvents) t.closedAtMaxEvents++;
    t.minEvents = Math.min(t.minEvents, window.count);
    t.maxEventsSeen = Math.max(t.maxEventsSeen, window.count);
    t.minDuration = Math.min(t.minDuration, duration);
    t.maxDuration = Math.max(t.maxDuration, duration);
    t.firstStart = Math.min(t.firstStart, window.start);
    t.lastEnd = Math.max(t.lastEnd, window.end);
    t.recentEvents.push(window.count);
    t.recentDurations.push(duration);
    if (t.recentEvents.length > RECENT_WINDOWS) {
      t.recentEvents.shift();
      t.recentDurations.shift();
    }
  }

  sizesOf(modelId: string): ModelWindowSizes | undefined {
    const t = this.models.get(modelId);
    if (t === undefined) return undefined;
    return {
      modelId,
      maxEvents: t.maxEvents,
      windows: t.windows,
      closedAtMaxEvents: t.closedAtMaxEvents,
      events: { median: median(t.recentEvents), min: t.minEvents, max: t.maxEventsSeen },
      durationMs: { median: median(t.recentDurations), min: t.minDuration, max: t.maxDuration },
      eventTimeMs: { first: t.firstStart, last: t.lastEnd },
    };
  }

  /** Every model's sizes, by model id. */
  all(): ModelWindowSizes[] {
    return [...this.models.keys()].sort().map((m) => this.sizesOf(m) as ModelWindowSizes);
  }
}

/** Whether a model's windows close by time with a median far below maxEvents (after MIN_WINDOWS_JUDGED windows). */
export function closesFarBelowMaxEvents(s: ModelWindowSizes): boolean {
  return s.windows >= MIN_WINDOWS_JUDGED && s.events.median < SMALL_WINDOW_SHARE * s.maxEvents;
}

// Epoch seconds of 2001-09-09 … 2286-11-20 read as milliseconds: 1970-01-12 … 1970-04-26.
const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_SECONDS_UNTIL = 1e10;

/**
 * Whether a model's event times all fall where epoch seconds (time.time(), Unix timestamps) land when read as
 * the contract's epoch milliseconds: January to April 1970. Windows then hold 1000× the time they say, and
 * nothing else would tell.
 */
export function looksLikeEpochSeconds(s: ModelWindowSizes): boolean {
  return s.eventTimeMs.first >= EPOCH_SECONDS_FROM && s.eventTimeMs.last < EPOCH_SECONDS_UNTIL;
}

/** A duration as the summary prints it: 850ms, 42s, 3m20s, 2h05m, 3d04h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}
