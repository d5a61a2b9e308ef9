// Bounds on event time (design §4 "Bad input"): one event stamped far in the future would otherwise move
// its partition's watermark for good, so every later event is "late" and windows never close by time.
// An event is accepted when
//   watermark − maxPastSkewMs  ≤  timestamp  ≤  wallClock + maxFutureSkewMs
// The future side is measured against the wall clock, not the watermark, so a stream that pauses for days
// and resumes is not refused; the past side is measured against the partition's watermark (the largest
// event time accepted so far), so replaying history of any age works. Before the first event there is no
// watermark and only the future side applies.
//
// The wall clock is a value the shell passes per batch: the engine never reads a clock. Exactly-once is
// unaffected: an event's verdict is persisted with its offset in the same atomic write, so it is decided
// once; a chunk redone after a crash before that write is decided afresh, like the first time.

export interface EventTimeBounds {
  /** events later than the wall clock plus this are refused */
  maxFutureSkewMs: number;
  /** events older than the partition's watermark minus this are refused */
  maxPastSkewMs: number;
}

export interface EventTimeRange {
  /** -Infinity before the partition's first event */
  min: number;
  max: number;
}

/** The event times a partition accepts now. `watermark` is -Infinity before its first event. */
export function acceptedEventTimes(watermark: number, wallClockMs: number, bounds: EventTimeBounds): EventTimeRange {
  return { min: watermark - bounds.maxPastSkewMs, max: wallClockMs + bounds.maxFutureSkewMs };
}

export function isEventTimeAccepted(timestamp: number, range: EventTimeRange): boolean {
  return timestamp >= range.min && timestamp <= range.max;
}

/** For the dead letter's message: what was refused and the range it missed. */
export function describeEventTimeRefusal(timestamp: number, range: EventTimeRange): string {
  const iso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
  return timestamp > range.max
    ? `event time ${timestamp} (${iso(timestamp)}) is later than the wall clock plus maxFutureSkewMs (${iso(range.max)})`
    : `event time ${timestamp} (${iso(timestamp)}) is older than the partition's watermark minus maxPastSkewMs (${iso(range.min)})`;
}
